"""``model_info``: model cards in readable form."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from newsclass import LABELS, ModelFileError
from newsclass.default_model import default_model_path
from newsclass.info import model_info
from newsclass.metrics import evaluate
from newsclass.persistence import save_model
from newsclass.render import display_width

from .conftest import LABELS as TINY_LABELS
from .conftest import TEXTS


def section(text: str, title: str) -> list[str]:
    """The lines of one section: from its title line to the next blank line."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    return lines[start + 1:end]


def test_default_model_info():
    card = json.loads(Path(f"{default_model_path()}.json").read_text(encoding="utf-8"))
    text = model_info()
    labels = section(text, "Labels")
    for label, name in LABELS.items():
        row = next(line for line in labels if line.split()[0] == label)
        assert row.split()[1:] == [name, str(card["training"]["label_counts"][label])]
    cv = card["metrics"]["cv"]
    assert f"macro-F1 {cv['macro_f1']:.4f}" in text
    assert f"({cv['folds']}-fold cross-validation)" in text
    assert "confusion matrix" in text
    assert f"{card['model_sha256']} (matches the file)" in text
    assert card["training"]["sha256"] in text
    assert f"scikit-learn  {card['versions']['scikit-learn']}" in text
    assert card["created"] in text


def test_tables_align_with_chinese_names():
    labels = section(model_info(), "Labels")
    assert len(labels) == len(LABELS) + 1
    assert len({display_width(line) for line in labels}) == 1  # right-aligned counts line up


def test_saved_model_info(tiny_model, tmp_path):
    model = copy.deepcopy(tiny_model)
    path = tmp_path / "tiny.joblib"
    save_model(model, path, metrics={"holdout": evaluate(model, TEXTS, TINY_LABELS), "note": "x"})
    text = model_info(str(path))
    assert text.startswith(f"Model card: {path}.json")
    assert f"model file   {path}" in text
    assert "(matches the file)" in text
    labels = section(text, "Labels")
    assert [line.split() for line in labels[1:]] == [
        ["congress", "人大", "8"], ["education", "教育", "8"], ["tech", "科技", "8"]]
    assert section(text, "Training data")[0].split() == ["articles", str(len(TEXTS))]
    assert f"holdout ({len(TEXTS)} articles)" in text
    assert "coverage at probability thresholds" in text
    assert "note  x" in text
    assert "calibration_cv    3" in text

    path.write_bytes(path.read_bytes() + b"x")
    assert "DOES NOT match the file" in model_info(str(path))
    path.unlink()
    assert "(model file missing)" in model_info(str(path))


def test_model_without_metrics_or_default_names(tmp_path):
    from newsclass import NewsClassifier

    texts = ["苹果香蕉", "香蕉苹果", "汽车火车", "火车汽车"]
    model = NewsClassifier(calibration_cv=2).fit(texts, ["fruit", "fruit", "car", "car"])
    path = tmp_path / "m.joblib"
    save_model(model, path)
    text = model_info(str(path))
    assert section(text, "Metrics") == ["  (none recorded)"]
    assert [line.split() for line in section(text, "Labels")[1:]] == [["car", "2"],
                                                                      ["fruit", "2"]]


def test_missing_or_broken_card(tmp_path):
    with pytest.raises(ModelFileError, match="not found"):
        model_info(str(tmp_path / "nothing.joblib"))
    (tmp_path / "bad.joblib.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelFileError, match="not valid JSON"):
        model_info(str(tmp_path / "bad.joblib"))


def test_the_default_card_says_which_sources_it_learned_from():
    from newsclass.default_model import REAL_SOURCES
    from newsclass.info import model_info

    text = model_info()
    assert "authored_corpus" in text
    for pool in REAL_SOURCES:
        assert pool in text
