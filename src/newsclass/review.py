"""``newsclass review``: a local web page for checking labels and correcting them.

:func:`load_review` reads the records of ``newsclass label`` (JSON lines) and finds each
article's text: in the record (``--keep-text``) or in the inputs. :func:`review_app`
builds the Starlette application: a list of the articles, least certain first, with
filters, a text search and counts per label; one article at a time with the terms that
drove the decision highlighted in its text, coloured by the label they push towards;
keys ``1``–``9`` set a label, Enter accepts, the arrows move. Every decision is appended
to the corrections file (:class:`newsclass.corrections.CorrectionLog`) and on disk
before the page shows it saved.

Safety: the application answers only requests that carry its random token (in the URL
as ``?token=``, or in the ``X-Review-Token`` header the page sends), so another page
open in the same browser cannot read articles or post decisions; the page sends
positions and labels, never file paths; article text reaches the page as JSON and is
put into it as text, never as markup.
"""

from __future__ import annotations

import json
import os
import secrets
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from newsclass.corrections import CorrectionLog, make_correction
from newsclass.default_model import as_model
from newsclass.digest import text_sha256
from newsclass.formats import InputArticle, ReadOptions
from newsclass.labels import LABELS, label_name
from newsclass.readers import read_inputs
from newsclass.webapp import missing_web_extra

__all__ = ["ReviewItem", "ReviewSession", "load_review", "review_app"]

#: Explaining terms asked of the model per label shown (the label and the runner-up).
TERMS_PER_LABEL = 12
#: Assets of the page, served from the package by name (nothing else is).
ASSETS = {"review.js": "text/javascript", "review.css": "text/css"}


@dataclass
class ReviewItem:
    """One labelled article to review.

    Attributes
    ----------
    n : int
        Its line number in the records file (1-based).
    id, source, title, body : str
    label : str
        The model's label.
    top : list of (label, probability)
        The most probable labels, best first.
    text_sha256 : str
        Fingerprint of the full title and body (:func:`newsclass.digest.text_sha256`).
    snippet : bool
        Whether `body` is only the start of the article (no full text was found).
    """

    n: int
    id: str
    source: str
    title: str
    body: str
    label: str
    top: list
    text_sha256: str
    snippet: bool = False

    @property
    def confidence(self) -> float:
        """Probability of the best label."""
        return float(self.top[0][1]) if self.top else 0.0

    @property
    def margin(self) -> float:
        """How far the best label is ahead of the runner-up."""
        return self.confidence - (float(self.top[1][1]) if len(self.top) > 1 else 0.0)


def _record_item(n: int, row: Any, where: str) -> ReviewItem:
    if not isinstance(row, dict):
        raise ValueError(f"{where}: not a JSON object")
    for name in ("id", "source", "label"):
        if not isinstance(row.get(name), str):
            raise ValueError(f"{where}: field '{name}' is missing or not a string "
                             "(is this the output of newsclass label?)")
    top = row.get("top")
    if not isinstance(top, dict) or not all(
            isinstance(p, (int, float)) and not isinstance(p, bool) for p in top.values()):
        raise ValueError(f"{where}: field 'top' must map labels to probabilities")
    ranked = sorted(((str(k), float(v)) for k, v in top.items()), key=lambda kv: -kv[1])
    body = row.get("body") if isinstance(row.get("body"), str) else None
    title = row.get("title") if isinstance(row.get("title"), str) else ""
    item = ReviewItem(n, row["id"], row["source"], title, body or "", row["label"], ranked,
                      str(row.get("text_sha256") or ""), snippet="body_chars" in row)
    if body is None:
        item.snippet = None  # no text at all yet
    return item


def _read_records(path: str) -> list[ReviewItem]:
    items = []
    try:
        with open(path, encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                where = f"{path} line {n}"
                try:
                    row = json.loads(line)
                except ValueError as exc:
                    raise ValueError(f"{where}: malformed JSON ({exc})") from None
                items.append(_record_item(n, row, where))
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {(exc.strerror or str(exc)).lower()}") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path} is not UTF-8 JSON lines (review reads the JSON lines "
                         "of newsclass label, not CSV)") from None
    if not items:
        raise ValueError(f"{path} holds no records to review")
    return items


