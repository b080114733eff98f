"""``newsclass serve``: a JSON API for labelling articles over HTTP.

:func:`serve_app` builds a FastAPI application around one model, loaded once:

``POST /v1/label``
    One article (``{"title", "body"}`` or ``{"text"}``) or a list of them
    (``{"articles": [...]}``), with the options ``top_k``, ``explain`` and
    ``threshold``; answers what the records of ``newsclass label`` say of each article.
``POST /v1/split``
    A newspaper page (``{"page": "..."}`` or ``{"text": "..."}``) cut into articles,
    each labelled.
``GET /v1/model``
    The model card. ``GET /healthz``: whether the server is up, and its labels.

Requests and answers are the pydantic models of :mod:`newsclass.schemas`: FastAPI checks
each body against them and writes the OpenAPI schema (``/openapi.json``) from them; the
page at ``/docs`` is made here from that schema, so that nothing is fetched from
elsewhere. A body over the size limit (or with too many articles) gets 413, anything
else that is not a valid request 422, each as ``{"detail": [{"loc", "msg", "type"}]}``
where ``loc`` names the field. Classification runs in worker threads, so requests are
served concurrently.

Given a token, every request but ``GET /healthz`` must carry it as
``Authorization: Bearer <token>`` (401 otherwise). A body must arrive within the time
limit (408 otherwise) and be labelled within it again (503 otherwise).
"""

# No "from __future__ import annotations" here: FastAPI reads the routes' annotations (the
# models of newsclass.schemas, imported where the routes are made) as objects.
import asyncio
import functools
import hmac
import html
import json
import math
import os
import re
import threading
from typing import Any

from newsclass.articles import split_page
from newsclass.batch import truncate_text
from newsclass.decision import check_fallback
from newsclass.default_model import as_model, default_model_path
from newsclass.persistence import ModelFileError, read_card
from newsclass.runners import DetailOptions, classify
from newsclass.webapp import check_token, missing_web_extra
from newsclass.writers import label_fields

__all__ = ["DEFAULT_TIMEOUT", "MAX_BYTES", "RequestError", "serve_app"]

#: Largest request body accepted, in bytes.
MAX_BYTES = 10 * 1024 * 1024
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
        """The response body (:class:`newsclass.schemas.Refusal`)."""
        return {"detail": [{"loc": self.loc, "msg": self.msg, "type": self.kind}]}


def _refusal(exc: RequestError) -> Any:
    from starlette.responses import JSONResponse

    # after a 408 or a 413 the rest of the body, if any, is not read: the connection closes
    close = {"Connection": "close"} if exc.status in (408, 413) else None
    return JSONResponse(exc.content(), status_code=exc.status, headers=close)


def _problems(errors: list[dict]) -> list[dict]:
    """pydantic's errors of a request, as the API words them (:class:`~newsclass.schemas.
    Problem`): a rule that names its field in ``ctx["field"]`` points at it, and a
    ``ValueError`` raised by a check is quoted as it is."""
    out = []
    for error in errors:
        ctx, loc = error.get("ctx") or {}, list(error["loc"])
        if error["type"] == "json_invalid":  # FastAPI's: loc is ("body", position)
            where = f" (character {loc[1]})" if len(loc) > 1 else ""
            loc, msg = ["body"], f"not valid JSON: {ctx.get('error', error['msg'])}{where}"
        elif isinstance(ctx.get("error"), ValueError):
            msg = str(ctx["error"])
        elif loc == ["body"] and error["type"] == "missing":
            msg = "no body: send a JSON object"
        else:
            msg = error["msg"]
        out.append({"loc": [*loc, *([ctx["field"]] if "field" in ctx else [])],
                    "msg": msg[:300], "type": error["type"]})
    return out


def _options(model: Any, request: Any) -> DetailOptions:
    """The options of a checked request (:class:`newsclass.schemas.Options`), refusing
    (422) what this model cannot give: more labels than it has, or a threshold without a
    fallback label it knows."""
    labels = len(model.classes_)
    if request.top_k > labels:
        raise RequestError(422, ["body", "top_k"], f"the model has {labels} labels: top_k "
                           f"must be at most {labels}", "less_than_equal")
    if request.threshold is not None:
        try:
            check_fallback(model.classes_, request.threshold, model.fallback_label_)
        except ValueError as exc:
            raise RequestError(422, ["body", "threshold"], str(exc)) from None
    return DetailOptions(request.top_k, request.explain, request.threshold)


