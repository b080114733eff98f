"""``newsclass evaluate`` as a function: score a model on labelled files."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from newsclass.default_model import as_model
from newsclass.formats import ReadOptions
from newsclass.labelled import describe_failures, read_labelled
from newsclass.labels import label_name
from newsclass.metrics import evaluate
from newsclass.report import write_report

__all__ = ["EvaluationResult", "UnknownLabelsError", "check_labels", "evaluate_files"]


class UnknownLabelsError(ValueError):
    """The data name their labels in a way the model's labels cannot be scored against.

    Raised by :func:`evaluate_files`, before anything is predicted or written, when none
    of the data's labels is one the model knows (every score would be zero), or when
    some are another name of one of the model's labels (科技 for ``tech``): scored as
    they are, that label would be counted, and shown, twice.

    Attributes
    ----------
    unknown : list of str
        The data's labels (after the given label map) that the model does not know.
    aliases : dict
        Those of them that name one of the model's labels: ``{"科技": "tech"}``.
    suggested : dict
        A label map that scores the data: the given one, completed with `aliases`;
        labels it cannot guess map to ``"NEW"``, to be replaced by one of the model's.
    model_labels : list of str
        The model's labels.
    none_known : bool
        Whether none of the data's labels is one the model knows.
    """

    def __init__(self, unknown: list[str], aliases: dict, suggested: dict,
                 model_labels: list[str], none_known: bool) -> None:
        self.unknown, self.aliases = unknown, aliases
        self.suggested, self.model_labels = suggested, model_labels
        self.none_known = none_known
        if none_known:
            reason = (f"the model does not know any of the data's labels "
                      f"({', '.join(unknown)}): every score would be 0")
        else:
            reason = (f"the data's label(s) {', '.join(aliases)} name the model's "
                      f"label(s) {', '.join(aliases.values())} otherwise: scored apart, "
                      "each would be counted and shown as two labels")
        super().__init__(f"{reason}, so nothing was scored; the model's labels are "
                         f"{', '.join(model_labels)}")

    @property
    def pairs(self) -> str:
        """`suggested` as ``OLD=NEW,...``, the form of ``--label-map``."""
        return ",".join(f"{old}={new}" for old, new in self.suggested.items())


@dataclass
class EvaluationResult:
    """Metrics of a model on labelled files.

    Attributes
    ----------
    metrics : dict
        See :func:`newsclass.metrics.evaluate`.
    errors : list of InputError
        Inputs that could not be read (left out of the metrics).
    report : list of Path
        Report files written (empty without a report folder).
    unknown_labels : list of str
        The data's labels that the model does not know (it never predicts them, so
        their articles all count as errors); some of the data's labels are known.
    """

    metrics: dict
    errors: list = field(default_factory=list)
    report: list = field(default_factory=list)
    unknown_labels: list = field(default_factory=list)


def _names(label: str) -> set[str]:
    """The names a label goes by: itself and its Chinese name, without case."""
    return {label.casefold(), label_name(label).casefold()}


def check_labels(labels: list, model_labels: list[str], label_map: dict | None = None
                 ) -> list[str]:
    """The data's labels that the model does not know, if the data can be scored.

    Parameters
    ----------
    labels : list
        The data's labels, after `label_map`.
    model_labels : list of str
        The model's labels.
    label_map : dict or None
        The map applied to the data's labels, completed in the error's suggestion.

    Returns
    -------
    list of str
        The unknown labels, sorted: labels the model was not trained on.

    Raises
    ------
    UnknownLabelsError
        If no label is known, or some are another name of a model label (``科技`` and
        ``tech``; ``Tech`` and ``tech``): the names a label goes by are those of
        :func:`newsclass.labels.label_name`, compared without case.
    """
    known = set(model_labels)
    data_labels = sorted({str(y) for y in labels})
    unknown = [y for y in data_labels if y not in known]
    by_name = {name: c for c in reversed(model_labels) for name in _names(c)}

    def guess(label: str) -> str | None:
        return next((by_name[n] for n in sorted(_names(label)) if n in by_name), None)

    aliases = {y: guess(y) for y in unknown if guess(y) is not None}
    nothing_known = bool(unknown) and len(unknown) == len(data_labels)
    if aliases or nothing_known:
        suggested = _suggest(label_map or {}, unknown, guess, known, nothing_known)
        raise UnknownLabelsError(unknown, aliases, suggested, list(model_labels),
                                 nothing_known)
    return unknown


def _suggest(given: dict, unknown: list[str], guess: Callable, known: set,
             fill: bool) -> dict:
    """The given label map completed with the model labels that unknown labels name
    (`guess`); with `fill`, every other unknown label maps to ``"NEW"``."""
    def target(old: str, new: str) -> str:
        if new in known:
            return new
        found = guess(new) or guess(old)
        return found if found is not None else ("NEW" if fill else new)

    suggested = {old: target(old, new) for old, new in given.items()}
    for label in unknown:
        if label not in given.values() and (fill or guess(label) is not None):
            suggested.setdefault(label, target(label, label))
    return suggested


def evaluate_files(data: Iterable[str | os.PathLike], model: Any = None,
                   report: str | os.PathLike | None = None, *, label_field: str = "label",
                   label_from_folder: bool | None = None,
                   read_options: ReadOptions | Mapping[str, Any] | None = None,
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
        Its ``unknown_labels`` lists the data's labels (after `label_map`) that the
        model does not know.

    Raises
    ------
    UnknownLabelsError
        If none of the data's labels (after `label_map`) is one the model knows, or
        some are another name of one of its labels (see :func:`check_labels`); nothing
        is predicted and no report is written. Its ``suggested`` is a label map that
        would do.
    ValueError
        If the data hold no usable article; the message quotes the first reasons.
    """
    model = as_model(model)
    articles, labels, errors = read_labelled(data, label_field=label_field,
                                             label_from_folder=label_from_folder,
                                             read_options=read_options)
    if not articles:
        raise ValueError("no usable labelled articles in the given data"
                         + describe_failures(errors))
    if label_map:
        labels = [label_map.get(y, y) for y in labels]
    unknown = check_labels(labels, [str(c) for c in model.classes_], label_map)
    metrics = evaluate(model, articles, labels)
    paths = [] if report is None else write_report(
        report, model, articles, labels, metrics=metrics, ids=[a.id for a in articles])
    return EvaluationResult(metrics, errors, paths, unknown)
