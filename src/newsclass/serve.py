"""``newsclass serve``: a JSON API for labelling articles over HTTP.

:func:`serve_app` builds a FastAPI application around one model, loaded once:

``POST /v1/label``
    One article (``{"title", "body"}`` or ``{"text"}``) or a list of them
    (``{"articles": [...]}``), with the options ``top_k``, ``explain`` and
    ``threshold``; answers the records ``newsclass label`` writes.
``POST /v1/split``
    A newspaper page (``{"page": "..."}`` or ``{"text": "..."}``) cut into articles,
    each labelled.
``GET /v1/model``
    The model card. ``GET /healthz``: whether the server is up, and its labels.

The OpenAPI schema is at ``/openapi.json`` and a page describing it at ``/docs``, made
here from the schema, so that nothing is fetched from elsewhere. Requests are read and
checked by hand, so every refusal says which field is wrong: a body over the size limit
(or with too many articles) gets 413, anything else that is not a valid request 422,
with FastAPI's ``{"detail": [{"loc", "msg", "type"}]}`` shape. Classification runs in
worker threads, so requests are served concurrently.

Given a token, every request but ``GET /healthz`` must carry it as
``Authorization: Bearer <token>`` (401 otherwise). A body must arrive within the time
limit (408 otherwise) and be labelled within it again (503 otherwise).
"""


import asyncio
import functools
import hmac
import html
import json
import math
import os
import threading
from typing import Any

from newsclass.articles import split_page
from newsclass.batch import MAX_CHARS
from newsclass.decision import check_fallback
from newsclass.default_model import as_model, default_model_path
from newsclass.labels import label_name
from newsclass.persistence import ModelFileError, read_card
from newsclass.reasons import json_type
from newsclass.runners import DetailOptions, classify
from newsclass.webapp import check_token, missing_web_extra

__all__ = ["DEFAULT_TIMEOUT", "MAX_ARTICLES", "MAX_BYTES", "RequestError",
           "parse_label_request", "serve_app"]

#: Largest request body accepted, in bytes.
MAX_BYTES = 10 * 1024 * 1024
#: Most articles in one request.
MAX_ARTICLES = 1000
#: Most explaining terms per article.
MAX_EXPLAIN = 50
#: How much of a body over the size limit is read and thrown away, past the limit,
#: before the 413 is sent and the connection closed.
DRAIN_BYTES = 64 * 1024 * 1024
#: Seconds a request may take to arrive, and then to be labelled.
DEFAULT_TIMEOUT = 30.0
#: Articles labelled at a time; a request whose time is up stops between two such steps.
STEP = 64


class RequestError(ValueError):
    """A request the API refuses: its HTTP status, the field's location and why."""

    def __init__(self, status: int, loc: list, msg: str, kind: str = "value_error") -> None:
        super().__init__(msg)
        self.status, self.loc, self.msg, self.kind = status, loc, msg, kind

    def content(self) -> dict:
        """The response body, in FastAPI's shape."""
        return {"detail": [{"loc": self.loc, "msg": self.msg, "type": self.kind}]}


def _string(value: Any, loc: list) -> str:
    if not isinstance(value, str):
        raise RequestError(422, loc, f"expected a string, got {json_type(value)}",
                           "string_type")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise RequestError(422, loc, "holds a lone surrogate (an escape like \\ud800 that "
                           "is half a character)", "string_unicode") from None
    return value


def _check_fallback(model: Any, options: DetailOptions) -> None:
    """422 for a threshold on a model that has no fallback label to give below it."""
    if options.threshold is not None:
        try:
            check_fallback(model.classes_, options.threshold, model.fallback_label_)
        except ValueError as exc:
            raise RequestError(422, ["body", "threshold"], str(exc), "value_error") from None


def _whole(body: dict, name: str, default: int, least: int, most: int) -> int:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= most:
        raise RequestError(422, ["body", name], f"expected a whole number from {least} to "
                           f"{most}, got {json.dumps(value)[:40]}", "int_type")
    return value


