"""Splitting a whole newspaper page, as copied from a PDF or e-paper, into articles.

The rules are written out for users in ``docs/splitting.md``. In short: a page is read
line by line; every non-blank line is classed as page furniture, a headline-shaped line,
a byline, a photo credit, a continuation marker or body text. Bylines, ``上接`` markers
and photo credits anchor articles; the headline lines right above an anchor are that
article's headline block. Everything from one article's first line up to the next
article's first line belongs to it, so no line of the page is lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from newsclass.normalization import HAN, ends_sentence, join_broken_lines

__all__ = ["Article", "Furniture", "Page", "split_articles", "split_page"]


@dataclass(frozen=True)
class Article:
    """One article of a page.

    Parameters
    ----------
    title : str
        The main headline; empty for a title-less continuation or photo news without a
        headline.
    subtitles : tuple of str
        The other headline lines (kickers, series tags, sub-headlines), in page order.
    byline : str
        The byline as printed (``衡阳日报讯（…）``, ``■…记者 …``, ``新华社…电（…）``, or a
        photo credit ending in ``摄``); empty when there is none.
    body : str
        The article text: paragraphs separated by ``\\n``, lines broken inside a sentence
        (by the layout or by a page break) rejoined. Characters are not changed.
    continued_from : str
        Where the article comes from, e.g. ``第一版①`` for ``（上接第一版①）``; else empty.
    continues_to : str
        Where it goes on, e.g. ``第二版`` for ``（下转第二版）``; else empty.
    start, end : int
        Character offsets into the input string: ``page[start:end]`` is the article's
        raw extent, from its first to its last non-blank character.
    """

    title: str
    subtitles: tuple[str, ...] = ()
    byline: str = ""
    body: str = ""
    continued_from: str = ""
    continues_to: str = ""
    start: int = 0
    end: int = 0

    @property
    def text(self) -> str:
        """Title and body joined by a line break (just the body when there is no title)."""
        return f"{self.title}\n{self.body}" if self.title else self.body


@dataclass(frozen=True)
class Furniture:
    """A line that belongs to no article: page header, page number, edition line, editors.

    Parameters
    ----------
    text : str
        The line, without surrounding white space.
    start, end : int
        Character offsets into the input string (``page[start:end] == text``).
    """

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Page:
    """A split page: its articles and its furniture, both in page order.

    Parameters
    ----------
    articles : tuple of Article
    furniture : tuple of Furniture
    """

    articles: tuple[Article, ...]
    furniture: tuple[Furniture, ...]


# --- patterns ------------------------------------------------------------------------

_NAME = f"[{HAN}·•]{{2,4}}"
_ROLE = (f"(?:[{HAN}]{{0,10}}?(?:记者|通讯员|实习生|评论员|撰稿人?|摄影|编辑)"
         r"|文\s*[/／]\s*图|文\s*[/／]|图\s*[/／])")
# One credit: a role followed by one or more names ("记者 李明 王芳", "■本报记者张三").
_CREDIT_UNIT = (f"{_ROLE}(?:[\\s：:]+{_NAME}(?:[\\s、，,]+{_NAME})*"
                f"|[{HAN}·]{{2,3}}(?=\\s|$|摄|[）)]))")
_MARKS = "■□●◆▲◇★☆"
_BYLINE_RE = re.compile(
    f"^[{_MARKS}]?\\s*[（(]?\\s*{_CREDIT_UNIT}(?:\\s+{_CREDIT_UNIT})*\\s*(?:报道)?\\s*[）)]?$"
    f"|^[{_MARKS}]?\\s*[{HAN}]{{0,8}}评论员$")
_CREDIT_RE = re.compile(
    f"^[{_MARKS}]?\\s*[（(]?\\s*(?:{_CREDIT_UNIT}(?:\\s+{_CREDIT_UNIT})*|{_NAME}"
    f"(?:\\s+{_NAME})*)\\s*摄\\s*[）)]?$")
# A photo credit at the end of a caption: "……。（记者 张三 摄）" or "……。■张三 摄".
_INLINE_CREDIT_RE = re.compile(
    f"(?<=[。！？!?”])\\s*([{_MARKS}]?\\s*[（(]?\\s*(?:{_CREDIT_UNIT}(?:\\s+{_CREDIT_UNIT})*"
    f"|{_NAME}(?:\\s+{_NAME})*)\\s*摄\\s*[）)]?)$")
_PAREN = r"(?:\s*(?:（[^（）\n]{0,60}）|\([^()\n]{0,60}\)))"
_LEAD_RE = re.compile(
    f"^(?:本报|[{HAN}A-Za-z]{{1,10}}?(?:报|网|台|社|端|新闻|融媒|时刻))讯{_PAREN}?"
    f"|^(?:新华社|中新社|中新网|本报)[{HAN}]{{0,10}}?\\d{{1,2}}月\\d{{1,2}}日电{_PAREN}?")
_OPEN_LEAD_RE = re.compile(r"^[^（(]{1,20}讯\s*(?:（[^）]*|\([^)]*)$")
_FROM_RE = re.compile(r"^[（(]\s*上接\s*([^（）()\s]{1,12}?)\s*[）)]\s*")
_TO_RE = re.compile(r"\s*[（(]\s*下转\s*([^（）()\s]{1,12}?)\s*[）)]\s*$")
_CAPTION_IN_ARTICLE_RE = re.compile(r"^(?:图为|上图|下图|左图|右图|图[：:]|[▲△])")
_FURNITURE_RES = tuple(re.compile(p) for p in (
    r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日.{0,8}(?:星期|周)[一二三四五六日天]",
    r"^第?\s*[A-Z]?\d{1,3}\s*版",
    r"^第[一二三四五六七八九十]{1,3}版(?:[\s:：·]|$)",
    r"^[A-Z]?\d{1,3}$",
    r"^(?:本版)?(?:责任编辑|责编|编辑|美编|美术编辑|校对|版式|组版|审读|值班编委|主编|视觉)"
    r"\s*[：:]",
    f"^[{HAN}]{{2,8}}(?:日报|晚报|时报|商报|都市报)$",
    f"^[A-Z]?\\d{{1,2}}\\s*[{HAN}·•]{{2,8}}$",
    f"^[{HAN}·•]{{2,8}}\\s+[A-Z]?\\d{{1,2}}$",
    r"^(?:国内统一连续出版物号|CN\s*\d{2}\s*-\s*\d{4})",
))
_SECONDARY_RE = re.compile(
    r"^(?:——|—|--|\d)|(?:系列报道|系列评论|系列述评|系列访谈|专题报道|之[一二三四五六七八九十\d]+)$"
    r"|^【.*】$")
_MAX_HEAD = 36
_MAX_HEAD_LINES = 4

# Line kinds.
_FURN, _HEAD, _BODY, _LEAD, _BYLINE, _CREDIT, _FROM = range(7)


@dataclass
class _Line:
    text: str   # without surrounding white space
    start: int  # offsets of `text` in the page
    end: int
    gap: bool   # a blank line comes between this line and the previous non-blank one
    kind: int = _BODY
    head_shape: bool = False


def _lines(page: str) -> list[_Line]:
    lines: list[_Line] = []
    gap = False
    for match in re.finditer(r"[^\r\n]*(?:\r\n|\r|\n|$)", page):
        raw = match.group().rstrip("\r\n")
        text = raw.strip()
        if not text:
            gap = True
            if match.end() == len(page):
                break
            continue
        start = match.start() + (len(raw) - len(raw.lstrip()))
        lines.append(_Line(text, start, start + len(text), gap and bool(lines)))
        gap = False
    return lines


_HALF_STOP_RE = re.compile(f"[{HAN}]\\.[\"'”’）)]*$")


def _ends(text: str) -> bool:
    """Whether `text` ends a sentence; a half-width full stop after Han counts too."""
    return ends_sentence(text) or bool(_HALF_STOP_RE.search(text.rstrip()))


def _is_furniture(text: str) -> bool:
    return (len(text) <= 40 and "。" not in text
            and any(p.search(text) for p in _FURNITURE_RES))


def _head_shaped(text: str) -> bool:
    return (2 <= len(text) <= _MAX_HEAD and not _ends(text) and "。" not in text
            and len(re.findall("[，,；;]", text)) <= 1
            and not _TO_RE.search(text) and not text.endswith("摄"))


def _classify(lines: list[_Line]) -> None:
    for line in lines:
        text = line.text
        if _is_furniture(text):
            line.kind = _FURN
        elif _FROM_RE.match(text):
            line.kind = _FROM
        elif _LEAD_RE.match(text):
            line.kind = _LEAD
        elif len(text) <= 50 and _CREDIT_RE.match(text):
            line.kind = _CREDIT
        elif len(text) <= 50 and _BYLINE_RE.match(text):
            line.kind = _BYLINE
        else:
            line.head_shape = _head_shaped(text)
    # A headline stands on its own: a head-shaped line that continues a broken body line,
    # or runs on into body text with no blank line between, is body text.
    for i, line in enumerate(lines):
        if not line.head_shape:
            continue
        prev = lines[i - 1] if i else None
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        wrapped_in = (prev is not None and not line.gap and prev.kind in (_BODY, _LEAD, _FROM)
                      and not prev.head_shape and not _ends(prev.text))
        runs_on = nxt is not None and not nxt.gap and nxt.kind == _BODY and not nxt.head_shape
        if wrapped_in or runs_on:
            line.head_shape = False
        else:
            line.kind = _HEAD


def _head_before(lines: list[_Line], i: int, floor: int) -> int:
    """First line of the headline block that ends just before line `i` (or `i`)."""
    j = i
    while j - 1 >= floor and i - (j - 1) <= _MAX_HEAD_LINES and lines[j - 1].kind == _HEAD:
        j -= 1
    return j


def _caption_start(lines: list[_Line], i: int, floor: int) -> int:
    """First line of the caption paragraph that ends at line `i`."""
    j = i
    while (j - 1 >= floor and not lines[j].gap and lines[j - 1].kind == _BODY
           and not _ends(lines[j - 1].text)):
        j -= 1
    return j


def _starts(lines: list[_Line]) -> list[tuple[int, int, str]]:  # noqa: C901 - splitter rules
    """(first line, anchor line, how) of every article after the page's first one."""
    starts: list[tuple[int, int, str]] = []
    floor = 0
    after_to = False
    pending = -1
    for i, line in enumerate(lines):
        kind = line.kind
        start, anchor, how = -1, -1, ""
        if kind in (_LEAD, _FROM):
            start, anchor = _head_before(lines, i, floor), i
            how = "lead" if kind == _LEAD else "from"
        elif kind == _BYLINE:
            head = _head_before(lines, i, floor)
            if head < i or not any(x.kind != _FURN for x in lines[:i]):
                start, anchor, how = head, i, "byline"
        elif kind == _CREDIT and i > floor and lines[i - 1].kind in (_BODY, _HEAD):
            cap = _caption_start(lines, i - 1, floor)
            if not _CAPTION_IN_ARTICLE_RE.match(lines[cap].text):
                start, anchor, how = _head_before(lines, cap, floor), cap, "photo"
        elif (kind == _BODY and _INLINE_CREDIT_RE.search(line.text)
              and not (i + 1 < len(lines) and not lines[i + 1].gap
                       and lines[i + 1].kind == _BODY)):
            cap = _caption_start(lines, i, floor)
            if not _CAPTION_IN_ARTICLE_RE.match(lines[cap].text):
                start, anchor, how = _head_before(lines, cap, floor), cap, "photo"
        elif kind == _HEAD and line.gap and (i == 0 or lines[i - 1].kind != _HEAD):
            # Two or more stand-alone headline lines after a finished sentence open an
            # article even without a byline (a lone one is a column label).
            j = i
            while j + 1 < len(lines) and lines[j + 1].kind == _HEAD and lines[j + 1].gap:
                j += 1
            prev = lines[i - 1] if i else None
            if (j > i and j + 1 < len(lines) and lines[j + 1].gap
                    and lines[j + 1].kind == _BODY
                    and (prev is None or prev.kind != _BODY or _ends(prev.text))):
                start, anchor, how = i, j + 1, "head"
        if after_to and kind != _FURN:
            # The text after a 下转 marker is another article.
            if kind == _HEAD:
                pending = i if pending < 0 else pending
            else:
                if start < 0 or (pending >= 0 and start > pending):
                    start = pending if pending >= 0 else i
                    anchor, how = start, "to"
                after_to, pending = False, -1
        if kind not in (_FURN, _HEAD) and _TO_RE.search(line.text):
            after_to = True
        if start >= 0 and start >= floor and (not starts or start > starts[-1][0]):
            starts.append((start, anchor, how))
            floor = i + 1
    return starts


