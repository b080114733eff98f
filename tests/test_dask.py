"""The Dask backend, on a real two-worker cluster listening on 127.0.0.1 only."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newsclass.batch import label_files
from newsclass.default_model import read_corpus
from newsclass.training import train_files

pytestmark = pytest.mark.slow
#: Imported when a test of this module runs, not when it is collected: a run without the
#: slow tests does not pay for importing Dask.
distributed = dd = None


@pytest.fixture(scope="module", autouse=True)
def dask_modules():
    global distributed, dd
    distributed = pytest.importorskip("distributed")
    dd = pytest.importorskip("dask.dataframe")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def address(cluster) -> str:
    return cluster.scheduler_address


@pytest.fixture(scope="module")
def observer(address):
    """A client that only watches which tasks the scheduler runs."""
    with distributed.Client(address, set_as_default=False) as client:
        yield client


def task_names(stream) -> list[str]:
    return [distributed.utils.key_split(task["key"]) for task in stream.data]


@pytest.fixture(scope="module")
def corpus():
    return read_corpus()


@pytest.fixture(scope="module")
def model():
    from newsclass import load_model

    return load_model()


def write_articles(path: Path, articles: list[dict], bad_every: int = 0) -> Path:
    """Articles as JSONL; with `bad_every`, a broken line after every that many."""
    lines = []
    for n, a in enumerate(articles, 1):
        lines.append(json.dumps({"id": a["id"], "title": a["title"], "text": a["body"]},
                                ensure_ascii=False))
        if bad_every and n % bad_every == 0:
            lines.append('{"id": "broken", "text": ' if n % 2 else '{"id": 7, "text": 12}')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_label_files_dask_is_byte_identical_to_local(tmp_path, corpus, address, observer):
    articles, _ = corpus
    # Every label is in the bundled corpus in order; a stride mixes them.
    chosen = articles[::3]
    path = write_articles(tmp_path / "in.jsonl", chosen, bad_every=41)
    options = {"chunk_size": 16, "explain": 2, "progress": False}
    local = label_files([path], tmp_path / "local.jsonl", **options)
    with distributed.get_task_stream(client=observer) as stream:
        dask = label_files([path], tmp_path / "dask.jsonl", backend="dask",
                           scheduler=address, **options)
    # One task per chunk of 16 items of the input stream (broken lines included), spread
    # over both workers.
    items = len(chosen) + len(chosen) // 41
    assert task_names(stream) == ["classify"] * -(-items // 16)
    assert len({task["worker"] for task in stream.data}) == 2
    out = (tmp_path / "local.jsonl").read_bytes()
    assert out == (tmp_path / "dask.jsonl").read_bytes()
    errors = (tmp_path / "local.jsonl.errors.jsonl").read_bytes()
    assert errors == (tmp_path / "dask.jsonl.errors.jsonl").read_bytes()
    # Nothing lost, in input order, and the errors really happened.
    assert [json.loads(line)["id"] for line in out.splitlines()] == [a["id"] for a in chosen]
    assert dask.labelled == local.labelled == len(chosen)
    assert dask.errors == local.errors == len(chosen) // 41 > 0
    assert len(errors.splitlines()) == dask.errors
    assert dask.counts == local.counts and len(dask.counts) == 5


def test_backend_option_errors(tmp_path, monkeypatch):
    from newsclass import dask as nc_dask

    path = write_articles(tmp_path / "in.jsonl", [{"id": "1", "title": "", "body": "人大"}])
    with pytest.raises(ValueError, match="backend"):
        label_files([path], tmp_path / "a.jsonl", backend="spark")
    with pytest.raises(ValueError, match="dask"):
        label_files([path], tmp_path / "b.jsonl", scheduler="tcp://127.0.0.1:8786")
    with pytest.raises(ValueError, match="dask"):
        train_files([path], scheduler="tcp://127.0.0.1:8786")
    monkeypatch.setattr(nc_dask, "CONNECT_TIMEOUT", 1)
    with pytest.raises(nc_dask.DaskBackendError, match="cannot connect"):
        label_files([path], tmp_path / "c.jsonl", backend="dask",
                    scheduler="tcp://127.0.0.1:9", force=True)


def test_label_dataframe_equals_predict(corpus, model, address):
    import pandas as pd

    from newsclass.dask import label_dataframe

    articles, _ = corpus
    chosen = articles[::9]
    pdf = pd.DataFrame({"title": [a["title"] for a in chosen],
                        "text": [a["body"] for a in chosen]})
    pdf.loc[len(pdf)] = ["无正文", None]          # a missing text
    ddf = dd.from_pandas(pdf, npartitions=4)
    labelled = label_dataframe(ddf, "text", title_column="title", top_k=2)
    assert list(labelled.columns) == ["title", "text", "label", "label_zh", "confidence",
                                      "top"]
    with distributed.Client(address, set_as_default=False) as client:
        result = client.compute(labelled).result()
    assert len(result) == len(pdf)
    assert (result.dtypes == labelled.dtypes).all()
    known, missing = result.iloc[:-1], result.iloc[-1]
    details = model.predict_details(chosen, k=2)
    assert known["label"].tolist() == model.predict(chosen).tolist()
    assert known["label"].tolist() == [d["label"] for d in details]
    assert known["confidence"].tolist() == pytest.approx([d["confidence"] for d in details])
    assert known["top"].tolist() == [";".join(f"{k}:{round(p, 4)}" for k, p in d["top"])
                                     for d in details]
    assert set(known["label_zh"]) <= {"科技", "人大", "教育", "慈善", "其他"}
    assert pd.isna(missing["label"]) and pd.isna(missing["confidence"])
    # Without a title column the text alone is classified.
    bodies = label_dataframe(dd.from_pandas(pdf.iloc[:-1], npartitions=2), "text")
    assert bodies.compute(scheduler="sync")["label"].tolist() == \
        model.predict([a["body"] for a in chosen]).tolist()


def test_label_dataframe_is_lazy():
    import pandas as pd

    from newsclass.dask import label_dataframe

    class Exploding:
        def predict_details(self, *args, **kwargs):
            raise RuntimeError("classified too early")

    ddf = dd.from_pandas(pd.DataFrame({"text": ["人大代表", "芯片"]}), npartitions=1)
    labelled = label_dataframe(ddf, "text", model=Exploding())   # builds the graph only
    with pytest.raises(RuntimeError, match="too early"):
        labelled.compute(scheduler="sync")
    with pytest.raises(KeyError):
        label_dataframe(ddf, "body", model=Exploding())


def test_train_files_dask_gives_local_metrics_and_model(tmp_path, corpus, address, observer):
    articles, labels = corpus
    rows = [{"id": a["id"], "title": a["title"], "text": a["body"], "label": y}
            for a, y in zip(articles[::3], labels[::3], strict=True)]
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    local = train_files([path], cv=3, min_df=2)
    with distributed.get_task_stream(client=observer) as stream:
        dask = train_files([path], cv=3, min_df=2, backend="dask", scheduler=address)
    # The final fit and the three folds (joblib batches) ran on the cluster.
    names = task_names(stream)
    assert names.count("batch_of_fit_1_calls") == 1
    assert names.count("batch_of_fit_predict_1_calls") == 3
    assert local.metrics["cv"]["folds"] == 3
    assert dask.metrics == local.metrics
    assert dask.model.training_sha256_ == local.model.training_sha256_
    probe = [a["body"] for a in articles[1::50]]
    assert (dask.model.predict_proba(probe) == local.model.predict_proba(probe)).all()


def test_cli_label_on_a_scheduler(tmp_path, corpus, address):
    articles, _ = corpus
    path = write_articles(tmp_path / "in.jsonl", articles[1::5])
    label_files([path], tmp_path / "local.csv", progress=False)
    proc = subprocess.run([sys.executable, "-m", "newsclass", "label", str(path), "-o",
                           str(tmp_path / "dask.csv"), "--backend", "dask", "--scheduler",
                           address, "-q"], capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    out = (tmp_path / "dask.csv").read_bytes()
    assert out == (tmp_path / "local.csv").read_bytes()
    assert len(out.splitlines()) == 1 + len(articles[1::5])


@pytest.mark.slow
def test_a_worker_killed_mid_run_loses_and_repeats_nothing(tmp_path, corpus):
    """SIGKILL one of two worker processes while chunks are in flight: every item of the
    input still ends up exactly once in the output or the error report, in order."""
    articles, _ = corpus
    copies = [dict(a, id=f"{a['id']}#{n}") for n in range(8) for a in articles]
    path = write_articles(tmp_path / "in.jsonl", copies, bad_every=997)
    local = label_files([path], tmp_path / "local.jsonl", progress=False)
    out = tmp_path / "dask.jsonl"
    started = time.monotonic()
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  host="127.0.0.1", dashboard_address=None) as cluster, \
            distributed.Client(cluster, set_as_default=False) as client:
        pids = client.run(os.getpid)
        assert len(pids) == 2
        victim = min(pids.values())
        proc = subprocess.Popen([sys.executable, "-m", "newsclass", "label", str(path),
                                 "-o", str(out), "--backend", "dask", "--scheduler",
                                 cluster.scheduler_address, "-q"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        written_then = None
        try:
            while proc.poll() is None and time.monotonic() - started < 50:
                if out.exists() and out.stat().st_size > 0:  # a first chunk is written
                    os.kill(victim, signal.SIGKILL)
                    written_then = len(out.read_bytes().splitlines())
                    break
                time.sleep(0.005)
            _, err = proc.communicate(timeout=max(1, 55 - (time.monotonic() - started)))
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == 1, err.decode(errors="replace")  # 1: the broken lines
        assert b"Traceback" not in err
        assert victim not in client.run(os.getpid).values()
        # The worker took chunks with it (one it was classifying, or results not yet
        # gathered), which the scheduler ran again.
        lost = {key for key, start, finish, *_, stimulus, _ in cluster.scheduler.transition_log
                if str(key).startswith("classify") and start in ("processing", "memory")
                and finish == "released" and "worker" in stimulus}
        assert lost
    assert written_then is not None, "the run ended before a worker could be killed"
    assert written_then <= len(copies) - 4 * 512     # chunks were still to come
    # Byte for byte the output and error report of a local run: nothing lost, nothing
    # twice, in input order.
    assert out.read_bytes() == (tmp_path / "local.jsonl").read_bytes()
    errors = Path(f"{out}.errors.jsonl").read_bytes()
    assert errors == (tmp_path / "local.jsonl.errors.jsonl").read_bytes()
    ids = [json.loads(line)["id"] for line in out.read_bytes().splitlines()]
    assert ids == [a["id"] for a in copies]
    positions = [json.loads(line)["position"] for line in errors.splitlines()]
    assert len(positions) == len(set(positions)) == local.errors == len(copies) // 997
    manifest = json.loads(Path(f"{out}.run.json").read_text(encoding="utf-8"))
    assert manifest["complete"] and manifest["done"] == len(copies) + local.errors
    assert time.monotonic() - started < 60


def test_import_newsclass_and_cli_do_not_import_dask():
    code = ("import sys, newsclass, newsclass.cli, newsclass.batch, newsclass.training, "
            "newsclass.dask; newsclass.cli.build_parser(); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('dask', 'distributed')))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    assert proc.stdout.strip() == "[]"
