"""The newsclass command: what it parses, calls and prints (in this process, through
``newsclass.cli.main``), and what needs a process of its own (``--jobs``, ``kill -9``)."""

from __future__ import annotations

import csv
import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newsclass.default_model import read_corpus
from tests.clitools import newsclass

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "seeds" / "000_5c64d9000366f065.txt"
TRUTH = json.loads((ROOT / "seeds" / "seed_page_labels.json").read_text(encoding="utf-8"))


def run(*args: str, stdin: bytes | None = None, cwd: Path | None = None,
        check_code: int | None = 0) -> subprocess.CompletedProcess:
    """``newsclass ARGS`` in this process."""
    return newsclass(*args, stdin=stdin, cwd=cwd, code=check_code)


def run_process(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """``newsclass ARGS`` in a process of its own (checked)."""
    proc = subprocess.run([sys.executable, "-m", "newsclass", *map(str, args)],
                          capture_output=True, cwd=cwd, timeout=600)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    return proc


def jsonl(data: bytes | str | Path) -> list[dict]:
    if isinstance(data, Path):
        data = data.read_bytes()
    if isinstance(data, bytes):
        data = data.decode("utf-8")
    return [json.loads(line) for line in data.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def corpus():
    articles, labels = read_corpus()
    return articles, labels


def write_jsonl(path: Path, rows: list[dict], opener=open) -> Path:
    with opener(path, "wt", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


def test_version_and_help():
    assert run("--version").stdout.decode().startswith("newsclass ")
    assert "label" in run("--help").stdout.decode()


def test_label_seed_page_to_stdout():
    proc = run("label", SEED)
    records = jsonl(proc.stdout)
    assert [r["label"] for r in records] == [p["label"] for p in TRUTH["pieces"]]
    assert [r["id"] for r in records] == [f"{SEED}#{i}" for i in range(1, 9)]
    assert records[0]["label_zh"] == "科技"
    assert set(records[0]) == {"id", "source", "title", "label", "label_zh", "confidence",
                               "top", "terms", "encoding"}
    assert records[0]["encoding"] == "utf-8"
    assert "labelled 8 articles" in proc.stderr.decode()


def test_each_input_format(tmp_path, corpus):
    articles, _ = corpus
    rows = [{"id": a["id"], "title": a["title"], "text": a["body"]} for a in articles[:6]]
    data = tmp_path / "in"
    data.mkdir()
    write_jsonl(data / "a.jsonl", rows[:2])
    write_jsonl(data / "b.jsonl.gz", rows[2:4], opener=gzip.open)
    for name, delim, opener in (("c.csv", ",", open), ("d.tsv", "\t", open),
                                ("e.csv.gz", ",", gzip.open)):
        with opener(data / name, "wt", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, delimiter=delim)
            w.writerow(["id", "title", "text"])
            w.writerow([f"{name}-1", rows[4]["title"], rows[4]["text"]])
    (data / "f.txt").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    run("label", data, "-o", out, "-q")
    records = jsonl(out)
    by_source = {}
    for r in records:
        by_source.setdefault(Path(r["source"]).name, []).append(r)
    assert {k: len(v) for k, v in by_source.items()} == {
        "a.jsonl": 2, "b.jsonl.gz": 2, "c.csv": 1, "d.tsv": 1, "e.csv.gz": 1, "f.txt": 8}
    assert [r["id"] for r in by_source["a.jsonl"]] == [rows[0]["id"], rows[1]["id"]]
    assert not (tmp_path / "out.jsonl.errors.jsonl").read_text()


def test_no_split_and_stdin(tmp_path):
    one = run("label", SEED, "--no-split", "-q")
    assert len(jsonl(one.stdout)) == 1
    stdin = json.dumps({"text": "市人大常委会召开会议，审议预算调整方案。"}, ensure_ascii=False)
    proc = run("label", "-", stdin=stdin.encode())
    record = jsonl(proc.stdout)[0]
    assert record["label"] == "congress" and record["source"] == "-"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_each_encoding(tmp_path, encoding):
    text = ("衡阳日报讯（记者 张三）12月20日，市慈善总会举行“一日捐”活动启动仪式，"
            "爱心企业和市民踊跃捐款，善款将用于资助困难家庭学生。")
    path = tmp_path / "page.txt"
    path.write_bytes(f"爱心涌动暖寒冬\n\n{text}\n".encode(encoding))
    record = jsonl(run("label", path, "-q").stdout)[0]
    assert record["label"] == "charity"
    assert record["title"] == "爱心涌动暖寒冬"
    expected = {"gbk": "gb18030"}.get(encoding, encoding)
    assert record["encoding"] == expected


def test_forced_encoding(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_bytes(json.dumps({"text": "高考首日，全市考生陆续进入考场，考点秩序井然，监考老师"
                                         "逐一核验准考证"}, ensure_ascii=False)
                     .encode("gb18030"))
    record = jsonl(run("label", path, "--encoding", "gb18030", "-q").stdout)[0]
    assert record["encoding"] == "gb18030" and record["label"] == "education"


def test_output_formats_and_excel(tmp_path):
    run("label", SEED, "-o", tmp_path / "o.csv", "-q")
    raw = (tmp_path / "o.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(raw.decode().splitlines()))
    assert len(rows) == 8 and rows[3]["label"] == "charity"
    assert rows[0]["top"].startswith("tech:")
    run("label", SEED, "-o", tmp_path / "o.txt", "--format", "tsv", "--excel", "-q")
    raw = (tmp_path / "o.txt").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfid\tsource\t")
    assert len(raw.decode("utf-8-sig").splitlines()) == 9


def test_explain_top_k_and_threshold():
    rec = jsonl(run("label", SEED, "--explain", "4", "--top-k", "2", "-q").stdout)[4]
    assert rec["label"] == "congress"
    assert len(rec["terms"]) == 4 and any("人大" in t for t in rec["terms"])
    assert len(rec["top"]) == 2
    records = jsonl(run("label", SEED, "--threshold", "1", "-q").stdout)
    assert {r["label"] for r in records} == {"other"}


def test_every_error_kind_is_reported_and_nothing_is_lost(tmp_path):
    data = tmp_path / "in"
    data.mkdir()
    good = {"id": "g1", "text": "研究团队攻克关键技术，获得发明专利。"}
    (data / "mixed.jsonl").write_text("\n".join([
        json.dumps(good, ensure_ascii=False),
        '{"id": "bad", "text": ',                        # malformed JSON
        json.dumps({"id": "nofield", "story": "x"}),     # no body field
        json.dumps({"id": "blank", "text": "   "}),      # empty text
    ]) + "\n", encoding="utf-8")
    (data / "bytes.jsonl").write_bytes(
        json.dumps({"id": "ok2", "text": "学校开展课后服务"}, ensure_ascii=False).encode()
        + b"\n" + b'{"id": "u", "text": "\xff\xfe\xfa"}\n')  # undecodable line
    (data / "blob.txt").write_bytes(b"\x00\x01\x02PNG\x00" * 100)  # binary file
    missing = tmp_path / "absent.jsonl"                            # unreadable file
    out = tmp_path / "out.jsonl"
    proc = run("label", data, missing, "-o", out, check_code=1)
    records = jsonl(out)
    errors = jsonl(Path(f"{out}.errors.jsonl"))
    assert sorted(r["id"] for r in records) == ["g1", "ok2"]
    assert len(errors) == 6
    assert all(set(e) == {"source", "position", "error"} for e in errors)
    reasons = " | ".join(e["error"].lower() for e in errors)
    for word in ("json", "no body field", "empty", "binary", "decode", "not found"):
        assert word in reasons, word
    assert "6 inputs failed" in proc.stderr.decode()


def test_usage_errors_exit_2(tmp_path):
    assert run("label", "--no-such-option", SEED, check_code=2).returncode == 2
    out = tmp_path / "o.jsonl"
    out.write_text("keep me\n")
    proc = run("label", SEED, "-o", out, check_code=2)
    assert "exists" in proc.stderr.decode() and out.read_text() == "keep me\n"
    run("label", SEED, "-o", out, "--force", "-q")
    assert len(jsonl(out)) == 8
    assert "model" in run("label", SEED, "--model", tmp_path / "none.joblib",
                          check_code=2).stderr.decode()


@pytest.mark.slow
def test_jobs_2_equals_jobs_1(tmp_path, corpus):
    articles, _ = corpus
    path = write_jsonl(tmp_path / "in.jsonl",
                       [{"id": a["id"], "title": a["title"], "text": a["body"]}
                        for a in articles[:700]])
    run_process("label", path, "-o", tmp_path / "one.jsonl", "-q", "--explain", "3")
    run_process("label", path, "-o", tmp_path / "two.jsonl", "-q", "--explain", "3",
                "--jobs", "2")
    one = (tmp_path / "one.jsonl").read_bytes()
    assert one == (tmp_path / "two.jsonl").read_bytes()
    assert len(one.splitlines()) == 700


@pytest.mark.slow
def test_kill_9_then_resume_equals_uninterrupted_run(tmp_path, corpus):
    articles, _ = corpus
    rows = [{"id": f"{a['id']}-{k}", "title": a["title"], "text": a["body"]}
            for k in range(4) for a in articles]
    path = write_jsonl(tmp_path / "in.jsonl", rows)
    full, part = tmp_path / "full.jsonl", tmp_path / "part.jsonl"
    run_process("label", path, "-o", full, "-q")
    proc = subprocess.Popen([sys.executable, "-m", "newsclass", "label", str(path),
                             "-o", str(part), "-q"], stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and (not part.exists() or part.stat().st_size < 50_000):
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done = jsonl(part)  # every line is a complete record
    assert 0 < len(done) < len(rows), "the run was not interrupted mid-way"
    run_process("label", path, "-o", part, "-q", "--resume")
    assert part.read_bytes() == full.read_bytes()


@pytest.mark.slow
def test_train_evaluate_info_split(tmp_path):
    from tests.conftest import LABELS, TEXTS

    data = write_jsonl(tmp_path / "train.jsonl",
                       [{"text": t, "label": y} for t, y in zip(TEXTS, LABELS, strict=True)])
    model = tmp_path / "m.joblib"
    proc = run("train", data, "-o", model, "--cv", "2", "--C", "1.0")
    text = proc.stdout.decode()
    assert "trained on 24 articles" in text and "2-fold cross-validation" in text
    card = json.loads(Path(f"{model}.json").read_text(encoding="utf-8"))
    assert card["parameters"]["C"] == 1.0 and card["metrics"]["cv"]["folds"] == 2

    folders = tmp_path / "folders"
    for i, (t, y) in enumerate(zip(TEXTS, LABELS, strict=True)):
        (folders / y).mkdir(parents=True, exist_ok=True)
        (folders / y / f"{i}.txt").write_text(t, encoding="utf-8")
    run("train", folders, "-o", tmp_path / "f.joblib", "--cv", "0")
    assert json.loads(Path(f"{tmp_path / 'f.joblib'}.json").read_text())["labels"] == [
        "congress", "education", "tech"]

    report = tmp_path / "report"
    proc = run("evaluate", data, "--model", model, "--report", report)
    assert "accuracy" in proc.stdout.decode()
    for name in ("metrics.json", "confusion.png", "coverage.png", "errors.jsonl"):
        assert (report / name).is_file(), name
    assert (report / "confusion.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    info = run("info").stdout.decode()
    assert "科技" in info and "macro-F1" in info
    assert "congress" in run("info", model).stdout.decode()

    pieces = jsonl(run("split", SEED).stdout)
    assert len(pieces) == 8 and pieces[4]["title"] == TRUTH["pieces"][4]["title"]
    assert run("train", "-o", tmp_path / "x.joblib", check_code=2).returncode == 2


def test_every_command_is_a_public_function():
    import newsclass

    for name in ("label_files", "train_files", "evaluate_files", "model_info", "split_page",
                 "split_articles", "load_model", "normalize", "Segmenter", "NewsClassifier"):
        assert callable(getattr(newsclass, name)), name
    assert set(newsclass.__all__) <= set(dir(newsclass))


def test_an_article_the_model_fails_on_is_reported_not_fatal(tmp_path):
    from newsclass import load_model
    from newsclass.batch import label_files

    class Fussy:
        """Wraps the default model; fails on any article that mentions 爆炸."""

        def __init__(self):
            self.model = load_model()

        def predict_details(self, X, k=3, terms=0):
            if any("爆炸" in a.body for a in X):
                raise RuntimeError("boom")
            return self.model.predict_details(X, k=k, terms=terms)

    rows = [{"id": str(i), "text": t} for i, t in enumerate(
        ["市人大常委会召开会议", "化工厂爆炸事故调查", "高考首日考生入场"])]
    path = write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out.jsonl"
    result = label_files([path], out, model=Fussy(), progress=False)
    assert (result.labelled, result.errors) == (2, 1)
    assert [r["id"] for r in jsonl(out)] == ["0", "2"]
    (err,) = jsonl(Path(f"{out}.errors.jsonl"))
    assert err["position"] == "line 2" and "RuntimeError: boom" in err["error"]


def test_no_export_hides_a_module():
    import importlib
    import pkgutil

    import newsclass

    modules = {m.name for m in pkgutil.iter_modules(newsclass.__path__)}
    assert not modules & set(newsclass.__all__)
    for name in modules - {"__main__"}:
        importlib.import_module(f"newsclass.{name}")
    for name in newsclass.__all__:
        getattr(newsclass, name)
    assert all(type(getattr(newsclass, m)).__name__ == "module"
               for m in modules - {"__main__"} if hasattr(newsclass, m))


@pytest.mark.slow
def test_train_default_rebuilds_the_shipped_model(tmp_path, monkeypatch):
    from newsclass import default_model

    pool = default_model.find_real_pool()
    if pool is None:
        pytest.skip("the pool of real articles the default model learned from is not here")
    monkeypatch.setenv("NEWSCLASS_REAL_POOL", str(pool.resolve()))
    (tmp_path / "models").mkdir()  # an output's folder must exist, as for every command
    run_process("train", "--default", "--cv", "0", cwd=tmp_path)
    built = json.loads((tmp_path / "models" / "default_model.npz.json").read_text())
    shipped = json.loads(Path(f"{default_model.default_model_path()}"
                              ".json").read_text())
    assert built["training"] == shipped["training"]
    assert built["parameters"] == shipped["parameters"]