def _pick_title(head: list[str]) -> tuple[str, tuple[str, ...]]:
    """Main title and the other headline lines; see the module rules."""
    if not head:
        return "", ()
    main = [k for k, text in enumerate(head) if not _SECONDARY_RE.search(text)]
    k = main[-1] if main else 0
    return head[k], tuple(text for n, text in enumerate(head) if n != k)


def _glue(left: str, right: str) -> str:
    if left[-1:].isascii() and left[-1:].isalnum() and right[:1].isascii() and right[:1].isalnum():
        return f"{left} {right}"
    return left + right


def _body(parts: list[tuple[str, bool, bool]]) -> str:
    """Join body lines given as (text, gap before, is a lone label line)."""
    blocks: list[tuple[list[str], bool]] = []
    for text, gap, label in parts:
        if not blocks or gap:
            blocks.append(([text], label))
        else:
            blocks[-1][0].append(text)
            blocks[-1] = (blocks[-1][0], False)
    paragraphs: list[tuple[str, bool]] = []
    for block, label in blocks:
        text = join_broken_lines("\n".join(block))
        if paragraphs and not paragraphs[-1][1] and not _ends(paragraphs[-1][0]):
            # A page or column break in the middle of a sentence.
            paragraphs[-1] = (_glue(paragraphs[-1][0], text), False)
        else:
            paragraphs.append((text, label))
    return "\n".join(text for text, _ in paragraphs)


