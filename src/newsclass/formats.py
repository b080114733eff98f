"""The input formats: each record, row or page of an input as an article or an error.

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

:func:`read_format` reads one open input in one of them, after its first bytes were read
to find its encoding (:func:`newsclass.charsets.read_head`); ``jsonl``, ``csv`` and
``tsv`` are read line by line (:mod:`newsclass.decoding`), never whole. The format comes
from the file name (:func:`input_format_of`) or, on standard input, from the first bytes
(:func:`sniff_format`); a record's body from the first of :data:`BODY_FIELDS` it has.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, BinaryIO

from newsclass.charsets import check_encoding
from newsclass.decoding import ByteLines, page_text, record_lines, table_lines
from newsclass.reasons import UnreadableInput, json_type

__all__ = [
    "BODY_FIELDS",
    "FORMATS",
    "InputArticle",
    "InputError",
    "ReadOptions",
    "body_field_of",
    "describe_error",
    "field_names",
    "input_format_of",
    "missing_body",
    "read_format",
    "sniff_format",
    "unknown_format",
]

#: The input formats, as given to ``input_format``.
FORMATS = ("txt", "jsonl", "csv", "tsv")

_EXTENSIONS = {".txt": "txt", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv",
               ".tsv": "tsv"}


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
        The fields named in ``keep_fields`` (see :func:`newsclass.readers.iter_inputs`),
        as the record has them (``None`` for one it lacks), in the order named; empty for
        a page.
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
class ReadOptions:
    """How inputs are read: one frozen, checked set of options for a whole run.

    The command line, the Python API and the servers build it the same way, and every
    job takes it as ``read_options`` (:func:`newsclass.readers.read_inputs`).

    Parameters
    ----------
    glob : str, default="*"
        Which files in a directory to read, matched against the file name
        (case-sensitively). ``"*"`` means every file with a known extension (``.txt``,
        ``.jsonl``, ``.ndjson``, ``.csv``, ``.tsv``, each optionally ``.gz``), or every
        file when `input_format` is given.
    input_format : {"txt", "jsonl", "csv", "tsv"} or None
        Read every input in this format, whatever its extension; ``None``: from each
        file's extension (standard input: from its first bytes).
    split : bool, default=True
        Split a ``txt`` page into its articles; if false, each ``txt`` file is one
        article with an empty title and the whole text as its body.
    text_field : str or None
        The field (JSON key, CSV column) holding an article's body; ``None`` takes the
        first of :data:`BODY_FIELDS` that a record or a table's header has.
    title_field, id_field : str, default "title" and "id"
        The fields holding the optional title and the optional id of an article.
    label_field : str or None
        The field holding each article's label (required in every record).
    label_from_folder : bool, default=False
        Label each article with the name of its file's parent folder
        (``DATA/<label>/*.txt``); one article per ``txt`` file.
    encoding : str or None
        Decode every input with this codec instead of detecting each one's encoding.
        Kept by its canonical name (``"UTF8"`` becomes ``"utf-8"``).
    keep_fields : tuple of str, default=()
        Fields to carry along unchanged in each article's ``kept``.

    Raises
    ------
    ValueError
        For an unknown `input_format` or `encoding`, both `label_field` and
        `label_from_folder`, or `keep_fields` that is not a collection of names.
    """

    glob: str = "*"
    input_format: str | None = None
    split: bool = True
    text_field: str | None = None
    title_field: str = "title"
    id_field: str = "id"
    label_field: str | None = None
    label_from_folder: bool = False
    encoding: str | None = None
    keep_fields: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.input_format is not None and self.input_format not in FORMATS:
            raise ValueError(f"input_format must be one of {', '.join(FORMATS)}; "
                             f"got {self.input_format!r}")
        if self.label_field is not None and self.label_from_folder:
            raise ValueError("give either label_field or label_from_folder, not both")
        object.__setattr__(self, "keep_fields", field_names(self.keep_fields))
        object.__setattr__(self, "encoding", check_encoding(self.encoding))

    @classmethod
    def of(cls, options: ReadOptions | Mapping[str, Any] | None) -> ReadOptions:
        """`options` as a ReadOptions: itself, built from a mapping of its fields, or
        the defaults for ``None``."""
        if options is None:
            return cls()
        if isinstance(options, cls):
            return options
        unknown = sorted(set(options) - {f.name for f in dataclasses.fields(cls)})
        if unknown:
            raise ValueError(f"unknown read option(s) {', '.join(unknown)}; known: "
                             + ", ".join(f.name for f in dataclasses.fields(cls)))
        return cls(**options)


def field_names(names: Iterable[str], option: str = "keep_fields") -> tuple[str, ...]:
    """`names` as a tuple of field names, or a ValueError naming `option` when it is a
    single string or holds anything but non-blank strings."""
    names = names if isinstance(names, str) else tuple(names)
    if isinstance(names, str) or not all(isinstance(n, str) and n.strip() for n in names):
        raise ValueError(f"{option} must be a list of field names, like ['url', 'date'], "
                         f"got {names!r}")
    return names


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
    return _EXTENSIONS.get(_extension(path).lower())


def unknown_format(path: str | os.PathLike[str]) -> str:
    """Why a file is not read in any format: its extension, and the ones known."""
    extension = _extension(path)
    what = f"'{extension}'" if extension else "no file extension"
    return (f"unknown format: {what} (expected .txt, .jsonl, .csv or .tsv, each optionally "
            ".gz); force one with the input format option")


def _extension(path: str | os.PathLike[str]) -> str:
    """A file name's extension as written, looking through ``.gz``: ``".TXT"``, ``""``."""
    name = os.path.basename(os.fspath(path))
    if name.lower().endswith(".gz"):
        name = name[:-3]
    return os.path.splitext(name)[1]


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
            opts: ReadOptions, label: str | None) -> InputArticle | InputError:
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



def _read_txt(head: bytes, stream: BinaryIO, source: str, encoding: str, opts: ReadOptions,
              label: str | None) -> Iterator[InputArticle | InputError]:
    if opts.label_field is not None:
        yield InputError(source, "", f"missing field '{opts.label_field}': a txt page has no "
                                     "fields (label txt files by folder instead)")
        return
    try:
        page = page_text(head, stream, encoding)
    except UnreadableInput as failure:
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


def _read_jsonl(head: bytes, stream: BinaryIO, source: str, encoding: str, opts: ReadOptions,
                label: str | None) -> Iterator[InputArticle | InputError]:
    lines = ByteLines(head, stream)
    n = 0
    for n, line, reason in record_lines(lines, encoding):
        position = f"line {n}"
        if reason:
            yield InputError(source, position, reason)
            continue
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


def _read_table(head: bytes, stream: BinaryIO, source: str, encoding: str, opts: ReadOptions,
                label: str | None, delimiter: str) -> Iterator[InputArticle | InputError]:
    lines = ByteLines(head, stream)
    undecodable: list[str] = []  # reasons for the lines of the row being read
    reader = csv.reader(table_lines(lines, encoding, undecodable), delimiter=delimiter,
                        strict=True)
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
                  opts: ReadOptions) -> list[str] | InputError:
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


def read_format(input_format: str, head: bytes, stream: BinaryIO, source: str,
                encoding: str, opts: ReadOptions,
                label: str | None) -> Iterator[InputArticle | InputError]:
    """Read one open input in one format: an article or an error for each record.

    Parameters
    ----------
    input_format : {"txt", "jsonl", "csv", "tsv"}
    head : bytes
        The first bytes of the input, read already (to find its encoding).
    stream : binary file object
        The rest of the input.
    source : str
        The input's name in articles and errors.
    encoding : str
        The input's encoding, a codec name.
    opts : ReadOptions
    label : str or None
        The label of every article (taken from its folder), unless a label field names
        each one's.

    Yields
    ------
    InputArticle or InputError
    """
    if input_format == "txt":
        return _read_txt(head, stream, source, encoding, opts, label)
    if input_format == "jsonl":
        return _read_jsonl(head, stream, source, encoding, opts, label)
    delimiter = "," if input_format == "csv" else "\t"
    return _read_table(head, stream, source, encoding, opts, label, delimiter)


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
    >>> sniff_format(b'{"text": "..."}\\n', "utf-8"), sniff_format(b"id,text\\n1,x\\n", "utf-8")
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
