"""Labelling a whole collection in one batch: streaming, resumable, nothing lost.

:func:`label_files` reads inputs (:mod:`newsclass.readers`), classifies them in chunks,
optionally in worker processes, and appends complete records to the output. Every input
article ends up exactly once in the output or in the error report.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import sys
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from newsclass.labels import label_name
from newsclass.readers import InputArticle, InputError, iter_inputs

__all__ = ["FIELDS", "BatchResult", "label_files", "output_format_of"]

#: Fields of an output record, in order.
FIELDS = ("id", "source", "title", "label", "label_zh", "confidence", "top", "terms",
          "encoding")
ERROR_FIELDS = ("source", "position", "error")
FORMATS = ("jsonl", "csv", "tsv")


@dataclass
class BatchResult:
    """What a batch run did.

    Attributes
    ----------
    labelled : int
        Articles labelled and written in this run (not counting resumed ones).
    errors : int
        Inputs that failed, written to the error report.
    skipped : int
        Articles and errors already in the output when resuming.
    counts : Counter
        Labelled articles per label.
    seconds : float
        Wall time.
    output, error_report : str
        Where records and errors went (``"-"``: stdout / stderr).
    """

    labelled: int = 0
    errors: int = 0
    skipped: int = 0
    counts: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    output: str = "-"
    error_report: str = "-"

    @property
    def rate(self) -> float:
        """Articles labelled per second."""
        return self.labelled / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        """A few lines for people: counts per label, errors and speed."""
        labels = ", ".join(f"{k} {label_name(k)} {v}" for k, v in self.counts.most_common())
        lines = [f"labelled {self.labelled} articles in {self.seconds:.1f} s "
                 f"({self.rate:,.0f} articles/s)" + (f": {labels}" if labels else "")]
        if self.skipped:
            lines.append(f"resumed: {self.skipped} records were already done")
        if self.errors:
            where = "standard error" if self.error_report == "-" else self.error_report
            noun = "input" if self.errors == 1 else "inputs"
            lines.append(f"{self.errors} {noun} failed; see {where}")
        else:
            lines.append("no errors")
        return "\n".join(lines)


def output_format_of(path: str | os.PathLike | None) -> str:
    """Output format implied by a file name: ``csv``, ``tsv``, else ``jsonl``."""
    suffix = Path(str(path or "")).suffix.lower().lstrip(".")
    return suffix if suffix in ("csv", "tsv") else "jsonl"


# -- records -----------------------------------------------------------------------------
def _record(article: InputArticle, detail: dict) -> dict:
    return {
        "id": article.id, "source": article.source, "title": article.title,
        "label": detail["label"], "label_zh": label_name(detail["label"]),
        "confidence": round(detail["confidence"], 4),
        "top": {lab: round(p, 4) for lab, p in detail["top"]},
        "terms": {t: round(w, 4) for t, w in detail["terms"]},
        "encoding": article.encoding,
    }


def _error_record(err: InputError) -> dict:
    return {"source": err.source, "position": err.position, "error": err.error}


def _encode(records: list[dict], fmt: str, fields: tuple[str, ...]) -> bytes:
    if fmt == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter="\t" if fmt == "tsv" else ",", lineterminator="\n")
    for r in records:
        writer.writerow([_cell(r[f]) for f in fields])
    return buf.getvalue().encode()


def _cell(value: Any) -> str:
    if isinstance(value, dict):
        return ";".join(f"{k}:{v}" for k, v in value.items())
    return "" if value is None else str(value)


def _header(fmt: str, fields: tuple[str, ...], excel: bool) -> bytes:
    if fmt == "jsonl":
        return b""
    bom = "\ufeff" if excel else ""
    sep = "\t" if fmt == "tsv" else ","
    return (bom + sep.join(fields) + "\n").encode()


class _Sink:
    """Append-only output. Each chunk goes out in one ``write`` call of complete lines,
    so that a crash, even ``kill -9``, leaves only complete records behind."""

    def __init__(self, target: str, fmt: str, fields: tuple[str, ...], stream: BinaryIO,
                 excel: bool = False, resume: bool = False) -> None:
        self.fmt, self.fields, self.target = fmt, fields, target
        self._stream = stream
        self._fd: int | None = None
        if target != "-":
            exists = resume and os.path.exists(target) and os.path.getsize(target) > 0
            flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if exists else os.O_TRUNC)
            self._fd = os.open(target, flags, 0o644)
            if not exists:
                self._write(_header(fmt, fields, excel))
        else:
            self._write(_header(fmt, fields, excel))

    def _write(self, data: bytes) -> None:
        if not data:
            return
        if self._fd is None:
            self._stream.write(data)
            self._stream.flush()
            return
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view):]

    def write(self, records: list[dict]) -> None:
        self._write(_encode(records, self.fmt, self.fields))

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


# -- resuming ----------------------------------------------------------------------------
def _drop_partial_line(path: str) -> None:
    """Cut a trailing incomplete line left by a crash in the middle of a write."""
    with open(path, "rb+") as fh:
        size = fh.seek(0, os.SEEK_END)
        if size == 0:
            return
        fh.seek(max(0, size - 1))
        if fh.read(1) == b"\n":
            return
        pos, block = size, 1 << 16
        while pos > 0:
            start = max(0, pos - block)
            fh.seek(start)
            chunk = fh.read(pos - start)
            cut = chunk.rfind(b"\n")
            if cut >= 0:
                fh.truncate(start + cut + 1)
                return
            pos = start
        fh.truncate(0)


def _done_keys(path: str, fmt: str, keys: tuple[str, str]) -> set[tuple[str, str]]:
    if not os.path.exists(path):
        return set()
    _drop_partial_line(path)
    done = set()
    with open(path, encoding="utf-8-sig", newline="") as fh:
        if fmt == "jsonl":
            for line in fh:
                if line.strip():
                    rec = json.loads(line)
                    done.add((str(rec[keys[0]]), str(rec[keys[1]])))
        else:
            for rec in csv.DictReader(fh, delimiter="\t" if fmt == "tsv" else ","):
                done.add((rec[keys[0]], rec[keys[1]]))
    return done


# -- classification, in this process or in workers ---------------------------------------
_WORKER_MODEL = None


def _init_worker(model: Any) -> None:
    global _WORKER_MODEL
    _WORKER_MODEL = model


def _classify(model: Any, articles: list[InputArticle], top_k: int,
              explain: int) -> list[dict]:
    """Records of a chunk; an article the model fails on gets an error record instead
    (one with an ``error`` key), found by retrying the chunk's articles one by one."""
    try:
        details = model.predict_details(articles, k=top_k, terms=explain)
        return [_record(a, d) for a, d in zip(articles, details, strict=True)]
    except Exception:
        if len(articles) == 1:
            raise
    out = []
    for article in articles:
        try:
            out += _classify(model, [article], top_k, explain)
        except Exception as exc:
            out.append({"source": article.source, "position": article.position,
                        "error": f"could not be classified: {type(exc).__name__}: {exc}"})
    return out


