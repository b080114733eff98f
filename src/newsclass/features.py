"""TF-IDF features over jieba words, character n-grams and titles."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from newsclass.documents import Document, as_documents
from newsclass.grams import prepare_documents, word_ngrams
from newsclass.segment import Segmenter
from newsclass.tfidf import CharNgramTfidf, TermTfidf

__all__ = ["TextFeatures"]


class TextFeatures(TransformerMixin, BaseEstimator):
    """Turn articles into a TF-IDF matrix of word n-grams, character n-grams and title words.

    Each article is normalised once and segmented once; the word, character and title
    blocks are built from that one pass and stacked side by side, each L2-normalised and
    scaled by its weight.

    Parameters
    ----------
    segmenter : Segmenter or None, default=None
        The word segmenter; ``None`` means ``Segmenter()`` with the bundled dictionary
        and stopwords.
    normalize : bool, default=True
        Pass text through :func:`newsclass.normalize` first.
    word_ngram_range : (int, int), default=(1, 1)
        Word n-grams to use.
    char_ngram_range : (int, int) or None, default=(1, 3)
        Character n-grams to use; ``None`` for none.
    char_weight : float, default=1.4
        Scale of the character block relative to the word block.
    title_weight : float, default=1.0
        Scale of an extra block of title words, so that the headline counts beyond its
        share of the text. The block exists only when some training article has a title.
    min_df : int or float, default=1
        Ignore terms in fewer documents than this (as in ``TfidfVectorizer``).
    max_df : int or float, default=1.0
        Ignore terms in more documents than this.
    sublinear_tf : bool, default=True
        Use ``1 + log(tf)``.
    body_chars : int or None, default=None
        Read only the first `body_chars` characters of each normalised body; the
        headline and the lead carry an article's main act, and long bodies cost time.
        ``None`` reads every character.

    Attributes
    ----------
    segmenter_ : Segmenter
        The segmenter in use.
    word_vectorizer_, title_vectorizer_ : TermTfidf or None
        The fitted word blocks (``None`` when a block is not used).
    char_vectorizer_ : CharNgramTfidf, TfidfVectorizer or None
        The fitted character block; scikit-learn's vectorizer only for n-grams longer
        than 3 characters, which the fast one does not pack.
    """

    def __init__(self, segmenter: Segmenter | None = None, normalize: bool = True,
                 word_ngram_range: tuple[int, int] = (1, 1),
                 char_ngram_range: tuple[int, int] | None = (1, 3), char_weight: float = 1.4,
                 title_weight: float = 1.0, min_df: int | float = 1,
                 max_df: int | float = 1.0, sublinear_tf: bool = True,
                 body_chars: int | None = None) -> None:
        self.segmenter = segmenter
        self.normalize = normalize
        self.word_ngram_range = word_ngram_range
        self.char_ngram_range = char_ngram_range
        self.char_weight = char_weight
        self.title_weight = title_weight
        self.min_df = min_df
        self.max_df = max_df
        self.sublinear_tf = sublinear_tf
        self.body_chars = body_chars

    # -- preparation: one normalisation and one segmentation per article ---------------
    def _segmenter(self) -> Segmenter:
        seg = getattr(self, "segmenter_", None)
        if seg is None:
            seg = self.segmenter if self.segmenter is not None else Segmenter()
        return seg

    def prepare(self, X: Iterable[Any]) -> list[tuple[list[str], list[str], str]]:
        """Normalise and segment articles once.

        Parameters
        ----------
        X : iterable of articles
            See :func:`newsclass.as_documents`.

        Returns
        -------
        list of (title words, all words, normalised text)
        """
        docs = X if _all_documents(X) else as_documents(X)
        return prepare_documents(docs, self._segmenter(), self.normalize,
                                 body_chars=self.body_chars)

    def _char_block(self):
        lo, hi = self.char_ngram_range
        if hi <= 3:
            return CharNgramTfidf((lo, hi), self.min_df, self.max_df, self.sublinear_tf)
        from sklearn.feature_extraction.text import TfidfVectorizer

        return TfidfVectorizer(analyzer="char", ngram_range=(lo, hi), min_df=self.min_df,
                               max_df=self.max_df, sublinear_tf=self.sublinear_tf,
                               dtype=np.float32)

    def fit(self, X: Iterable[Any], y: Any = None) -> TextFeatures:
        """Learn the vocabularies and IDF weights.

        Parameters
        ----------
        X : iterable of articles
        y : ignored

        Returns
        -------
        self
        """
        self._fit_prepared(self.prepare(X))
        return self

    def fit_transform(self, X: Iterable[Any], y: Any = None, **fit_params) -> sp.csr_matrix:
        """Fit and return the feature matrix, preparing each article once."""
        prepared = self.prepare(X)
        return self._fit_prepared(prepared)

    def _fit_prepared(self, prepared: list) -> sp.csr_matrix:
        """Fit every block on prepared articles and return their feature matrix."""
        if not prepared:
            raise ValueError("cannot fit on an empty collection of articles")
        self.segmenter_ = self._segmenter()
        words = [word_ngrams(p[1], self.word_ngram_range) for p in prepared]
        self.word_vectorizer_ = TermTfidf(self.min_df, self.max_df, self.sublinear_tf)
        try:
            blocks = [self.word_vectorizer_.fit_transform(words)]
        except ValueError:
            raise ValueError("the training articles contain no words (all empty or "
                             "stopwords only)") from None
        self.char_vectorizer_ = None
        if self.char_ngram_range:
            self.char_vectorizer_ = self._char_block()
            blocks.append(self.char_vectorizer_.fit_transform([p[2] for p in prepared]))
        self.title_vectorizer_ = None
        titles = [word_ngrams(p[0], self.word_ngram_range) for p in prepared]
        if self.title_weight and any(titles):
            self.title_vectorizer_ = TermTfidf(1, 1.0, self.sublinear_tf)
            blocks.append(self.title_vectorizer_.fit_transform(titles))
        self.n_features_out_ = sum(b.shape[1] for b in blocks)
        return self._stack(blocks)

    def _stack(self, blocks: list) -> sp.csr_matrix:
        """The word, character and title blocks side by side, each scaled by its weight."""
        weights = [1.0]
        if self.char_vectorizer_ is not None:
            weights.append(self.char_weight)
        if self.title_vectorizer_ is not None:
            weights.append(self.title_weight)
        return sp.hstack([b if w == 1.0 else w * b for b, w in zip(blocks, weights,
                                                                   strict=True)],
                         format="csr", dtype=np.float32)

    def transform(self, X: Iterable[Any]) -> sp.csr_matrix:
        """Return the TF-IDF matrix of articles.

        Parameters
        ----------
        X : iterable of articles

        Returns
        -------
        scipy.sparse.csr_matrix of shape (n_articles, n_features_out_)
        """
        check_is_fitted(self, "word_vectorizer_")
        return self.transform_prepared(self.prepare(X))

    def transform_prepared(self, prepared: list) -> sp.csr_matrix:
        """Return the TF-IDF matrix of articles already passed through :meth:`prepare`."""
        blocks = [self.word_vectorizer_.transform(
            [word_ngrams(p[1], self.word_ngram_range) for p in prepared])]
        if self.char_vectorizer_ is not None:
            blocks.append(self.char_vectorizer_.transform([p[2] for p in prepared]))
        if self.title_vectorizer_ is not None:
            blocks.append(self.title_vectorizer_.transform(
                [word_ngrams(p[0], self.word_ngram_range) for p in prepared]))
        return self._stack(blocks)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Feature names, prefixed by block: ``w:`` words, ``c:`` characters, ``t:`` title."""
        check_is_fitted(self, "word_vectorizer_")
        names = [f"w:{t}" for t in self.word_vectorizer_.get_feature_names_out()]
        if self.char_vectorizer_ is not None:
            names += [f"c:{t}" for t in self.char_vectorizer_.get_feature_names_out()]
        if self.title_vectorizer_ is not None:
            names += [f"t:{t}" for t in self.title_vectorizer_.get_feature_names_out()]
        return np.asarray(names, dtype=object)


def _all_documents(X: Any) -> bool:
    return isinstance(X, list) and all(isinstance(d, Document) for d in X)
