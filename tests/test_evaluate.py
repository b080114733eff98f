"""Evaluation metrics, the coverage curve and the report folder."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
)

from newsclass import metrics as mt
from newsclass import report as rp
from tests.clitools import newsclass

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

# Held-out articles written for these tests; "charity" is a label the tiny model does not
# know, so at least that article is misclassified.
HELD_OUT = [
    {"id": "h1", "title": "芯片研发取得突破", "body": "研究团队研制出新型芯片，获得发明专利"},
    {"id": "h2", "title": "", "body": "市人大常委会召开会议，审议法规草案"},
    {"id": "h3", "title": "高考放榜", "body": "考生查询成绩，学校组织志愿填报指导"},
    {"id": "h4", "title": "慈善总会发放救助金", "body": "慈善总会向困难家庭发放救助金和物资"},
    {"id": "h5", "title": "", "body": "人大代表走进学校，调研课后服务和教师队伍建设"},
    {"id": "h6", "title": "", "body": "科技馆举办青少年科普活动，学生体验人工智能"},
]
HELD_OUT_LABELS = ["tech", "congress", "education", "charity", "congress", "education"]


@pytest.fixture(scope="module")
def predicted(tiny_model):
    return np.asarray(tiny_model.predict(HELD_OUT)).astype(str)


@pytest.fixture(scope="module")
def metrics(tiny_model):
    return mt.evaluate(tiny_model, HELD_OUT, HELD_OUT_LABELS)


@pytest.fixture(scope="module")
def report(tiny_model, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        paths = rp.write_report(out / "sub", tiny_model, HELD_OUT, HELD_OUT_LABELS)
    return paths, caught


def glyph_warnings(caught) -> list[str]:
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    assert data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


# -- evaluate -----------------------------------------------------------------------------
def test_metrics_match_sklearn(metrics, predicted):
    y = np.asarray(HELD_OUT_LABELS)
    names = ["charity", "congress", "education", "tech"]
    assert metrics["n"] == len(HELD_OUT)
    assert metrics["accuracy"] == round(accuracy_score(y, predicted), 4)
    assert metrics["macro_f1"] == round(f1_score(y, predicted, average="macro",
                                                 zero_division=0), 4)
    p, r, f, s = precision_recall_fscore_support(y, predicted, labels=names, zero_division=0)
    assert list(metrics["per_label"]) == names
    for i, name in enumerate(names):
        row = metrics["per_label"][name]
        assert row == {"precision": round(p[i], 4), "recall": round(r[i], 4),
                       "f1": round(f[i], 4), "support": int(s[i])}
    assert metrics["confusion_matrix"]["labels"] == names
    assert metrics["confusion_matrix"]["matrix"] == confusion_matrix(
        y, predicted, labels=names).tolist()
    # The article labelled with a class the model lacks is always an error.
    assert metrics["confusion_matrix"]["matrix"][0][0] == 0
    assert metrics["accuracy"] < 1


def test_metrics_are_json_and_rounded(metrics, tiny_model):
    back = json.loads(json.dumps(metrics, allow_nan=False))
    assert back == metrics
    numbers = [metrics["accuracy"], metrics["macro_f1"],
               *(v for row in metrics["per_label"].values() for v in row.values())]
    assert all(round(x, 4) == x for x in numbers)
    assert metrics["coverage"] == mt.coverage_curve(
        HELD_OUT_LABELS, tiny_model.predict_proba(HELD_OUT), tiny_model.classes_)


def test_labels_are_union_of_model_classes_and_truth(tiny_model):
    result = mt.evaluate(tiny_model, HELD_OUT[:2], ["tech", "congress"])
    assert result["confusion_matrix"]["labels"] == ["congress", "education", "tech"]
    assert result["per_label"]["education"]["support"] == 0
    assert np.asarray(result["confusion_matrix"]["matrix"]).sum() == 2


def test_evaluate_respects_model_threshold(tiny_data):
    from newsclass import NewsClassifier

    texts, labels = tiny_data
    model = NewsClassifier(calibration_cv=3, threshold=1.0, fallback_label="education")
    model.fit(texts, labels)
    result = mt.evaluate(model, HELD_OUT, HELD_OUT_LABELS)
    # Every prediction falls back to "education", as model.predict does.
    matrix = np.asarray(result["confusion_matrix"]["matrix"])
    column = result["confusion_matrix"]["labels"].index("education")
    assert matrix[:, column].sum() == len(HELD_OUT)
    assert result["accuracy"] == round(2 / 6, 4)


@pytest.mark.parametrize(("articles", "labels"), [([], []), (["a", "b"], ["tech"])])
def test_evaluate_rejects_bad_input(tiny_model, articles, labels):
    with pytest.raises(ValueError, match="articles"):
        mt.evaluate(tiny_model, articles, labels)


# -- coverage curve -----------------------------------------------------------------------
def test_coverage_curve_exact_values():
    proba = [[0.9, 0.1], [0.4, 0.6], [0.3, 0.7], [0.55, 0.45]]
    curve = mt.coverage_curve(["a", "b", "a", "b"], proba, ["a", "b"],
                              thresholds=[1.0, 0.6, 0, 0.8])
    assert curve == [
        {"threshold": 0.0, "coverage": 1.0, "accuracy": 0.5},
        {"threshold": 0.6, "coverage": 0.75, "accuracy": 0.6667},
        {"threshold": 0.8, "coverage": 0.25, "accuracy": 1.0},
        {"threshold": 1.0, "coverage": 0.0, "accuracy": None},
    ]


def test_coverage_curve_default_thresholds(tiny_model):
    proba = tiny_model.predict_proba(HELD_OUT)
    curve = mt.coverage_curve(HELD_OUT_LABELS, proba, tiny_model.classes_)
    thresholds = [c["threshold"] for c in curve]
    coverage = [c["coverage"] for c in curve]
    assert thresholds[0] == 0.0 and thresholds[-1] == 1.0 and len(curve) == 21
    assert thresholds == sorted(thresholds)
    assert all(a >= b for a, b in itertools.pairwise(coverage))
    assert coverage[0] == 1.0
    top = tiny_model.classes_[proba.argmax(axis=1)]
    assert curve[0]["accuracy"] == round(float(np.mean(top == HELD_OUT_LABELS)), 4)
    assert coverage[-1] < 1.0  # calibrated probabilities are never all exactly 1


def test_coverage_curve_checks_shape():
    with pytest.raises(ValueError, match="shape"):
        mt.coverage_curve(["a", "b"], [[0.5, 0.5]], ["a", "b"])


# -- report -------------------------------------------------------------------------------
def test_report_files(report, metrics):
    paths, _ = report
    assert [p.name for p in paths] == ["metrics.json", "confusion.png", "coverage.png",
                                       "errors.jsonl"]
    assert all(p.is_file() for p in paths)
    assert json.loads(paths[0].read_text(encoding="utf-8")) == metrics
    for png in paths[1:3]:
        assert png.stat().st_size > 5000
        width, height = png_size(png)
        assert width >= 300 and height >= 300


def test_report_errors_are_exactly_the_misclassified(report, tiny_model, predicted):
    paths, _ = report
    rows = [json.loads(line) for line in
            paths[3].read_text(encoding="utf-8").splitlines()]
    wrong = [a["id"] for a, y, p in zip(HELD_OUT, HELD_OUT_LABELS, predicted, strict=True)
             if y != p]
    assert wrong and [r["id"] for r in rows] == wrong
    proba = tiny_model.predict_proba(HELD_OUT)
    classes = list(tiny_model.classes_)
    for row in rows:
        i = [a["id"] for a in HELD_OUT].index(row["id"])
        assert set(row) == {"id", "title", "text", "true", "predicted", "confidence",
                            "terms"}
        assert row["true"] == HELD_OUT_LABELS[i] != row["predicted"] == predicted[i]
        assert row["title"] == HELD_OUT[i]["title"]
        assert HELD_OUT[i]["body"].startswith(row["text"].rstrip("…"))
        assert row["confidence"] == round(float(proba[i, classes.index(row["predicted"])]),
                                          4)
        expected = tiny_model.explain(HELD_OUT[i], top=8, label=row["predicted"])
        assert [t for t, _ in row["terms"]] == [t for t, _ in expected]
        assert row["terms"]


def test_report_ids_and_given_metrics(tiny_model, tmp_path):
    texts = [a["title"] + a["body"] for a in HELD_OUT]  # plain strings, no id field
    given = {"confusion_matrix": {"labels": ["x", "y"], "matrix": [[1, 0], [0, 1]]},
             "note": "given"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        paths = rp.write_report(tmp_path, tiny_model, texts, HELD_OUT_LABELS,
                                metrics=given, ids=[f"doc{i}" for i in range(6)])
        positions = rp.write_report(tmp_path / "b", tiny_model, texts, HELD_OUT_LABELS)
    assert json.loads(paths[0].read_text(encoding="utf-8")) == given
    ids = [json.loads(x)["id"] for x in paths[3].read_text(encoding="utf-8").splitlines()]
    assert ids and all(i.startswith("doc") for i in ids)
    by_position = [json.loads(x)["id"]
                   for x in positions[3].read_text(encoding="utf-8").splitlines()]
    assert by_position == [int(i[3:]) for i in ids]
    with pytest.raises(ValueError, match="ids"):
        rp.write_report(tmp_path, tiny_model, texts, HELD_OUT_LABELS, ids=["a"])


def test_report_leaves_matplotlib_state_alone(tiny_model, tmp_path):
    import matplotlib

    backend = matplotlib.get_backend()
    rc = dict(matplotlib.rcParams)
    had_pyplot = "matplotlib.pyplot" in sys.modules
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rp.write_report(tmp_path, tiny_model, HELD_OUT, HELD_OUT_LABELS)
    assert matplotlib.get_backend() == backend
    assert dict(matplotlib.rcParams) == rc
    assert ("matplotlib.pyplot" in sys.modules) == had_pyplot


def test_module_does_not_import_matplotlib():
    code = ("import sys, newsclass.evaluate, newsclass.report; "
            "print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


# -- fonts --------------------------------------------------------------------------------
def test_confusion_with_cjk_font(report):
    font = rp.find_cjk_font()
    if font is None:
        pytest.skip("no CJK font installed (e.g. apt-get install fonts-wqy-microhei)")
    from matplotlib.font_manager import FontProperties, findfont
    from matplotlib.ft2font import FT2Font

    charmap = FT2Font(findfont(FontProperties(family=font))).get_charmap()
    assert all(ord(c) in charmap for c in rp.CJK_SAMPLE)
    _, caught = report
    assert glyph_warnings(caught) == []
    assert not [w for w in caught if "label ids" in str(w.message)]


def test_confusion_fallback_without_cjk_font(monkeypatch, tmp_path, metrics):
    monkeypatch.setattr(rp, "find_cjk_font", lambda *args, **kwargs: None)
    path = tmp_path / "confusion.png"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rp._plot_confusion(metrics["confusion_matrix"], path)
    assert [w for w in caught if "label ids" in str(w.message)]
    assert glyph_warnings(caught) == []  # no tofu: nothing drawn without a glyph
    assert png_size(path)[0] >= 300


def test_ascii_labels_need_no_warning(monkeypatch, tmp_path):
    monkeypatch.setattr(rp, "find_cjk_font", lambda *args, **kwargs: None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rp._plot_confusion({"labels": ["spam", "ham"], "matrix": [[3, 1], [0, 2]]},
                           tmp_path / "c.png")
    assert not [w for w in caught if "label ids" in str(w.message)]
    assert glyph_warnings(caught) == []


def test_placeholder_fonts_do_not_count():
    from pathlib import Path

    import matplotlib

    last_resort = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "LastResortHE-Regular.ttf"
    if not last_resort.is_file():
        pytest.skip("this matplotlib bundles no Last Resort font")
    # It maps every character to a box: present in its charmap, but not a real glyph.
    assert not rp._has_glyphs(str(last_resort), rp.CJK_SAMPLE)
    assert rp.find_cjk_font() != "Last Resort High-Efficiency"


def test_find_font_checks_glyphs():
    assert rp.find_cjk_font(sample="abc") is not None
    assert rp.find_cjk_font(sample="\U000f0001\U000f0002") is None  # private use


# -- data that name the labels otherwise ----------------------------------------------------
ZH_DATA = [
    {"id": "z1", "text": "市人大常委会召开第二十次会议，审议地方性法规草案", "label": "人大"},
    {"id": "z2", "text": "高考报名工作开始，考生须在网上完成信息确认", "label": "教育"},
    {"id": "z3", "text": "研究团队攻克芯片封装关键技术，获得发明专利十二项", "label": "科技"},
    {"id": "z4", "text": "市慈善总会开展一日捐活动，募集善款帮助困难家庭", "label": "慈善"},
    {"id": "z5", "text": "本地足球队主场两球取胜，联赛排名升至第三", "label": "其他"},
]
FULL_MAP = "人大=congress,教育=education,科技=tech,慈善=charity,其他=other"


def evaluate_cli(*args, code: int) -> subprocess.CompletedProcess:
    """``newsclass evaluate ARGS`` in this process."""
    return newsclass("evaluate", *args, code=code)


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    return path


def test_cli_no_known_label_prints_and_writes_no_scores(tmp_path):
    data = write_jsonl(tmp_path / "zh.jsonl", ZH_DATA)
    report = tmp_path / "report"
    proc = evaluate_cli(data, "--report", report, code=1)
    out, err = proc.stdout.decode(), proc.stderr.decode()
    # No table of zeros, no report folder: nothing was scored.
    assert "accuracy" not in out and "0.0000" not in out and "confusion" not in out
    assert not report.exists()
    # The message names the unknown labels and the map that would score them.
    for label in ("人大", "教育", "科技", "慈善", "其他"):
        assert label in err
    assert "--label-map " in err and all(pair in err for pair in FULL_MAP.split(","))


def test_cli_label_map_shows_each_label_once(tmp_path):
    from newsclass.labels import LABELS, label_name

    data = write_jsonl(tmp_path / "zh.jsonl", ZH_DATA)
    # A map that leaves 科技 under its Chinese name would count it as a label apart from
    # tech, shown twice as 科技: refused, with the map that completes it.
    partial = tmp_path / "partial"
    proc = evaluate_cli(data, "--label-map", "人大=congress,教育=education,慈善=charity,"
                        "其他=other", "--report", partial, code=1)
    assert "accuracy" not in proc.stdout.decode() and not partial.exists()
    err = proc.stderr.decode()
    assert "科技=tech" in err and "人大=congress" in err
    # The whole map: one axis entry per label, in the tables and in the report.
    report = tmp_path / "report"
    proc = evaluate_cli(data, "--label-map", FULL_MAP, "--report", report, code=0)
    out = proc.stdout.decode()
    metrics = json.loads((report / "metrics.json").read_text(encoding="utf-8"))
    labels = metrics["confusion_matrix"]["labels"]
    assert sorted(labels) == sorted(LABELS) == sorted(metrics["per_label"])
    drawn = [label_name(x) for x in labels]          # what confusion.png shows
    assert len(set(drawn)) == len(drawn)
    for zh in LABELS.values():
        assert out.count(zh) == 1, out              # the per-label table's name column
    assert metrics["accuracy"] == 1.0


def test_check_labels():
    from newsclass.evaluate import UnknownLabelsError, check_labels

    model_labels = ["congress", "education", "tech"]
    assert check_labels(["tech", "congress", "tech"], model_labels) == []
    # A label the model was not trained on is scored (its articles count as errors).
    assert check_labels(["体育", "congress"], model_labels) == ["体育"]
    with pytest.raises(UnknownLabelsError, match="does not know any") as caught:
        check_labels(["人大", "教育", "体育"], model_labels)
    assert caught.value.none_known and caught.value.unknown == ["人大", "体育", "教育"]
    assert caught.value.suggested == {"人大": "congress", "体育": "NEW", "教育": "education"}
    # Another name of a known label, in Chinese or in other case, would count it twice.
    with pytest.raises(UnknownLabelsError, match="counted") as caught:
        check_labels(["Tech", "科技", "congress", "体育"], model_labels)
    assert not caught.value.none_known
    assert caught.value.aliases == {"Tech": "tech", "科技": "tech"}
    assert caught.value.pairs == "Tech=tech,科技=tech"
    # The given map is completed, and a mistyped target guessed from the old name.
    with pytest.raises(UnknownLabelsError) as caught:
        check_labels(["congres", "教育"], model_labels, {"人大": "congres"})
    assert caught.value.suggested == {"人大": "congress", "教育": "education"}


def test_evaluate_files_scores_nothing_for_unknown_labels(tiny_model, tmp_path):
    from newsclass.evaluate import UnknownLabelsError, evaluate_files

    data = write_jsonl(tmp_path / "zh.jsonl", ZH_DATA[:3])
    with pytest.raises(UnknownLabelsError):
        evaluate_files([data], tiny_model, tmp_path / "report")
    assert not (tmp_path / "report").exists()
    result = evaluate_files([data], tiny_model, label_map={
        "人大": "congress", "教育": "education", "科技": "tech"})
    assert result.metrics["confusion_matrix"]["labels"] == ["congress", "education", "tech"]
    assert result.unknown_labels == []


def test_axis_names_are_unique():
    assert rp._axis_names(["congress", "tech", "spam"]) == ["人大", "科技", "spam"]
    assert rp._axis_names(["congress", "人大"]) == ["congress 人大", "人大"]
