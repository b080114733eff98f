"""Nothing lost, every failure explained: resume by position, refused outputs, workers that
die with their parent, plain messages, limits."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsclass.batch import Interrupted, label_files
from newsclass.manifest import ResumeError
from tests.clitools import newsclass
from tests.conftest import examples

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "seeds" / "000_5c64d9000366f065.txt"
REPEATED = [{"id": "a", "text": "人大常委会召开会议"}, {"id": "a", "text": "市慈善总会开展一日捐"},
            {"id": "b", "text": "高考报名开始"}]


def run(*args, stdin: bytes | None = None, cwd: Path | None = None, code: int | None = 0):
    """``newsclass ARGS`` in this process; signals and ``kill -9`` use processes below."""
    return newsclass(*args, stdin=stdin, cwd=cwd, code=code)


def write(path: Path, rows: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False))
                            + "\n" for r in rows), encoding="utf-8")
    return path


class StopAfter:
    """A model that raises KeyboardInterrupt (as Ctrl-C does) at its n-th chunk."""

    def __init__(self, model, chunks: int) -> None:
        self.model, self.left = model, chunks

    def predict_details(self, articles, k=3, terms=0):
        if self.left == 0:
            raise KeyboardInterrupt
        self.left -= 1
        return self.model.predict_details(articles, k=k, terms=terms)


@pytest.fixture(scope="module")
def model():
    from newsclass import load_model

    return load_model()


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


# -- 1. resume counts positions in the input stream -------------------------------------
def test_resume_with_repeated_ids_loses_nothing(tmp_path, model, monkeypatch):
    data = write(tmp_path / "d.jsonl", REPEATED)
    full = tmp_path / "full.jsonl"
    label_files([data], full, model=model, progress=False)
    part = tmp_path / "part.jsonl"
    import newsclass.batch as batch

    monkeypatch.setattr(batch, "model_fingerprint", lambda m: "same model")
    with pytest.raises(Interrupted) as stop:
        label_files([data], part, model=StopAfter(model, 1), chunk_size=1, progress=False)
    assert stop.value.result.labelled == 1 and len(lines(part)) == 1
    result = label_files([data], part, model=model, chunk_size=1, resume=True,
                         progress=False)
    assert result.skipped == 1 and result.labelled == 2
    assert part.read_bytes() == full.read_bytes()
    assert [json.loads(x)["id"] for x in lines(part)] == ["a", "a", "b"]


def test_resume_without_a_manifest_is_refused(tmp_path):
    data = write(tmp_path / "d.jsonl", REPEATED)
    run("label", data, "-o", tmp_path / "o.jsonl", "-q")
    (tmp_path / "p.jsonl").write_text(lines(tmp_path / "o.jsonl")[0] + "\n")
    proc = run("label", data, "-o", tmp_path / "p.jsonl", "--resume", code=2)
    assert "manifest" in proc.stderr.decode()
    assert len(lines(tmp_path / "p.jsonl")) == 1  # left as it was


def test_resume_refuses_other_inputs_or_settings(tmp_path, model):
    data = write(tmp_path / "d.jsonl", REPEATED)
    out = tmp_path / "o.jsonl"
    with pytest.raises(Interrupted):
        label_files([data], out, model=StopAfter(model, 1), chunk_size=1, progress=False)
    with pytest.raises(ResumeError, match="threshold"):
        label_files([data], out, model=model, resume=True, threshold=0.5, progress=False)
    with pytest.raises(ResumeError, match="explain"):
        label_files([data], out, model=model, resume=True, explain=2, progress=False)
    with open(data, "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"id": "c", "text": "新学期开学"}, ensure_ascii=False) + "\n")
    with pytest.raises(ResumeError, match="inputs differ"):
        label_files([data], out, model=model, resume=True, progress=False)
    with pytest.raises(ResumeError, match="standard input"):
        label_files(["-"], out, model=model, resume=True, progress=False)


rows = st.lists(st.one_of(
    st.sampled_from([*REPEATED, {"id": "b", "text": "科技创新大会召开"},
                     {"text": "实验室研制新型材料"}]),
    st.sampled_from(["", "   ", '{"id": "x", "text": ', '{"id": "y"}', '{"text": ""}'])),
    min_size=1, max_size=14)


@settings(max_examples=examples(25), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stream=rows, chunk=st.integers(1, 4), stop=st.integers(0, 6),
       tail=st.binary(max_size=30))
def test_interrupt_then_resume_equals_an_uninterrupted_run(tmp_path_factory, model, stream,
                                                            chunk, stop, tail):
    tmp = tmp_path_factory.mktemp("prop")
    data = write(tmp / "in.jsonl", stream)
    full, part = tmp / "full.jsonl", tmp / "part.jsonl"
    label_files([data], full, model=model, chunk_size=chunk, progress=False)
    import newsclass.batch as batch

    fingerprint = batch.model_fingerprint
    batch.model_fingerprint = lambda m: fingerprint(getattr(m, "model", m))
    try:
        try:
            label_files([data], part, model=StopAfter(model, stop), chunk_size=chunk,
                        progress=False)
        except Interrupted:
            pass
        # A crash in the middle of a write leaves bytes after the last checkpoint.
        with open(part, "ab") as fh:
            fh.write(tail)
        with open(f"{part}.errors.jsonl", "ab") as fh:
            fh.write(tail)
        label_files([data], part, model=model, chunk_size=chunk, resume=True, progress=False)
    finally:
        batch.model_fingerprint = fingerprint
    assert part.read_bytes() == full.read_bytes()
    assert Path(f"{part}.errors.jsonl").read_bytes() == Path(f"{full}.errors.jsonl").read_bytes()


# -- 2. an output that is an input ------------------------------------------------------
def test_output_that_is_an_input_is_refused(tmp_path):
    data = write(tmp_path / "same.jsonl", REPEATED)
    before = data.read_bytes()
    proc = run("label", data, "-o", data, "--force", code=2)
    assert "one of the inputs" in proc.stderr.decode() and data.read_bytes() == before
    folder = tmp_path / "dir"
    folder.mkdir()
    write(folder / "in.jsonl", REPEATED)
    run("label", folder, "-o", folder / "out.jsonl", code=2)
    assert sorted(os.listdir(folder)) == ["in.jsonl"]
    # Beside the inputs but not matched by the glob is fine.
    run("label", folder, "--glob", "in.*", "-o", folder / "out.jsonl", "-q")
    assert len(lines(folder / "out.jsonl")) == 3


# -- 3. workers die with their parent ---------------------------------------------------
def _descendants(pid: int) -> set[int]:
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, pp in parents.items() if pp in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.slow
def test_kill_9_of_the_parent_ends_the_workers(tmp_path):
    from newsclass.default_model import read_corpus

    articles, _ = read_corpus()
    data = write(tmp_path / "in.jsonl", [{"id": f"{a['id']}-{k}", "text": a["body"]}
                                         for k in range(6) for a in articles])
    out = tmp_path / "o.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "newsclass", "label", str(data), "-o",
                             str(out), "-q", "--jobs", "2"], stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    workers: set[int] = set()
    while time.time() < deadline and (not out.exists() or out.stat().st_size < 20_000
                                      or not workers):
        time.sleep(0.05)
        workers = _descendants(proc.pid)
    assert workers, "no worker processes were started"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.time() + 10
    while time.time() < deadline and any(_alive(p) for p in workers):
        time.sleep(0.1)
    assert not [p for p in workers if _alive(p)]


# -- 4. plain messages, exit 2 -----------------------------------------------------------
@pytest.mark.parametrize("args, words", [
    (["--jobs", "0"], "--jobs"), (["--top-k", "0"], "--top-k"),
    (["--explain", "-1"], "--explain"), (["--threshold", "1.5"], "--threshold"),
    (["--threshold", "nan"], "--threshold"), (["-o", "out.xlsx"], "out.xlsx"),
    (["--excel"], "excel"), (["-o", "missing/o.jsonl"], "does not exist")])
def test_usage_errors_name_the_option(tmp_path, args, words):
    data = write(tmp_path / "d.jsonl", REPEATED)
    err = run("label", data, *args, cwd=tmp_path, code=2).stderr.decode()
    assert words in err and "chunk_size" not in err


def test_unwritable_output_is_a_plain_error(tmp_path):
    data = write(tmp_path / "d.jsonl", REPEATED)
    (tmp_path / "adir").mkdir()
    err = run("label", data, "-o", tmp_path / "adir", "--force", code=2).stderr.decode()
    assert "cannot write" in err and "directory" in err


def test_ctrl_c_says_what_was_written_and_resume_continues(tmp_path):
    from newsclass.default_model import read_corpus

    articles, _ = read_corpus()
    data = write(tmp_path / "in.jsonl", [{"id": f"{a['id']}-{k}", "text": a["body"]}
                                         for k in range(2) for a in articles])
    out, full = tmp_path / "o.jsonl", tmp_path / "full.jsonl"
    run("label", data, "-o", full, "-q")
    proc = subprocess.Popen([sys.executable, "-m", "newsclass", "label", str(data), "-o",
                             str(out), "-q"], stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while time.time() < deadline and (not out.exists() or out.stat().st_size < 20_000):
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    err = proc.communicate(timeout=60)[1].decode()
    assert proc.returncode == 130, err
    assert "interrupted" in err and "--resume" in err and "Traceback" not in err
    assert 0 < len(lines(out)) < 2 * len(articles)
    run("label", data, "-o", out, "-q", "--resume")
    assert out.read_bytes() == full.read_bytes()


# -- 5. reasons reach the terminal --------------------------------------------------------
def test_reasons_reach_the_terminal(tmp_path):
    err = run("label", "nope.jsonl", "-o", "o.jsonl", cwd=tmp_path, code=1).stderr.decode()
    assert "nope.jsonl: unreadable file: not found" in err
    err = run("train", "nope.jsonl", "-o", "m.joblib", cwd=tmp_path, code=2).stderr.decode()
    assert "not found" in err
    data = write(tmp_path / "d.jsonl", [dict(r, label="congress") for r in REPEATED])
    err = run("evaluate", data, "--label-field", "typo", code=2).stderr.decode()
    assert "missing field 'typo'" in err
    err = run("label", data, "--title-field", "titel", "-o", tmp_path / "o2.jsonl",
              ).stderr.decode()
    assert "'titel'" in err and "none of the 3 records" in err


# -- 6. evaluate with other label names ---------------------------------------------------
def test_evaluate_unknown_labels_warns_and_label_map_fixes_it(tmp_path):
    data = write(tmp_path / "zh.jsonl", [
        {"text": "市人大常委会召开第二十次会议，审议地方性法规草案", "label": "人大"},
        {"text": "高考报名工作开始，考生须在网上完成信息确认", "label": "教育"}])
    proc = run("evaluate", data, code=1)
    assert "does not know" in proc.stderr.decode() and "--label-map" in proc.stderr.decode()
    proc = run("evaluate", data, "--label-map", "人大=congress,教育=education")
    assert "accuracy 1.0000" in proc.stdout.decode()
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"人大": "congress", "教育": "education"}), encoding="utf-8")
    assert "accuracy 1.0000" in run("evaluate", data, "--label-map", mapping).stdout.decode()


# -- 7. stdin is sniffed -----------------------------------------------------------------
def test_a_page_on_stdin_is_split_not_parsed_as_json():
    records = run("label", "-", "-q", stdin=SEED.read_bytes()).stdout.decode().splitlines()
    assert len(records) == 8
    csv_in = "id,text\n1,市人大常委会召开会议\n".encode()
    assert json.loads(run("label", "-", "-q", stdin=csv_in).stdout)["label"] == "congress"


# -- 9, 10, 11. limits -------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_50_mb_article_stays_under_1_gb(tmp_path):
    body = "科技创新推动高质量发展，" * (50_000_000 // 36)
    data = write(tmp_path / "big.jsonl", [{"id": "big", "text": body}])
    del body
    # VmHWM: this process's peak RSS (ru_maxrss would count the forked test process).
    script = ("import re, sys\n"
              "from newsclass.batch import label_files\n"
              "r = label_files([sys.argv[1]], sys.argv[2], progress=False)\n"
              "status = open('/proc/self/status').read()\n"
              "print(r.labelled, r.truncated, re.search(r'VmHWM:\\s*(\\d+)', status)[1])\n")
    proc = subprocess.run([sys.executable, "-c", script, str(data), str(tmp_path / "o.jsonl")],
                          capture_output=True, timeout=300, check=True)
    labelled, truncated, peak_kb = map(int, proc.stdout.split())
    assert labelled == 1 and truncated == 1
    assert peak_kb < 1_000_000, f"peak RSS {peak_kb / 1024:.0f} MB"
    record = json.loads(lines(tmp_path / "o.jsonl")[0])
    assert record["truncated"] > 16_000_000 and record["label"] == "tech"


def test_a_headline_without_a_body_is_labelled_from_the_headline(tmp_path):
    data = write(tmp_path / "t.jsonl", [{"id": "t", "title": "市人大常委会召开第二十次会议",
                                         "text": ""}])
    record = json.loads(run("label", data, "-q").stdout)
    assert record["id"] == "t" and record["label"] == "congress"


def test_an_unsure_encoding_is_said(tmp_path):
    japanese = ("東京都は本日、新型コロナウイルスの感染者が新たに確認されたと発表しました。"
                "学校の再開については、文部科学省が指針を示す予定です。")
    (tmp_path / "ja.txt").write_bytes(japanese.encode("shift_jis"))
    proc = run("label", tmp_path / "ja.txt", "--no-split")
    assert json.loads(proc.stdout)["encoding"] == "gb18030?"
    assert "guessed encoding" in proc.stderr.decode()
    chinese = "市人大常委会召开第二十次会议，审议地方性法规草案。"
    (tmp_path / "zh.txt").write_bytes(chinese.encode("gbk"))
    assert json.loads(run("label", tmp_path / "zh.txt", "--no-split", "-q").stdout)[
        "encoding"] == "gb18030"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork is for Linux")
def test_workers_are_forked_only_from_a_process_without_threads():
    # A fresh process (with a progress bar, which must not start a thread) forks; one
    # that runs another thread uses the fork server.
    code = ("import threading, sys\n"
            "from newsclass.batch import _progress_bar\n"
            "from newsclass.runners import start_method\n"
            "bar = _progress_bar(True)\n"
            "bar.update(3)\n"
            "first = start_method()\n"
            "threading.Thread(target=threading.Event().wait, args=(5,), daemon=True).start()\n"
            "print(first, start_method())\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.split() == ["fork", "forkserver"]