def _article(lines: list[_Line], first: int, anchor: int, how: str,  # noqa: C901 - splitter rules
             stop: int) -> Article | None:
    content = [n for n in range(first, stop) if lines[n].kind != _FURN]
    if not content:
        return None
    head: list[str] = []
    n = first
    if how in ("top", "to"):
        # No anchor: leading headline lines are a headline when text follows them.
        k = first
        while k < stop and lines[k].kind in (_HEAD, _FURN) and len(head) < _MAX_HEAD_LINES:
            if lines[k].kind == _HEAD:
                head.append(lines[k].text)
            k += 1
        if head and any(lines[m].kind != _FURN for m in range(k, stop)):
            n = k
        else:
            head = []
    else:
        head = [lines[k].text for k in range(first, anchor) if lines[k].kind != _FURN]
        n = anchor
    byline = continued_from = continues_to = ""
    parts: list[tuple[str, bool, bool]] = []
    skip = -1
    for k in range(n, stop):
        line = lines[k]
        if line.kind == _FURN or k <= skip:
            continue
        text = line.text
        gap = line.gap or not parts
        if k == anchor and how == "lead":
            # A byline whose brackets run on to the next line(s).
            nxt = k + 1
            while (_OPEN_LEAD_RE.match(text) and nxt < min(stop, k + 3)
                   and not lines[nxt].gap and lines[nxt].kind != _FURN):
                text = join_broken_lines(f"{text}\n{lines[nxt].text}")
                skip, nxt = nxt, nxt + 1
            match = _LEAD_RE.match(text)
            assert match is not None
            byline, text = match.group().strip(), text[match.end():].strip()
        elif k == anchor and how == "from":
            match = _FROM_RE.match(text)
            assert match is not None
            continued_from, text = match.group(1), text[match.end():]
        elif not byline and (line.kind == _BYLINE or (how == "photo" and line.kind == _CREDIT)):
            byline, text = text, ""
        elif how == "photo" and not byline:
            inline = _INLINE_CREDIT_RE.search(text)
            if inline:
                byline, text = inline.group(1).strip(), text[:inline.start()]
        match = _TO_RE.search(text)
        if match:
            continues_to, text = match.group(1), text[:match.start()]
        if text:
            parts.append((text, gap, line.kind == _HEAD))
    title, subtitles = _pick_title(head)
    return Article(title=title, subtitles=subtitles, byline=byline, body=_body(parts),
                   continued_from=continued_from, continues_to=continues_to,
                   start=lines[content[0]].start, end=lines[content[-1]].end)


