"""Retraining with review decisions: label --keep-text → review → corrections → train --add."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from newsclass.corrections import CorrectionLog, make_correction
from newsclass.default_model import REAL_SOURCES, find_real_pool, read_corpus
from newsclass.digest import file_sha256, text_sha256
from newsclass.retrain import read_reviewed
from newsclass.training import train_files
from tests.clitools import newsclass as run_cli
from tests.conftest import LABELS, TEXTS
from tests.webtools import SEED, Server, label

ROOT = Path(__file__).resolve().parents[1]
#: An environment that names a missing pool: training goes without real news.
NO_POOL = {**os.environ, "NEWSCLASS_REAL_POOL": "/nonexistent/newsclass-real"}
#: An environment that names none: the pool is looked for beside the project.
FIND_POOL = {k: v for k, v in os.environ.items() if k != "NEWSCLASS_REAL_POOL"}


def newsclass(*args, env=None, code=0, cwd=None):
    """``newsclass ARGS`` in this process: its standard output and error."""
    proc = run_cli(*args, env=env, code=code, cwd=cwd)
    return proc.stdout.decode(), proc.stderr.decode()


def records(path):
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture()
def small(tmp_path):
    """A small labelled set, records of it with text, and two decisions about them."""
    data = tmp_path / "train.jsonl"
    data.write_text("".join(json.dumps({"id": f"t{i}", "text": t, "label": lab},
                                       ensure_ascii=False) + "\n"
                            for i, (t, lab) in enumerate(zip(TEXTS, LABELS, strict=True))),
                    encoding="utf-8")
    news = tmp_path / "news.jsonl"
    rows = [{"id": "n1", "title": "县教育局开展送教下乡", "text": "教师走进乡村学校上示范课。"},
            {"id": "n2", "title": "科技馆开放日", "text": "学生在科技馆体验机器人编程。"}]
    news.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    out = tmp_path / "out.jsonl"
    label(news, "--keep-text", "-o", out, "-q")
    log = CorrectionLog(tmp_path / "out.jsonl.corrections.jsonl")
    for rec, reviewer in zip(records(out), ["education", "tech"], strict=True):
        log.append(make_correction(rec["id"], rec["source"], rec["text_sha256"],
                                   rec["label"], reviewer))
    log.close()
    return data, news, out, log.path


def test_reviewed_texts_are_found_beside_the_corrections_or_in_the_inputs(small, tmp_path):
    _data, news, out, corrections = small
    found = read_reviewed(corrections)
    assert found.texts_from == [str(out), str(news)] and found.labels == ["education", "tech"]
    assert found.articles[0]["title"] == "县教育局开展送教下乡" and not found.missing
    from_inputs = read_reviewed(corrections, texts=[news])
    assert from_inputs.articles == found.articles
    news.write_text('{"id": "n1", "title": "县教育局开展送教下乡", "text": "改过了"}\n',
                    encoding="utf-8")
    with pytest.raises(ValueError, match="none of the 2 reviewed articles"):
        read_reviewed(corrections, texts=[news])


def test_train_files_add_records_the_hash_and_measures_before_and_after(small, tmp_path):
    data, _news, _out, corrections = small
    model_file = tmp_path / "my.joblib"
    result = train_files([data], model_file, cv=2, add=corrections, calibration_cv=2)
    card = json.loads((tmp_path / "my.joblib.json").read_text(encoding="utf-8"))
    reviewed = card["training"]["sources"]["reviewed"]
    assert reviewed["sha256"] == file_sha256(corrections)
    assert reviewed["articles"] == 2 and card["training"]["articles"] == len(TEXTS) + 2
    assert {"cv_before", "cv", "reviewed_after"} <= set(card["metrics"])
    assert result.metrics["cv"]["folds"] == 2
    assert list(result.model.predict([{"title": "科技馆开放日",
                                       "body": "学生在科技馆体验机器人编程。"}])) == ["tech"]


def test_seed_page_end_to_end_without_the_pool(tmp_path):
    """label --keep-text → review (HTTP, as the page posts) → train --default --add."""
    out = tmp_path / "seed.jsonl"
    label(SEED, "--keep-text", "-o", out, "-q")
    server = Server("review", out)
    try:
        auth = {"X-Review-Token": server.token}
        for pos, lab in ((0, "other"), (1, "education"), (2, "charity")):
            status, _ = server.json("/api/decision", {"pos": pos, "label": lab}, headers=auth)
            assert status == 200
    finally:
        server.stop()
    corrections = tmp_path / "seed.jsonl.corrections.jsonl"
    assert len(records(corrections)) == 3
    stdout, stderr = newsclass("train", "--default", "--add", corrections, "-o",
                               tmp_path / "my.joblib", "--cv", "0", env=NO_POOL)
    assert "lacks the real news articles" in stderr and "/nonexistent/newsclass-real" in stderr
    assert "reviewed articles: 3" in stdout and "real_news 0" in stdout
    assert "the shipped default model, on the reviewed articles" in stdout
    card = json.loads((tmp_path / "my.joblib.json").read_text(encoding="utf-8"))
    assert card["training"]["sources"]["reviewed"]["sha256"] == file_sha256(corrections)
    assert card["training"]["articles"] == len(read_corpus()[0]) + 3


@pytest.mark.slow
def test_a_thousand_articles_end_to_end(tmp_path):
    articles, _labels = read_corpus()
    rows = [{"id": f"a{i}", "title": a["title"], "text": a["body"]}
            for i, a in enumerate((articles * 2)[:1000])]
    news = tmp_path / "thousand.jsonl"
    news.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    out = tmp_path / "out.jsonl"
    label(news, "-o", out, "-q")
    server = Server("review", out)  # texts from the input named in the records
    try:
        auth = {"X-Review-Token": server.token}
        _, listing = server.json("/api/list", headers=auth)
        assert len(listing["items"]) == 1000
        confidences = [i["confidence"] for i in listing["items"]]
        assert confidences == sorted(confidences)
        for pos in range(20):  # the 20 least certain: relabel half, accept half
            item = listing["items"][pos]
            choice = "other" if pos % 2 and item["label"] != "other" else item["label"]
            assert server.json("/api/decision", {"pos": pos, "label": choice},
                               headers=auth)[0] == 200
    finally:
        server.stop()
    corrections = tmp_path / "out.jsonl.corrections.jsonl"
    stdout, _ = newsclass("train", "--default", "--add", corrections, "-o",
                          tmp_path / "m.joblib", "--cv", "0", env=NO_POOL)
    assert "reviewed articles: 20" in stdout
    card = json.loads((tmp_path / "m.joblib.json").read_text(encoding="utf-8"))
    assert card["training"]["sources"]["reviewed"]["not_found"] == 0
    hashes = {text_sha256(r["title"], r["text"]) for r in rows}
    assert all(r["text_sha256"] in hashes for r in records(corrections))


def test_usage_errors(tmp_path):
    _, err = newsclass("train", "--default", "--texts", "x.jsonl", code=2)
    assert "--texts goes with --add" in err
    missing = tmp_path / "none.jsonl"
    _, err = newsclass("train", "--default", "--add", missing, "-o", tmp_path / "m.joblib",
                       code=2)
    assert "cannot read corrections" in err and "Traceback" not in err


@pytest.mark.slow
def test_with_the_pool_the_retrained_model_keeps_the_real_articles(tmp_path):
    pool = find_real_pool()
    if pool is None:
        pytest.skip("the pool of real articles is not here (set NEWSCLASS_REAL_POOL)")
    out = tmp_path / "seed.jsonl"
    label(SEED, "--keep-text", "-o", out, "-q")
    rec = records(out)[0]
    log = CorrectionLog(tmp_path / "seed.jsonl.corrections.jsonl")
    log.append(make_correction(rec["id"], rec["source"], rec["text_sha256"], rec["label"],
                               "other"))
    log.close()
    # No --pool and no NEWSCLASS_REAL_POOL: found as plain `train --default` finds it.
    _stdout, stderr = newsclass("train", "--default", "--add", log.path, "-o",
                               tmp_path / "m.joblib", "--cv", "0", env=FIND_POOL,
                               cwd=ROOT)
    assert "lacks" not in stderr
    card = json.loads((tmp_path / "m.joblib.json").read_text(encoding="utf-8"))
    sources = card["training"]["sources"]
    assert sources["real_news"] > 4000
    assert set(sources["real_news_by_source"]) == set(REAL_SOURCES) & {
        p.name[:-len(".jsonl.gz")] for p in pool.glob("*.jsonl.gz")}
