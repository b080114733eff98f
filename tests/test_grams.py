"""N-grams packed into integers, their lookup table, word n-grams and the one preparation
pass: ``newsclass.grams`` on its own."""

from __future__ import annotations

import re

import numpy as np
import pytest

from newsclass import Segmenter, as_documents, normalize
from newsclass.grams import (
    BITS,
    MAX_N,
    KeyTable,
    char_ngram_keys,
    char_ngram_queries,
    key_to_text,
    prepare_documents,
    word_ngrams,
)

# Upper case, runs of white space, a character outside the Basic Multilingual Plane (21
# bits), the code point 0 and an empty text.
TEXTS = ["科技Ab  创新\n\n人大", "𠀀𠀁x \t𠀀", "\x00a\x00", "", "高考"]


def expected_ngrams(texts, lo, hi):
    """The n-grams of each text by plain slicing, in the order char_ngram_keys gives."""
    folded = [re.sub(r"\s\s+", " ", t.lower()) for t in texts]
    return [(t[i:i + n], d) for n in range(lo, hi + 1) for d, t in enumerate(folded)
            for i in range(len(t) - n + 1)]


@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 3), (2, 3), (3, 3), (2, 2)])
def test_packed_ngrams_unpack_to_the_ngrams_of_each_text(ngram_range):
    keys, docs = char_ngram_keys(TEXTS, ngram_range)
    assert keys.dtype == np.int64 and docs.dtype == np.int64 and (keys > 0).all()
    got = [(key_to_text(int(k)), int(d)) for k, d in zip(keys, docs, strict=True)]
    assert got == expected_ngrams(TEXTS, *ngram_range)


def test_equal_ngrams_pack_alike_and_different_ones_differ():
    keys, _ = char_ngram_keys(TEXTS, (1, MAX_N))
    grams = [key_to_text(int(k)) for k in keys]
    by_gram = {}
    for gram, key in zip(grams, keys.tolist(), strict=True):
        assert by_gram.setdefault(gram, key) == key
    assert len(set(by_gram.values())) == len(by_gram)
    # Three code points fill the 63 bits of a positive int64.
    top = key_to_text((0x10FFFF + 1) << 2 * BITS | (0x10FFFF + 1) << BITS | 0x10FFFF + 1)
    assert top == "\U0010ffff" * 3


@pytest.mark.parametrize("ngram_range", [(0, 2), (1, MAX_N + 1), (3, 2)])
def test_ngram_ranges_beyond_three_characters_are_refused(ngram_range):
    with pytest.raises(ValueError, match="ngram_range"):
        char_ngram_keys(["abcd"], ngram_range)


def test_queries_of_normalised_texts_hold_every_ngram_of_each_text():
    texts = [normalize(t).lower() for t in ["市人大常委会\n\n召开会议", "高考  首日", "芯片"]]
    keys, docs = char_ngram_keys(texts, (1, 3))
    queries, qdocs = char_ngram_queries(texts, (1, 3), normalized=True)
    own = {(int(k), int(d)) for k, d in zip(keys, docs, strict=True)}
    found = {(int(k), int(d)) for k, d in zip(queries, qdocs, strict=True)}
    assert own <= found
    # What the joined queries add spans two texts: it holds the separator, a character
    # that normalisation removes, so no vocabulary has it.
    assert all("\ufdd0" in key_to_text(k) for k, _ in found - own)
    # Texts that are not normalised are read the careful way.
    plain = char_ngram_queries(["A  b"], (1, 2))
    assert [key_to_text(int(k)) for k in plain[0]] == ["a", " ", "b", "a ", " b"]


@pytest.fixture(scope="module")
def vocabulary():
    rng = np.random.default_rng(7)
    keys = np.unique(rng.integers(1, 2**62, size=6000, dtype=np.int64))
    return rng.permutation(keys)


def test_a_key_table_finds_every_key_and_only_its_keys(vocabulary):
    table = KeyTable(vocabulary)
    assert table.probes > 1  # keys collided, so lookups had to probe further
    np.testing.assert_array_equal(table.lookup(vocabulary), np.arange(len(vocabulary)))
    absent = np.setdiff1d(np.arange(1, 20_000, dtype=np.int64), vocabulary)
    assert (table.lookup(absent) == -1).all()
    mixed = np.concatenate([absent[:50], vocabulary[::-97], absent[50:60]])
    expected = [-1] * 50 + list(range(len(vocabulary)))[::-97] + [-1] * 10
    assert table.lookup(mixed).tolist() == expected


def test_the_priority_order_changes_slots_not_answers(vocabulary):
    order = np.argsort(vocabulary % 1000, kind="stable")
    table = KeyTable(vocabulary, priority=order)
    np.testing.assert_array_equal(table.lookup(vocabulary), np.arange(len(vocabulary)))
    assert not np.array_equal(table.slot_keys, KeyTable(vocabulary).slot_keys)


def test_a_key_table_refuses_bad_keys_and_orders():
    with pytest.raises(ValueError, match="positive"):
        KeyTable(np.array([3, 0, 5], dtype=np.int64))
    with pytest.raises(ValueError, match="priority"):
        KeyTable(np.array([3, 4, 5], dtype=np.int64), priority=np.array([0, 0, 2]))
    empty = KeyTable(np.array([], dtype=np.int64))
    assert empty.lookup(np.array([1, 2], dtype=np.int64)).tolist() == [-1, -1]


def test_word_ngrams():
    tokens = ["人大", "代表", "视察", "学校"]
    assert word_ngrams(tokens, (1, 1)) is tokens
    assert word_ngrams(tuple(tokens), (1, 1)) == tokens
    assert word_ngrams(tokens, (1, 2)) == [*tokens, "人大 代表", "代表 视察", "视察 学校"]
    assert word_ngrams(tokens, (2, 3)) == ["人大 代表", "代表 视察", "视察 学校",
                                           "人大 代表 视察", "代表 视察 学校"]
    assert word_ngrams(["一"], (2, 2)) == []


def test_one_preparation_pass_gives_title_words_words_and_text():
    seg = Segmenter()
    docs = as_documents([{"title": "市人大常委会召开会议", "body": "审议ＡＢＣ草案。"},
                         "高考首日  考生进入考场"])
    (t_words, words, text), (no_title, body_words, body_text) = prepare_documents(docs, seg)
    assert t_words == seg.cut(normalize("市人大常委会召开会议").lower())
    assert words[:len(t_words)] == t_words and len(words) > len(t_words)
    assert text == "市人大常委会召开会议\n" + normalize("审议ＡＢＣ草案。").lower()
    assert "abc" in text
    assert no_title == [] and body_text == normalize("高考首日  考生进入考场")
    assert body_words == seg.cut(body_text)


def test_preparation_without_normalising_or_cleaning():
    seg = Segmenter()
    docs = as_documents(["ＡＢＣ的 科技"])
    [(_, words, text)] = prepare_documents(docs, seg, normalize=False, clean=False)
    assert text == "ＡＢＣ的 科技".lower()
    assert "".join(words) == text  # nothing dropped: stopwords and spaces stay
    [(_, cleaned, _)] = prepare_documents(docs, seg, normalize=False)
    assert " " not in cleaned and len(cleaned) < len(words)
