"""``TextFeatures``: the word, character and title blocks side by side, each
L2-normalised and scaled by its weight, the same on every fit."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import TfidfVectorizer

from newsclass import Segmenter, TextFeatures
from newsclass.tfidf import CharNgramTfidf
from tests.conftest import TEXTS

#: The tiny set as articles with a headline: its first six characters.
DOCS = [{"title": t[:6], "body": t[6:]} for t in TEXTS]


def blocks(features: TextFeatures, X) -> list[np.ndarray]:
    """The dense word, character and title blocks of a feature matrix."""
    widths = [len(features.word_vectorizer_.get_feature_names_out())]
    for block in (features.char_vectorizer_, features.title_vectorizer_):
        if block is not None:
            widths.append(len(block.get_feature_names_out()))
    return np.split(X.toarray(), np.cumsum(widths)[:-1], axis=1)


def test_the_blocks_and_their_names_line_up():
    features = TextFeatures()
    X = features.fit_transform(DOCS)
    names = features.get_feature_names_out()
    assert X.shape == (len(DOCS), features.n_features_out_) == (len(DOCS), len(names))
    assert X.dtype == np.float32
    words, chars, titles = blocks(features, X)
    prefixes = [n[:2] for n in names]
    assert prefixes == (["w:"] * words.shape[1] + ["c:"] * chars.shape[1]
                        + ["t:"] * titles.shape[1])
    assert "c:人大" in set(names) and "w:人大代表" in set(names)
    assert set(n[2:] for n in names if n.startswith("t:")) <= {
        w for d in DOCS for w in Segmenter().cut(d["title"])}


def test_each_block_has_the_length_of_its_weight():
    features = TextFeatures(char_weight=2.0, title_weight=0.5)
    words, chars, titles = blocks(features, features.fit_transform(DOCS))
    np.testing.assert_allclose(np.linalg.norm(words, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(chars, axis=1), 2.0, rtol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(titles, axis=1), 0.5, rtol=1e-5)
    # Weights scale blocks and change nothing else.
    plain = TextFeatures(char_weight=1.0, title_weight=1.0)
    w1, c1, t1 = blocks(plain, plain.fit_transform(DOCS))
    np.testing.assert_allclose(words, w1)
    np.testing.assert_allclose(chars, 2.0 * c1, rtol=1e-6)
    np.testing.assert_allclose(titles, 0.5 * t1, rtol=1e-6)


def test_fitting_is_deterministic_and_transform_repeats_the_fit():
    first, second = TextFeatures(), TextFeatures()
    X1, X2 = first.fit_transform(DOCS), second.fit_transform(DOCS)
    assert (X1 != X2).nnz == 0
    assert first.get_feature_names_out().tolist() == second.get_feature_names_out().tolist()
    assert (first.transform(DOCS) != X1).nnz == 0
    assert (TextFeatures().fit(DOCS).transform(DOCS) != X1).nnz == 0
    # Prepared once or by transform: the same rows.
    assert (first.transform_prepared(first.prepare(DOCS[:5])) != X1[:5]).nnz == 0


def test_blocks_come_and_go_with_their_options():
    only_words = TextFeatures(char_ngram_range=None, title_weight=0).fit(DOCS)
    assert only_words.char_vectorizer_ is None and only_words.title_vectorizer_ is None
    assert {n[:2] for n in only_words.get_feature_names_out()} == {"w:"}
    no_titles = TextFeatures().fit(TEXTS)  # plain strings have no headline
    assert no_titles.title_vectorizer_ is None
    assert isinstance(TextFeatures().fit(DOCS).char_vectorizer_, CharNgramTfidf)
    long_grams = TextFeatures(char_ngram_range=(2, 4)).fit(DOCS)
    assert isinstance(long_grams.char_vectorizer_, TfidfVectorizer)
    assert any(len(n) == 6 for n in long_grams.get_feature_names_out() if n[:2] == "c:")


def test_word_ngrams_and_min_df_shape_the_word_block():
    unigrams = TextFeatures(char_ngram_range=None).fit(DOCS)
    bigrams = TextFeatures(char_ngram_range=None, word_ngram_range=(1, 2)).fit(DOCS)
    frequent = TextFeatures(char_ngram_range=None, min_df=2).fit(DOCS)
    n = {f: len(f.word_vectorizer_.get_feature_names_out())
         for f in (unigrams, bigrams, frequent)}
    assert n[frequent] < n[unigrams] < n[bigrams]
    assert any(" " in t for t in bigrams.word_vectorizer_.get_feature_names_out())


def test_unknown_words_give_an_empty_row_and_bad_input_is_named():
    features = TextFeatures().fit(DOCS)
    assert features.transform(["龘靐齉"]).nnz == 0
    with pytest.raises(NotFittedError):
        TextFeatures().transform(DOCS)
    with pytest.raises(ValueError, match="empty collection"):
        TextFeatures().fit([])
    with pytest.raises(ValueError, match="no words"):
        TextFeatures().fit(["的", "了"])