def split_page(page: str) -> Page:
    """Split a newspaper page into articles and page furniture.

    Every non-blank line ends up in exactly one article's extent or in the furniture.
    An article starts at a byline (``XX日报讯（…）``, ``本报讯``, ``新华社…电``, a
    ``■…记者 …`` line after a headline), a ``（上接…）`` marker, a photo credit
    (``…摄``; the caption paragraph above it is the photo news) or after a ``（下转…）``
    marker; up to four headline-shaped lines right above the anchor are its headline.
    Of the headline lines the main title is the last one that is not a sub-headline
    (starting with ``——`` or a digit) or a series tag (``…系列报道``, ``【…】``); when
    every line is such, the first. The others go to ``subtitles``. Photo news without a
    headline gets an empty title. A lone headline-shaped line inside an article (a column
    label) stays in the body. See ``docs/splitting.md`` for all rules.

    Parameters
    ----------
    page : str
        The page text; ``\\n``, ``\\r\\n`` and ``\\r`` line endings are all accepted.

    Returns
    -------
    Page
        Articles and furniture, in page order; offsets refer to `page` as given.

    Raises
    ------
    TypeError
        If `page` is not a ``str``.
    """
    if not isinstance(page, str):
        raise TypeError(f"page must be str, got {type(page).__name__}")
    lines = _lines(page)
    _classify(lines)
    starts = _starts(lines)
    if not starts or starts[0][0] > 0:
        starts.insert(0, (0, 0, "top"))
    articles: list[Article] = []
    owned: list[tuple[int, int]] = []
    for s, (first, anchor, how) in enumerate(starts):
        stop = starts[s + 1][0] if s + 1 < len(starts) else len(lines)
        article = _article(lines, first, anchor, how, stop)
        if article is not None:
            articles.append(article)
            owned.append((article.start, article.end))
    furniture = tuple(
        Furniture(line.text, line.start, line.end) for line in lines
        if line.kind == _FURN and not any(a <= line.start < b for a, b in owned))
    return Page(tuple(articles), furniture)


def split_articles(page: Any) -> list[Article]:
    """Split a newspaper page into its articles (``split_page(page).articles``).

    Parameters
    ----------
    page : str

    Returns
    -------
    list of Article
        In page order; empty for an empty or blank page, one article for a page without
        a recognisable headline.

    Raises
    ------
    TypeError
        If `page` is not a ``str``.
    """
    return list(split_page(page).articles)
