"""Turning user input into documents: the one place where input is checked."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Document", "as_documents"]


@dataclass(frozen=True)
class Document:
    """An article as the classifier sees it: a title (possibly empty) and a body.

    Parameters
    ----------
    title : str
        The headline; empty when unknown.
    body : str
        The article text.
    """

    title: str
    body: str

    @property
    def text(self) -> str:
        """Title and body joined by a line break (just the body when there is no title)."""
        return f"{self.title}\n{self.body}" if self.title else self.body


def _field(item: Any, name: str) -> Any:
    if isinstance(item, Mapping):
        return item.get(name)
    return getattr(item, name, None)


def _as_document(item: Any, position: int, name: str) -> Document:
    if isinstance(item, str):
        return Document("", item)
    if isinstance(item, Document):
        return item
    has_fields = isinstance(item, Mapping) or hasattr(item, "body")
    if has_fields:
        title = _field(item, "title")
        body = _field(item, "body")
        if body is None and isinstance(item, Mapping):
            body = item.get("text")
        if title is None:
            title = ""
        if isinstance(body, str) and isinstance(title, str):
            return Document(title, body)
        if not isinstance(body, str):
            raise TypeError(
                f"{name}[{position}] has no str 'body' (or 'text'): got {type(body).__name__}")
        raise TypeError(f"{name}[{position}] has a 'title' of type {type(title).__name__}, "
                        "expected str")
    raise TypeError(
        f"{name}[{position}] is {type(item).__name__}; expected str, or a mapping or object "
        "with 'title' and 'body'")


def as_documents(X: Iterable[Any], name: str = "X") -> list[Document]:
    """Check and convert a collection of articles into :class:`Document` objects.

    Parameters
    ----------
    X : iterable
        A list, tuple, NumPy array or pandas Series whose items are ``str`` (the whole
        article), mappings with ``"title"`` and ``"body"`` (or ``"text"``) keys, or objects
        with ``title`` and ``body`` attributes (such as :class:`newsclass.Article`).
    name : str, default="X"
        How error messages call the collection.

    Returns
    -------
    list of Document

    Raises
    ------
    TypeError
        If `X` is a single string or not iterable, or an item is of another type
        (``None``, numbers, bytes, nested lists, ...); the message names its position.
    """
    if isinstance(X, (str, bytes, Mapping)):
        raise TypeError(f"{name} must be a collection of articles, got a single "
                        f"{type(X).__name__}; wrap it in a list")
    if hasattr(X, "ndim") and getattr(X, "ndim", 1) != 1:
        raise TypeError(f"{name} must be one-dimensional, got an array of shape {X.shape}")
    values = X.tolist() if hasattr(X, "tolist") else X
    try:
        iterator = iter(values)
    except TypeError:
        raise TypeError(f"{name} must be a collection of articles, got "
                        f"{type(X).__name__}") from None
    return [_as_document(item, i, name) for i, item in enumerate(iterator)]
