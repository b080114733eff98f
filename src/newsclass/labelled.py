"""Reading labelled articles, for training and evaluation."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from newsclass.formats import InputArticle, InputError, ReadOptions
from newsclass.readers import read_inputs

__all__ = ["describe_failures", "read_labelled"]

_TABLE_SUFFIXES = (".jsonl", ".csv", ".tsv", ".jsonl.gz", ".csv.gz", ".tsv.gz")


def describe_failures(errors: list, shown: int = 3) -> str:
    """``" (N inputs failed: SOURCE POSITION: REASON; ...)"``, quoting the first few
    reasons, or ``""`` when there are no errors."""
    if not errors:
        return ""
    quoted = "; ".join(str(e) for e in errors[:shown])
    more = f"; and {len(errors) - shown} more" if len(errors) > shown else ""
    noun = "input" if len(errors) == 1 else "inputs"
    return f" ({len(errors)} {noun} failed: {quoted}{more})"


def _is_folder_layout(inputs: list[str]) -> bool:
    dirs = [Path(p) for p in inputs]
    if not dirs or not all(d.is_dir() for d in dirs):
        return False
    return not any(str(f).endswith(_TABLE_SUFFIXES) for d in dirs for f in d.rglob("*"))


def read_labelled(inputs: Iterable[str | os.PathLike], *, label_field: str = "label",
                  label_from_folder: bool | None = None,
                  read_options: ReadOptions | Mapping[str, Any] | None = None
                  ) -> tuple[list[InputArticle], list[str], list[InputError]]:
    """Read labelled articles for training or evaluation.

    Parameters
    ----------
    inputs : iterable of str or path-like
        JSONL/CSV/TSV files (with `label_field`), or folders with one sub-folder of
        ``.txt`` files per label (the THUCNews layout).
    label_field : str, default="label"
    label_from_folder : bool or None
        Take labels from folder names; ``None`` decides by looking: folders holding no
        JSONL/CSV/TSV files are read that way.
    read_options : ReadOptions, mapping of its fields, or None
        How to read the inputs (:class:`newsclass.formats.ReadOptions`); the label
        options above replace its own.

    Returns
    -------
    articles, labels, errors
    """
    inputs = [os.fspath(p) for p in inputs]
    if label_from_folder is None:
        label_from_folder = _is_folder_layout(inputs)
    options = ReadOptions.of(read_options)
    if label_from_folder:
        options = replace(options, split=False, label_field=None, label_from_folder=True)
    else:
        options = replace(options, label_field=label_field, label_from_folder=False)
    articles, labels, errors = [], [], []
    for item in read_inputs(inputs, options):
        if isinstance(item, InputError):
            errors.append(item)
        else:
            articles.append(item)
            labels.append(item.label)
    return articles, labels, errors
