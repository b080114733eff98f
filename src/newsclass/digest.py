"""Fingerprints of files: the one home of :func:`file_sha256`."""

from __future__ import annotations

import hashlib
from os import PathLike

__all__ = ["file_sha256"]


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