def _fill_texts(items: list[ReviewItem], inputs: list[str], read_options: ReadOptions) -> None:
    """Give the items without their full text the text of the same article in `inputs`."""
    wanted = {(i.source, i.id): i for i in items if i.snippet is not False}
    if not wanted or not inputs:
        return
    for article in read_inputs(inputs, read_options):
        if isinstance(article, InputArticle):
            item = wanted.pop((article.source, article.id), None)
            if item is not None:
                item.title, item.body, item.snippet = article.title, article.body, False
                item.text_sha256 = text_sha256(article.title, article.body)


def load_review(output: str | os.PathLike, inputs: Iterable[str | os.PathLike] | None = None,
                read_options: ReadOptions | Mapping[str, Any] | None = None
                ) -> list[ReviewItem]:
    """Read labelled records and find the full text of each article.

    Parameters
    ----------
    output : str or path-like
        JSON lines written by ``newsclass label`` (:func:`newsclass.batch.label_files`).
    inputs : iterable of paths or None
        Where the articles' texts are: the inputs that were labelled, read again and
        joined to the records by source and id. ``None``: the records' own text
        (``keep_text``), and for records without it the files named in their
        ``source``, when those still exist.
    read_options : ReadOptions, mapping of its fields, or None
        How to read `inputs`, as when labelling (:class:`newsclass.formats.ReadOptions`).

    Returns
    -------
    list of ReviewItem
        In the order of the records file.

    Raises
    ------
    ValueError
        If the file cannot be read, a line is not a label record, or some articles have
        no text anywhere; the message names the file and the line or the fix.
    """
    path = os.fspath(output)
    items = _read_records(path)
    if inputs is None:
        sources = {i.source for i in items if i.snippet is not False}
        inputs = sorted(s for s in sources if s != "-" and os.path.isfile(s))
    _fill_texts(items, [os.fspath(p) for p in inputs], ReadOptions.of(read_options))
    missing = [i for i in items if i.snippet is None]
    if missing:
        raise ValueError(
            f"{len(missing)} of the {len(items)} records of {path} have no text, e.g. "
            f"{missing[0].id!r} from {missing[0].source}: label with --keep-text, or give "
            "the labelled files with --inputs")
    for item in items:
        if not item.text_sha256:
            item.text_sha256 = text_sha256(item.title, item.body)
    return items


# -- the session -----------------------------------------------------------------------
def _highlight(text: str, terms: dict[str, str]) -> list[list]:
    """`text` cut into ``[piece, label or None]`` segments, each term found marked with
    the label it pushes towards; longer terms win where terms overlap."""
    owner: list[str | None] = [None] * len(text)
    for term in sorted(terms, key=len, reverse=True):
        start = text.find(term)
        while start != -1:
            end = start + len(term)
            if all(o is None for o in owner[start:end]):
                owner[start:end] = [term] * len(term)
            start = text.find(term, end)
    segments: list[list] = []
    for ch, term in zip(text, owner, strict=True):
        label = terms[term] if term is not None else None
        if segments and segments[-1][1] == label and (label is None or segments[-1][2] == term):
            segments[-1][0] += ch
        else:
            segments.append([ch, label, term])
    return [[piece, label] for piece, label, _ in segments]


