"""Why an input was refused, in plain words: the shared pieces of every error message.

A leaf: it imports nothing of newsclass, so that reading inputs, writing outputs and the
web API all name a failed file or a wrong JSON value the same way.
"""

from __future__ import annotations

import gzip
import zlib
from typing import Any

__all__ = ["READ_ERRORS", "UnreadableInput", "json_type", "os_reason"]

#: What reading an open file can raise: an I/O error, a truncated or corrupt ``.gz``.
READ_ERRORS = (OSError, EOFError, zlib.error)

# The most specific first: a PermissionError is an OSError too.
_OS_REASONS = ((FileNotFoundError, "not found"), (PermissionError, "permission denied"),
               (IsADirectoryError, "is a directory"), (gzip.BadGzipFile, "not a gzip file"))

# bool before int: True is an int to Python, a boolean to JSON.
_JSON_TYPES = ((bool, "a boolean"), ((int, float), "a number"), (str, "a string"),
               (list, "an array"), (dict, "an object"))


class UnreadableInput(Exception):
    """A whole input cannot be read; the argument is the reason, in plain words."""


def os_reason(error: BaseException) -> str:
    """Why a file could not be opened or read, in plain lower-case words."""
    reason = next((text for kind, text in _OS_REASONS if isinstance(error, kind)), None)
    if reason is not None:
        return reason
    text = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
    text = text or type(error).__name__
    return text[:1].lower() + text[1:]


def json_type(value: Any) -> str:
    """How a JSON value's type reads in an error message (\"a string\", \"null\", ...)."""
    if value is None:
        return "null"
    return next((name for kind, name in _JSON_TYPES if isinstance(value, kind)),
                f"a {type(value).__name__}")
