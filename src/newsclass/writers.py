"""Writing batch output: records, error reports and their formats.

A :class:`Sink` appends complete lines only, each chunk in one ``write`` call, and keeps
count of the bytes it holds, so that a run manifest (:mod:`newsclass.manifest`) can name
a point to resume from that is always the end of a whole chunk.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any, BinaryIO

from newsclass.digest import text_sha256
from newsclass.labels import label_name
from newsclass.reasons import os_reason

__all__ = ["ERROR_FIELDS", "FIELDS", "OUTPUT_FORMATS", "TEXT_FIELDS", "OutputError", "Sink",
           "error_record", "label_fields", "label_record", "output_format_of",
           "record_fields"]

#: Fields of an output record, in order (the columns of CSV/TSV output). ``truncated`` is
#: the article's length in characters when only its start was classified, else empty (and
#: absent from JSON lines).
FIELDS = ("id", "source", "title", "label", "label_zh", "confidence", "top", "terms",
          "encoding", "truncated")
#: Fields added by ``keep_text``: the article's body (or its first characters), the body's
#: full length when only its start is kept, and the SHA-256 of the full title and body
#: (:func:`newsclass.digest.text_sha256`), which review decisions refer to.
TEXT_FIELDS = ("body", "body_chars", "text_sha256")
#: Fields of an error record.
ERROR_FIELDS = ("source", "position", "error")
#: Output formats and the file name extensions that imply them.
OUTPUT_FORMATS = {"jsonl": (".jsonl", ".ndjson"), "csv": (".csv",), "tsv": (".tsv",)}


class OutputError(ValueError):
    """An output cannot be written: missing folder, no permission, unknown format."""


def check_output(path: str | os.PathLike, force: bool = False) -> None:
    """The one rule for every command's output files.

    An output goes into a folder that exists (none is created), and an existing file is
    replaced only when `force` is given.

    Raises
    ------
    OutputError
        If the folder of `path` does not exist.
    FileExistsError
        If `path` exists and `force` is false.
    """
    path = os.fspath(path)
    folder = os.path.dirname(path) or "."
    if not os.path.isdir(folder):
        raise OutputError(f"cannot write {path}: the folder {folder} does not exist")
    if os.path.lexists(path) and not force:
        raise FileExistsError(f"output {path} exists; use --force to overwrite it")


def output_format_of(path: str | os.PathLike | None) -> str | None:
    """The output format a file name stands for.

    Parameters
    ----------
    path : str, path-like or None
        ``None`` or ``"-"`` (standard output) and names without an extension mean
        ``jsonl``.

    Returns
    -------
    str or None
        ``"jsonl"``, ``"csv"`` or ``"tsv"``; ``None`` for any other extension
        (``.xlsx``, ``.json``, ...), which no format is written as.

    Examples
    --------
    >>> output_format_of("out.CSV"), output_format_of("-"), output_format_of("out.xlsx")
    ('csv', 'jsonl', None)
    """
    suffix = Path(str(path or "-")).suffix.lower()
    if not suffix:
        return "jsonl"
    return next((fmt for fmt, ends in OUTPUT_FORMATS.items() if suffix in ends), None)


def record_fields(keep_text: int | None = None, keep_fields: tuple[str, ...] = ()
                  ) -> tuple[str, ...]:
    """Fields of an output record (the CSV/TSV columns) for these options.

    Parameters
    ----------
    keep_text : int or None
        ``None``: no text; 0: the whole body; N: its first N characters.
    keep_fields : tuple of str
        Input fields passed through.

    Returns
    -------
    tuple of str
        :data:`FIELDS`, then :data:`TEXT_FIELDS` when text is kept, then `keep_fields`.
    """
    return FIELDS + (TEXT_FIELDS if keep_text is not None else ()) + tuple(keep_fields)


def label_record(article: Any, detail: dict, truncated: int | None = None, *,
                 keep_text: int | None = None) -> dict:
    """The output record of a labelled article.

    Parameters
    ----------
    article : InputArticle
    detail : dict
        One item of ``NewsClassifier.predict_details``.
    truncated : int or None
        The article's full length in characters when only its start was classified.
    keep_text : int or None, default=None
        Add the article's text (:data:`TEXT_FIELDS`): 0 the whole body, N its first N
        characters; ``None`` adds none. The input fields the article kept
        (``article.kept``) follow, unchanged.
    """
    record = {"id": article.id, "source": article.source, "title": article.title,
              **label_fields(detail), "encoding": article.encoding}
    if truncated is not None:
        record["truncated"] = truncated
    if keep_text is not None:
        body = article.body
        record["body"] = body[:keep_text] if keep_text else body
        if len(record["body"]) < len(body):
            record["body_chars"] = len(body)
        record["text_sha256"] = text_sha256(article.title, body)
    record.update(getattr(article, "kept", ()))
    return record


def label_fields(detail: dict) -> dict:
    """What a record says of an article's labels, from one item of
    ``NewsClassifier.predict_details``: ``label``, ``label_zh``, ``confidence``, ``top``
    and ``terms``, probabilities and weights rounded to 4 places.

    The records of ``newsclass label`` (:func:`label_record`) and the answers of
    ``newsclass serve`` both carry these fields.
    """
    return {"label": detail["label"], "label_zh": label_name(detail["label"]),
            "confidence": round(detail["confidence"], 4),
            "top": {lab: round(p, 4) for lab, p in detail["top"]},
            "terms": {t: round(w, 4) for t, w in detail["terms"]}}


def error_record(source: str, position: str, error: str) -> dict:
    """The error-report record of an input that failed."""
    return {"source": source, "position": position, "error": error}


def _cell(value: Any) -> str:
    if isinstance(value, dict):
        return ";".join(f"{k}:{v}" for k, v in value.items())
    return "" if value is None else str(value)


def _encode(records: list[dict], fmt: str, fields: tuple[str, ...]) -> bytes:
    if fmt == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter="\t" if fmt == "tsv" else ",", lineterminator="\n")
    for r in records:
        writer.writerow([_cell(r.get(f)) for f in fields])
    return buf.getvalue().encode()


def _header(fmt: str, fields: tuple[str, ...], excel: bool) -> bytes:
    if fmt == "jsonl":
        return b""
    sep = "\t" if fmt == "tsv" else ","
    return (("\ufeff" if excel else "") + sep.join(fields) + "\n").encode()


class Sink:
    """An append-only output of complete lines: a file, or a stream for ``"-"``.

    Parameters
    ----------
    target : str
        A file path, or ``"-"`` for `stream`.
    fmt : {"jsonl", "csv", "tsv"}
    fields : tuple of str
        Columns of CSV/TSV output.
    stream : binary stream
        Where ``"-"`` writes.
    excel : bool, default=False
        Start CSV/TSV output with a UTF-8 byte-order mark.
    keep : int or None, default=None
        Continue an existing file after its first `keep` bytes (a resume point), cutting
        whatever follows them; ``None`` starts the file anew.

    Raises
    ------
    OutputError
        If the file cannot be opened for writing, or is shorter than `keep`.
    """

    def __init__(self, target: str, fmt: str, fields: tuple[str, ...], stream: BinaryIO,
                 *, excel: bool = False, keep: int | None = None) -> None:
        self.fmt, self.fields, self.target = fmt, fields, target
        self._stream = stream
        self._fd: int | None = None
        self.size = 0
        if target == "-":
            self._write(_header(fmt, fields, excel))
            return
        try:
            if keep is None:
                self._fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            else:
                self._fd = os.open(target, os.O_WRONLY | os.O_CREAT, 0o644)
        except OSError as error:
            raise OutputError(f"cannot write {target}: {os_reason(error)}") from None
        if keep is None:
            self._write(_header(fmt, fields, excel))
            return
        size = os.fstat(self._fd).st_size
        if size < keep:
            self.close()
            raise OutputError(f"cannot resume {target}: it has {size} bytes but the run "
                              f"manifest says {keep} were written; start again with --force")
        os.ftruncate(self._fd, keep)
        os.lseek(self._fd, keep, os.SEEK_SET)
        self.size = keep

    def _write(self, data: bytes) -> None:
        if not data:
            return
        self.size += len(data)
        if self._fd is None:
            self._stream.write(data)
            self._stream.flush()
            return
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view):]

    def write(self, records: list[dict]) -> None:
        """Append records in one write of complete lines."""
        self._write(_encode(records, self.fmt, self.fields))

    def close(self) -> None:
        """Close the file (a stream is left open)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
