"""Text normalisation: the one place where raw article text is cleaned up."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["HAN", "ends_sentence", "join_broken_lines", "normalize"]

# Full-width punctuation that Chinese text is written with. NFKC would turn these into
# ASCII look-alikes; they are kept as they are so that the text still reads as Chinese.
_KEEP = "，：；！？（）…"
# They hide behind noncharacters (U+FDD0…), which NFKC leaves alone and which cannot be
# in the text at that point: they are removed with the invisible characters.
_HIDDEN = [(c, chr(0xFDD0 + i)) for i, c in enumerate(_KEEP)]

# Control (Cc, except tab and newline), format (Cf) and surrogate (Cs) characters, as of
# Unicode 14 (Python 3.11's unicodedata; tests check this list against unicodedata), and
# the noncharacters U+FDD0-U+FDEF.
_INVISIBLE_RE = re.compile(
    "["
    "\x00-\x08\x0b-\x1f\x7f-\x9f"
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\ud800-\udfff\ufdd0-\ufdef"
    "\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
    "]"
)
_NEWLINE_RE = re.compile("\r\n|[\r\u2028\u2029\x85]")
# Any character either of the two above would change (\r and \x85 are in the invisible
# class): one scan of one class finds whether a text needs them; most do not.
_ODD_RE = re.compile(f"{_INVISIBLE_RE.pattern[:-1]}\u2028\u2029]")
# White space other than a lone space or line break: folded by _fold_space.
_SPACES_RE = re.compile(r"\s{2,}|[^\S \n]")

#: Han characters, as a regular-expression class body: the CJK unified ideographs with
#: extension A, the compatibility ideographs and the supplementary planes' extensions.
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
# CJK punctuation that never ends a sentence, plus brackets and quotes.
_CJK_INNER = "，、“”‘’《》〈〉「」『』【】（）〔〕—·"
_FINAL = "。！？!?…；;：:"
# A single line break between two CJK characters, with no sentence-final mark before it.
# The pattern starts with the line break itself, so that the search jumps from break to
# break; the lookbehinds then check the two characters before it.
_BROKEN_LINE_RE = re.compile(
    f"\n(?<=[{HAN}{_CJK_INNER}]\n)(?<![{_FINAL}][”’」』）)]\n)(?=[{HAN}{_CJK_INNER}])")


def join_broken_lines(text: str) -> str:
    """Join every line break that falls inside a sentence.

    A break is inside a sentence when it stands between two CJK characters (Han or
    non-final CJK punctuation) and no sentence-final mark comes before it. Nothing else
    in the text changes.

    Parameters
    ----------
    text : str

    Returns
    -------
    str
    """
    return _BROKEN_LINE_RE.sub("", text)


def ends_sentence(line: str) -> bool:
    """Whether `line` ends with a sentence-final mark (possibly followed by a closing quote).

    Parameters
    ----------
    line : str

    Returns
    -------
    bool
    """
    stripped = line.rstrip().rstrip("”’」』）)\"'")
    return bool(stripped) and stripped[-1] in _FINAL


def _nfkc(text: str) -> str:
    if unicodedata.is_normalized("NFKC", text):
        return text
    # str.replace runs at C speed; str.translate with a table would be ten times slower.
    for char, hidden in _HIDDEN:
        text = text.replace(char, hidden)
    text = unicodedata.normalize("NFKC", text)
    for char, hidden in _HIDDEN:
        text = text.replace(hidden, char)
    return text


def normalize(text: str) -> str:
    """Clean up raw article text.

    Applies Unicode NFKC (so full-width letters and digits become half-width, and
    enclosed numerals such as ``①`` become plain digits) while keeping the full-width
    punctuation Chinese is written with (``，：；！？（）…``); removes zero-width,
    control and other invisible format characters; folds runs of spaces and tabs into
    one space and three or more line breaks into a blank line; and joins a line break
    inside a sentence: one between two CJK characters with no sentence-final mark
    before it, as left by text copied from a PDF column.

    Parameters
    ----------
    text : str
        Raw text.

    Returns
    -------
    str
        The normalised text, stripped of leading and trailing white space. The
        function is idempotent: ``normalize(normalize(t)) == normalize(t)``.

    Raises
    ------
    TypeError
        If `text` is not a ``str``.

    Examples
    --------
    >>> normalize("２０２３年，科技\\n创新　　成果")
    '2023年，科技创新 成果'
    """
    if not isinstance(text, str):
        raise TypeError(f"normalize() expects str, got {type(text).__name__}")
    if _ODD_RE.search(text):
        text = _INVISIBLE_RE.sub("", _NEWLINE_RE.sub("\n", text))
    # No character's NFKC form holds an invisible character or a line separator (a
    # test checks every code point), so none of those can appear from here on.
    text = _SPACES_RE.sub(_fold_space, _nfkc(text))
    return join_broken_lines(text).strip()


def _fold_space(match: re.Match) -> str:
    """A run of white space as one space, or the line break or blank line it holds."""
    breaks = match.group().count("\n")
    return " " if not breaks else "\n" if breaks == 1 else "\n\n"