def _options(body: dict, n_labels: int) -> DetailOptions:
    threshold = body.get("threshold")
    if threshold is not None and (isinstance(threshold, bool)
                                  or not isinstance(threshold, (int, float))
                                  or not 0 <= threshold <= 1):
        raise RequestError(422, ["body", "threshold"], "expected a probability from 0 to 1 "
                           f"or null, got {json.dumps(threshold)[:40]}", "float_type")
    return DetailOptions(_whole(body, "top_k", 3, 1, max(1, n_labels)),
                         _whole(body, "explain", 0, 0, MAX_EXPLAIN),
                         None if threshold is None else float(threshold))


def _article(value: Any, loc: list) -> dict:
    """An article of a request, checked: ``{"id", "title", "body"}``."""
    if not isinstance(value, dict):
        raise RequestError(422, loc, f"expected an article object, got {json_type(value)}",
                           "dict_type")
    if "body" in value and "text" in value:
        raise RequestError(422, [*loc, "text"], "give the article's text as body or as "
                           "text, not both")
    key = "body" if "body" in value else "text"
    if key not in value:
        raise RequestError(422, [*loc, "body"], "missing: give the article's text as body "
                           "(with an optional title) or as text", "missing")
    body = _string(value[key], [*loc, key])
    title = _string(value.get("title", ""), [*loc, "title"])
    if not body.strip() and not title.strip():
        raise RequestError(422, [*loc, key], "empty text: the article has no text")
    ident = value.get("id")
    if (ident is not None and not isinstance(ident, (str, int))) or isinstance(ident, bool):
        raise RequestError(422, [*loc, "id"], "expected a string or a whole number")
    if isinstance(ident, str):
        _string(ident, [*loc, "id"])
    return {"id": ident, "title": title, "body": body}


def parse_label_request(data: Any, n_labels: int = 5) -> tuple[list[dict], DetailOptions, bool]:
    """Check the JSON body of ``POST /v1/label``.

    Parameters
    ----------
    data : any
        The decoded JSON.
    n_labels : int, default=5
        Labels the model knows (the most ``top_k`` can list).

    Returns
    -------
    articles : list of dict
        ``{"id", "title", "body"}`` each.
    options : DetailOptions
    many : bool
        Whether the request listed articles (``articles``) rather than being one.

    Raises
    ------
    RequestError
        422 naming the field that is wrong; 413 for more than :data:`MAX_ARTICLES`.
    """
    if not isinstance(data, dict):
        raise RequestError(422, ["body"], "expected a JSON object: an article "
                           "({\"title\", \"body\"} or {\"text\"}) or {\"articles\": [...]}, "
                           f"got {json_type(data)}", "dict_type")
    options = _options(data, n_labels)
    if "articles" not in data:
        return [_article(data, ["body"])], options, False
    items = data["articles"]
    if not isinstance(items, list):
        raise RequestError(422, ["body", "articles"],
                           f"expected an array of articles, got {json_type(items)}",
                           "list_type")
    if len(items) > MAX_ARTICLES:
        raise RequestError(413, ["body", "articles"], f"{len(items)} articles in one "
                           f"request; send at most {MAX_ARTICLES}", "too_large")
    return [_article(a, ["body", "articles", i]) for i, a in enumerate(items)], options, True


def _record(article: dict, detail: dict, size: int) -> dict:
    if "error" in detail:
        return {"id": article["id"], "error": detail["error"]}
    record = {"id": article["id"], "label": detail["label"],
              "label_zh": label_name(detail["label"]),
              "confidence": round(detail["confidence"], 4),
              "top": {lab: round(p, 4) for lab, p in detail["top"]},
              "terms": {t: round(w, 4) for t, w in detail["terms"]}}
    if size > MAX_CHARS:
        record["truncated"] = size
    return record


