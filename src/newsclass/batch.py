"""Labelling a whole collection in one batch: streaming, resumable, nothing lost.

:func:`label_files` reads inputs (:mod:`newsclass.readers`), classifies them in chunks
(:mod:`newsclass.runners`, or :mod:`newsclass.dask`), and appends complete records to
the output and errors to the error report (:mod:`newsclass.writers`). Every item of the
input stream ends up exactly once in the output or in the error report, and a run
manifest (:mod:`newsclass.manifest`) beside the output says how far the run got, so
that ``resume=True`` continues an interrupted run exactly where it stopped.
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from itertools import islice
from typing import Any, BinaryIO

from newsclass.charsets import UNSURE_MARK
from newsclass.decision import check_fallback, check_threshold
from newsclass.default_model import as_model
from newsclass.formats import (
    InputArticle,
    InputError,
    ReadOptions,
    describe_error,
    field_names,
)
from newsclass.labels import label_name
from newsclass.manifest import (
    ResumeError,
    RunManifest,
    input_fingerprint,
    manifest_path,
    model_fingerprint,
    read_manifest,
)
from newsclass.readers import input_files, read_inputs, would_read
from newsclass.runners import DetailOptions, check_backend, run_pool, run_serial
from newsclass.writers import (
    ERROR_FIELDS,
    FIELDS,
    OUTPUT_FORMATS,
    TEXT_FIELDS,
    OutputError,
    Sink,
    check_output,
    error_record,
    label_record,
    output_format_of,
    record_fields,
)

__all__ = ["FIELDS", "MAX_CHARS", "BatchResult", "Interrupted", "LabelOptions", "label_files",
           "output_format_of", "truncate_text"]

#: Characters of an article (title and body) that are classified; a longer article is
#: classified from its start and its record says ``truncated`` (its full length), so that
#: memory stays bounded by the chunk, not by the longest article.
MAX_CHARS = 100_000
#: Errors quoted in the summary.
SHOWN_ERRORS = 5
_DEFAULT_FIELDS = {"title_field": "title", "id_field": "id"}


@dataclass
class BatchResult:
    """What a batch run did.

    Attributes
    ----------
    labelled : int
        Articles labelled and written in this run (not counting resumed ones).
    errors : int
        Inputs that failed in this run, written to the error report.
    skipped : int
        Items of the input stream (articles and errors) already done when resuming.
    counts : Counter
        Labelled articles per label.
    seconds : float
        Wall time.
    output, error_report : str
        Where records and errors went (``"-"``: stdout / stderr).
    first_errors : list of dict
        The first few error records, to show with the summary.
    truncated : int
        Articles classified from their first :data:`MAX_CHARS` characters only.
    guessed_encoding : int
        Articles whose encoding was detected but unsure (``encoding`` ends in ``?``).
    warnings : list of str
        Things worth a look, such as a named field that no record has.
    """

    labelled: int = 0
    errors: int = 0
    skipped: int = 0
    counts: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    output: str = "-"
    error_report: str = "-"
    first_errors: list = field(default_factory=list)
    truncated: int = 0
    guessed_encoding: int = 0
    warnings: list = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Articles labelled per second."""
        return self.labelled / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        """A few lines for people: counts per label, errors with reasons, and speed."""
        labels = ", ".join(f"{k} {label_name(k)} {v}" for k, v in self.counts.most_common())
        lines = [f"labelled {self.labelled} articles in {self.seconds:.1f} s "
                 f"({self.rate:,.0f} articles/s)" + (f": {labels}" if labels else "")]
        if self.skipped:
            lines.append(f"resumed: {self.skipped} inputs were already done")
        if self.truncated:
            lines.append(f"{self.truncated} articles longer than {MAX_CHARS:,} characters "
                         "were labelled from their start (see 'truncated' in the records)")
        if self.guessed_encoding:
            lines.append(f"{self.guessed_encoding} articles were decoded in a guessed "
                         "encoding (their 'encoding' ends in '?'); check them or give "
                         "--encoding")
        lines += [f"warning: {w}" for w in self.warnings]
        if self.errors:
            where = "standard error" if self.error_report == "-" else self.error_report
            noun = "input" if self.errors == 1 else "inputs"
            lines.append(f"{self.errors} {noun} failed; see {where}")
            lines += ["  " + describe_error(**e) for e in self.first_errors]
            if self.errors > len(self.first_errors):
                lines.append(f"  … and {self.errors - len(self.first_errors)} more")
        else:
            lines.append("no errors")
        return "\n".join(lines)


