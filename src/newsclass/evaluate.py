"""``newsclass evaluate`` as a function: score a model on labelled files."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from newsclass.default_model import as_model
from newsclass.labelled import describe_failures, read_labelled
from newsclass.metrics import evaluate
from newsclass.report import write_report

__all__ = ["EvaluationResult", "evaluate_files"]


@dataclass
class EvaluationResult:
    """Metrics of a model on labelled files.

    Attributes
    ----------
    metrics : dict
        See :func:`evaluate`.
    errors : list of InputError
        Inputs that could not be read (left out of the metrics).
    report : list of Path
        Report files written (empty without a report folder).
    """

    metrics: dict
    errors: list = field(default_factory=list)
    report: list = field(default_factory=list)
    unknown_labels: list = field(default_factory=list)

    @property
    def labels_overlap(self) -> bool:
        """Whether any label of the data is one the model knows."""
        return any(stats.get("support") for label, stats in
                   self.metrics.get("per_label", {}).items()
                   if label not in self.unknown_labels)


def evaluate_files(data: Iterable[str | os.PathLike], model: Any = None,
                   report: str | os.PathLike | None = None, *, label_field: str = "label",
                   label_from_folder: bool | None = None,
                   read_options: dict | None = None,
                   label_map: dict | None = None) -> EvaluationResult:
    """Evaluate a model on labelled files (``newsclass evaluate`` as a function).

    Parameters
    ----------
    data : iterable of str or path-like
        JSONL/CSV/TSV files with a label field, or folders with one sub-folder of
        ``.txt`` files per label (see :func:`newsclass.labelled.read_labelled`).
    model : NewsClassifier, str, path-like or None
        A fitted model or a model file; ``None`` is the default model.
    report : str, path-like or None
        Folder to write a report to (see :func:`newsclass.report.write_report`).
    label_field, label_from_folder, read_options
        How to read the data.
    label_map : dict or None
        Renames the data's labels before scoring (``{"科技": "tech", ...}``), for data
        that name the labels otherwise.

    Returns
    -------
    EvaluationResult
        Its ``unknown_labels`` lists the data's labels (after `label_map`) that the model
        does not know; when none of the data's labels is known, ``labels_overlap`` is
        false and the scores mean nothing.

    Raises
    ------
    ValueError
        If the data hold no usable article; the message quotes the first reasons.
    """
    model = as_model(model)
    articles, labels, errors = read_labelled(data, label_field=label_field,
                                             label_from_folder=label_from_folder,
                                             **(read_options or {}))
    if not articles:
        raise ValueError("no usable labelled articles in the given data"
                         + describe_failures(errors))
    if label_map:
        labels = [label_map.get(y, y) for y in labels]
    known = {str(c) for c in model.classes_}
    unknown = sorted({str(y) for y in labels} - known)
    metrics = evaluate(model, articles, labels)
    paths = [] if report is None else write_report(
        report, model, articles, labels, metrics=metrics, ids=[a.id for a in articles])
    return EvaluationResult(metrics, errors, paths, unknown)
