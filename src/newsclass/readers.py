"""Reading many input files into a stream of articles, or of reasons why they could not be read.

:func:`iter_inputs` takes files, directories and ``-`` (standard input) and yields one
:class:`InputArticle` for every article it can read and one :class:`InputError` for every
article, line, row or file it cannot. A bad input never stops the stream.

Formats, chosen by the file extension (looking through ``.gz``) or forced:

``txt``
    One newspaper page, split into articles with :func:`newsclass.articles.split_articles`
    (or, with ``split=False``, one article per file). A page is read whole.
``jsonl``
    One JSON object per line (``.ndjson`` is taken as ``jsonl`` too). Blank lines are skipped.
``csv``, ``tsv``
    A header row naming the fields, then one row per article, with ``,`` or a tab between
    fields. Quoting as in Excel, for ``tsv`` too: a quoted field may hold delimiters,
    ``""`` and line breaks; a quote must not be left open or followed by more text.
    Rows are numbered from the first one after the header (blank rows count, but yield
    nothing).

``jsonl``, ``csv`` and ``tsv`` files are streamed line by line, never read whole; ``.gz``
files are decompressed as they are read.

Text encodings are detected from the first 64 KB of a file (see :func:`detect_encoding`)
or forced. Lines are decoded one by one, so undecodable bytes cost only their line (or
row); in a ``.txt`` page, which cannot be cut into articles without all its lines, they
cost the page.
"""

from __future__ import annotations

import codecs
import csv
import fnmatch
import gzip
import io
import json
import os
import re
import sys
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any, BinaryIO

from charset_normalizer import from_bytes

__all__ = [
    "BODY_FIELDS",
    "FORMATS",
    "SAMPLE_SIZE",
    "InputArticle",
    "InputError",
    "body_field_of",
    "describe_error",
    "detect_encoding",
    "input_files",
    "input_format_of",
    "iter_inputs",
    "json_type",
    "missing_body",
    "os_reason",
    "read_text",
    "sniff_format",
    "would_read",
]

#: The input formats, as given to ``input_format``.
FORMATS = ("txt", "jsonl", "csv", "tsv")

#: How many bytes from the start of a file the encoding is detected from.
SAMPLE_SIZE = 64 * 1024

_EXTENSIONS = {".txt": "txt", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv",
               ".tsv": "tsv"}
# Encodings that Chinese news comes in besides UTF-8, as charset-normalizer names them.
_CHINESE = ["gb18030", "big5"]
# GB 2312 and GBK are subsets of GB 18030: decode them as the superset.
_AS_GB18030 = {"gb2312", "gbk", "hz"}
_READ_ERRORS = (OSError, EOFError, zlib.error)


@dataclass(frozen=True)
class InputArticle:
    """One article read from an input.

    Parameters
    ----------
    id : str
        The value of the id field (as ``str``) when the record has one, else
        ``f"{source}#{n}"`` where ``n`` is the 1-based line (``jsonl``), row (``csv``,
        ``tsv``) or article (``txt``) number.
    source : str
        The path as the user gave it, or as found under a given directory; ``-`` for
        standard input.
    position : str
        Where in the source the article is: ``"line 12"``, ``"row 5"``, ``"article 3"``.
    title : str
        The headline; empty when there is none.
    body : str
        The article text.
    encoding : str
        The encoding the text was decoded with, forced or detected: ``"utf-8"``,
        ``"utf-8-sig"``, ``"gb18030"``, ...
    label : str or None, default=None
        The article's label, when one was asked for (training or evaluation data).
    absent : tuple of str, default=()
        The optional fields named for a JSONL/CSV/TSV record (title and id fields) that
        this record does not have; a field absent from every record is most likely a
        typo in its name.
    kept : tuple of (str, value), default=()
        The fields named in ``keep_fields`` (see :func:`iter_inputs`), as the record
        has them (``None`` for one it lacks), in the order named; empty for a page.
    """

    id: str
    source: str
    position: str
    title: str
    body: str
    encoding: str
    label: str | None = None
    absent: tuple[str, ...] = ()
    kept: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class InputError:
    """An article, line, row or whole input that could not be read.

    Parameters
    ----------
    source : str
        The path as the user gave it, or as found under a given directory; ``-`` for
        standard input.
    position : str
        Where in the source: ``"line 12"``, ``"row 5"``, ``"article 3"``; empty when the
        whole file failed.
    error : str
        The reason in plain words, e.g. ``"malformed JSON: Expecting ',' delimiter
        (column 17)"``.
    """

    source: str
    position: str
    error: str

    def __str__(self) -> str:
        """``"SOURCE POSITION: REASON"``, as the command line shows an error."""
        return describe_error(self.source, self.position, self.error)


def describe_error(source: str, position: str, error: str) -> str:
    """One failed input for people: ``"news.jsonl line 3: malformed JSON: ..."``."""
    return f"{source}{' ' + position if position else ''}: {error}"