@dataclass
class ReviewSession:
    """The state behind the review page: the articles in review order, the model that
    explains them and the corrections file.

    Parameters
    ----------
    items : list of ReviewItem
    model : NewsClassifier
        Explains the labels (the model that labelled the records, ideally).
    log : CorrectionLog
        Where decisions go; its earlier decisions count as done.
    """

    items: list
    model: Any
    log: CorrectionLog
    order: list = field(init=False)
    labels: list = field(init=False)
    _explained: dict = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.order = sorted(self.items, key=lambda i: (i.confidence, i.margin, i.n))
        known = [str(c) for c in self.model.classes_]
        seen = {i.label for i in self.items} | {lab for i in self.items for lab, _ in i.top}
        names = [lab for lab in LABELS if lab in known or lab in seen]
        self.labels = names + sorted((set(known) | seen) - set(names))

    def decision(self, item: ReviewItem) -> dict | None:
        """The reviewer's latest decision about `item`, if any."""
        return self.log.decisions.get((item.source, item.id))

    def counts(self, items: Iterable[ReviewItem] | None = None) -> dict:
        """Per label: the articles the model gave it (``model``), those that have it now
        (``now``: the reviewer's label where there is one, else the model's) and how
        many of those are reviewed (``reviewed``); of `items`, default all."""
        model, now, reviewed = Counter(), Counter(), Counter()
        for item in self.order if items is None else items:
            d = self.decision(item)
            model[item.label] += 1
            now[d["label"] if d else item.label] += 1
            if d is not None:
                reviewed[d["label"]] += 1
        return {lab: {"model": model[lab], "now": now[lab], "reviewed": reviewed[lab]}
                for lab in self.labels}

    def state(self) -> dict:
        """Labels (with keys and Chinese names), sources, progress, counts per label
        (:meth:`counts`) and where to start."""
        done = [self.decision(i) for i in self.order]
        start = next((k for k, d in enumerate(done) if d is None), 0)
        return {"labels": [{"id": lab, "zh": label_name(lab), "key": k + 1}
                           for k, lab in enumerate(self.labels)],
                "sources": sorted({i.source for i in self.items}),
                "total": len(self.order), "reviewed": sum(d is not None for d in done),
                "counts": self.counts(), "start": start}

    def listing(self, label: str = "", source: str = "", low: float = 0.0,
                high: float = 1.0, query: str = "") -> dict:
        """The articles that pass the filters, in review order, and their counts per
        label (:meth:`counts`)."""
        rows, passed = [], []
        for pos, item in enumerate(self.order):
            if ((label and item.label != label) or (source and item.source != source)
                    or not low <= item.confidence <= high
                    or (query and query not in item.title and query not in item.body)):
                continue
            d = self.decision(item)
            passed.append(item)
            rows.append({"pos": pos, "id": item.id, "source": item.source,
                         "title": item.title or item.body[:40], "label": item.label,
                         "label_zh": label_name(item.label),
                         "confidence": round(item.confidence, 4),
                         "margin": round(item.margin, 4),
                         "decision": d["label"] if d else None})
        return {"items": rows, "counts": self.counts(passed)}

    def _terms(self, item: ReviewItem) -> list[dict]:
        """Terms pushing towards the label and the runner-up: each with the label it
        pushes towards most."""
        if item.n not in self._explained:
            best: dict[str, tuple[float, str]] = {}
            known = {str(c) for c in self.model.classes_}
            for lab, _ in item.top[:2]:
                if lab not in known:
                    continue
                for term, weight in self.model.explain({"title": item.title, "body": item.body},
                                                       top=TERMS_PER_LABEL, label=lab):
                    if weight > 0 and weight > best.get(term, (0.0, ""))[0]:
                        best[term] = (weight, lab)
            self._explained[item.n] = [
                {"term": t, "label": lab, "weight": round(w, 4)}
                for t, (w, lab) in sorted(best.items(), key=lambda kv: -kv[1][0])]
        return self._explained[item.n]

    def article(self, pos: int) -> dict:
        """One article for the page: text cut into highlighted segments, the labels."""
        item = self.order[pos]
        terms = self._terms(item)
        marks = {t["term"]: t["label"] for t in terms if len(t["term"]) > 1}
        d = self.decision(item)
        return {"pos": pos, "id": item.id, "source": item.source, "n": item.n,
                "title": _highlight(item.title, marks), "body": _highlight(item.body, marks),
                "label": item.label, "label_zh": label_name(item.label),
                "top": [{"label": lab, "zh": label_name(lab), "p": round(p, 4)}
                        for lab, p in item.top],
                "terms": terms, "snippet": item.snippet,
                "decision": d["label"] if d else None}

    def decide(self, pos: int, label: str) -> dict:
        """Record the reviewer's `label` for the article at `pos` (on disk on return);
        answers the decision with the progress and the counts per label after it."""
        item = self.order[pos]
        saved = self.log.append(make_correction(item.id, item.source, item.text_sha256,
                                                item.label, label))
        done = sum(self.decision(i) is not None for i in self.items)
        return {"pos": pos, "decision": saved["label"], "time": saved["time"],
                "reviewed": done, "total": len(self.items), "counts": self.counts()}


# -- the web application ---------------------------------------------------------------
def _asset(name: str) -> str:
    return resources.files("newsclass").joinpath("data", "web", name).read_text("utf-8")


def _number(text: str | None, default: float) -> float:
    try:
        value = float(text) if text not in (None, "") else default
    except ValueError:
        return default
    return value if 0 <= value <= 1 else default