class _TimeUp(Exception):
    """The request's time ran out while its articles were being labelled."""


def _classify(model: Any, articles: list[dict], options: DetailOptions,
              stop: threading.Event | None = None) -> list[dict]:
    """Label `articles`, :data:`STEP` at a time, giving up (``_TimeUp``) once `stop` is set."""
    fitted = []
    for a in articles:
        keep = max(0, MAX_CHARS - len(a["title"]))
        fitted.append({"title": a["title"][:MAX_CHARS], "body": a["body"][:keep]})
    details: list[dict] = []
    for start in range(0, len(fitted), STEP):
        if stop is not None and stop.is_set():
            raise _TimeUp
        details.extend(classify(model, fitted[start:start + STEP], options))
    return [_record(a, d, len(a["title"]) + len(a["body"]))
            for a, d in zip(articles, details, strict=True)]


async def _within(seconds: float, func: Any, *args: Any) -> Any:
    """``func(*args, stop=event)`` in a worker thread, answering 503 after `seconds`.

    The event is set when the time is up, so that the abandoned work stops at its next
    step instead of running on.
    """
    stop = threading.Event()
    work = asyncio.get_running_loop().run_in_executor(
        None, functools.partial(func, *args, stop=stop))
    try:
        return await asyncio.wait_for(work, seconds)
    except (asyncio.TimeoutError, _TimeUp):
        stop.set()
        raise RequestError(503, ["body"], f"labelling took longer than the time limit of "
                           f"{seconds:g} s; send fewer or shorter articles", "timeout"
                           ) from None


def _card(model: Any) -> dict:
    """The model card: from the file beside the model, or what the model itself says."""
    path = default_model_path() if model is None else model
    if isinstance(path, (str, os.PathLike)):
        try:
            return read_card(path)
        except ModelFileError:
            pass
    fitted = as_model(model)
    return {"labels": [str(c) for c in fitted.classes_],
            "training": {"articles": getattr(fitted, "n_train_", None),
                         "label_counts": getattr(fitted, "label_counts_", {})}}


async def _read_body(request: Any, limit: int) -> bytes:
    """The request's body, refusing more than `limit` bytes.

    A body over the limit is still read, and thrown away as it arrives, up to
    :data:`DRAIN_BYTES` past the limit: a client that sends its whole body before it
    reads the answer (as ``urllib.request`` does) would otherwise find the connection
    reset instead of reading the 413. Memory holds at most `limit` bytes.
    """
    length = request.headers.get("content-length", "")
    declared = int(length) if length.isdigit() else None
    if declared is not None and declared > limit + DRAIN_BYTES:
        raise _too_large(declared, limit)
    keep = declared is None or declared <= limit
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            keep = False
            chunks.clear()
            if size > limit + DRAIN_BYTES:
                break
        elif keep:
            chunks.append(chunk)
    if size > limit or not keep:
        raise _too_large(declared, limit)
    return b"".join(chunks)


def _too_large(declared: int | None, limit: int) -> RequestError:
    said = (f"the body has {declared:,} bytes" if declared is not None
            else f"the body is over {limit:,} bytes")
    return RequestError(413, ["body"], f"{said}; send at most {limit:,}", "too_large")


async def _read_json(request: Any, limit: int, seconds: float) -> Any:
    """The request's JSON body, refusing more than `limit` bytes (:func:`_read_body`) and
    a body that takes more than `seconds` to arrive (408)."""
    try:
        raw = await asyncio.wait_for(_read_body(request, limit), seconds)
    except asyncio.TimeoutError:
        raise RequestError(408, ["body"], f"the body did not arrive within the time limit "
                           f"of {seconds:g} s", "timeout") from None
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        msg = str(exc) if isinstance(exc, ValueError) else "nested too deeply"
        raise RequestError(422, ["body"], f"not valid JSON: {msg}"[:300],
                           "json_invalid") from None