def _classify_in_worker(articles: list[InputArticle], top_k: int, explain: int) -> list[dict]:
    return _classify(_WORKER_MODEL, articles, top_k, explain)


def _chunks(items: Iterator, size: int) -> Iterator[list]:
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _resolve_model(model: Any, threshold: float | None) -> Any:
    from newsclass.persistence import as_model

    model = as_model(model)
    if threshold is not None:
        model = copy.copy(model)
        model.threshold = threshold
    return model


def label_files(inputs: Iterable[str | os.PathLike], output: str | os.PathLike | None = None,
                *, model: Any = None, output_format: str | None = None, excel: bool = False,
                top_k: int = 3, explain: int = 0, threshold: float | None = None,
                jobs: int = 1, chunk_size: int = 256, resume: bool = False,
                force: bool = False, progress: bool | None = None,
                backend: str = "local", scheduler: str | None = None,
                error_report: str | os.PathLike | None = None,
                stdout: BinaryIO | None = None, stderr: BinaryIO | None = None,
                **read_options: Any) -> BatchResult:
    """Label every article of the given inputs and write one record per article.

    Parameters
    ----------
    inputs : iterable of str or path-like
        Files, folders (searched recursively) and ``"-"`` for standard input; see
        :func:`newsclass.readers.iter_inputs`, which also takes `read_options`
        (``glob``, ``input_format``, ``split``, ``text_field``, ``title_field``,
        ``id_field``, ``encoding``).
    output : str, path-like or None
        Output file; ``None`` or ``"-"`` writes to standard output.
    model : NewsClassifier, str, path-like or None
        A fitted model or the path of a model file; ``None`` uses the default model.
    output_format : {"jsonl", "csv", "tsv"} or None
        Default: from the output's extension, else ``jsonl``.
    excel : bool, default=False
        Start CSV/TSV output with a UTF-8 byte-order mark, so that Excel opens it as UTF-8.
    top_k : int, default=3
        Labels listed in each record's ``top``.
    explain : int, default=0
        Terms listed in each record's ``terms``.
    threshold : float or None
        Override the model's threshold: below it, the label is ``other``.
    jobs : int, default=1
        Worker processes that classify; output keeps input order. With
        ``backend="dask"`` and no `scheduler`: the worker processes of the local Dask
        cluster; ignored with a `scheduler`.
    chunk_size : int, default=256
        Articles classified and written at a time; memory stays bounded by it.
    resume : bool, default=False
        Continue an interrupted run: keep the records already in `output` and its error
        report, and label only what is missing.
    force : bool, default=False
        Overwrite an existing output.
    progress : bool or None
        Show a progress bar on stderr; ``None``: only when stderr is a terminal.
    backend : {"local", "dask"}, default="local"
        Where chunks are classified: in this process or local worker processes
        (`jobs`), or on a Dask cluster (:func:`newsclass.dask.classify_chunks`; needs
        ``newsclass[dask]``). Output, order and error report are the same.
    scheduler : str or None
        Dask scheduler address (``"tcp://host:8786"``) for ``backend="dask"``; ``None``
        starts a local cluster on the loopback interface for this run.
    error_report : str, path-like or None
        Where errors go; default ``<output>.errors.jsonl``, or stderr when writing to
        stdout.
    stdout, stderr : binary streams or None
        Streams used for ``"-"`` (default: the process's).

    Returns
    -------
    BatchResult

    Raises
    ------
    FileExistsError
        If `output` exists and neither `force` nor `resume` is given.
    ValueError
        For bad option values.
    """
    start = time.perf_counter()
    target = "-" if output in (None, "-") else os.fspath(output)
    fmt = output_format or output_format_of(target)
    if fmt not in FORMATS:
        raise ValueError(f"unknown output format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if jobs < 1 or chunk_size < 1 or top_k < 1 or explain < 0:
        raise ValueError("jobs, chunk_size and top_k must be at least 1, explain at least 0")
    if backend not in ("local", "dask"):
        raise ValueError(f"unknown backend {backend!r}; choose local or dask")
    if scheduler is not None and backend != "dask":
        raise ValueError("a scheduler address needs backend='dask' (--backend dask)")
    if target == "-" and resume:
        raise ValueError("--resume needs an output file, not standard output")
    errors_target = os.fspath(error_report) if error_report else (
        "-" if target == "-" else f"{target}.errors.jsonl")
    if target != "-" and os.path.exists(target) and not (force or resume):
        raise FileExistsError(f"output {target} exists; use --force to overwrite it or "
                              "--resume to continue it")
    model = _resolve_model(model, threshold)

    done = _done_keys(target, fmt, ("source", "id")) if resume else set()
    done_errors = (_done_keys(errors_target, "jsonl", ("source", "position"))
                   if resume and errors_target != "-" else set())
    out_stream = stdout or sys.stdout.buffer
    err_stream = stderr or sys.stderr.buffer
    sink = _Sink(target, fmt, FIELDS, out_stream, excel=excel, resume=resume)
    err_sink = _Sink(errors_target, "jsonl", ERROR_FIELDS, err_stream, resume=resume)
    result = BatchResult(output=target, error_report=errors_target)

    from tqdm import tqdm

    show = progress if progress is not None else sys.stderr.isatty()
    bar = tqdm(disable=not show, unit=" articles", file=sys.stderr, dynamic_ncols=True)

    def pending() -> Iterator[InputArticle]:
        # Errors are written as they come, in order with the chunks around them.
        errors: list[dict] = []
        for item in iter_inputs(inputs, **read_options):
            if isinstance(item, InputError):
                if (item.source, item.position) in done_errors:
                    result.skipped += 1
                    continue
                errors.append(_error_record(item))
                result.errors += 1
                if len(errors) >= chunk_size:
                    err_sink.write(errors)
                    errors = []
                continue
            if (item.source, item.id) in done:
                result.skipped += 1
                continue
            yield item
        err_sink.write(errors)

    def emit(records: list[dict]) -> None:
        failed = [r for r in records if "error" in r]
        if failed:
            records = [r for r in records if "error" not in r]
            err_sink.write(failed)
            result.errors += len(failed)
        sink.write(records)
        result.labelled += len(records)
        result.counts.update(r["label"] for r in records)
        bar.update(len(records))

    try:
        chunks = _chunks(pending(), chunk_size)
        if backend == "dask":
            from newsclass.dask import classify_chunks

            classify_chunks(model, chunks, top_k, explain, emit, scheduler=scheduler,
                            n_workers=jobs)
        elif jobs == 1:
            for chunk in chunks:
                emit(_classify(model, chunk, top_k, explain))
        else:
            _run_parallel(model, chunks, jobs, top_k, explain, emit)
    finally:
        bar.close()
        sink.close()
        err_sink.close()
    result.seconds = time.perf_counter() - start
    return result


def _run_parallel(model: Any, chunks: Iterator[list], jobs: int, top_k: int, explain: int,
                  emit) -> None:
    """Classify chunks in `jobs` processes: this one and ``jobs - 1`` workers.

    This process takes every `jobs`-th chunk itself: it has the model loaded already, so
    work starts at once while the workers start up. (A smaller share for this process,
    which also reads and writes, measured slower: the workers pay for pickling.)
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # "spawn" would re-import the caller's __main__; "forkserver" is safe with threads and
    # exists on POSIX; elsewhere the platform default is used.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else None)
    in_flight: deque = deque()  # futures and finished results, in input order
    window = 4 * jobs  # chunks held in memory at most
    with ProcessPoolExecutor(jobs - 1, mp_context=context, initializer=_init_worker,
                             initargs=(model,)) as pool:
        for i, chunk in enumerate(chunks):
            if i % jobs == jobs - 1:
                in_flight.append(_classify(model, chunk, top_k, explain))
            else:
                in_flight.append(pool.submit(_classify_in_worker, chunk, top_k, explain))
            while in_flight and (len(in_flight) >= window or _ready(in_flight[0])):
                emit(_result(in_flight.popleft()))
        while in_flight:
            emit(_result(in_flight.popleft()))


def _ready(item: Any) -> bool:
    return isinstance(item, list) or item.done()


def _result(item: Any) -> list[dict]:
    return item if isinstance(item, list) else item.result()
