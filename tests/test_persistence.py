import json
import warnings

import numpy as np
import pytest

from newsclass import ModelFileError, load_model, save_model

from .conftest import TEXTS


def test_round_trip_identical_probabilities(tiny_model, tmp_path):
    path = tmp_path / "m" / "model.joblib"
    card = save_model(tiny_model, path, metrics={"cv_macro_f1": 0.5})
    back = load_model(path)
    np.testing.assert_array_equal(back.predict_proba(TEXTS), tiny_model.predict_proba(TEXTS))
    on_disk = json.loads((tmp_path / "m" / "model.joblib.json").read_text(encoding="utf-8"))
    assert on_disk == card


def test_card_contents(tiny_model, tmp_path):
    path = tmp_path / "model.joblib"
    card = save_model(tiny_model, path)
    assert card["labels"] == ["congress", "education", "tech"]
    assert set(card["versions"]) >= {"newsclass", "scikit-learn", "jieba", "python"}
    assert card["training"]["articles"] == len(TEXTS)
    assert card["training"]["label_counts"]["tech"] == 8
    assert len(card["training"]["sha256"]) == 64
    seg = card["segmentation"]
    assert len(seg["dictionary_sha256"]) == 64 and len(seg["stopwords_sha256"]) == 64
    assert seg["normalize"] is True
    assert card["created"].endswith("+00:00")
    assert len(card["model_sha256"]) == 64


def test_one_changed_byte_is_refused(tiny_model, tmp_path):
    path = tmp_path / "model.joblib"
    save_model(tiny_model, path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="does not match the SHA-256"):
        load_model(path)


def test_truncated_file_is_refused(tiny_model, tmp_path):
    path = tmp_path / "model.joblib"
    save_model(tiny_model, path)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ModelFileError, match="changed or truncated"):
        load_model(path)
    # Without the check, a truncated file is still a clear error, not a pickle crash.
    with pytest.raises(ModelFileError, match="could not be loaded"):
        load_model(path, verify=False)


def test_missing_card_and_missing_file(tiny_model, tmp_path):
    path = tmp_path / "model.joblib"
    save_model(tiny_model, path)
    (tmp_path / "model.joblib.json").unlink()
    with pytest.raises(ModelFileError, match="model card"):
        load_model(path)
    assert load_model(path, verify=False).predict(["人大代表"])[0] == "congress"
    with pytest.raises(ModelFileError, match="not found"):
        load_model(tmp_path / "absent.joblib")


def test_warns_on_other_scikit_learn_minor_version(tiny_model, tmp_path):
    path = tmp_path / "model.joblib"
    save_model(tiny_model, path)
    cpath = tmp_path / "model.joblib.json"
    card = json.loads(cpath.read_text(encoding="utf-8"))
    card["versions"]["scikit-learn"] = "0.1.0"
    cpath.write_text(json.dumps(card), encoding="utf-8")
    with pytest.warns(UserWarning, match="scikit-learn 0.1.0"):
        load_model(path)


def test_same_version_loads_without_warning(tiny_model, tmp_path):
    path = tmp_path / "model.joblib"
    save_model(tiny_model, path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_model(path)