class _TokenGuard:
    """ASGI middleware: refuse (403) every HTTP request without the session's token,
    but the browser's own request for ``/favicon.ico`` (answered 204, empty)."""

    def __init__(self, app: Any, token: str) -> None:
        self.app, self.token = app, token

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        from starlette.requests import Request
        from starlette.responses import PlainTextResponse

        if scope["type"] == "http" and scope.get("path") != "/favicon.ico":
            request = Request(scope)
            given = request.query_params.get("token") or request.headers.get(
                "x-review-token", "")
            if not secrets.compare_digest(given.encode(), self.token.encode()):
                await PlainTextResponse("forbidden: this page needs the token of its URL, "
                                        "as newsclass review printed it",
                                        status_code=403)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _routes(session: ReviewSession, token: str) -> list:
    from starlette.responses import HTMLResponse, JSONResponse, Response
    from starlette.routing import Route

    async def page(request: Any) -> Any:
        return HTMLResponse(_asset("review.html").replace("{{TOKEN}}", token))

    async def asset(request: Any) -> Any:
        name = request.path_params["name"]
        if name not in ASSETS:
            return Response("not found", status_code=404)
        return Response(_asset(name), media_type=ASSETS[name],
                        headers={"Cache-Control": "no-store"})

    async def state(request: Any) -> Any:
        return JSONResponse(session.state())

    async def listing(request: Any) -> Any:
        q = request.query_params
        return JSONResponse(session.listing(
            q.get("label", ""), q.get("source", ""), _number(q.get("min"), 0.0),
            _number(q.get("max"), 1.0), q.get("q", "").strip()))

    async def article(request: Any) -> Any:
        pos = request.path_params["pos"]
        if not 0 <= pos < len(session.order):
            return JSONResponse({"error": f"no article at position {pos}"}, status_code=404)
        return JSONResponse(session.article(pos))

    async def decide(request: Any) -> Any:
        return _decide(session, await request.body())

    async def favicon(request: Any) -> Any:
        return Response(status_code=204)

    return [Route("/", page), Route("/favicon.ico", favicon),
            Route("/static/{name}", asset), Route("/api/state", state),
            Route("/api/list", listing), Route("/api/article/{pos:int}", article),
            Route("/api/decision", decide, methods=["POST"])]


def _decide(session: ReviewSession, raw: bytes) -> Any:
    from starlette.responses import JSONResponse

    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    if not isinstance(body, dict) or set(body) != {"pos", "label"}:
        return JSONResponse({"error": "expected {\"pos\": <int>, \"label\": <label>}"},
                            status_code=422)
    pos, label = body["pos"], body["label"]
    if isinstance(pos, bool) or not isinstance(pos, int) or not 0 <= pos < len(session.order):
        return JSONResponse({"error": f"pos: no article at position {pos!r}"},
                            status_code=422)
    if label not in session.labels:
        return JSONResponse({"error": f"label: {label!r} is not one of "
                             f"{', '.join(session.labels)}"}, status_code=422)
    return JSONResponse(session.decide(pos, label))


def review_app(records: str | os.PathLike, *, inputs: Iterable[str | os.PathLike] | None = None,
               model: Any = None, corrections: str | os.PathLike | None = None,
               token: str | None = None,
               read_options: ReadOptions | Mapping[str, Any] | None = None) -> Any:
    """Build the review page as an ASGI application (Starlette).

    Parameters
    ----------
    records : str or path-like
        The JSON lines of ``newsclass label`` to review.
    inputs : iterable of paths or None
        Where the texts are when the records do not hold them (see :func:`load_review`).
    model : NewsClassifier, str, path-like or None
        The model that explains the labels; ``None``: the default model.
    corrections : str, path-like or None
        The corrections file to append to (and continue); default
        ``<records>.corrections.jsonl``.
    token : str or None
        The secret every request must carry; ``None`` makes a random one.
    read_options : ReadOptions, mapping of its fields, or None
        How to read `inputs` (:class:`newsclass.formats.ReadOptions`).

    Returns
    -------
    starlette.applications.Starlette
        With ``app.state.token``, ``app.state.session`` (:class:`ReviewSession`) and
        ``app.state.corrections`` (the file's path).

    Raises
    ------
    ValueError
        If the records, the texts or the corrections file cannot be read.
    RuntimeError
        If ``newsclass[web]`` is not installed.
    """
    try:
        from starlette.applications import Starlette
        from starlette.middleware import Middleware
    except ImportError as exc:  # pragma: no cover - the extra is missing
        raise missing_web_extra(exc) from None
    items = load_review(records, inputs, read_options)
    path = os.fspath(corrections) if corrections else f"{os.fspath(records)}.corrections.jsonl"
    session = ReviewSession(items, as_model(model), CorrectionLog(path))
    token = token or secrets.token_urlsafe(24)
    app = Starlette(routes=_routes(session, token),
                    middleware=[Middleware(_TokenGuard, token=token)])
    app.state.token, app.state.session, app.state.corrections = token, session, path
    return app