def _schema_article() -> dict:
    text = {"type": "string"}
    return {"type": "object", "properties": {
        "id": {"anyOf": [text, {"type": "integer"}], "description": "returned as given"},
        "title": {**text, "description": "the headline (optional)"},
        "body": {**text, "description": "the article's text"},
        "text": {**text, "description": "the article's text, when it has no title"}},
        "example": {"id": "a1", "title": "市人大常委会召开会议",
                    "body": "会议审议了关于民生实事项目人大代表票决制的报告。"}}


def _schema_options() -> dict:
    return {
        "top_k": {"type": "integer", "minimum": 1, "default": 3,
                  "description": "labels listed in top"},
        "explain": {"type": "integer", "minimum": 0, "maximum": MAX_EXPLAIN, "default": 0,
                    "description": "terms listed in terms, those behind the label"},
        "threshold": {"type": ["number", "null"], "minimum": 0, "maximum": 1,
                      "description": "below this probability the label is other"}}


def _label_body() -> dict:
    article = _schema_article()
    many = {"type": "object", "required": ["articles"], "properties": {
        "articles": {"type": "array", "items": article, "maxItems": MAX_ARTICLES},
        **_schema_options()}}
    one = {**article, "properties": {**article["properties"], **_schema_options()}}
    return {"required": True, "content": {"application/json": {
        "schema": {"oneOf": [one, many]}}}}


def _split_body() -> dict:
    return {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "oneOf": [{"required": ["page"]}, {"required": ["text"]}],
        "properties": {"page": {"type": "string", "description": "a newspaper page"},
                       "text": {"type": "string", "description": "the same, named as "
                                "/v1/label names it"},
                       **_schema_options()}}}}}


def _refusals(secured: bool) -> dict:
    answers = {"401": {"description": "no token, or not the server's token "
                       "(Authorization: Bearer TOKEN)"}} if secured else {}
    return {**answers,
            "408": {"description": "the body did not arrive within the time limit"},
            "413": {"description": "body over the size limit, or too many articles"},
            "422": {"description": "not a valid request; detail names the field"},
            "503": {"description": "labelling took longer than the time limit"}}


def _docs_page(schema: dict) -> str:
    """A self-contained HTML page describing the API, from its OpenAPI schema."""
    e = html.escape
    info = schema.get("info", {})
    parts = [f"<h1>{e(info.get('title', ''))} {e(str(info.get('version', '')))}</h1>",
             f"<p>{e(info.get('description', ''))}</p>",
             '<p>OpenAPI schema: <a href="/openapi.json">/openapi.json</a></p>']
    for path, methods in schema.get("paths", {}).items():
        for method, op in methods.items():
            parts.append(f'<section><h2><code>{e(method.upper())} {e(path)}</code></h2>'
                         f"<p>{e(op.get('summary', ''))}</p>"
                         f"<p>{e(op.get('description', ''))}</p>")
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                parts.append("<h3>request body</h3><pre>"
                             + e(json.dumps(body["schema"], ensure_ascii=False, indent=2))
                             + "</pre>")
            parts.append("<h3>responses</h3><ul>" + "".join(
                f"<li><b>{e(code)}</b> {e(r.get('description', ''))}</li>"
                for code, r in op.get("responses", {}).items()) + "</ul></section>")
    style = ("body{font:15px/1.5 sans-serif;max-width:60em;margin:1em auto;padding:0 1em}"
             "pre{background:#f4f5f7;padding:.6em;overflow:auto}"
             "section{border-top:1px solid #ccc}")
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>newsclass API</title>'
            f"<style>{style}</style></head><body>{''.join(parts)}</body></html>")


def _refuse(exc: RequestError) -> Any:
    from fastapi.responses import JSONResponse

    # after a 408 or a 413 the rest of the body, if any, is not read: the connection closes
    close = {"Connection": "close"} if exc.status in (408, 413) else None
    return JSONResponse(exc.content(), status_code=exc.status, headers=close)


