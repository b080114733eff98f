"""The bundled default model: loading, its recipe, the seed page, and retraining."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import newsclass
from newsclass import default_model, load_model, split_articles

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


@pytest.fixture(scope="module")
def model():
    return load_model()


@pytest.fixture(scope="module")
def page():
    return (SEEDS / "000_5c64d9000366f065.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def truth():
    return json.loads((SEEDS / "seed_page_labels.json").read_text(encoding="utf-8"))


def test_default_model_labels_and_card(model):
    assert list(model.classes_) == sorted(newsclass.LABELS)
    card = json.loads(Path(f"{default_model.default_model_path()}.json")
                      .read_text(encoding="utf-8"))
    cv = card["metrics"]["cv"]
    assert cv["folds"] == 5 and cv["macro_f1"] >= 0.93
    assert set(cv["per_label"]) == set(newsclass.LABELS)
    assert card["training"]["articles"] == model.n_train_


def test_seed_page_by_offsets(model, page, truth):
    pieces = [page[p["start"]:p["end"]] for p in truth["pieces"]]
    assert len(pieces) == 8
    assert list(model.predict(pieces)) == [p["label"] for p in truth["pieces"]]


def test_seed_page_by_splitter(model, page, truth):
    articles = split_articles(page)
    assert [(a.start, a.end) for a in articles] == [(p["start"], p["end"])
                                                    for p in truth["pieces"]]
    assert list(model.predict(articles)) == [p["label"] for p in truth["pieces"]]


@pytest.mark.skipif(default_model.find_real_pool() is None,
                    reason="the pool of real articles the default model learned from is not here")
@pytest.mark.slow
def test_retraining_reproduces_the_shipped_model(model):
    articles, _ = default_model.read_corpus()
    rebuilt = default_model.train_default(cv=0)
    assert rebuilt.training_sha256_ == model.training_sha256_
    np.testing.assert_array_equal(rebuilt.predict(articles), model.predict(articles))
    np.testing.assert_allclose(rebuilt.predict_proba(articles[:50]),
                               model.predict_proba(articles[:50]), atol=1e-6)


def test_default_model_loads_without_scikit_learn(tmp_path):
    code = ("import sys, newsclass; m = newsclass.load_model(); "
            "print(m.predict(['市人大常委会召开会议审议预算调整方案'])[0], "
            "sorted(n for n in sys.modules if n.split('.')[0] in ('sklearn', 'scipy', 'joblib')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120, check=True)
    assert out.stdout.strip() == "congress []"


def test_missing_bundled_model_is_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(default_model, "package_data", lambda: tmp_path)
    with pytest.raises(newsclass.ModelFileError, match="no default model is bundled"):
        default_model.load_default_model()


def test_load_model_from_a_fresh_directory(tmp_path):
    code = ("import newsclass; "
            "print(newsclass.load_model().predict(['市人大常委会召开会议审议预算调整方案'])[0])")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120, check=True)
    assert out.stdout.strip() == "congress"


def test_short_texts_carry_little_evidence(model):
    # Four texts whose topic word means something else: other.
    assert list(model.predict(["湘菜的代表菜品", "老股民的建议", "哥伦比亚美洲杯23人大名单",
                               "学会做素食拌面酱"])) == ["other"] * 4
    # A few characters are never a near-certain topic.
    for d in model.predict_details(["人大校友会", "捐款诈骗案告破", "代表团抵达北京"]):
        assert d["label"] == "other" or d["confidence"] < 0.9, d
    # A clear headline keeps its topic; a long article is not tempered.
    assert model.predict(["市人大常委会召开会议审议预算调整方案"])[0] == "congress"
