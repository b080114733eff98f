"""Property-based tests over arbitrary Unicode."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsclass import Segmenter, normalize
from tests.conftest import examples

# Mix arbitrary code points with the characters the code treats specially.
special = st.sampled_from(list("\n\r\t 　，。！？：；（）…“”\u200b\ufeff①ＡＢ１人大代表科技"))
texts = st.text(alphabet=st.one_of(st.characters(), special), max_size=200)
SEG = Segmenter()


@given(texts)
@settings(max_examples=examples(300), deadline=None)
def test_normalize_never_raises_and_is_idempotent(text):
    once = normalize(text)
    assert isinstance(once, str)
    assert normalize(once) == once


@given(texts)
@settings(max_examples=examples(200), deadline=None)
def test_segmenter_never_raises(text):
    words = SEG.cut(normalize(text))
    assert all(isinstance(w, str) and w and not w.isspace() for w in words)
    raw = SEG.cut(text)
    assert all(isinstance(w, str) for w in raw)


@given(st.lists(texts, min_size=1, max_size=5))
@settings(max_examples=examples(100), deadline=None)
def test_predict_labels_every_text_or_names_the_empty_one(tiny_model, texts_):
    empty = [i for i, t in enumerate(texts_) if not normalize(t).strip()]
    if empty:  # nothing left after normalisation: refused, as the CLI refuses it
        with pytest.raises(ValueError, match=f"article {empty[0]} is empty"):
            tiny_model.predict(texts_)
        return
    pred = tiny_model.predict(texts_)
    assert len(pred) == len(texts_)
    assert set(pred) <= set(tiny_model.classes_)
    proba = tiny_model.predict_proba(texts_)
    assert abs(proba.sum(axis=1) - 1).max() < 1e-6