def _label_routes(app: Any, model: Any, max_bytes: int, timeout: float) -> None:
    from fastapi import Request

    refusals = _refusals(app.state.token is not None)

    @app.post("/v1/label", summary="label one article or a list of articles",
              description="Send {\"title\", \"body\"} or {\"text\"} for one article, or "
              "{\"articles\": [...]} for several; top_k, explain and threshold go beside "
              "them. Answers the label, its Chinese name, the probability, the top labels "
              "and the explaining terms, as newsclass label writes them.",
              openapi_extra={"requestBody": _label_body()}, responses=refusals)
    async def label(request: Request) -> Any:
        try:
            data = await _read_json(request, max_bytes, timeout)
            articles, options, many = parse_label_request(data, len(model.classes_))
            _check_fallback(model, options)
            results = await _within(timeout, _classify, model, articles, options)
        except RequestError as exc:
            return _refuse(exc)
        if many:
            return {"results": results}
        if "error" in results[0]:
            return _refuse(RequestError(422, ["body"], results[0]["error"]))
        return results[0]

    @app.post("/v1/split", summary="split a newspaper page into articles and label them",
              description="Send {\"page\": \"...\"}; answers the articles in page order, "
              "with their title, subtitles, byline, body, offsets in the page and labels.",
              openapi_extra={"requestBody": _split_body()}, responses=refusals)
    async def split(request: Request) -> Any:
        try:
            data = await _read_json(request, max_bytes, timeout)
            page, options = _split_request(data, len(model.classes_))
            _check_fallback(model, options)
            return await _within(timeout, _split, model, page, options)
        except RequestError as exc:
            return _refuse(exc)


def _split_request(data: Any, n_labels: int) -> tuple[str, DetailOptions]:
    if not isinstance(data, dict):
        raise RequestError(422, ["body"], "expected a JSON object {\"page\": \"...\"}, got "
                           f"{json_type(data)}", "dict_type")
    if "page" in data and "text" in data:
        raise RequestError(422, ["body", "text"], "give the page's text as page or as text, "
                           "not both")
    key = "text" if "text" in data else "page"  # {"text"} as /v1/label takes it
    if key not in data:
        raise RequestError(422, ["body", "page"], "missing: the page's text", "missing")
    return _string(data[key], ["body", key]), _options(data, n_labels)


def _split(model: Any, page: str, options: DetailOptions,
           stop: threading.Event | None = None) -> dict:
    found = split_page(page).articles
    articles = [{"id": n, "title": a.title, "body": a.body} for n, a in enumerate(found, 1)]
    usable = [a for a in articles if a["title"].strip() or a["body"].strip()]
    labelled = {r["id"]: r for r in _classify(model, usable, options, stop)}
    out = []
    for a, art in zip(articles, found, strict=True):
        out.append({"n": a["id"], "title": art.title, "subtitles": list(art.subtitles),
                    "byline": art.byline, "body": art.body, "start": art.start,
                    "end": art.end, **{k: v for k, v in labelled.get(
                        a["id"], {"error": "empty text"}).items() if k != "id"}})
    return {"articles": out}


def _info_routes(app: Any, model: Any, card: dict) -> None:
    from fastapi.responses import HTMLResponse

    @app.get("/v1/model", summary="the model card",
             description="The model's card: labels, training data, parameters, metrics.")
    async def model_card() -> Any:
        return card

    @app.get("/healthz", summary="whether the server is up")
    async def healthz() -> Any:
        return {"status": "ok", "labels": [str(c) for c in model.classes_]}

    @app.get("/docs", include_in_schema=False)
    async def docs() -> Any:
        return HTMLResponse(_docs_page(app.openapi()))


async def _drain(receive: Any, most: int) -> None:
    """Read and throw away a request's body, up to `most` bytes."""
    seen = 0
    while seen <= most:
        message = await receive()
        if message["type"] != "http.request":
            return
        seen += len(message.get("body", b""))
        if not message.get("more_body", False):
            return


