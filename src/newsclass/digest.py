"""Fingerprints of files and of article texts: the one home of :func:`file_sha256` and
:func:`text_sha256`."""

from __future__ import annotations

import hashlib
from os import PathLike

__all__ = ["file_sha256", "text_sha256"]


def file_sha256(path: str | PathLike) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB blocks.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    str
    """
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def text_sha256(title: str, body: str) -> str:
    """Hex SHA-256 of an article's text: its title and body joined by a line break.

    The fingerprint ties a reviewer's decision to the text that was reviewed, so that
    retraining can find that text again and notice when it changed.

    Parameters
    ----------
    title, body : str

    Returns
    -------
    str

    Examples
    --------
    >>> text_sha256("标题", "正文")[:12]
    '7f31287e6d43'
    """
    return hashlib.sha256(f"{title}\n{body}".encode()).hexdigest()
