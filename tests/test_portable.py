"""The portable model format: the same predictions as the estimator, and every unsafe or
damaged file refused before it can do harm."""

from __future__ import annotations

import io
import json
import os
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

from newsclass import ModelFileError, NewsClassifier, load_model, modelfile, portable, save_model
from newsclass.default_model import read_corpus

from .conftest import LABELS, TEXTS

BENCH = Path(__file__).resolve().parents[2] / "shared" / "bench" / "thucnews_titles"


@pytest.fixture(scope="module")
def corpus_model():
    articles, labels = read_corpus()
    return NewsClassifier(min_df=2).fit(articles, labels), articles


@pytest.fixture(scope="module")
def exported(corpus_model, tmp_path_factory):
    path = tmp_path_factory.mktemp("portable") / "m.npz"
    corpus_model[0].export(path)
    return path


def _texts(articles):
    texts = list(articles)
    if (BENCH / "test.jsonl").is_file():  # THUCNews titles, when the benchmarks are here
        texts += [json.loads(line)["text"] for line in
                  (BENCH / "test.jsonl").read_text(encoding="utf-8").splitlines()[:3000]]
    return texts


def test_same_labels_and_probabilities_as_the_estimator(corpus_model, exported):
    model, articles = corpus_model
    loaded = load_model(exported)
    assert isinstance(loaded, portable.PortableClassifier)
    texts = _texts(articles)
    np.testing.assert_allclose(loaded.predict_proba(texts), model.predict_proba(texts),
                               rtol=0, atol=1e-6)
    assert loaded.predict(texts).tolist() == model.predict(texts).tolist()
    assert loaded.predict(texts[:40], threshold=0.9).tolist() == \
        model.predict(texts[:40], threshold=0.9).tolist()
    np.testing.assert_allclose(loaded.decision_function(texts[:40]),
                               model.decision_function(texts[:40]), atol=1e-5)
    mine, theirs = loaded.predict_details(articles[:30], k=2, terms=4), \
        model.predict_details(articles[:30], k=2, terms=4)
    for a, b in zip(mine, theirs, strict=True):
        assert a["label"] == b["label"] and [t for t, _ in a["top"]] == [t for t, _ in b["top"]]
        assert [t for t, _ in a["terms"]] == [t for t, _ in b["terms"]]
    assert [t for t, _ in loaded.explain(articles[5], top=5, label="tech")] == \
        [t for t, _ in model.explain(articles[5], top=5, label="tech")]
    assert loaded.predict([]).shape == (0,)
    with pytest.raises(ValueError, match="article 0 is empty"):
        loaded.predict(["  "])


@pytest.mark.parametrize("params, y", [
    ({"calibration": "isotonic", "nb_weight": 0.0, "calibration_cv": 3}, None),
    ({"calibration_cv": 3, "char_ngram_range": None, "word_ngram_range": (1, 2)}, "int"),
    ({"calibration_cv": 3}, "two"),
    ({"calibration_cv": 3, "normalize": False, "char_ngram_range": (2, 3)}, None),
])
def test_other_recipes_round_trip(tmp_path, params, y):
    texts, labels = list(TEXTS), list(LABELS)
    if y == "int":
        labels = [sorted(set(LABELS)).index(lab) for lab in LABELS]
    elif y == "two":
        texts = [t for t, lab in zip(TEXTS, LABELS, strict=True) if lab != "education"]
        labels = [lab for lab in LABELS if lab != "education"]
    model = NewsClassifier(**params).fit(texts, labels)
    save_model(model, tmp_path / "m.npz")
    loaded = load_model(tmp_path / "m.npz")
    np.testing.assert_allclose(loaded.predict_proba(TEXTS), model.predict_proba(TEXTS),
                               atol=1e-6)
    assert loaded.predict(TEXTS).tolist() == model.predict(TEXTS).tolist()


def test_joblib_stays_for_the_whole_estimator(tiny_model, tmp_path):
    save_model(tiny_model, tmp_path / "m.joblib")
    assert isinstance(load_model(tmp_path / "m.joblib"), NewsClassifier)


def _rewrite(src: Path, dst: Path, change) -> Path:
    """Copy a portable file, letting `change(name, bytes)` replace members."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = change(info.filename, zin.read(info))
            if data is not None:
                zout.writestr(info.filename, data, compress_type=zipfile.ZIP_DEFLATED)
    return dst


def _npy(array, allow_pickle=False) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def test_a_pickle_is_refused(tmp_path):
    path = tmp_path / "evil.npz"
    path.write_bytes(pickle.dumps({"x": 1}))
    with pytest.raises(ModelFileError, match="not a complete portable model"):
        load_model(path)


def test_object_arrays_are_refused_without_unpickling(exported, tmp_path):
    class Boom:
        def __reduce__(self):
            return (os.system, ("echo pwned > " + str(tmp_path / "pwned"),))

    bad = np.empty(1, dtype=object)
    bad[0] = Boom()
    path = _rewrite(exported, tmp_path / "obj.npz",
                    lambda n, d: _npy(bad, allow_pickle=True) if n == "coef.npy" else d)
    with pytest.raises(ModelFileError, match="coef cannot be read without running code"):
        load_model(path)
    assert not (tmp_path / "pwned").exists()


def test_a_zip_bomb_is_refused_before_unpacking(exported, tmp_path):
    path = _rewrite(exported, tmp_path / "bomb.npz",
                    lambda n, d: d + b"\0" * (50 << 20) if n == "intercept.npy" else d)
    with pytest.raises(ModelFileError, match="zip bomb"):
        load_model(path)


def test_truncated_and_oversized_files_are_refused(exported, tmp_path, monkeypatch):
    data = exported.read_bytes()
    cut = tmp_path / "cut.npz"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match="truncated"):
        load_model(cut)
    monkeypatch.setattr(modelfile, "MAX_FILE_BYTES", len(data) - 1)
    with pytest.raises(ModelFileError, match="over the limit"):
        load_model(exported)


def test_a_card_that_does_not_match_the_arrays_is_refused(exported, tmp_path):
    def change(name, data):
        if name != "intercept.npy":
            return data
        array = np.lib.format.read_array(io.BytesIO(data))
        return _npy(array + 1.0)

    path = _rewrite(exported, tmp_path / "forged.npz", change)
    with pytest.raises(ModelFileError, match="intercept does not match its card"):
        load_model(path)
    missing = _rewrite(exported, tmp_path / "missing.npz",
                       lambda n, d: None if n == "char_idf.npy" else d)
    with pytest.raises(ModelFileError, match="do not match those its card lists"):
        load_model(missing)


def test_arrays_that_do_not_fit_together_are_refused(exported, tmp_path):
    """A consistent card over arrays of the wrong shape: rewritten with its hashes."""
    with zipfile.ZipFile(exported) as zf:
        card = json.loads(np.lib.format.read_array(io.BytesIO(zf.read("card.npy"))).tobytes())
        arrays = {n.removesuffix(".npy"): np.lib.format.read_array(io.BytesIO(zf.read(n)))
                  for n in zf.namelist() if n != "card.npy"}
    arrays["coef"] = arrays["coef"][:, :10]
    for name in card["text_arrays"]:
        arrays[name] = arrays[name].tobytes().decode("utf-8").split("\x00")
    card.pop("arrays")
    modelfile.write_portable(tmp_path / "short.npz", arrays, card)
    with pytest.raises(ModelFileError, match="do not fit together"):
        load_model(tmp_path / "short.npz")
