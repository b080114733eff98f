"""Reading many input files into a stream of articles, or of reasons why they could not be read.

:func:`iter_inputs` takes files, directories and ``-`` (standard input) and yields one
:class:`~newsclass.formats.InputArticle` for every article it can read and one
:class:`~newsclass.formats.InputError` for every article, line, row or file it cannot. A
bad input never stops the stream. :func:`input_files` and :func:`would_read` say which
files it reads; :func:`read_text` reads one page whole.

Each input is opened here (``.gz`` files are decompressed as they are read), its
encoding is detected from its first 64 KB or forced (:mod:`newsclass.charsets`), and
it is read in its format (:mod:`newsclass.formats`: ``txt``, ``jsonl``, ``csv``,
``tsv``), chosen by the file extension (looking through ``.gz``) or forced. Lines are
decoded one by one (:mod:`newsclass.decoding`), so undecodable bytes cost only their
line (or row); in a ``.txt`` page, which cannot be cut into articles without all its
lines, they cost the page.
"""

from __future__ import annotations

import fnmatch
import gzip
import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from typing import Any, BinaryIO

from newsclass.charsets import UNSURE_MARK, check_encoding, read_head, wide_as_utf8
from newsclass.decoding import page_text
from newsclass.formats import (
    InputArticle,
    InputError,
    ReadOptions,
    input_format_of,
    read_format,
    sniff_format,
    unknown_format,
)
from newsclass.reasons import READ_ERRORS, UnreadableInput, os_reason

__all__ = ["input_files", "iter_inputs", "read_inputs", "read_text", "would_read"]


def _read_stream(stream: BinaryIO, source: str, input_format: str | None, opts: ReadOptions,
                 label: str | None) -> Iterator[InputArticle | InputError]:
    """Read an open binary stream of the given format."""
    try:
        stream, wide = wide_as_utf8(stream, opts.encoding)
        head, encoding, sure = read_head(stream, "utf-8" if wide else opts.encoding)
    except UnreadableInput as failure:
        yield InputError(source, "", str(failure))
        return
    except READ_ERRORS as error:
        yield InputError(source, "", f"unreadable file: {os_reason(error)}")
        return
    if input_format is None:  # standard input: sniffed from its first bytes
        input_format = sniff_format(head, encoding, opts.text_field)
    items = read_format(input_format, head, stream, source, encoding, opts, label)
    if wide:
        items = (replace(item, encoding=wide) if isinstance(item, InputArticle) else item
                 for item in items)
    if sure:
        yield from items
        return
    guessed = encoding + UNSURE_MARK
    for item in items:
        yield replace(item, encoding=guessed) if isinstance(item, InputArticle) else item


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


def _read_file(path: str, opts: ReadOptions) -> Iterator[InputArticle | InputError]:
    input_format = opts.input_format or input_format_of(path)
    if input_format is None:
        yield InputError(path, "", unknown_format(path))
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


def _generate(inputs: list[str], opts: ReadOptions,
              stdin: BinaryIO | None) -> Iterator[InputArticle | InputError]:
    glob = opts.glob
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
    ``.gz`` files are decompressed, UTF-16 and UTF-32 are read by their byte order mark,
    the encoding is forced or detected from the first 64 KB
    (:func:`~newsclass.charsets.detect_encoding`), a UTF-8 byte order mark is dropped.

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
        :class:`~newsclass.formats.InputError`.
    """
    encoding = check_encoding(encoding)
    source = os.fspath(path)
    if source == "-":
        stream = stdin if stdin is not None else sys.stdin.buffer
    else:
        try:
            stream = _open(source)
        except OSError as error:
            raise ValueError(f"{source}: unreadable file: {os_reason(error)}") from None
    try:
        text, wide = wide_as_utf8(stream, encoding)  # UTF-16/32 with a byte order mark
        head, encoding, _ = read_head(text, "utf-8" if wide else encoding)
        return page_text(head, text, encoding)
    except UnreadableInput as failure:
        raise ValueError(f"{source}: {failure}") from None
    finally:
        if source != "-":
            stream.close()


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
    :class:`~newsclass.formats.InputArticle` or as an
    :class:`~newsclass.formats.InputError` saying why it could not be read; a file that
    cannot be read at all gives one :class:`~newsclass.formats.InputError` with an empty
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
        first of :data:`~newsclass.formats.BODY_FIELDS` (``text``, ``body``, ``content``)
        that a record or a table's header has. A record without one is an error naming
        the fields it has.
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
        (see :func:`~newsclass.charsets.detect_encoding`).
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
    return read_inputs(inputs, ReadOptions(
        glob=glob, input_format=input_format, split=split, text_field=text_field,
        title_field=title_field, id_field=id_field, label_field=label_field,
        label_from_folder=label_from_folder, encoding=encoding,
        keep_fields=keep_fields), stdin=stdin)


def read_inputs(inputs: Iterable[str | os.PathLike[str]] | str | os.PathLike[str],
                read_options: ReadOptions | Mapping[str, Any] | None = None, *,
                stdin: BinaryIO | None = None) -> Iterator[InputArticle | InputError]:
    """:func:`iter_inputs` with its options as one object, as the jobs read.

    Parameters
    ----------
    inputs : iterable of str or path-like, or a single one
    read_options : ReadOptions, mapping of its fields, or None
        How to read them (:meth:`ReadOptions.of`); ``None``: the defaults.
    stdin : binary file object, optional
        What ``"-"`` reads; ``sys.stdin.buffer`` by default.

    Yields
    ------
    InputArticle or InputError

    Raises
    ------
    ValueError, TypeError
        At the call, as :func:`iter_inputs`.
    """
    opts = ReadOptions.of(read_options)
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    try:
        paths = [os.fspath(item) for item in inputs]
        if not all(isinstance(path, str) for path in paths):
            raise TypeError
    except TypeError:
        raise TypeError("inputs must be a path or a collection of paths (str or "
                        "path-like)") from None
    return _generate(paths, opts, stdin)