def _answer(ident: Any, detail: dict, truncated: int | None) -> dict:
    """An article's answer (:class:`newsclass.schemas.LabelResult` or ``ArticleError``)."""
    if "error" in detail:
        return {"id": ident, "error": detail["error"]}
    answer = {"id": ident, **label_fields(detail)}
    if truncated is not None:
        answer["truncated"] = truncated
    return answer


class _TimeUp(Exception):
    """The request's time ran out while its articles were being labelled."""


def _classify(model: Any, articles: list[tuple], options: DetailOptions,
              stop: threading.Event | None = None) -> list[dict]:
    """Answers for ``(id, title, body)`` articles, labelled :data:`STEP` at a time, giving
    up (``_TimeUp``) once `stop` is set."""
    fitted = [truncate_text(title, body) for _, title, body in articles]
    details: list[dict] = []
    for start in range(0, len(fitted), STEP):
        if stop is not None and stop.is_set():
            raise _TimeUp
        details.extend(classify(model, [{"title": title, "body": body} for title, body, _
                                        in fitted[start:start + STEP]], options))
    return [_answer(article[0], detail, truncated) for article, (_, _, truncated), detail
            in zip(articles, fitted, details, strict=True)]


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


def _split(model: Any, page: str, options: DetailOptions,
           stop: threading.Event | None = None) -> dict:
    """The articles of `page` (:class:`newsclass.schemas.SplitResult`)."""
    found = split_page(page).articles
    usable = [(n, a.title, a.body) for n, a in enumerate(found, 1)
              if a.title.strip() or a.body.strip()]
    labelled = {answer.pop("id"): answer for answer in _classify(model, usable, options,
                                                                 stop)}
    return {"articles": [
        {"n": n, "title": a.title, "subtitles": list(a.subtitles), "byline": a.byline,
         "body": a.body, "start": a.start, "end": a.end,
         **labelled.get(n, {"error": "empty text"})} for n, a in enumerate(found, 1)]}


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


def _header(scope: dict, name: bytes) -> bytes | None:
    return next((value for key, value in scope.get("headers", []) if key == name), None)


async def _read_body(scope: dict, receive: Any, limit: int) -> bytes:
    """The request's body, refusing more than `limit` bytes.

    A body over the limit is still read, and thrown away as it arrives, up to
    :data:`DRAIN_BYTES` past the limit: a client that sends its whole body before it
    reads the answer (as ``urllib.request`` does) would otherwise find the connection
    reset instead of reading the 413. Memory holds at most `limit` bytes.
    """
    length = (_header(scope, b"content-length") or b"").decode("latin-1")
    declared = int(length) if length.isdigit() else None
    if declared is not None and declared > limit + DRAIN_BYTES:
        raise _too_large(declared, limit)
    keep = declared is None or declared <= limit
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] != "http.request":  # the client went away
            break
        chunk, more = message.get("body", b""), message.get("more_body", False)
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


async def _take_body(scope: dict, receive: Any, limit: int, seconds: float) -> bytes:
    """:func:`_read_body`, refusing a body that takes more than `seconds` to arrive (408)."""
    try:
        return await asyncio.wait_for(_read_body(scope, receive, limit), seconds)
    except asyncio.TimeoutError:
        raise RequestError(408, ["body"], f"the body did not arrive within the time limit "
                           f"of {seconds:g} s", "timeout") from None


class _BodyReader:
    """ASGI middleware: reads each request's whole body within the size limit (413) and
    the time limit (408) before the application sees it, and hands it on as JSON
    whatever its ``Content-Type`` (``curl -d`` says form data)."""

    def __init__(self, app: Any, max_bytes: int, timeout: float) -> None:
        self.app, self.max_bytes, self.timeout = app, max_bytes, timeout

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            body = await _take_body(scope, receive, self.max_bytes, self.timeout)
        except RequestError as exc:
            await _refusal(exc)(scope, receive, send)
            return
        given = [body]

        async def replay() -> dict:
            if given:
                return {"type": "http.request", "body": given.pop(), "more_body": False}
            return await receive()

        headers = [(k, v) for k, v in scope["headers"] if k != b"content-type"]
        await self.app({**scope, "headers": [*headers, (b"content-type", b"application/json")]},
                       replay, send)


