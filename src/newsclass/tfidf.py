"""Fast TF-IDF for the two kinds of terms newsclass uses: character n-grams and words.

They compute what scikit-learn's ``TfidfVectorizer`` computes (smooth IDF, optional
sublinear TF, L2-normalised rows; tests check the values against it), but count with
NumPy over a whole batch instead of one Python dictionary lookup per term, which made
feature extraction, not segmentation, the slowest step of labelling.

Character n-grams (n ≤ 3) are packed into one 64-bit integer each and looked up in a
vectorised hash table (:mod:`newsclass.grams`).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain, repeat

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from newsclass.grams import KeyTable, char_ngram_keys, key_to_text

__all__ = ["CharNgramTfidf", "TermTfidf"]

def _df_limits(min_df: int | float, max_df: int | float, n_docs: int) -> tuple[float, float]:
    lo = min_df if isinstance(min_df, (int, np.integer)) else min_df * n_docs
    hi = max_df if isinstance(max_df, (int, np.integer)) else max_df * n_docs
    if hi < lo:
        raise ValueError("max_df corresponds to fewer documents than min_df")
    return lo, hi


def _idf(df: np.ndarray, n_docs: int) -> np.ndarray:
    return (np.log((1.0 + n_docs) / (1.0 + df)) + 1.0).astype(np.float32)


def _weigh(doc_ids: np.ndarray, feature_ids: np.ndarray, n_docs: int, idf: np.ndarray,
           sublinear_tf: bool, counts: np.ndarray | None = None) -> sp.csr_matrix:
    """Count (document, feature) pairs (each once, or `counts` times), then TF-IDF and
    L2-normalise each row."""
    ones = np.ones(len(doc_ids), dtype=np.float32) if counts is None else counts.astype(
        np.float32)
    counts = sp.csr_matrix((ones, (doc_ids, feature_ids)), shape=(n_docs, len(idf)),
                           dtype=np.float32)
    counts.sum_duplicates()
    data = counts.data
    if sublinear_tf:
        np.log(data, out=data)
        data += 1.0
    data *= idf[counts.indices]
    rows = np.repeat(np.arange(n_docs), np.diff(counts.indptr))
    norms = np.sqrt(np.bincount(rows, weights=data.astype(np.float64) ** 2, minlength=n_docs))
    data /= norms[rows].astype(np.float32)
    return counts


class CharNgramTfidf(TransformerMixin, BaseEstimator):
    """TF-IDF of character n-grams (n from 1 to 3), as ``TfidfVectorizer(analyzer="char")``.

    Text is lower-cased and runs of white space fold to one space before n-grams are
    taken, as scikit-learn does.

    Parameters
    ----------
    ngram_range : (int, int), default=(1, 3)
        Smallest and largest n; the largest may be at most 3.
    min_df, max_df : int or float
        Keep n-grams found in at least `min_df` and at most `max_df` documents (a
        float is a share of the documents).
    sublinear_tf : bool, default=True
        Use ``1 + log(tf)``.

    Attributes
    ----------
    keys_ : ndarray of int64
        The vocabulary: packed n-grams, sorted; column ``j`` is ``keys_[j]``.
    idf_ : ndarray of float32
    """

    def __init__(self, ngram_range: tuple[int, int] = (1, 3), min_df: int | float = 1,
                 max_df: int | float = 1.0, sublinear_tf: bool = True) -> None:
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_df = max_df
        self.sublinear_tf = sublinear_tf

    def _grams(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Packed n-grams of every text and the index of the text each comes from."""
        return char_ngram_keys(texts, self.ngram_range)

    def fit(self, texts: Sequence[str], y: object = None) -> CharNgramTfidf:
        """Learn the n-gram vocabulary and IDF weights from `texts`."""
        texts = list(texts)
        self._fit_keys(*self._grams(texts), len(texts))
        return self

    def fit_transform(self, texts: Sequence[str], y: object = None) -> sp.csr_matrix:
        """Fit, and return the TF-IDF matrix of `texts`, finding their n-grams once."""
        texts = list(texts)
        keys, docs, counts = self._fit_keys(*self._grams(texts), len(texts))
        columns = np.searchsorted(self.keys_, keys)
        known = columns < len(self.keys_)
        known[known] = self.keys_[columns[known]] == keys[known]
        return _weigh(docs[known], columns[known], len(texts), self.idf_, self.sublinear_tf,
                      counts[known])

    def _fit_keys(self, keys: np.ndarray, docs: np.ndarray,
                  n_docs: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Set the vocabulary and IDF from the n-grams of `n_docs` texts; return each
        distinct (n-gram, text) pair with its count."""
        order = np.lexsort((docs, keys))
        keys, docs = keys[order], docs[order]
        first = np.ones(len(keys), dtype=bool)
        first[1:] = (keys[1:] != keys[:-1]) | (docs[1:] != docs[:-1])
        starts = np.flatnonzero(first)
        counts = np.diff(np.append(starts, len(keys)))
        keys, docs = keys[starts], docs[starts]
        vocab, df = np.unique(keys, return_counts=True)
        lo, hi = _df_limits(self.min_df, self.max_df, n_docs)
        keep = (df >= lo) & (df <= hi)
        if not keep.any():
            raise ValueError("no character n-grams left after min_df/max_df")
        self.keys_ = vocab[keep]
        self.idf_ = _idf(df[keep], n_docs)
        return keys, docs, counts

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """TF-IDF matrix of `texts` over the learned vocabulary."""
        check_is_fitted(self, "keys_")
        texts = list(texts)
        keys, docs = self._grams(texts)
        table = getattr(self, "_table", None)
        if table is None:
            table = self._table = KeyTable(self.keys_, np.argsort(self.idf_, kind="stable"))
        columns = table.lookup(keys)
        known = columns >= 0
        return _weigh(docs[known], columns[known], len(texts), self.idf_, self.sublinear_tf)

    def __getstate__(self) -> dict:
        state = dict(super().__getstate__())  # a copy: it can be the live __dict__
        state.pop("_table", None)  # rebuilt on first use; not worth its bytes on disk
        return state

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """The n-grams as strings, in column order."""
        check_is_fitted(self, "keys_")
        names = [key_to_text(key) for key in self.keys_.tolist()]
        return np.asarray(names, dtype=object)


class TermTfidf(TransformerMixin, BaseEstimator):
    """TF-IDF of ready-made terms (lists of words or word n-grams).

    Parameters
    ----------
    min_df, max_df : int or float
        Document-frequency limits, as for :class:`CharNgramTfidf`.
    sublinear_tf : bool, default=True

    Attributes
    ----------
    vocabulary_ : dict
        Term → column.
    idf_ : ndarray of float32
    """

    def __init__(self, min_df: int | float = 1, max_df: int | float = 1.0,
                 sublinear_tf: bool = True) -> None:
        self.min_df = min_df
        self.max_df = max_df
        self.sublinear_tf = sublinear_tf

    def fit(self, docs: Sequence[Sequence[str]], y: object = None) -> TermTfidf:
        """Learn the vocabulary and IDF weights from lists of terms."""
        from collections import Counter

        docs = list(docs)
        df = Counter()
        for terms in docs:
            df.update(set(terms))
        lo, hi = _df_limits(self.min_df, self.max_df, len(docs))
        kept = sorted(t for t, n in df.items() if lo <= n <= hi)
        if not kept:
            raise ValueError("empty vocabulary: no terms left after min_df/max_df")
        self.vocabulary_ = {t: i for i, t in enumerate(kept)}
        self.idf_ = _idf(np.array([df[t] for t in kept], dtype=np.float64), len(docs))
        return self

    def transform(self, docs: Sequence[Sequence[str]]) -> sp.csr_matrix:
        """TF-IDF matrix of lists of terms over the learned vocabulary."""
        check_is_fitted(self, "vocabulary_")
        docs = list(docs)
        feature_ids = np.fromiter(map(self.vocabulary_.get, chain.from_iterable(docs),
                                      repeat(-1)), dtype=np.int64)
        lengths = np.fromiter((len(terms) for terms in docs), dtype=np.int64, count=len(docs))
        doc_ids = np.repeat(np.arange(len(docs), dtype=np.int64), lengths)
        known = feature_ids >= 0
        return _weigh(doc_ids[known], feature_ids[known], len(docs), self.idf_,
                      self.sublinear_tf)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """The terms, in column order."""
        check_is_fitted(self, "vocabulary_")
        names = np.empty(len(self.vocabulary_), dtype=object)
        for term, j in self.vocabulary_.items():
            names[j] = term
        return names