class Interrupted(KeyboardInterrupt):
    """A run stopped by Ctrl-C (``KeyboardInterrupt``); ``result`` says what was written.

    Everything up to the last whole chunk is in the output and recorded in the run
    manifest, so ``resume=True`` continues it.
    """

    def __init__(self, result: BatchResult) -> None:
        super().__init__("interrupted")
        self.result = result


# -- options ---------------------------------------------------------------------------
def _check_int(name: str, value: Any, least: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ValueError(f"{name} must be a whole number of at least {least}, got {value!r}")


def _keep_text(value: Any) -> int | None:
    """``keep_text`` as :func:`newsclass.writers.label_record` takes it."""
    if value is None or value is False:
        return None
    if value is True:
        return 0
    _check_int("keep_text", value, 1)
    return value


def _keep_fields(names: Any) -> tuple[str, ...]:
    """`keep_fields` checked for an output record: names it can take."""
    names = field_names(names)
    taken = [n for n in names if n in FIELDS or n in TEXT_FIELDS]
    if taken:
        raise ValueError(f"keep_fields cannot keep {taken[0]!r}: the output record has a "
                         "field of that name")
    if len(set(names)) != len(names):
        raise ValueError(f"keep_fields names a field twice: {list(names)}")
    return names


@dataclass(frozen=True)
class LabelOptions:
    """How a batch classifies and writes: the options of :func:`label_files` but its
    inputs and outputs, checked once and frozen for the run.

    Raises
    ------
    ValueError
        For a bad value; the message names the option.
    """

    top_k: int = 3
    explain: int = 0
    threshold: float | None = None
    jobs: int = 1
    chunk_size: int = 512
    max_chars: int = MAX_CHARS
    resume: bool = False
    excel: bool = False
    progress: bool | None = None
    backend: str = "local"
    scheduler: str | None = None
    keep_text: int | None = None
    keep_fields: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name, least in (("jobs", 1), ("chunk_size", 1), ("top_k", 1), ("explain", 0),
                            ("max_chars", 1)):
            _check_int(name, getattr(self, name), least)
        check_backend(self.backend, self.scheduler)
        if self.threshold is not None:
            check_threshold(self.threshold)
        if self.scheduler is not None and self.jobs != 1:
            raise ValueError("jobs sets the size of a local Dask cluster; with a scheduler "
                             "the cluster's own workers run the chunks: drop jobs")
        object.__setattr__(self, "keep_text", _keep_text(self.keep_text))
        object.__setattr__(self, "keep_fields", _keep_fields(self.keep_fields))

    @property
    def details(self) -> DetailOptions:
        """What each article's details list."""
        return DetailOptions(self.top_k, self.explain, self.threshold)


@dataclass
class _Targets:
    output: str
    fmt: str
    errors: str
    manifest: str | None


def _targets(inputs: list, output: Any, output_format: str | None, excel: bool,
             error_report: Any, read_options: ReadOptions) -> _Targets:
    target = "-" if output in (None, "-") else os.fspath(output)
    fmt = output_format or output_format_of(target)
    if fmt not in OUTPUT_FORMATS:
        raise OutputError(
            f"unknown output format {output_format!r}; choose one of "
            f"{', '.join(OUTPUT_FORMATS)}" if output_format else
            f"cannot tell the output format of {target}: name it .jsonl, .csv or .tsv, or "
            "give the format")
    if excel and fmt == "jsonl":
        raise OutputError("excel output is CSV or TSV with a byte-order mark: name the "
                          "output .csv or .tsv (or give the format) to use it")
    errors = os.fspath(error_report) if error_report else (
        "-" if target == "-" else f"{target}.errors.jsonl")
    t = _Targets(target, fmt, errors, None if target == "-" else manifest_path(target))
    where = {"glob": read_options.glob, "input_format": read_options.input_format}
    for path in (t.output, t.errors, t.manifest):
        if path in (None, "-"):
            continue
        check_output(path, force=True)
        if would_read(inputs, path, **where):
            raise OutputError(f"cannot write {path}: it is one of the inputs, or lies where "
                              "the inputs are read from; write the output elsewhere")
    return t


# -- the run ---------------------------------------------------------------------------
@dataclass
class _Chunk:
    items: list  # InputArticle and InputError, in input order
    articles: list  # the InputArticles to classify, truncated to max_chars
    truncated: dict  # index in articles -> full length


def truncate_text(title: str, body: str, max_chars: int = MAX_CHARS
                  ) -> tuple[str, str, int | None]:
    """The part of an article that is classified: its first `max_chars` characters.

    The title counts first and the body fills what is left, so that memory stays bounded
    by the chunk (or the request), not by the longest article.

    Parameters
    ----------
    title, body : str
    max_chars : int, default=MAX_CHARS

    Returns
    -------
    title, body : str
        As given when the article fits, else cut to fit.
    truncated : int or None
        The article's full length in characters when it was cut (a record's
        ``truncated``), else ``None``.
    """
    size = len(title) + len(body)
    if size <= max_chars:
        return title, body, None
    return title[:max_chars], body[:max(0, max_chars - len(title))], size


def _chunks(items: Iterator, size: int, max_chars: int) -> Iterator[_Chunk]:
    while True:
        batch = list(islice(items, size))
        if not batch:
            return
        chunk = _Chunk(batch, [], {})
        for item in batch:
            if isinstance(item, InputArticle):
                title, body, full = truncate_text(item.title, item.body, max_chars)
                if full is not None:
                    chunk.truncated[len(chunk.articles)] = full
                chunk.articles.append(item if full is None
                                      else replace(item, title=title, body=body))
        yield chunk


class _Writer:
    """Turns each classified chunk into records and errors, writes them, checkpoints."""

    def __init__(self, sink: Sink, err_sink: Sink, manifest: RunManifest | None,
                 manifest_file: str | None, result: BatchResult, bar: Any,
                 keep_text: int | None = None) -> None:
        self.sink, self.err_sink, self.result, self.bar = sink, err_sink, result, bar
        self.keep_text = keep_text
        self.manifest, self.manifest_file = manifest, manifest_file
        self.pending: deque[_Chunk] = deque()

    def emit(self, details: list[dict]) -> None:
        chunk = self.pending.popleft()
        records, errors = [], []
        found = iter(zip(chunk.articles, details, strict=True))
        index = 0
        for item in chunk.items:
            if isinstance(item, InputError):
                errors.append(error_record(item.source, item.position, item.error))
                continue
            article, detail = next(found)
            if "error" in detail:
                errors.append(error_record(article.source, article.position, detail["error"]))
            else:
                records.append(label_record(item, detail, chunk.truncated.get(index),
                                            keep_text=self.keep_text))
            index += 1
        self.sink.write(records)
        self.err_sink.write(errors)
        self._count(records, errors, len(chunk.items))

    def _count(self, records: list[dict], errors: list[dict], items: int) -> None:
        r = self.result
        r.labelled += len(records)
        r.errors += len(errors)
        r.counts.update(rec["label"] for rec in records)
        r.truncated += sum("truncated" in rec for rec in records)
        r.guessed_encoding += sum(rec["encoding"].endswith(UNSURE_MARK) for rec in records)
        r.first_errors += errors[:SHOWN_ERRORS - len(r.first_errors)]
        self.bar.update(len(records))
        if self.manifest is not None:
            m = self.manifest
            m.done += items
            m.output_bytes, m.errors_bytes = self.sink.size, self.err_sink.size
            m.write(self.manifest_file)


def _run_settings(model: Any, t: _Targets, o: LabelOptions, read_options: ReadOptions) -> dict:
    keep = {k: list(v) if isinstance(v, tuple) else v
            for k, v in asdict(read_options).items()}
    settings = {"model_sha256": model_fingerprint(model), "threshold": o.threshold,
                "top_k": o.top_k, "explain": o.explain, "max_chars": o.max_chars,
                "output_format": t.fmt, "excel": o.excel, "error_report": t.errors,
                "read_options": {k: keep[k] for k in sorted(keep)}}
    if o.keep_text is not None:  # only when set: manifests of earlier runs still match
        settings["keep_text"] = o.keep_text
    return settings


def _start_run(inputs: list, t: _Targets, model: Any, o: LabelOptions,
               read_options: ReadOptions,
               streams: tuple[BinaryIO, BinaryIO]) -> tuple[Sink, Sink, RunManifest | None]:
    """Open the output, the error report and the manifest: anew, or where a resumed run
    stopped (after checking that it is the same run)."""
    manifest = keep = keep_errors = None
    if t.manifest is not None:
        if o.resume and "-" in inputs:
            raise ResumeError("cannot resume a run that reads standard input: it cannot be "
                              "read again to find where the run stopped")
        files = input_files(inputs, glob=read_options.glob,
                            input_format=read_options.input_format)
        fingerprint = input_fingerprint(files)
        settings = _run_settings(model, t, o, read_options)
        if o.resume and os.path.exists(t.output):
            manifest = read_manifest(t.manifest)
            manifest.check_same_run(fingerprint, settings)
            keep = manifest.output_bytes
            keep_errors = manifest.errors_bytes if t.errors != "-" else None
        else:
            manifest = RunManifest(fingerprint, settings)
    fields = record_fields(o.keep_text, o.keep_fields)
    sink = Sink(t.output, t.fmt, fields, streams[0], excel=o.excel, keep=keep)
    try:
        err_sink = Sink(t.errors, "jsonl", ERROR_FIELDS, streams[1],
                        keep=keep_errors if keep is not None else None)
    except BaseException:
        sink.close()
        raise
    if manifest is not None:
        manifest.output_bytes, manifest.errors_bytes = sink.size, err_sink.size
        manifest.complete = False
        manifest.write(t.manifest)
    return sink, err_sink, manifest


def _field_warnings(seen: Counter, read_options: ReadOptions) -> list[str]:
    """Named fields that none of the records read has: most likely a typo."""
    out = []
    for option, default in _DEFAULT_FIELDS.items():
        name = getattr(read_options, option)
        if name != default and seen["records"] and seen[name] == seen["records"]:
            out.append(f"field '{name}' ({option}) is in none of the {seen['records']} "
                       "records read; check its name")
    return out


def _watch_fields(items: Iterator, seen: Counter) -> Iterator:
    for item in items:
        if isinstance(item, InputArticle) and item.position.startswith(("line", "row")):
            seen["records"] += 1
            seen.update(item.absent)
        yield item


def _classify_all(model: Any, chunks: Iterator[_Chunk], writer: _Writer,
                  o: LabelOptions) -> None:
    """Send the chunks' articles to the runner the options choose."""
    def articles() -> Iterator[list]:
        for chunk in chunks:
            writer.pending.append(chunk)
            yield chunk.articles

    if o.backend == "dask":
        from newsclass.dask import classify_chunks

        classify_chunks(model, articles(), o.details, writer.emit, scheduler=o.scheduler,
                        jobs=o.jobs)
    elif o.jobs == 1:
        run_serial(model, articles(), o.details, writer.emit)
    else:
        run_pool(model, articles(), o.details, writer.emit, o.jobs)


def label_files(inputs: Iterable[str | os.PathLike], output: str | os.PathLike | None = None,
                *, model: Any = None, output_format: str | None = None, excel: bool = False,
                top_k: int = 3, explain: int = 0, threshold: float | None = None,
                jobs: int = 1, chunk_size: int = 512, max_chars: int = MAX_CHARS,
                resume: bool = False, force: bool = False, progress: bool | None = None,
                backend: str = "local", scheduler: str | None = None,
                error_report: str | os.PathLike | None = None,
                stdout: BinaryIO | None = None, stderr: BinaryIO | None = None,
                keep_text: bool | int | None = None, keep_fields: Iterable[str] = (),
                read_options: ReadOptions | Mapping[str, Any] | None = None) -> BatchResult:
    """Label every article of the given inputs and write one record per article.

    Parameters
    ----------
    inputs : iterable of str or path-like
        Files, folders (searched recursively) and ``"-"`` for standard input; see
        :func:`newsclass.readers.iter_inputs`.
    output : str, path-like or None
        Output file; ``None`` or ``"-"`` writes to standard output. It must not be one
        of the inputs nor lie where a folder of the inputs is searched.
    model : NewsClassifier, str, path-like or None
        A fitted model or the path of a model file; ``None`` uses the default model.
    output_format : {"jsonl", "csv", "tsv"} or None
        Default: from the output's extension (``.jsonl``, ``.ndjson``, ``.csv``,
        ``.tsv``; none means ``jsonl``); any other extension is refused.
    excel : bool, default=False
        Start CSV/TSV output with a UTF-8 byte-order mark, so that Excel opens it as UTF-8.
    top_k : int, default=3
        Labels listed in each record's ``top``.
    explain : int, default=0
        Terms listed in each record's ``terms``.
    threshold : float or None
        Override the model's threshold, a probability from 0 to 1: below it, the label
        is ``other``.
    jobs : int, default=1
        Processes that classify (this one and ``jobs - 1`` workers); output keeps input
        order. With ``backend="dask"`` and no `scheduler`: the worker processes of the
        local Dask cluster.
    chunk_size : int, default=512
        Items of the input stream classified and written at a time.
    max_chars : int, default=MAX_CHARS
        Characters of an article that are classified; longer articles are labelled
        from their start and their record gives their full length as ``truncated``.
    resume : bool, default=False
        Continue an interrupted run from its run manifest (``<output>.run.json``): skip
        the items of the input stream it finished and cut the output and the error
        report back to what it had written then. Refused when the inputs or the settings
        differ.
    force : bool, default=False
        Overwrite an existing output.
    progress : bool or None
        Show a progress bar on stderr; ``None``: only when stderr is a terminal.
    backend : {"local", "dask"}, default="local"
        Where chunks are classified: here and in local worker processes, or on a Dask
        cluster (:func:`newsclass.dask.classify_chunks`; needs ``newsclass[dask]``).
    scheduler : str or None
        Dask scheduler address (``"tcp://host:8786"``) for ``backend="dask"``; ``None``
        starts a local cluster on the loopback interface for this run.
    error_report : str, path-like or None
        Where errors go; default ``<output>.errors.jsonl``, or stderr when writing to
        stdout.
    stdout, stderr : binary streams or None
        Streams used for ``"-"`` (default: the process's).
    keep_text : bool, int or None, default=None
        Carry each article's text in its record, for reviewing it
        (:mod:`newsclass.review`) and retraining with the decisions: ``True`` the whole
        body, a number N its first N characters (``body_chars`` then gives the full
        length); either way ``text_sha256`` fingerprints the full title and body. The
        title is always in the record.
    keep_fields : iterable of str, default=()
        Input fields (JSON keys, CSV columns) copied unchanged into each record, after
        its own fields (``null`` when a record lacks one); a page has none to keep.
    read_options : ReadOptions, mapping of its fields, or None
        How to read the inputs (:class:`newsclass.formats.ReadOptions`: ``glob``,
        ``input_format``, ``split``, ``text_field``, ``title_field``, ``id_field``,
        ``encoding``); ``None``: the defaults.

    Returns
    -------
    BatchResult

    Raises
    ------
    FileExistsError
        If `output` exists and neither `force` nor `resume` is given.
    ValueError
        For bad option values (:class:`newsclass.writers.OutputError` for an output that
        cannot be written, :class:`newsclass.manifest.ResumeError` for a run that cannot
        be resumed); the message names the option or file.
    Interrupted
        On Ctrl-C, after the last whole chunk was written; it carries the result.
    """
    start = time.perf_counter()
    o = LabelOptions(top_k=top_k, explain=explain, threshold=threshold, jobs=jobs,
                     chunk_size=chunk_size, max_chars=max_chars, resume=resume, excel=excel,
                     progress=progress, backend=backend, scheduler=scheduler,
                     keep_text=keep_text, keep_fields=keep_fields)
    read_options = replace(ReadOptions.of(read_options), keep_fields=o.keep_fields)
    inputs = [os.fspath(i) for i in ([inputs] if isinstance(inputs, (str, os.PathLike))
                                     else inputs)]
    t = _targets(inputs, output, output_format, excel, error_report, read_options)
    if t.output == "-" and resume:
        raise ValueError("resume needs an output file, not standard output")
    if t.output != "-" and os.path.exists(t.output) and not (force or resume):
        raise FileExistsError(f"output {t.output} exists; use --force to overwrite it or "
                              "--resume to continue it")
    model = as_model(model)
    if threshold is not None:
        check_fallback(model.classes_, threshold, model.fallback_label_)
    streams = (stdout or sys.stdout.buffer, stderr or sys.stderr.buffer)
    sink, err_sink, manifest = _start_run(inputs, t, model, o, read_options, streams)
    result = BatchResult(output=t.output, error_report=t.errors)
    try:
        _run(model, inputs, o, t, _Writer(sink, err_sink, manifest, t.manifest, result, None,
                                          o.keep_text), read_options)
    except KeyboardInterrupt:
        result.seconds = time.perf_counter() - start
        raise Interrupted(result) from None
    finally:
        sink.close()
        err_sink.close()
    result.seconds = time.perf_counter() - start
    return result


def _progress_bar(show: bool) -> Any:
    """A tqdm bar on standard error, without tqdm's monitor thread: a process that runs
    no thread can fork its workers (see :func:`newsclass.runners.start_method`)."""
    from tqdm import tqdm

    class Bar(tqdm):
        monitor_interval = 0

    return Bar(disable=not show, unit=" articles", file=sys.stderr, dynamic_ncols=True)


def _run(model: Any, inputs: list, o: LabelOptions, t: _Targets, writer: _Writer,
         read_options: ReadOptions) -> None:
    """Read, classify and write every item not done yet, with a progress bar."""
    show = o.progress if o.progress is not None else sys.stderr.isatty()
    writer.bar = _progress_bar(show)
    seen: Counter = Counter()
    manifest = writer.manifest
    try:
        items = _watch_fields(read_inputs(inputs, read_options), seen)
        if manifest is not None and manifest.done:
            writer.result.skipped = sum(1 for _ in islice(items, manifest.done))
        _classify_all(model, _chunks(items, o.chunk_size, o.max_chars), writer, o)
        if manifest is not None:
            manifest.complete = True
            manifest.write(t.manifest)
    finally:
        writer.bar.close()
    writer.result.warnings += _field_warnings(seen, read_options)
