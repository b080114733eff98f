"""Review decisions: the corrections file that ``newsclass review`` appends to.

One JSON line per decision, in the order they were made::

    {"id": "...", "source": "...", "text_sha256": "...", "model_label": "other",
     "label": "charity", "time": "2024-05-01T09:30:12+00:00"}

``label`` is the reviewer's label; when it equals ``model_label`` the reviewer accepted
the model's label. A later line about the same article (same ``source`` and ``id``)
replaces an earlier one. :class:`CorrectionLog` writes each decision with one ``write``
and an ``fsync`` before it reports it saved, so a decision shown as saved survives a
crash of the server or of the machine; a line cut short by a crash mid-write was never
reported saved, and is dropped when the file is opened again.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from pathlib import Path
from typing import Any

__all__ = ["CORRECTION_FIELDS", "CorrectionLog", "CorrectionsError", "latest_decisions",
           "make_correction", "read_corrections"]

#: Fields of a decision, in order.
CORRECTION_FIELDS = ("id", "source", "text_sha256", "model_label", "label", "time")


class CorrectionsError(ValueError):
    """A corrections file cannot be read or written; the message names the file."""


def make_correction(ident: str, source: str, text_sha256: str, model_label: str,
                    label: str, time: _dt.datetime | None = None) -> dict:
    """A decision record (:data:`CORRECTION_FIELDS`); `time` defaults to now, in UTC."""
    when = time or _dt.datetime.now(_dt.timezone.utc)
    return {"id": ident, "source": source, "text_sha256": text_sha256,
            "model_label": model_label, "label": label,
            "time": when.isoformat(timespec="seconds")}


def _check_line(row: Any, where: str) -> dict:
    if not isinstance(row, dict):
        raise CorrectionsError(f"{where}: a decision must be a JSON object")
    for name in CORRECTION_FIELDS:
        if not isinstance(row.get(name), str):
            what = "missing" if name not in row else "not a string"
            raise CorrectionsError(f"{where}: field '{name}' is {what}")
    return row


def read_corrections(path: str | os.PathLike) -> list[dict]:
    """Every complete decision of a corrections file, in file order.

    A last line without its line break (a write cut short by a crash) is left out.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    list of dict

    Raises
    ------
    CorrectionsError
        If the file cannot be read or a complete line is not a decision; the message
        names the file and the line.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise CorrectionsError(f"cannot read corrections {path}: {reason.lower()}") from None
    lines = data.split(b"\n")[:-1]  # the part after the last line break is incomplete
    out = []
    for n, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        where = f"{path} line {n}"
        try:
            row = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise CorrectionsError(f"{where}: not a JSON line ({exc})") from None
        out.append(_check_line(row, where))
    return out


def latest_decisions(decisions: list[dict]) -> dict[tuple[str, str], dict]:
    """The last decision about each article, keyed by ``(source, id)``."""
    return {(d["source"], d["id"]): d for d in decisions}


class CorrectionLog:
    """An append-only corrections file, each decision on disk before it counts as saved.

    Parameters
    ----------
    path : str or path-like
        Created when missing; an existing file is continued (a last line cut short by a
        crash is cut off first).

    Attributes
    ----------
    decisions : dict
        The latest decision per ``(source, id)``, including those already in the file.

    Raises
    ------
    CorrectionsError
        If the file cannot be opened, or holds lines that are not decisions.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        existing = read_corrections(self.path) if self.path.exists() else []
        self.decisions = latest_decisions(existing)
        try:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            reason = (exc.strerror or type(exc).__name__).lower()
            raise CorrectionsError(f"cannot write corrections {self.path}: {reason}") from None
        self._drop_partial_line()

    def _drop_partial_line(self) -> None:
        size = os.fstat(self._fd).st_size
        if size == 0:
            return
        os.lseek(self._fd, max(0, size - 65536), os.SEEK_SET)
        tail = os.read(self._fd, 65536)
        if tail.endswith(b"\n"):
            os.lseek(self._fd, size, os.SEEK_SET)
            return
        keep = size - len(tail) + tail.rfind(b"\n") + 1
        os.ftruncate(self._fd, keep)
        os.lseek(self._fd, keep, os.SEEK_SET)

    def append(self, decision: dict) -> dict:
        """Write one decision and flush it to disk (``fsync``) before returning it.

        Parameters
        ----------
        decision : dict
            As made by :func:`make_correction`.

        Returns
        -------
        dict
            The decision, now saved.
        """
        line = json.dumps({k: decision[k] for k in CORRECTION_FIELDS},
                          ensure_ascii=False) + "\n"
        view = memoryview(line.encode("utf-8"))
        while view:
            view = view[os.write(self._fd, view):]
        os.fsync(self._fd)
        self.decisions[(decision["source"], decision["id"])] = decision
        return decision

    def close(self) -> None:
        """Close the file."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
