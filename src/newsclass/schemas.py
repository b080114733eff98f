"""The requests and answers of ``newsclass serve``, declared once as pydantic models.

FastAPI checks every request body against these models and writes the OpenAPI schema
(and so the ``/docs`` page) from them. Values are taken as JSON gives them: no string
stands for a number, no number for a string (the models are strict). A rule that
concerns two fields (an article's text given as ``body`` or as ``text``) is raised with
the field it names in its context (``ctx["field"]``), for the error to point at it.

Importing this module needs pydantic (``newsclass[web]``); :mod:`newsclass.serve`
imports it only when it builds an application.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    ValidationError,
    WrapValidator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from newsclass.decision import check_threshold

__all__ = ["MAX_ARTICLES", "MAX_EXPLAIN", "Article", "ArticleError", "Health",
           "LabelRequest", "LabelResult", "LabelResults", "Labels", "Options", "Piece",
           "PieceError", "Problem", "Refusal", "SplitArticle", "SplitRequest",
           "SplitResult"]

#: Most articles in one request (more: 413).
MAX_ARTICLES = 1000
#: Most explaining terms per article.
MAX_EXPLAIN = 50


def _whole_characters(value: str) -> str:
    """`value`, if it can be written as UTF-8: JSON's ``\\ud800`` escapes give halves."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise PydanticCustomError("string_unicode", "holds a lone surrogate (an escape like "
                                  "\\ud800 that is half a character)") from None
    return value


def _ident(value: Any, handler: Any) -> Any:
    """One error for an id that is neither a string nor a whole number (not one a type)."""
    try:
        value = handler(value)
    except ValidationError:
        raise PydanticCustomError("id_type", "expected a string or a whole number") from None
    return _whole_characters(value) if isinstance(value, str) else value


def _threshold(value: Any) -> float | None:
    return None if value is None else check_threshold(value)


def _one_of(model: BaseModel, first: str, second: str, what: str) -> str:
    """The text given as field `first` or as field `second`, refusing both and neither."""
    one, other = getattr(model, first), getattr(model, second)
    if one is not None and other is not None:
        raise PydanticCustomError("value_error", f"give {what} as {first} or as {second}, "
                                  "not both", {"field": second})
    if one is None and other is None:
        raise PydanticCustomError("missing", f"missing: give {what} as {first} or as "
                                  f"{second}", {"field": first})
    return one if one is not None else other


#: A string of whole characters.
Text = Annotated[StrictStr, AfterValidator(_whole_characters)]
#: An article's id, returned as given.
Ident = Annotated[StrictStr | StrictInt | None, WrapValidator(_ident),
                  Field(description="returned as given")]


class Options(BaseModel):
    """What each answer lists, beside the articles of a request."""

    model_config = ConfigDict(strict=True)

    top_k: StrictInt = Field(3, ge=1, description="labels listed in top, at most the "
                             "model's labels")
    explain: StrictInt = Field(0, ge=0, le=MAX_EXPLAIN, description="terms listed in "
                               "terms: those behind the label")
    threshold: Annotated[float | None, BeforeValidator(_threshold)] = Field(
        None, description="a probability from 0 to 1: below it the label is the model's "
        "fallback (other); null: the model's own",
        json_schema_extra={"minimum": 0, "maximum": 1})


class Article(BaseModel):
    """An article: its text as body (with an optional title) or as text."""

    model_config = ConfigDict(strict=True, json_schema_extra={"examples": [
        {"id": "a1", "title": "市人大常委会召开会议",
         "body": "会议审议了关于民生实事项目人大代表票决制的报告。"}]})

    id: Ident = None
    title: Text = Field("", description="the headline (optional)")
    body: Text | None = Field(None, description="the article's text")
    text: Text | None = Field(None, description="the article's text, when it has no title")

    @model_validator(mode="after")
    def _has_text(self) -> Article:
        self.body = _one_of(self, "body", "text", "the article's text")
        if not self.body.strip() and not self.title.strip():
            raise PydanticCustomError("value_error", "empty text: the article has no text",
                                      {"field": "body" if self.text is None else "text"})
        return self


class LabelRequest(Options, Article):
    """POST /v1/label: one article, or a list of them as articles; the options beside
    them."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"title": "市人大常委会召开会议", "body": "会议审议了人大代表票决制的报告。",
         "top_k": 2, "explain": 3},
        {"articles": [{"id": 1, "text": "高考首日考场秩序井然"}], "top_k": 1}]})

    articles: list[Article] | None = Field(
        None, max_length=MAX_ARTICLES, description="several articles, each labelled; the "
        "article fields beside them are then not read")

    @model_validator(mode="after")
    def _has_text(self) -> LabelRequest:
        return self if self.articles is not None else Article._has_text(self)


class SplitRequest(Options):
    """POST /v1/split: a newspaper page, as page or as text."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"page": "本报讯 市人大常委会召开会议……", "top_k": 1}]})

    page: Text | None = Field(None, description="a newspaper page")
    text: Text | None = Field(None, description="the same, named as /v1/label names it")

    @model_validator(mode="after")
    def _has_text(self) -> SplitRequest:
        self.page = _one_of(self, "page", "text", "the page's text")
        return self


# Answers. A model with several bases takes their fields from the last base to the
# first, then its own: the order of the fields in the JSON.
class Labels(BaseModel):
    """What the model says of an article (fields of the records of newsclass label)."""

    label: str = Field(description="the label (the model's fallback, other, when no "
                       "label reaches the threshold)")
    label_zh: str = Field(description="the label's Chinese name")
    confidence: float = Field(description="the probability of the label")
    top: dict[str, float] = Field(description="the most probable labels, best first")
    terms: dict[str, float] = Field(description="the terms behind the label and their "
                                    "weights (with explain)")
    truncated: int | None = Field(None, description="the article's length in characters, "
                                  "when only its start was labelled (absent otherwise)")


class _Identified(BaseModel):
    id: Ident


class _Failed(BaseModel):
    error: str = Field(description="why the article was not labelled")


class Piece(BaseModel):
    """An article found on a page, where it stands."""

    n: int = Field(description="its number on the page, from 1")
    title: str
    subtitles: list[str]
    byline: str
    body: str
    start: int = Field(description="where it starts in the page (characters)")
    end: int = Field(description="where it ends")


class LabelResult(Labels, _Identified):
    """The answer for one article."""


class ArticleError(_Failed, _Identified):
    """An article of a list that could not be labelled."""


class SplitArticle(Labels, Piece):
    """An article of a page, labelled."""


class PieceError(_Failed, Piece):
    """An article of a page that was not labelled (one without text)."""


class LabelResults(BaseModel):
    """The answer for a list of articles, in their order."""

    results: list[LabelResult | ArticleError]


class SplitResult(BaseModel):
    """The articles of a page, in page order."""

    articles: list[SplitArticle | PieceError]


class Health(BaseModel):
    """GET /healthz: the server is up; the labels it gives."""

    status: str = Field(description="ok")
    labels: list[str]


class Problem(BaseModel):
    """What is wrong with a request."""

    loc: list[str | int] = Field(description="where: body, then the field's path")
    msg: str
    type: str


class Refusal(BaseModel):
    """Every refusal (401, 408, 413, 422, 503)."""

    detail: list[Problem]