@dataclass(frozen=True)
class _Options:
    input_format: str | None
    split: bool
    text_field: str | None
    title_field: str
    id_field: str
    label_field: str | None
    label_from_folder: bool
    encoding: str | None
    keep_fields: tuple[str, ...] = ()


def input_format_of(path: str | os.PathLike[str]) -> str | None:
    """The input format a file name stands for, looking through a ``.gz`` extension.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    str or None
        ``"txt"``, ``"jsonl"`` (for ``.jsonl`` and ``.ndjson``), ``"csv"`` or ``"tsv"``,
        whatever the case of the extension; ``None`` for any other name.

    Examples
    --------
    >>> input_format_of("pages/2024-03-15.TXT"), input_format_of("news.jsonl.gz")
    ('txt', 'jsonl')
    """
    name = os.path.basename(os.fspath(path)).lower()
    if name.endswith(".gz"):
        name = name[:-3]
    return _EXTENSIONS.get(os.path.splitext(name)[1])


def _codec_name(name: str) -> str:
    return codecs.lookup(name).name


def _is_utf8(data: bytes) -> bool:
    """Whether `data` is UTF-8, allowing a character cut off at the end of a sample."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _mostly_utf8(data: bytes) -> bool:
    """Whether at least half the lines of `data` that are not ASCII are UTF-8.

    Text in a legacy Chinese encoding practically never forms a valid UTF-8 line (none
    of the 996 articles of the bundled corpus does in GB 18030), so a sample like that
    is UTF-8 with some corrupt lines, which fail one by one when read.
    """
    valid = invalid = 0
    for line in data.split(b"\n"):
        if not line.isascii():
            if _is_utf8(line):
                valid += 1
            else:
                invalid += 1
    return valid > 0 and valid >= invalid


def detect_encoding(data: bytes) -> str | None:
    """Detect the text encoding of a sample of bytes (a file's first 64 KB, say).

    A UTF-8 byte order mark gives ``"utf-8-sig"``; bytes that decode as UTF-8 (ASCII
    included) give ``"utf-8"``, and so do bytes at least half of whose non-ASCII lines
    decode as UTF-8 (UTF-8 with some corrupt lines). Anything else is left to
    charset-normalizer: first to choose between the legacy encodings Chinese news comes
    in, GB 18030 and Big5, taking the one it ranks best among those the bytes decode in,
    however messy the text looks to it; failing that (the bytes decode in neither), to
    choose among all the encodings it knows. A detected GB 2312 or GBK is reported as
    GB 18030, their superset.

    Parameters
    ----------
    data : bytes
        The sample; a character cut off at its end does no harm.

    Returns
    -------
    str or None
        A Python codec name (``"utf-8"``, ``"utf-8-sig"``, ``"gb18030"``, ``"big5"``,
        ...), or ``None`` if no encoding fits.

    Notes
    -----
    A sample of a few Chinese characters can be taken for Big5 (6 of the 996 headlines of
    the bundled corpus in GB 18030 were); from a sentence on, GB 18030 is found reliably.
    Japanese or Korean text in Shift_JIS, EUC-JP or EUC-KR, which also decodes as
    GB 18030, is taken for GB 18030: this is a Chinese news library. The readers mark
    such a detection as unsure (an article's ``encoding`` is then ``"gb18030?"``, see
    :data:`UNSURE_MARK`). Force the encoding to be sure.

    Examples
    --------
    >>> detect_encoding("市人大常委会召开第二十一次会议".encode("gbk"))
    'gb18030'
    """
    return _detect(data)[0]


#: Below this share of the most common Chinese characters (GB 2312 level 1) among the
#: Han characters of a text decoded in a legacy encoding, the detection is called unsure:
#: real Chinese news has 94% or more (the bundled corpus, 7,687 People's Daily articles).
COMMON_HAN_SHARE = 0.8


def _common_han_share(text: str) -> float:
    han = [c for c in text if "\u4e00" <= c <= "\u9fff"]
    if not han:
        return 1.0
    common = 0
    for c in han:
        try:
            common += 0xB0 <= c.encode("gb2312")[0] <= 0xD7
        except UnicodeEncodeError:
            pass
    return common / len(han)


def _detect(data: bytes) -> tuple[str | None, bool]:
    """The encoding of `data` (as :func:`detect_encoding`) and whether it is sure.

    UTF-8 and a byte order mark are sure. A legacy encoding is unsure when the decoded
    text has few of the common Chinese characters (Japanese Shift_JIS decoded as GB 18030),
    or when charset-normalizer finds it messy and incoherent as any language (EUC-JP or
    EUC-KR decoded as GB 18030).
    """
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", True
    if _is_utf8(data) or _mostly_utf8(data):
        return "utf-8", True
    # charset-normalizer's default limit on mess (0.2) rejects real GB 18030 news, e.g.
    # text dense with "14℃"; among the Chinese encodings, any that decodes may compete.
    for isolation, threshold in ((_CHINESE, 1.0), (None, 0.2)):
        best = from_bytes(data, cp_isolation=isolation, threshold=threshold).best()
        if best is not None:
            name = _codec_name(best.encoding)
            name = "gb18030" if name in _AS_GB18030 else name
            text = data.decode(name, errors="replace")
            sure = (_common_han_share(text) >= COMMON_HAN_SHARE
                        and not (getattr(best, "chaos", 0.0) >= 0.1
                             and getattr(best, "coherence", 1.0) < 0.01))
            return name, sure
    return None, False


# --- reading bytes ----------------------------------------------------------------------

def os_reason(error: BaseException) -> str:
    """Why a file could not be opened or read, in plain lower-case words."""
    if isinstance(error, FileNotFoundError):
        return "not found"
    if isinstance(error, PermissionError):
        return "permission denied"
    if isinstance(error, IsADirectoryError):
        return "is a directory"
    if isinstance(error, gzip.BadGzipFile):
        return "not a gzip file"
    text = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
    text = text or type(error).__name__
    return text[:1].lower() + text[1:]


def _read_sample(stream: BinaryIO) -> bytes:
    """Up to SAMPLE_SIZE bytes from the start of `stream` (fewer only at its end)."""
    chunks: list[bytes] = []
    size = 0
    while size < SAMPLE_SIZE:
        chunk = stream.read(SAMPLE_SIZE - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


class _ByteLines:
    """The ``\\n``-ended lines of a stream whose first bytes were read already.

    A failure to read (a truncated or corrupt ``.gz``, an I/O error) ends the lines;
    `failure` then says why.
    """

    def __init__(self, head: bytes, stream: BinaryIO) -> None:
        self._head = head
        self._stream = stream
        self.failure: str | None = None

    def __iter__(self) -> Iterator[bytes]:
        pieces = self._head.split(b"\n")
        tail = pieces.pop()
        for piece in pieces:
            yield piece + b"\n"
        try:
            for line in self._stream:
                if tail:
                    line, tail = tail + line, b""
                yield line
        except _READ_ERRORS as error:
            self.failure = os_reason(error)
            return
        if tail:
            yield tail


def _undecodable(error: UnicodeDecodeError, encoding: str, where: str,
                 line_start: int = 0) -> str:
    """Why a line does not decode; `line_start` is the line's offset in ``error.object``."""
    bad = error.object[error.start:error.end].hex(" ")
    return (f"undecodable bytes in {where}: they do not decode as {encoding} ({error.reason}: "
            f"{bad} at byte {error.start - line_start + 1} of the line)")


def json_type(value: Any) -> str:
    """How a JSON value's type reads in an error message (\"a string\", \"null\", ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


_MISSING = object()


def _wrong_type(name: str, value: Any, expected: str = "a string") -> str:
    return f"field '{name}' is {json_type(value)}, expected {expected}"


#: Where an article's body is looked for when no text field is named: the first of these
#: a record (or a table's header) has. ``body`` is what the API and Python take,
#: ``content`` what crawlers commonly write.
BODY_FIELDS = ("text", "body", "content")


def body_field_of(fields: Iterable[str], text_field: str | None) -> str | None:
    """The field holding the body: `text_field` when named, else the first of
    :data:`BODY_FIELDS` among `fields`; ``None`` when there is none."""
    names = fields if isinstance(fields, (dict, set, frozenset)) else set(fields)
    if text_field is not None:
        return text_field if text_field in names else None
    return next((name for name in BODY_FIELDS if name in names), None)


def missing_body(text_field: str | None, seen: list, where: str) -> str:
    """Why no body was found, naming the fields seen and the option that names another."""
    wanted = (f"missing field '{text_field}'" if text_field is not None else
              "no body field (looked for " + ", ".join(f"'{n}'" for n in BODY_FIELDS) + ")")
    fields = ", ".join(repr(str(n)) for n in seen[:20]) or "none"
    return (f"{wanted}: {where} {fields}; name the body field with the text_field "
            "option (--text-field)")


def _record(fields: Any, source: str, position: str, n: int, encoding: str,
            opts: _Options, label: str | None) -> InputArticle | InputError:
    """A record's fields (a dict from JSON or a CSV row) as an article or an error."""
    reason = ""
    body_field = body_field_of(fields, opts.text_field)
    text = _MISSING if body_field is None else fields.get(body_field, _MISSING)
    title = fields.get(opts.title_field)
    ident = fields.get(opts.id_field)
    absent = tuple(name for name in (opts.title_field, opts.id_field) if name not in fields)
    if title is None:
        title = ""
    if ident is None or ident == "":
        ident = f"{source}#{n}"
    elif isinstance(ident, int) and not isinstance(ident, bool):
        ident = str(ident)
    if opts.label_field is not None:
        label = fields.get(opts.label_field, _MISSING)
        if isinstance(label, int) and not isinstance(label, bool):
            label = str(label)
    if text is _MISSING:
        reason = missing_body(opts.text_field, list(fields), "the record has")
    elif not isinstance(text, str):
        reason = _wrong_type(body_field, text)
    elif not isinstance(title, str):
        reason = _wrong_type(opts.title_field, title)
    elif not isinstance(ident, str):
        reason = _wrong_type(opts.id_field, ident, "a string or an integer")
    elif label is _MISSING:
        reason = f"missing field '{opts.label_field}'"
    elif opts.label_field is not None and not isinstance(label, str):
        reason = _wrong_type(opts.label_field, label)
    elif opts.label_field is not None and not label.strip():
        reason = f"field '{opts.label_field}' is empty"
    elif not text.strip() and not title.strip():
        reason = (f"empty text: field '{body_field}' is "
                  f"{'empty' if not text else 'only white space'}"
                  + (f" and field '{opts.title_field}' too" if opts.title_field in fields
                     else ""))
    if reason:
        return InputError(source, position, reason)
    kept = tuple((name, fields.get(name)) for name in opts.keep_fields)
    # A record with a headline and an empty body is labelled from its headline.
    return InputArticle(ident, source, position, title, text, encoding, label, absent, kept)


# --- formats ----------------------------------------------------------------------------

def _read_txt(head: bytes, stream: BinaryIO, source: str, encoding: str, opts: _Options,
              label: str | None) -> Iterator[InputArticle | InputError]:
    if opts.label_field is not None:
        yield InputError(source, "", f"missing field '{opts.label_field}': a txt page has no "
                                     "fields (label txt files by folder instead)")
        return
    try:
        page = _page_text(head, stream, encoding)
    except _Failed as failure:
        yield InputError(source, "", str(failure))
        return
    if opts.split and not opts.label_from_folder:
        # The page splitter's rule tables are compiled only when a page is read.
        from newsclass.articles import split_articles

        articles = [(a.title, a.body) for a in split_articles(page)]
    else:
        articles = [("", page)]
    if not articles:
        yield InputError(source, "", "no articles: the page has only page furniture")
        return
    for n, (title, body) in enumerate(articles, 1):
        position = f"article {n}"
        if not body.strip() and not title.strip():
            yield InputError(source, position, "empty text: the article has no body")
        else:  # a headline with no body is labelled from the headline
            yield InputArticle(f"{source}#{n}", source, position, title, body, encoding, label)


def _read_jsonl(head: bytes, stream: BinaryIO, source: str, encoding: str, opts: _Options,
                label: str | None) -> Iterator[InputArticle | InputError]:
    lines = _ByteLines(head, stream)
    # Files joined with `cat` can have a byte order mark at the start of any line.
    line_encoding = "utf-8" if encoding == "utf-8-sig" else encoding
    n = 0
    for n, raw in enumerate(lines, 1):
        position = f"line {n}"
        try:
            line = raw.decode(line_encoding)
        except UnicodeDecodeError as error:
            yield InputError(source, position, _undecodable(error, encoding, position))
            continue
        if line.startswith("\ufeff"):
            line = line[1:]
        if not line or line.isspace():
            continue
        try:
            fields = json.loads(line)
        except json.JSONDecodeError as error:
            yield InputError(source, position,
                             f"malformed JSON: {error.msg} (column {error.colno})")
            continue
        if not isinstance(fields, dict):
            yield InputError(source, position,
                             f"JSON line is not an object: got {json_type(fields)}")
            continue
        yield _record(fields, source, position, n, encoding, opts, label)
    if lines.failure is not None:
        yield InputError(source, f"line {n + 1}",
                         f"unreadable file: {lines.failure}; the rest of the file was not read")


def _read_table(head: bytes, stream: BinaryIO, source: str, encoding: str, opts: _Options,
                label: str | None, delimiter: str) -> Iterator[InputArticle | InputError]:
    lines = _ByteLines(head, stream)
    # A byte order mark can only start the first line.
    line_encoding = "utf-8" if encoding == "utf-8-sig" else encoding
    undecodable: list[str] = []  # reasons for the lines of the row being read

    def decoded() -> Iterator[str]:
        for number, raw in enumerate(lines, 1):
            codec = encoding if number == 1 else line_encoding
            try:
                yield raw.decode(codec)
            except UnicodeDecodeError as error:
                undecodable.append(_undecodable(error, encoding, f"line {number}"))
                yield raw.decode(codec, errors="replace")

    reader = csv.reader(decoded(), delimiter=delimiter, strict=True)
    header = _table_header(reader, undecodable, source, opts)
    if isinstance(header, InputError):
        yield header
        return
    opts = replace(opts, text_field=body_field_of(header, opts.text_field))
    index = {name: header.index(name) for name in
             (opts.text_field, opts.title_field, opts.id_field, opts.label_field,
              *opts.keep_fields)
             if name is not None and name in header}
    row_number = 0
    for row_number, row in enumerate(_table_rows(reader, undecodable), 1):
        position = f"row {row_number}"
        if isinstance(row, str):  # why the row cannot be read
            yield InputError(source, position, row)
        elif not row:
            continue
        elif len(row) != len(header):
            yield InputError(source, position, f"wrong number of fields: the row has "
                                               f"{len(row)}, the header row {len(header)} "
                                               f"(ending on line {reader.line_num})")
        else:
            fields = {name: row[i] for name, i in index.items()}
            yield _record(fields, source, position, row_number, encoding, opts, label)
    if lines.failure is not None:
        yield InputError(source, f"row {row_number + 1}",
                         f"unreadable file: {lines.failure}; the rest of the file was not read")


def _table_header(reader: Any, undecodable: list[str], source: str,
                  opts: _Options) -> list[str] | InputError:
    """The header row's column names, or why the table cannot be read."""
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        header = []
    except csv.Error as error:
        return InputError(source, "", f"malformed header row: {error}")
    if undecodable:
        return InputError(source, "", f"{undecodable[0]} (the header row)")
    if body_field_of(header, opts.text_field) is None:
        return InputError(source, "", missing_body(opts.text_field, header,
                                                   "the header row has the columns"))
    if opts.label_field and opts.label_field not in header:
        columns = ", ".join(repr(c) for c in header) or "none"
        return InputError(source, "", f"missing field '{opts.label_field}': the header row "
                                      f"has no such column (columns: {columns})")
    return header


def _table_rows(reader: Any, undecodable: list[str]) -> Iterator[list[str] | str]:
    """Each row after the header: its fields, or the reason it cannot be read."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            undecodable.clear()
            hint = ": a quoted field is not closed" if "end of data" in str(error) else ""
            yield f"malformed row: {error}{hint} (line {reader.line_num})"
            continue
        if undecodable:
            reason = undecodable[0]
            undecodable.clear()
            yield reason
        else:
            yield row


class _Failed(Exception):
    """A whole input cannot be read; the argument is the reason."""


def _start(stream: BinaryIO, encoding: str | None) -> tuple[bytes, str, bool]:
    """The first bytes of `stream`, its encoding, forced or detected, and whether that
    encoding is sure (forced ones are).

    Raises
    ------
    _Failed
        If the stream cannot be read, is empty or binary, or its encoding is unknown.
    """
    try:
        head = _read_sample(stream)
    except _READ_ERRORS as error:
        raise _Failed(f"unreadable file: {os_reason(error)}") from None
    content = head[len(codecs.BOM_UTF8):] if head.startswith(codecs.BOM_UTF8) else head
    if len(head) < SAMPLE_SIZE and (not content or content.isspace()):
        raise _Failed("empty file")
    if b"\x00" in head:
        bare = _bare_utf16(head)
        if bare:
            hint = (f" (it reads as {bare.upper()} text without a byte order mark: give its "
                    f"encoding, {bare})")
        elif head.startswith(b"\x1f\x8b"):
            hint = " (gzip-compressed data; name the file .gz)"
        else:
            hint = ""
        raise _Failed(f"binary file: NUL bytes in the first {len(head) // 1024 or 1} KB{hint}")
    sure = True
    if encoding is None:
        # Detect from whole lines only, so no character is cut in two.
        cut = head.rfind(b"\n") + 1 if len(head) == SAMPLE_SIZE else 0
        encoding, sure = _detect(head[:cut] if cut else head)
        if encoding is None:
            raise _Failed("cannot detect the text encoding; give it with the encoding "
                          "option (e.g. gb18030 or utf-8)")
    return head, encoding, sure


_LINE_CONTROLS = dict.fromkeys(map(ord, "\n\r\t"))


def _bare_utf16(head: bytes) -> str | None:
    """``"utf-16-le"`` or ``"utf-16-be"`` when bytes with NULs decode as plain text in
    one of them (UTF-16 without its byte order mark), else ``None``."""
    sample = head[:4096 - 4096 % 2] if len(head) > 1 else b""
    for name in ("utf-16-le", "utf-16-be"):
        try:
            text = sample.decode(name)
        except UnicodeDecodeError:
            continue
        if text and text.translate(_LINE_CONTROLS).isprintable():
            return name
    return None


def _page_text(head: bytes, stream: BinaryIO, encoding: str) -> str:
    """The whole text of a stream whose first bytes were read already.

    Raises
    ------
    _Failed
        If the rest cannot be read or some bytes do not decode.
    """
    try:
        data = head + stream.read()
    except _READ_ERRORS as error:
        raise _Failed(f"unreadable file: {os_reason(error)}") from None
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        start = data.rfind(b"\n", 0, error.start) + 1
        raise _Failed(_undecodable(error, encoding, f"line {line}", start)
                      + "; the page was not read") from None


#: Byte order marks of the wide Unicode encodings, longest first (UTF-32 LE starts with
#: UTF-16 LE's mark).
_WIDE_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
              (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


class _Utf8Of(io.RawIOBase):
    """A stream of UTF-16 or UTF-32 text (Excel's "Unicode text"), read as UTF-8 bytes,
    so that every reader below sees lines ending in ``\\n``."""

    def __init__(self, stream: BinaryIO, encoding: str) -> None:
        self._text = codecs.getreader(encoding)(stream)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = self._text.read(1 << 16)
            if not chunk:
                return 0
            self._pending = chunk.encode("utf-8")
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def _wide_encoding(stream: BinaryIO, encoding: str | None) -> str | None:
    """``"utf-16"`` or ``"utf-32"`` when `stream` is such text: named by `encoding`, or
    detected by its byte order mark (peeked, not consumed); else ``None``."""
    if encoding is not None:
        name = codecs.lookup(encoding).name
        return name if name.startswith(("utf-16", "utf-32")) else None
    peek = getattr(stream, "peek", None)
    if peek is not None:
        start = peek(4)[:4]
    elif stream.seekable():
        start = stream.read(4)
        stream.seek(-len(start), io.SEEK_CUR)
    else:
        return None
    return next((name for bom, name in _WIDE_BOMS if start.startswith(bom)), None)


def _read_stream(stream: BinaryIO, source: str, input_format: str | None, opts: _Options,
                 label: str | None) -> Iterator[InputArticle | InputError]:
    """Read an open binary stream of the given format."""
    try:
        wide = _wide_encoding(stream, opts.encoding)
        if wide is not None:
            stream = io.BufferedReader(_Utf8Of(stream, wide), 1 << 16)  # type: ignore
        head, encoding, sure = _start(stream, "utf-8" if wide else opts.encoding)
    except _Failed as failure:
        yield InputError(source, "", str(failure))
        return
    except _READ_ERRORS as error:
        yield InputError(source, "", f"unreadable file: {os_reason(error)}")
        return
    if input_format is None:  # standard input: sniffed from its first bytes
        input_format = sniff_format(head, encoding, opts.text_field)
    if input_format == "txt":
        items = _read_txt(head, stream, source, encoding, opts, label)
    elif input_format == "jsonl":
        items = _read_jsonl(head, stream, source, encoding, opts, label)
    else:
        delimiter = "," if input_format == "csv" else "\t"
        items = _read_table(head, stream, source, encoding, opts, label, delimiter)
    if wide:
        items = (replace(item, encoding=wide) if isinstance(item, InputArticle) else item
                 for item in items)
    if sure:
        yield from items
        return
    guessed = encoding + UNSURE_MARK
    for item in items:
        yield replace(item, encoding=guessed) if isinstance(item, InputArticle) else item


#: Appended to an article's ``encoding`` when the encoding was detected but unsure
#: (``"gb18030?"``): force the right one with the encoding option.
UNSURE_MARK = "?"


def sniff_format(head: bytes, encoding: str, text_field: str | None = None) -> str:
    """The format of a stream that has no file name (standard input), from its first bytes.

    A first non-blank line that starts with ``{`` is ``jsonl``; a first line that names
    the body field (`text_field`, or one of :data:`BODY_FIELDS`) between tabs or commas,
    or that is two or more plain ASCII column names (``id,title,story``), is a ``tsv`` or
    ``csv`` header, read by the same column rules as a file; anything else is a ``txt``
    page.

    Parameters
    ----------
    head : bytes
        The first bytes of the stream.
    encoding : str
        Their encoding.
    text_field : str or None, default=None
        The body field a table header would name; ``None``: any of :data:`BODY_FIELDS`.

    Returns
    -------
    str
        ``"jsonl"``, ``"tsv"``, ``"csv"`` or ``"txt"``.

    Examples
    --------
    >>> sniff_format(b'{"text": "..."}\n', "utf-8"), sniff_format(b"id,text\n1,x\n", "utf-8")
    ('jsonl', 'csv')
    """
    text = head.decode(encoding, errors="replace").lstrip("\ufeff")
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if first.startswith("{"):
        return "jsonl"
    for fmt, delimiter in (("tsv", "\t"), ("csv", ",")):
        names = [name.strip().strip('"') for name in first.split(delimiter)]
        if body_field_of(names, text_field) is not None or (
                len(names) >= 2 and all(_HEADER_NAME.fullmatch(n) for n in names)):
            return fmt
    return "txt"


#: A column name of a header row, as a table on standard input is recognised by: plain
#: ASCII words (``id``, ``title``, ``body_text``), not a line of a page.
_HEADER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]{0,39}")


def _open(path: str) -> BinaryIO:
    """`path` open for reading bytes, decompressed if its name ends in ``.gz``.

    Raises
    ------
    OSError
        If the file cannot be opened.
    """
    if path.lower().endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def _read_file(path: str, opts: _Options) -> Iterator[InputArticle | InputError]:
    input_format = opts.input_format or input_format_of(path)
    if input_format is None:
        name = os.path.basename(path)
        if name.lower().endswith(".gz"):
            name = name[:-3]
        extension = os.path.splitext(name)[1]
        what = f"'{extension}'" if extension else "no file extension"
        yield InputError(path, "", f"unknown format: {what} (expected .txt, .jsonl, .csv "
                                   "or .tsv, each optionally .gz); force one with the "
                                   "input format option")
        return
    label = None
    if opts.label_from_folder:
        label = os.path.basename(os.path.dirname(os.path.abspath(path)))
    try:
        stream = _open(path)
    except OSError as error:
        yield InputError(path, "", f"unreadable file: {os_reason(error)}")
        return
    with stream:
        yield from _read_stream(stream, path, input_format, opts, label)


def _wanted(name: str, glob: str, input_format: str | None) -> bool:
    """Whether a file of this name in a searched folder is an input."""
    if name.startswith("."):
        return False
    if glob == "*" and input_format is None:
        return input_format_of(name) is not None
    return fnmatch.fnmatchcase(name, glob)


def would_read(inputs: Iterable[str | os.PathLike[str]], path: str | os.PathLike[str], *,
               glob: str = "*", input_format: str | None = None) -> bool:
    """Whether :func:`iter_inputs` would read `path` for these inputs, existing or not.

    Used to refuse an output file that is one of the inputs, or that lies where a folder
    of the inputs would be searched (it would then read its own output).

    Parameters
    ----------
    inputs : iterable of str or path-like
    path : str or path-like
    glob, input_format : str or None
        As for :func:`iter_inputs`.

    Returns
    -------
    bool
    """
    real = os.path.realpath(path)
    for item in map(os.fspath, inputs):
        if item == "-":
            continue
        if not os.path.isdir(item):
            if os.path.realpath(item) == real:
                return True
            continue
        parts = os.path.relpath(real, os.path.realpath(item)).split(os.sep)
        if parts[0] == os.pardir or any(p.startswith(".") for p in parts[:-1]):
            continue
        if _wanted(parts[-1], glob, input_format):
            return True
    return False


def _files_under(root: str, glob: str,
                 input_format: str | None) -> tuple[list[str], list[InputError]]:
    """The input files under directory `root`, sorted, and the folders that failed."""
    found: list[tuple[tuple[str, ...], str]] = []
    errors: list[InputError] = []

    def failed(error: OSError) -> None:
        where = error.filename if error.filename is not None else root
        errors.append(InputError(os.fspath(where), "",
                                 f"unreadable directory: {os_reason(error)}"))

    for folder, subfolders, names in os.walk(root, onerror=failed):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        for name in names:
            if _wanted(name, glob, input_format):
                path = os.path.join(folder, name)
                parts = os.path.relpath(path, root).split(os.sep)
                found.append((tuple(parts), path))
    found.sort()
    return [path for _, path in found], errors


def input_files(inputs: Iterable[str | os.PathLike[str]], *, glob: str = "*",
                input_format: str | None = None) -> list[str]:
    """The files that :func:`iter_inputs` would read for these inputs, in reading order.

    Named files are listed as given (whether they exist or not), folders are searched as
    :func:`iter_inputs` searches them, and ``"-"`` (standard input) is listed as is.

    Parameters
    ----------
    inputs : iterable of str or path-like
    glob, input_format : str or None
        As for :func:`iter_inputs`.

    Returns
    -------
    list of str
    """
    files: list[str] = []
    for item in map(os.fspath, inputs):
        if item != "-" and os.path.isdir(item):
            files += _files_under(item, glob, input_format)[0]
        else:
            files.append(item)
    return files


def _generate(inputs: list[str], glob: str, opts: _Options,
              stdin: BinaryIO | None) -> Iterator[InputArticle | InputError]:
    for item in inputs:
        if item == "-":
            if opts.label_from_folder:
                yield InputError("-", "", "standard input has no folder to take a label from")
                continue
            stream = stdin if stdin is not None else sys.stdin.buffer
            yield from _read_stream(stream, "-", opts.input_format, opts, None)
        elif os.path.isdir(item):
            paths, errors = _files_under(item, glob, opts.input_format)
            if not paths and not errors:
                which = (f"matching '{glob}'" if glob != "*" or opts.input_format
                         else "with a known extension (.txt, .jsonl, .csv, .tsv, .gz)")
                yield InputError(item, "", f"no input files {which} under the directory")
            for path in paths:
                yield from _read_file(path, opts)
            yield from errors
        else:
            yield from _read_file(item, opts)


def read_text(path: str | os.PathLike[str], *, encoding: str | None = None,
              stdin: BinaryIO | None = None) -> str:
    """Read one text file whole (a newspaper page, say), detecting its encoding.

    The file is checked and decoded as :func:`iter_inputs` does with a ``txt`` file:
    ``.gz`` files are decompressed, the encoding is forced or detected from the first
    64 KB (:func:`detect_encoding`), a UTF-8 byte order mark is dropped.

    Parameters
    ----------
    path : str or path-like
        The file; ``"-"`` for standard input.
    encoding : str, optional
        Decode with this codec instead of detecting the encoding.
    stdin : binary file object, optional
        What ``"-"`` reads; ``sys.stdin.buffer`` by default.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        If the file cannot be read (not found, permission denied, ...), is empty or
        binary, its encoding cannot be detected or some bytes do not decode; or for an
        unknown `encoding`. The message names the file and the reason, as in
        :class:`InputError`.
    """
    encoding = _checked_encoding(encoding)
    source = os.fspath(path)
    if source == "-":
        stream = stdin if stdin is not None else sys.stdin.buffer
    else:
        try:
            stream = _open(source)
        except OSError as error:
            raise ValueError(f"{source}: unreadable file: {os_reason(error)}") from None
    try:
        head, encoding, _ = _start(stream, encoding)
        return _page_text(head, stream, encoding)
    except _Failed as failure:
        raise ValueError(f"{source}: {failure}") from None
    finally:
        if source != "-":
            stream.close()


def _checked_encoding(encoding: str | None) -> str | None:
    if encoding is None:
        return None
    try:
        return _codec_name(encoding)
    except LookupError:
        raise ValueError(f"unknown encoding {encoding!r}") from None


def iter_inputs(
    inputs: Iterable[str | os.PathLike[str]] | str | os.PathLike[str],
    *,
    glob: str = "*",
    input_format: str | None = None,
    split: bool = True,
    text_field: str | None = None,
    title_field: str = "title",
    id_field: str = "id",
    label_field: str | None = None,
    label_from_folder: bool = False,
    encoding: str | None = None,
    stdin: BinaryIO | None = None,
    keep_fields: Iterable[str] = (),
) -> Iterator[InputArticle | InputError]:
    """Read articles from files, directories and standard input, one at a time.

    Every article of every input comes out exactly once, either as an
    :class:`InputArticle` or as an :class:`InputError` saying why it could not be read;
    a file that cannot be read at all gives one :class:`InputError` with an empty
    ``position``. Inputs are read lazily, in the order given.

    Parameters
    ----------
    inputs : iterable of str or path-like, or a single one
        Files; directories, searched recursively (hidden files and folders skipped); and
        ``"-"`` for standard input.
    glob : str, default="*"
        Which files in a directory to read, matched against the file name
        (case-sensitively). The default ``"*"`` means every file with a known extension
        (``.txt``, ``.jsonl``, ``.ndjson``, ``.csv``, ``.tsv``, each optionally ``.gz``),
        or every file when `input_format` is given. Files of a directory are read in
        sorted order of their paths; files named in `inputs` are always read.
    input_format : {"txt", "jsonl", "csv", "tsv"}, optional
        Read every input in this format, whatever its extension (``.gz`` files are still
        decompressed). By default the format comes from the extension; standard input,
        which has none, is read as ``"jsonl"``, the format made for streaming.
    split : bool, default=True
        Split a ``txt`` page into its articles; if false, each ``txt`` file is one
        article with an empty title and the whole text as its body.
    text_field : str or None, default=None
        The field (JSON key, CSV column) holding an article's body; ``None`` takes the
        first of :data:`BODY_FIELDS` (``text``, ``body``, ``content``) that a record or
        a table's header has. A record without one is an error naming the fields it has.
    title_field, id_field : str
        The fields holding the optional title and the optional id of an article. The id
        may be a string or an integer.
    label_field : str, optional
        The field holding each article's label; a record without it is an error, and so
        is a ``txt`` file, which has no fields.
    label_from_folder : bool, default=False
        Label each article with the name of its file's parent folder, for the
        folder-per-label layout ``DATA/<label>/*.txt``. Implies one article per ``txt``
        file, as with ``split=False``. Cannot be used together with `label_field`.
    encoding : str, optional
        Decode every input with this codec instead of detecting each one's encoding
        (see :func:`detect_encoding`).
    stdin : binary file object, optional
        What ``"-"`` reads; ``sys.stdin.buffer`` by default.
    keep_fields : iterable of str, default=()
        Fields (JSON keys, CSV columns) to carry along unchanged in each article's
        ``kept``; a record without one keeps ``None`` for it.

    Yields
    ------
    InputArticle or InputError

    Raises
    ------
    ValueError
        At the call, for an unknown `input_format` or `encoding`, or both `label_field`
        and `label_from_folder` given.
    TypeError
        At the call, if `inputs` is not a path or a collection of paths.
    """
    if input_format is not None and input_format not in FORMATS:
        raise ValueError(f"input_format must be one of {', '.join(FORMATS)}; "
                         f"got {input_format!r}")
    encoding = _checked_encoding(encoding)
    if label_field is not None and label_from_folder:
        raise ValueError("give either label_field or label_from_folder, not both")
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    try:
        paths = [os.fspath(item) for item in inputs]
        if not all(isinstance(path, str) for path in paths):
            raise TypeError
    except TypeError:
        raise TypeError("inputs must be a path or a collection of paths (str or "
                        "path-like)") from None
    opts = _Options(input_format, split, text_field, title_field, id_field, label_field,
                    label_from_folder, encoding, tuple(keep_fields))
    return _generate(paths, glob, opts, stdin)
