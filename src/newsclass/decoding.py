"""Decoding inputs into text: line by line, so that undecodable bytes cost only their line.

:class:`ByteLines` streams the ``\\n``-ended lines of a file whose first bytes were read
already (to detect its encoding); :func:`record_lines` and :func:`table_lines` decode
them one by one for JSON lines and for tables, and :func:`page_text` decodes a page
whole. :func:`undecodable_reason` says, for all of them, which bytes of which line do not
decode.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from newsclass.reasons import READ_ERRORS, UnreadableInput, os_reason

__all__ = ["ByteLines", "page_text", "record_lines", "table_lines", "undecodable_reason"]


class ByteLines:
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
        except READ_ERRORS as error:
            self.failure = os_reason(error)
            return
        if tail:
            yield tail


def undecodable_reason(error: UnicodeDecodeError, encoding: str, where: str,
                       line_start: int = 0) -> str:
    """Why a line does not decode; `line_start` is the line's offset in ``error.object``."""
    bad = error.object[error.start:error.end].hex(" ")
    return (f"undecodable bytes in {where}: they do not decode as {encoding} ({error.reason}: "
            f"{bad} at byte {error.start - line_start + 1} of the line)")


def _line_codec(encoding: str) -> str:
    """The codec of a line after the first: a UTF-8 byte order mark only starts a file."""
    return "utf-8" if encoding == "utf-8-sig" else encoding


def record_lines(lines: ByteLines, encoding: str) -> Iterator[tuple[int, str, str]]:
    """The lines of a JSON-lines input, decoded one by one.

    Files joined with ``cat`` can have a byte order mark at the start of any line: it is
    dropped wherever it stands.

    Parameters
    ----------
    lines : ByteLines
    encoding : str
        The input's encoding.

    Yields
    ------
    tuple of (int, str, str)
        The line number (from 1), the line's text and, for a line that does not decode,
        the reason (its text is then empty); the reason is empty for every other line.
    """
    codec = _line_codec(encoding)
    for number, raw in enumerate(lines, 1):
        try:
            line = raw.decode(codec)
        except UnicodeDecodeError as error:
            yield number, "", undecodable_reason(error, encoding, f"line {number}")
            continue
        yield number, line[1:] if line.startswith("\ufeff") else line, ""


def table_lines(lines: ByteLines, encoding: str, undecodable: list[str]) -> Iterator[str]:
    """The lines of a CSV or TSV input, decoded one by one, for :func:`csv.reader`.

    A byte order mark can only start the first line. A line that does not decode comes
    with its undecodable bytes replaced (U+FFFD), and the reason is appended to
    `undecodable`, for the row being read to report.
    """
    later = _line_codec(encoding)
    for number, raw in enumerate(lines, 1):
        codec = encoding if number == 1 else later
        try:
            yield raw.decode(codec)
        except UnicodeDecodeError as error:
            undecodable.append(undecodable_reason(error, encoding, f"line {number}"))
            yield raw.decode(codec, errors="replace")


def page_text(head: bytes, stream: BinaryIO, encoding: str) -> str:
    """The whole text of a stream whose first bytes were read already.

    Raises
    ------
    UnreadableInput
        If the rest cannot be read or some bytes do not decode.
    """
    try:
        data = head + stream.read()
    except READ_ERRORS as error:
        raise UnreadableInput(f"unreadable file: {os_reason(error)}") from None
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        start = data.rfind(b"\n", 0, error.start) + 1
        raise UnreadableInput(undecodable_reason(error, encoding, f"line {line}", start)
                              + "; the page was not read") from None