class _BearerGuard:
    """ASGI middleware: 401 for every HTTP request but ``/healthz`` that does not carry
    ``Authorization: Bearer <token>`` (compared with :func:`hmac.compare_digest`).

    The body of a refused request is read and thrown away first (within the limits of
    :data:`DRAIN_BYTES` and the time limit), so that the client can read the 401.
    """

    def __init__(self, app: Any, token: str, timeout: float) -> None:
        self.app, self.token, self.timeout = app, token.encode(), timeout

    def _carries_token(self, scope: dict) -> bool:
        for name, value in scope.get("headers", []):
            if name == b"authorization":
                scheme, _, given = value.strip().partition(b" ")
                return (scheme.lower() == b"bearer"
                        and hmac.compare_digest(given.strip(), self.token))
        return False

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        from fastapi.responses import JSONResponse

        if (scope["type"] != "http" or scope.get("path") == "/healthz"
                or self._carries_token(scope)):
            await self.app(scope, receive, send)
            return
        try:
            await asyncio.wait_for(_drain(receive, DRAIN_BYTES), self.timeout)
        except asyncio.TimeoutError:
            pass
        refusal = RequestError(401, ["header", "authorization"], "this server needs its "
                               "token: send the header Authorization: Bearer <token>",
                               "unauthorized")
        await JSONResponse(refusal.content(), status_code=401, headers={
            "WWW-Authenticate": 'Bearer realm="newsclass"', "Connection": "close"})(
            scope, receive, send)


def _check_timeout(timeout: Any) -> float:
    if (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
            or not 0 < timeout < math.inf):
        raise ValueError(f"the timeout (--timeout) must be a positive number of seconds, "
                         f"got {timeout!r}")
    return float(timeout)


def serve_app(model: Any = None, *, max_bytes: int = MAX_BYTES, token: str | None = None,
              timeout: float = DEFAULT_TIMEOUT) -> Any:
    """Build the labelling API as an ASGI application (FastAPI).

    Parameters
    ----------
    model : NewsClassifier, str, path-like or None
        A fitted model or a model file, loaded once here; ``None``: the default model.
    max_bytes : int, default=MAX_BYTES
        Largest request body accepted; larger ones get 413.
    token : str or None, default=None
        The secret every request but ``GET /healthz`` must carry, as the header
        ``Authorization: Bearer <token>``; one without it gets 401. ``None``: no token
        is needed (``newsclass serve`` then listens on the loopback interface only).
    timeout : float, default=DEFAULT_TIMEOUT
        Seconds a request's body may take to arrive (408 after that) and, counted
        again, its articles to be labelled (503 after that; the labelling stops at its
        next step of :data:`STEP` articles).

    Returns
    -------
    fastapi.FastAPI
        With ``app.state.model``, the loaded model, and ``app.state.token``.

    Raises
    ------
    ValueError
        If the token cannot be sent in a header or the timeout is not a positive number.
    ModelFileError
        If the model file cannot be loaded.
    RuntimeError
        If ``newsclass[web]`` is not installed.
    """
    try:
        from fastapi import FastAPI
    except ImportError as exc:  # pragma: no cover - the extra is missing
        raise missing_web_extra(exc) from None
    from newsclass._version import __version__

    token, timeout = check_token(token), _check_timeout(timeout)
    fitted = as_model(model)
    app = FastAPI(title="newsclass", version=__version__, docs_url=None, redoc_url=None,
                  description="Label Chinese news articles by topic: tech 科技, congress 人大, "
                  "education 教育, charity 慈善, other 其他.")
    app.state.model, app.state.token = fitted, token
    _label_routes(app, fitted, max_bytes, timeout)
    _info_routes(app, fitted, _card(model))
    if token is not None:
        app.add_middleware(_BearerGuard, token=token, timeout=timeout)
    return app