class _BearerGuard:
    """ASGI middleware: 401 for every HTTP request but ``/healthz`` that does not carry
    ``Authorization: Bearer <token>`` (compared with :func:`hmac.compare_digest`).

    The body of a refused request is read and thrown away first (within the limits of
    :data:`DRAIN_BYTES` and the time limit), so that the client can read the 401.
    """

    def __init__(self, app: Any, token: str, timeout: float) -> None:
        self.app, self.token, self.timeout = app, token.encode(), timeout

    def _carries_token(self, scope: dict) -> bool:
        scheme, _, given = (_header(scope, b"authorization") or b"").strip().partition(b" ")
        return scheme.lower() == b"bearer" and hmac.compare_digest(given.strip(), self.token)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if (scope["type"] != "http" or scope.get("path") == "/healthz"
                or self._carries_token(scope)):
            await self.app(scope, receive, send)
            return
        try:
            await _take_body(scope, receive, 0, self.timeout)
        except RequestError:
            pass  # a body was sent, and thrown away: the refusal is the same
        refusal = _refusal(RequestError(401, ["header", "authorization"], "this server needs "
                                        "its token: send the header Authorization: Bearer "
                                        "<token>", "unauthorized"))
        refusal.headers.update({"WWW-Authenticate": 'Bearer realm="newsclass"',
                                "Connection": "close"})
        await refusal(scope, receive, send)


def _error_handlers(app: Any) -> None:
    """Every refusal in the shape of :class:`newsclass.schemas.Refusal`."""
    from fastapi.exception_handlers import http_exception_handler
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException
    from starlette.responses import JSONResponse

    async def refused(request: Any, exc: RequestError) -> Any:
        return _refusal(exc)

    async def invalid(request: Any, exc: RequestValidationError) -> Any:
        problems = _problems(exc.errors())
        too_many = [p for p in problems if p["type"] == "too_long"]  # articles
        return JSONResponse({"detail": too_many or problems},
                            status_code=413 if too_many else 422)

    async def unreadable(request: Any, exc: HTTPException) -> Any:
        # FastAPI answers 400 for a body json.loads raises on other than with a
        # JSONDecodeError: bytes that are not UTF-8, JSON nested too deeply
        if exc.status_code == 400 and isinstance(exc.__cause__, (ValueError, RecursionError)):
            reason = (str(exc.__cause__) if isinstance(exc.__cause__, ValueError)
                      else "nested too deeply")
            return _refusal(RequestError(422, ["body"], f"not valid JSON: {reason}"[:300],
                                         "json_invalid"))
        return await http_exception_handler(request, exc)

    app.add_exception_handler(RequestError, refused)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(HTTPException, unreadable)


def _refusals(secured: bool) -> dict:
    from newsclass.schemas import Refusal

    said = {401: "no token, or not the server's token (Authorization: Bearer TOKEN)",
            408: "the body did not arrive within the time limit",
            413: "body over the size limit, or too many articles",
            422: "not a valid request; detail names the field",
            503: "labelling took longer than the time limit"}
    return {code: {"model": Refusal, "description": text} for code, text in said.items()
            if secured or code != 401}


def _label_routes(app: Any, model: Any, timeout: float) -> None:
    from newsclass.schemas import (
        LabelRequest,
        LabelResult,
        LabelResults,
        SplitRequest,
        SplitResult,
    )

    refusals = _refusals(app.state.token is not None)

    @app.post("/v1/label", summary="label one article or a list of articles",
              description="Send {\"title\", \"body\"} or {\"text\"} for one article, or "
              "{\"articles\": [...]} for several; top_k, explain and threshold go beside "
              "them. Answers the label, its Chinese name, the probability, the top labels "
              "and the explaining terms, as newsclass label writes them.",
              response_model=LabelResult | LabelResults, response_model_exclude_unset=True,
              responses=refusals)
    async def label(body: LabelRequest) -> Any:
        options = _options(model, body)
        articles = [body] if body.articles is None else body.articles
        results = await _within(timeout, _classify, model,
                                [(a.id, a.title, a.body) for a in articles], options)
        if body.articles is not None:
            return {"results": results}
        if "error" in results[0]:
            raise RequestError(422, ["body"], results[0]["error"])
        return results[0]

    @app.post("/v1/split", summary="split a newspaper page into articles and label them",
              description="Send {\"page\": \"...\"}; answers the articles in page order, "
              "with their title, subtitles, byline, body, offsets in the page and labels.",
              response_model=SplitResult, response_model_exclude_unset=True,
              responses=refusals)
    async def split(body: SplitRequest) -> Any:
        return await _within(timeout, _split, model, body.page, _options(model, body))


