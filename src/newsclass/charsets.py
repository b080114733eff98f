"""The character set (text encoding) of an input: detected from its first bytes, or forced.

:func:`read_head` reads the first 64 KB of a stream (:data:`SAMPLE_SIZE`), refuses an
empty or binary one and gives its encoding: the one forced with the encoding option
(checked by :func:`check_encoding`), or the one :func:`detect_encoding` finds, with
whether that detection is sure (:data:`UNSURE_MARK`). UTF-16 and UTF-32 text, found by
its byte order mark or named, is read as UTF-8 (:func:`wide_as_utf8`), so that every
format can split its lines at ``\\n``.
"""

from __future__ import annotations

import codecs
import io
from typing import Any, BinaryIO

from charset_normalizer import from_bytes

from newsclass.reasons import READ_ERRORS, UnreadableInput, os_reason

__all__ = [
    "COMMON_HAN_SHARE",
    "SAMPLE_SIZE",
    "UNSURE_MARK",
    "check_encoding",
    "detect_encoding",
    "read_head",
    "wide_as_utf8",
]

#: How many bytes from the start of a file the encoding is detected from.
SAMPLE_SIZE = 64 * 1024

#: Appended to an article's ``encoding`` when the encoding was detected but unsure
#: (``"gb18030?"``): force the right one with the encoding option.
UNSURE_MARK = "?"

# Encodings that Chinese news comes in besides UTF-8, as charset-normalizer names them.
_CHINESE = ["gb18030", "big5"]
# GB 2312 and GBK are subsets of GB 18030: decode them as the superset.
_AS_GB18030 = {"gb2312", "gbk", "hz"}


def check_encoding(encoding: str | None) -> str | None:
    """The codec name of an encoding given as an option (``None`` stays ``None``).

    Raises
    ------
    ValueError
        For an encoding Python does not know.
    """
    if encoding is None:
        return None
    try:
        return _codec_name(encoding)
    except LookupError:
        raise ValueError(f"unknown encoding {encoding!r}") from None


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


def read_head(stream: BinaryIO, encoding: str | None) -> tuple[bytes, str, bool]:
    """The first bytes of `stream`, its encoding, forced or detected, and whether that
    encoding is sure (forced ones are).

    Parameters
    ----------
    stream : binary file object
        Read from its start; the first :data:`SAMPLE_SIZE` bytes (fewer only at its end)
        are consumed and returned.
    encoding : str or None
        The forced encoding, a codec name (see :func:`check_encoding`); ``None`` detects it
        from the whole lines of the first bytes (:func:`detect_encoding`).

    Returns
    -------
    tuple of (bytes, str, bool)

    Raises
    ------
    UnreadableInput
        If the stream cannot be read, is empty or binary, or its encoding is unknown.
    """
    try:
        head = _read_sample(stream)
    except READ_ERRORS as error:
        raise UnreadableInput(f"unreadable file: {os_reason(error)}") from None
    content = head[len(codecs.BOM_UTF8):] if head.startswith(codecs.BOM_UTF8) else head
    if len(head) < SAMPLE_SIZE and (not content or content.isspace()):
        raise UnreadableInput("empty file")
    if b"\x00" in head:
        bare = _bare_utf16(head)
        if bare:
            hint = (f" (it reads as {bare.upper()} text without a byte order mark: give its "
                    f"encoding, {bare})")
        elif head.startswith(b"\x1f\x8b"):
            hint = " (gzip-compressed data; name the file .gz)"
        else:
            hint = ""
        raise UnreadableInput(f"binary file: NUL bytes in the first {len(head) // 1024 or 1} "
                              f"KB{hint}")
    sure = True
    if encoding is None:
        # Detect from whole lines only, so no character is cut in two.
        cut = head.rfind(b"\n") + 1 if len(head) == SAMPLE_SIZE else 0
        encoding, sure = _detect(head[:cut] if cut else head)
        if encoding is None:
            raise UnreadableInput("cannot detect the text encoding; give it with the "
                                  "encoding option (e.g. gb18030 or utf-8)")
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


#: Byte order marks of the wide Unicode encodings, longest first (UTF-32 LE starts with
#: UTF-16 LE's mark).
_WIDE_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
              (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


class _Utf8Of(io.RawIOBase):
    """A stream of UTF-16 or UTF-32 text (Excel's "Unicode text"), read as UTF-8 bytes,
    so that every format sees lines ending in ``\\n``."""

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
        name = _codec_name(encoding)
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



def wide_as_utf8(stream: BinaryIO, encoding: str | None) -> tuple[BinaryIO, str | None]:
    """`stream` as UTF-8 bytes when it is UTF-16 or UTF-32 text, and which of them it is.

    Parameters
    ----------
    stream : binary file object
    encoding : str or None
        The forced encoding; ``None`` looks for a wide byte order mark at the start of
        `stream` (peeked, not consumed; a stream that can neither peek nor seek is not
        looked at).

    Returns
    -------
    tuple of (binary file object, str or None)
        A buffered stream of UTF-8 bytes and ``"utf-16"`` or ``"utf-32"``; for any other
        text, `stream` itself and ``None``.
    """
    wide = _wide_encoding(stream, encoding)
    if wide is None:
        return stream, None
    return io.BufferedReader(_Utf8Of(stream, wide), 1 << 16), wide  # type: ignore[arg-type]
