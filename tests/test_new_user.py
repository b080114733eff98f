"""What a new user hit: each failure of a fresh-clone trial, reproduced as it was met."""

from __future__ import annotations

import codecs
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from newsclass import NewsClassifier
from tests.clitools import newsclass
from tests.conftest import LABELS, TEXTS

OTHER = [
    "市区主干道完成改造，早晚高峰通行时间缩短",
    "今年粮食播种面积稳定，夏粮收购进展顺利",
    "气象台发布暴雨预警，提醒市民减少外出",
    "文化旅游节开幕，游客在古街品尝特色小吃",
    "足球联赛揭幕战主队两球取胜",
    "银行下调存款利率，储户关注理财产品",
    "社区举办邻里节，居民表演文艺节目",
    "医院开设夜间门诊，方便上班族就医",
]


def run(*args, stdin: bytes | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """``newsclass ARGS`` in this process, any exit status."""
    return newsclass(*args, stdin=stdin, cwd=cwd, code=None)


def records(data: bytes) -> list[dict]:
    return [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """Two small portable models: one without an `other` label, one with it."""
    folder = tmp_path_factory.mktemp("models")
    no_other = NewsClassifier(calibration_cv=3).fit(TEXTS, LABELS)
    no_other.export(folder / "no_other.npz")
    with_other = NewsClassifier(calibration_cv=3).fit(TEXTS + OTHER,
                                                      LABELS + ["other"] * len(OTHER))
    with_other.export(folder / "with_other.npz")
    return folder, no_other, with_other


# -- 2: a threshold needs a fallback label the model knows ------------------------------

def test_threshold_on_a_model_without_its_fallback_label_is_refused(models, tmp_path):
    folder, no_other, _ = models
    with pytest.raises(ValueError, match="fallback"):
        no_other.predict(["人大代表视察学校"], threshold=0.9)
    page = tmp_path / "a.txt"
    page.write_text("人大代表视察学校，听取意见建议", encoding="utf-8")
    proc = run("label", page, "--no-split", "--model", folder / "no_other.npz",
               "--threshold", "0.9")
    assert proc.returncode == 2, proc.stderr
    assert b"fallback" in proc.stderr and b"Traceback" not in proc.stderr


def test_fitting_a_threshold_without_its_fallback_label_is_refused():
    with pytest.raises(ValueError, match="fallback_label"):
        NewsClassifier(threshold=0.5, calibration_cv=3).fit(TEXTS, LABELS)


def test_train_fallback_label_names_the_fallback(tmp_path):
    data = tmp_path / "train.jsonl"
    data.write_text("".join(json.dumps({"text": t, "label": lab}, ensure_ascii=False) + "\n"
                            for t, lab in zip(TEXTS, LABELS, strict=True)), encoding="utf-8")
    out = tmp_path / "m.npz"
    proc = run("train", data, "-o", out, "--cv", "0", "--fallback-label", "education")
    assert proc.returncode == 0, proc.stderr
    one = tmp_path / "one.txt"
    one.write_text("人大代表视察科技企业研发中心", encoding="utf-8")
    rec = records(run("label", one, "--no-split", "--model", out, "--threshold", "0.99",
                      "--top-k", "3").stdout)[0]
    assert rec["label"] == "education"
    # the confidence is the probability of the label given, not of the one it replaced
    assert rec["confidence"] == pytest.approx(rec["top"]["education"], abs=1e-4)


def test_confidence_is_the_probability_of_the_label_given(models):
    _, _, with_other = models
    [details] = with_other.predict_details(["人大代表视察科技企业研发中心"], k=5,
                                           threshold=0.999)
    assert details["label"] == "other"
    assert details["confidence"] == pytest.approx(dict(details["top"])["other"])


# -- 3 and 4: field names, and standard input read by the same rules as a file ----------

def test_csv_on_stdin_follows_the_column_rules_of_a_file(tmp_path):
    table = "id,headline,story\n1,人大代表视察,人大代表视察学校\n".encode()
    path = tmp_path / "book.csv"
    path.write_bytes(table)
    by_path = run("label", path, "-q")
    by_stdin = run("label", "-", "-q", stdin=table)
    assert by_path.returncode == by_stdin.returncode == 1
    assert by_stdin.stdout == b""
    assert b"headline" in by_stdin.stderr and b"--text-field" in by_stdin.stderr


def test_title_and_body_records_are_read_as_the_api_reads_them(tmp_path):
    rows = [{"id": "a", "title": "市人大常委会召开会议", "body": "审议地方性法规草案"},
            {"id": "b", "title": "高考首日", "content": "考生陆续进入考场"}]
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()
    path = tmp_path / "news.jsonl"
    path.write_bytes(data)
    proc = run("label", path, "-q")
    assert proc.returncode == 0, proc.stderr
    assert [r["id"] for r in records(proc.stdout)] == ["a", "b"]
    table = "id,title,body\n1,人大代表视察,人大代表视察学校\n".encode()
    proc = run("label", "-", "-q", stdin=table)
    assert proc.returncode == 0, proc.stderr
    assert [r["id"] for r in records(proc.stdout)] == ["1"]


def test_a_record_without_a_body_field_names_what_it_saw(tmp_path):
    path = tmp_path / "news.jsonl"
    path.write_text(json.dumps({"id": "a", "headline": "x", "story": "y"}) + "\n",
                    encoding="utf-8")
    proc = run("label", path, "-q", "-o", tmp_path / "out.jsonl")
    assert proc.returncode == 1
    report = (tmp_path / "out.jsonl.errors.jsonl").read_text(encoding="utf-8")
    assert "'headline'" in report and "'story'" in report and "--text-field" in report


# -- 6: saving a Pipeline or a search ----------------------------------------------------

def test_save_model_of_a_fitted_pipeline(tmp_path):
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline

    from newsclass import load_model, save_model

    pipe = Pipeline([("clf", NewsClassifier(calibration_cv=3))]).fit(TEXTS, LABELS)
    save_model(pipe, tmp_path / "pipe.joblib")
    loaded = load_model(tmp_path / "pipe.joblib")
    assert list(loaded.predict(TEXTS[:3])) == list(pipe.predict(TEXTS[:3]))
    search = GridSearchCV(NewsClassifier(calibration_cv=2), {"C": [1.0]}, cv=2)
    search.fit(TEXTS, LABELS)
    with pytest.raises(ValueError, match="best_estimator_"):
        save_model(search, tmp_path / "search.joblib")
    with pytest.raises(ValueError, match="best_estimator_"):
        save_model(pipe, tmp_path / "pipe.npz")


# -- 7: info reads the card inside a portable file --------------------------------------

def test_info_of_an_npz_without_its_card_beside_it(models, tmp_path):
    folder, _, _ = models
    lone = tmp_path / "lone.npz"
    lone.write_bytes((folder / "no_other.npz").read_bytes())
    proc = run("info", lone)
    assert proc.returncode == 0, proc.stderr
    assert "congress" in proc.stdout.decode()


# -- 9: UTF-16 ----------------------------------------------------------------------------

@pytest.mark.parametrize("forced", [False, True])
def test_utf16_with_a_bom_is_read(tmp_path, forced):
    path = tmp_path / "excel_unicode.tsv"
    text = "id\ttext\n1\t高考首日考生进入考场\n2\t市人大常委会召开会议\n"
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    proc = run("label", path, "-q", *(["--encoding", "utf-16"] if forced else []))
    assert proc.returncode == 0, proc.stderr
    assert [r["id"] for r in records(proc.stdout)] == ["1", "2"]


# -- 10: a closed output pipe ----------------------------------------------------------

def test_a_closed_pipe_ends_the_run_quietly(tmp_path):
    path = tmp_path / "big.jsonl"
    row = json.dumps({"text": "市人大常委会召开会议审议地方性法规草案" * 5}, ensure_ascii=False)
    path.write_text((row + "\n") * 3000, encoding="utf-8")
    # One pipeline: head's line on standard output; newsclass's messages, then its exit
    # status, on standard error.
    proc = subprocess.run(f"{sys.executable} -m newsclass label {path} -q | head -1; "
                          "echo ${PIPESTATUS[0]} >&2", shell=True, capture_output=True,
                          timeout=300, executable="/bin/bash")
    assert proc.stdout.count(b"\n") == 1
    *messages, status = proc.stderr.splitlines()
    assert not any(b"Traceback" in m or b"Exception" in m for m in messages), proc.stderr
    assert status == b"141"  # 128 + SIGPIPE, as cat gives


# -- 11: one rule for every command's outputs ------------------------------------------

def test_train_output_follows_the_label_output_rule(tmp_path):
    data = tmp_path / "train.jsonl"
    data.write_text("".join(json.dumps({"text": t, "label": lab}, ensure_ascii=False) + "\n"
                            for t, lab in zip(TEXTS, LABELS, strict=True)), encoding="utf-8")
    proc = run("train", data, "-o", tmp_path / "missing" / "m.npz", "--cv", "0")
    assert proc.returncode == 2 and b"folder" in proc.stderr
    assert not (tmp_path / "missing").exists()
    out = tmp_path / "m.npz"
    out.write_bytes(b"keep me")
    proc = run("train", data, "-o", out, "--cv", "0")
    assert proc.returncode == 2 and b"--force" in proc.stderr
    assert out.read_bytes() == b"keep me"
    assert run("train", data, "-o", out, "--cv", "0", "--force").returncode == 0


# -- 12: short texts carry little evidence -----------------------------------------------

def test_short_texts_are_tempered_towards_the_prior(tmp_path):
    texts, labels = TEXTS + OTHER, LABELS + ["other"] * len(OTHER)
    plain = NewsClassifier(calibration_cv=3).fit(texts, labels)
    tempered = NewsClassifier(calibration_cv=3, short_text_chars=40).fit(texts, labels)
    short, long = "人大校友会", "市人大常委会召开第十二次会议，审议地方性法规草案和预算调整方案"
    assert len(long) >= 30
    p_plain, p_temp = plain.predict_proba([short])[0], tempered.predict_proba([short])[0]
    prior = tempered.class_prior_
    # closer to the prior, in the KL sense, and never more sure of its best label
    kl = [float(np.sum(prior * np.log(prior / p))) for p in (p_plain, p_temp)]
    assert kl[1] < kl[0] and p_temp.max() <= p_plain.max()
    t = len(short) / 40
    expected = p_plain ** t * prior ** (1 - t)
    np.testing.assert_allclose(p_temp, expected / expected.sum(), rtol=1e-6)
    np.testing.assert_allclose(tempered.predict_proba([long * 2]), plain.predict_proba(
        [long * 2]))  # long enough: untouched
    tempered.export(tmp_path / "t.npz")
    from newsclass import load_model

    np.testing.assert_allclose(load_model(tmp_path / "t.npz").predict_proba([short, long]),
                               tempered.predict_proba([short, long]), atol=1e-6)


def test_label_weights_shift_the_prior_alike_in_both_predictors(tmp_path):
    texts, labels = TEXTS + OTHER, LABELS + ["other"] * len(OTHER)
    plain = NewsClassifier(calibration_cv=3).fit(texts, labels)
    weighed = NewsClassifier(calibration_cv=3, label_weights={"other": 0.5}).fit(texts, labels)
    probe = ["人大代表视察科技企业", "社区举办邻里节"]
    p = plain.predict_proba(probe)
    p[:, list(plain.classes_).index("other")] *= 0.5
    np.testing.assert_allclose(weighed.predict_proba(probe), p / p.sum(axis=1, keepdims=True))
    weighed.export(tmp_path / "w.npz")
    from newsclass import load_model

    np.testing.assert_allclose(load_model(tmp_path / "w.npz").predict_proba(probe),
                               weighed.predict_proba(probe), atol=1e-6)
    with pytest.raises(ValueError, match="label_weights"):
        NewsClassifier(label_weights={"sport": 2.0}, calibration_cv=3).fit(texts, labels)


# -- 14: explanations made of words -------------------------------------------------------

def test_explanations_are_words_a_reader_recognises(models, tmp_path):
    from newsclass import load_model
    from newsclass.segment import Segmenter

    _, _, with_other = models
    page = "花卉展开幕，我市举行学校开学典礼，人大代表视察研发中心"
    seg = Segmenter()
    words = {w for w in seg.cut(page) if len(w) >= 2}
    portable = load_model(models[0] / "with_other.npz")
    for model in (with_other, portable):
        terms = model.predict_details([page], terms=12)[0]["terms"]
        assert terms
        for term, _ in terms:
            assert len(term) >= 2 and (term in words or seg.is_word(term)), term
            assert "，" not in term
    assert [t for t, _ in with_other.explain(page, top=8)] == [
        t for t, _ in portable.explain(page, top=8)]


def test_clf_save_chooses_the_format_by_name(tmp_path):
    from newsclass import load_model

    clf = NewsClassifier(calibration_cv=3).fit(TEXTS, LABELS)
    card = clf.save(tmp_path / "m.npz")
    assert card["format"].startswith("newsclass-portable")
    assert list(load_model(tmp_path / "m.npz").predict(TEXTS)) == list(clf.predict(TEXTS))
    clf.save(tmp_path / "m.joblib")
    again = load_model(tmp_path / "m.joblib")
    assert isinstance(again, NewsClassifier)
    assert list(again.predict(TEXTS)) == list(clf.predict(TEXTS))
    assert (tmp_path / "m.joblib.json").is_file()


def test_body_chars_reads_the_first_characters_of_the_normalised_body():
    from newsclass.documents import as_documents
    from newsclass.grams import prepare_documents
    from newsclass.normalization import normalize
    from newsclass.segment import Segmenter

    seg = Segmenter()
    bodies = ["科技创新" * 900, "人大  \u200b代表 \t" * 700, "ａｂｃ学校" * 400, "短文本"]
    for body in bodies:
        [(_, _, text)] = prepare_documents(as_documents([{"title": "标题", "body": body}]),
                                           seg, body_chars=1000)
        assert text == "标题\n" + normalize(body).lower()[:1000]