def _links(part: Any) -> str:
    """Links to the schemas `part` refers to, on the ``/docs`` page."""
    names = re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(part))
    return " or ".join(f'<a href="#{html.escape(n)}">{html.escape(n)}</a>'
                       for n in dict.fromkeys(names))


def _schema_section(name: str, part: dict) -> str:
    """A schema of the API as a table of its fields, on the ``/docs`` page."""
    e, rows = html.escape, []
    for field, spec in part.get("properties", {}).items():
        kinds = [k["type"] for k in spec.get("anyOf", [spec]) if "type" in k]
        limits = [f"{word} {spec[key]:g}" for key, word in (
            ("minimum", "from"), ("maximum", "to"), ("maxItems", "at most")) if key in spec]
        default = (f"default {json.dumps(spec['default'], ensure_ascii=False)}"
                   if "default" in spec else "required" if field in part.get("required", ())
                   else "")
        rows.append(f"<tr><td><code>{e(field)}</code></td><td>{e(' or '.join(kinds))} "
                    f"{_links(spec)}</td><td>{e(spec.get('description', ''))}</td>"
                    f"<td>{e(', '.join(filter(None, [*limits, default])))}</td></tr>")
    examples = "".join(f"<pre>{e(json.dumps(x, ensure_ascii=False))}</pre>"
                       for x in part.get("examples", ()))
    return (f'<section id="{e(name)}"><h2>{e(name)}</h2>'
            f"<p>{e(part.get('description', ''))}</p><table>{''.join(rows)}</table>"
            f"{examples}</section>")


def _docs_page(schema: dict) -> str:
    """A self-contained HTML page describing the API, from its OpenAPI schema."""
    e = html.escape
    info = schema.get("info", {})
    parts = [f"<h1>{e(info.get('title', ''))} {e(str(info.get('version', '')))}</h1>",
             f"<p>{e(info.get('description', ''))}</p>",
             '<p>OpenAPI schema: <a href="/openapi.json">/openapi.json</a></p>']
    for path, methods in schema.get("paths", {}).items():
        for method, op in methods.items():
            body = op.get("requestBody")
            parts.append(f"<section><h2><code>{e(method.upper())} {e(path)}</code></h2>"
                         f"<p>{e(op.get('summary', ''))}</p>"
                         f"<p>{e(op.get('description', ''))}</p>"
                         + (f"<p>request body: {_links(body)}</p>" if body else "")
                         + "<h3>responses</h3><ul>" + "".join(
                             f"<li><b>{e(code)}</b> {e(r.get('description', ''))} "
                             f"{_links(r)}</li>" for code, r in op["responses"].items())
                         + "</ul></section>")
    parts += [_schema_section(name, part) for name, part
              in schema.get("components", {}).get("schemas", {}).items()]
    style = ("body{font:15px/1.5 sans-serif;max-width:60em;margin:1em auto;padding:0 1em}"
             "pre{background:#f4f5f7;padding:.6em;overflow:auto}"
             "section{border-top:1px solid #ccc}td{padding:.2em .6em;vertical-align:top}")
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>newsclass API</title>'
            f"<style>{style}</style></head><body>{''.join(parts)}</body></html>")


def _info_routes(app: Any, model: Any, card: dict) -> None:
    from fastapi.responses import HTMLResponse

    from newsclass.schemas import Health

    @app.get("/v1/model", summary="the model card",
             description="The model's card: labels, training data, parameters, metrics.")
    async def model_card() -> dict[str, Any]:
        return card

    @app.get("/healthz", summary="whether the server is up", response_model=Health)
    async def healthz() -> Any:
        return {"status": "ok", "labels": [str(c) for c in model.classes_]}

    @app.get("/docs", include_in_schema=False)
    async def docs() -> Any:
        return HTMLResponse(_docs_page(app.openapi()))


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
    _error_handlers(app)
    _label_routes(app, fitted, timeout)
    _info_routes(app, fitted, _card(model))
    app.add_middleware(_BodyReader, max_bytes=max_bytes, timeout=timeout)
    if token is not None:  # outside the body reader: a refused body is not kept
        app.add_middleware(_BearerGuard, token=token, timeout=timeout)
    return app
