"""The run manifest: what a batch run was asked to do and how far it got.

``newsclass label -o OUT`` keeps ``OUT.run.json`` beside its output. It records the
inputs (each file's size and modification time), every setting that changes the
records (the model's hash, threshold, top-k, explain, fields, formats), and a
checkpoint written after every chunk: how many items of the input stream (articles and
input errors, in reading order) are done, and how many bytes the output and the error
report held at that moment. ``--resume`` skips exactly that many items of the input
stream, cuts both files back to those sizes (dropping a half-written chunk) and goes
on; it refuses when the inputs or the settings differ from the interrupted run.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MANIFEST_SUFFIX", "ResumeError", "RunManifest", "input_fingerprint",
           "manifest_path", "model_fingerprint", "read_manifest"]

#: Appended to the output's path to name its manifest.
MANIFEST_SUFFIX = ".run.json"
_FORMAT = "newsclass-run/1"


class ResumeError(ValueError):
    """A run cannot be resumed: no manifest, or other inputs or settings."""


def manifest_path(output: str) -> str:
    """The manifest file of an output file."""
    return output + MANIFEST_SUFFIX


def input_fingerprint(files: list[str]) -> list[list]:
    """``[path, size, mtime_ns]`` of each input file (``None`` for a missing one)."""
    out = []
    for path in files:
        try:
            st = os.stat(path)
            out.append([path, st.st_size, st.st_mtime_ns])
        except OSError:
            out.append([path, None, None])
    return out


def _feed(h: Any, obj: Any, depth: int = 0) -> None:
    """Feed a deterministic description of `obj` into hash `h`: arrays by their bytes,
    sets sorted, objects by their attributes (so equal models hash alike in any process,
    whatever the string hash seed; ``joblib.hash`` of the default model is not: it
    differs between ``PYTHONHASHSEED`` values)."""
    if depth > 12:
        h.update(b"<deep>")
    elif obj is None or isinstance(obj, (bool, int, float, str, bytes)):
        h.update(f"{type(obj).__name__}:{obj!r};".encode())
    elif hasattr(obj, "dtype") and hasattr(obj, "tobytes"):
        h.update(f"array{obj.shape}{obj.dtype};".encode())
        h.update(obj.tobytes() if obj.dtype != object else repr(obj.tolist()).encode())
    elif isinstance(obj, (list, tuple)):
        h.update(f"{type(obj).__name__}[{len(obj)}".encode())
        for item in obj:
            _feed(h, item, depth + 1)
    elif isinstance(obj, (set, frozenset)):
        h.update(f"set[{len(obj)}".encode())
        for item in sorted(obj, key=repr):
            _feed(h, item, depth + 1)
    elif isinstance(obj, dict):
        h.update(f"dict[{len(obj)}".encode())
        for key in sorted(obj, key=repr):
            _feed(h, key, depth + 1)
            _feed(h, obj[key], depth + 1)
    elif hasattr(obj, "__getstate__") or hasattr(obj, "__dict__"):
        state = obj.__getstate__() if hasattr(obj, "__getstate__") else vars(obj)
        h.update(f"{type(obj).__module__}.{type(obj).__qualname__}".encode())
        _feed(h, state if isinstance(state, dict) else repr(state), depth + 1)
    else:
        h.update(repr(obj).encode())


def model_fingerprint(model: Any) -> str:
    """SHA-256 of a fitted model's parameters and fitted values: equal for the same model,
    saved or in memory, in any process. A model that states its own fingerprint (a
    portable model: the hashes of its arrays) is taken at its word."""
    stated = getattr(model, "fingerprint_", None)
    if isinstance(stated, str):
        return stated
    h = hashlib.sha256()
    _feed(h, model)
    return h.hexdigest()


@dataclass
class RunManifest:
    """A batch run's inputs, settings and checkpoint.

    Attributes
    ----------
    inputs : list
        :func:`input_fingerprint` of the input files, in reading order.
    settings : dict
        Everything else that changes the records.
    done : int
        Items of the input stream (articles and input errors) fully written.
    output_bytes, errors_bytes : int
        Sizes of the output and of the error report after those items.
    complete : bool
        Whether the run reached the end of its inputs.
    """

    inputs: list
    settings: dict
    done: int = 0
    output_bytes: int = 0
    errors_bytes: int = 0
    complete: bool = False
    format: str = field(default=_FORMAT)

    def write(self, path: str) -> None:
        """Write atomically: a crash leaves the old manifest or the new one, never half.

        The inputs and settings, which never change during a run, are serialised once;
        each checkpoint writes them again with its few numbers.
        """
        if getattr(self, "_fixed", None) is None:
            self._fixed = json.dumps({"format": self.format, "inputs": self.inputs,
                                      "settings": self.settings}, ensure_ascii=False)
        progress = json.dumps({"done": self.done, "output_bytes": self.output_bytes,
                               "errors_bytes": self.errors_bytes, "complete": self.complete})
        tmp = f"{path}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(f"{self._fixed[:-1]}, {progress[1:]}")
        os.replace(tmp, path)

    def check_same_run(self, inputs: list, settings: dict) -> None:
        """Raise :class:`ResumeError` naming what differs from the given run.

        Parameters
        ----------
        inputs : list
            :func:`input_fingerprint` of this run's inputs.
        settings : dict
            This run's settings.
        """
        if self.inputs != inputs:
            before = {p: (s, m) for p, s, m in self.inputs}
            now = {p: (s, m) for p, s, m in inputs}
            changed = sorted(p for p in before.keys() | now.keys()
                             if before.get(p) != now.get(p))
            what = ", ".join(changed[:3]) or "their order"
            raise ResumeError(f"the inputs differ from the interrupted run ({what}); "
                              "resume with the same, unchanged inputs or start again "
                              "with --force")
        differ = sorted(k for k in self.settings.keys() | settings.keys()
                        if self.settings.get(k) != settings.get(k))
        if differ:
            raise ResumeError("the settings differ from the interrupted run: "
                              + ", ".join(f"{k} was {self.settings.get(k)!r}, now "
                                          f"{settings.get(k)!r}" for k in differ)
                              + "; resume with the same options or start again with --force")


def read_manifest(path: str) -> RunManifest:
    """Read a manifest.

    Raises
    ------
    ResumeError
        If there is none or it cannot be read.
    """
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise ResumeError(f"no run manifest {path}: this output was not written by a "
                          "resumable run; start again with --force") from None
    except (OSError, ValueError) as error:
        raise ResumeError(f"cannot read the run manifest {path}: {error}") from None
    if not isinstance(data, dict) or data.get("format") != _FORMAT:
        raise ResumeError(f"{path} is not a newsclass run manifest")
    try:
        return RunManifest(**data)
    except TypeError:
        raise ResumeError(f"{path} is not a newsclass run manifest") from None
