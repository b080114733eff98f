"""The fast TF-IDF blocks compute what scikit-learn's TfidfVectorizer computes."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer

from newsclass.default_model import read_corpus
from newsclass.tfidf import CharNgramTfidf, TermTfidf
from tests.conftest import examples


@pytest.fixture(scope="module")
def texts():
    articles, _ = read_corpus()
    extra = ["", "   ", "A  B\n\nc\td", "𠀀𠀁x 𠀀", "ＡＢＣ abc ABC", "\x00\x00a"]
    return [a["title"] + "\n" + a["body"] for a in articles[:400]] + extra


def aligned(ours, our_names, theirs, their_names):
    assert sorted(our_names) == sorted(their_names)
    return ours[:, np.argsort(our_names)].toarray(), theirs[:, np.argsort(their_names)].toarray()


@pytest.mark.parametrize("ngram_range, min_df, max_df, sublinear", [
    ((1, 3), 1, 1.0, True), ((1, 3), 3, 1.0, True), ((2, 3), 2, 0.5, False),
    ((1, 1), 1, 1.0, True), ((3, 3), 1, 1.0, True),
])
def test_char_ngrams_match_scikit_learn(texts, ngram_range, min_df, max_df, sublinear):
    ours = CharNgramTfidf(ngram_range, min_df, max_df, sublinear).fit(texts)
    theirs = TfidfVectorizer(analyzer="char", ngram_range=ngram_range, min_df=min_df,
                             max_df=max_df, sublinear_tf=sublinear).fit(texts)
    new = [*texts[::7], "从未见过的字：龘靐齉"]
    a, b = aligned(ours.transform(new), ours.get_feature_names_out(),
                   theirs.transform(new), theirs.get_feature_names_out())
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_terms_match_scikit_learn(texts):
    docs = [t.split() + list(t[:20]) for t in texts]
    ours = TermTfidf(min_df=2).fit(docs)
    theirs = TfidfVectorizer(analyzer=lambda d: d, min_df=2, sublinear_tf=True).fit(docs)
    a, b = aligned(ours.transform(docs), ours.get_feature_names_out(),
                   theirs.transform(docs), theirs.get_feature_names_out())
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_empty_rows_and_unknown_terms_give_zero_rows(texts):
    block = CharNgramTfidf().fit(texts)
    X = block.transform(["", "龘靐齉"])
    assert X.shape == (2, len(block.keys_)) and X.nnz == 0
    assert TermTfidf().fit([["a"], ["b"]]).transform([[], ["zzz"]]).nnz == 0


def test_limits_and_errors():
    with pytest.raises(ValueError, match="ngram_range"):
        CharNgramTfidf((1, 4)).fit(["abcd"])
    with pytest.raises(ValueError, match="no character n-grams"):
        CharNgramTfidf(min_df=2).fit(["ab", "cd"])
    with pytest.raises(ValueError, match="empty vocabulary"):
        TermTfidf().fit([[], []])


def test_pickle_drops_hash_table_and_keeps_results(texts):
    block = CharNgramTfidf(min_df=2).fit(texts)
    before = block.transform(texts[:20])
    data = pickle.dumps(block)
    assert hasattr(block, "_table") and b"_table" not in data
    after = pickle.loads(data).transform(texts[:20])
    assert (before != after).nnz == 0


@given(st.lists(st.text(max_size=40), min_size=1, max_size=8))
@settings(max_examples=examples(150), deadline=None)
def test_char_ngrams_match_on_any_text(docs):
    docs = [*docs, "锚定词汇"]  # never an empty vocabulary
    ours = CharNgramTfidf().fit(docs)
    theirs = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True).fit(docs)
    a, b = aligned(ours.transform(docs), ours.get_feature_names_out(),
                   theirs.transform(docs), theirs.get_feature_names_out())
    np.testing.assert_allclose(a, b, atol=1e-5)


@pytest.mark.parametrize("min_df", [1, 3])
def test_char_fit_transform_equals_fit_then_transform(texts, min_df):
    """fit_transform counts each (n-gram, text) pair from the fitting pass itself."""
    once = CharNgramTfidf((1, 3), min_df=min_df).fit_transform(texts)
    twice = CharNgramTfidf((1, 3), min_df=min_df).fit(texts).transform(texts)
    assert (once != twice).nnz == 0 and once.shape == twice.shape
    np.testing.assert_array_equal(once.indices, twice.indices)


@given(st.lists(st.text(alphabet=st.sampled_from(list("科技人大 \n\t\u3000\ufdd0Ab1，")),
                        max_size=12), min_size=1, max_size=6),
       st.sampled_from([(1, 1), (1, 3), (2, 3), (3, 3)]))
@settings(max_examples=examples(300), deadline=None)
def test_quick_queries_find_the_same_ngrams_in_normalised_text(raw, ngram_range):
    """Joined by a noncharacter, texts give extra n-grams that no vocabulary holds, and
    those of each text, each counted for its own text."""
    from newsclass import normalize
    from newsclass.grams import char_ngram_keys, char_ngram_queries

    texts = [normalize(t).lower() for t in raw]
    keys, docs = char_ngram_keys(texts, ngram_range)
    queries, rows = char_ngram_queries(texts, ngram_range, normalized=True)
    known = np.isin(queries, keys)  # every n-gram of these texts is in the vocabulary
    expected = sorted(zip(docs.tolist(), keys.tolist(), strict=True))
    assert sorted(zip(rows[known].tolist(), queries[known].tolist(), strict=True)) == expected


def test_key_table_priority_changes_where_keys_sit_not_what_they_find():
    from newsclass.grams import KeyTable

    rng = np.random.default_rng(0)
    keys = np.unique(rng.integers(1, 1 << 40, 5000))
    queries = np.concatenate([keys, rng.integers(1, 1 << 40, 5000)])
    priority = rng.permutation(len(keys))
    plain, ordered = KeyTable(keys), KeyTable(keys, priority)
    np.testing.assert_array_equal(plain.lookup(queries), ordered.lookup(queries))
    np.testing.assert_array_equal(ordered.lookup(keys), np.arange(len(keys)))
    # The first key by priority always sits in its home slot.
    first = keys[priority[:1]]
    assert ordered.slot_keys[ordered._home(first)[0]] == first[0]
    with pytest.raises(ValueError, match="priority"):
        KeyTable(keys, priority[:-1])
