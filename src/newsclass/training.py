"""Training a model from files: ``newsclass train`` as a function."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsclass.readers import InputArticle, InputError, iter_inputs

__all__ = ["TrainResult", "describe_failures", "read_labelled", "train_files"]

_TABLE_SUFFIXES = (".jsonl", ".csv", ".tsv", ".jsonl.gz", ".csv.gz", ".tsv.gz")


@dataclass
class TrainResult:
    """A trained model and what happened on the way.

    Attributes
    ----------
    model : NewsClassifier
    errors : list of InputError
        Inputs that could not be used (they are left out of training).
    metrics : dict
        Cross-validation results (empty when not asked for).
    output : str or None
        The model file written.
    """

    model: Any
    errors: list = field(default_factory=list)
    metrics: dict = field(default_factory=dict)
    output: str | None = None


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
                  label_from_folder: bool | None = None, **read_options: Any
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
    **read_options
        Passed to :func:`newsclass.readers.iter_inputs`.

    Returns
    -------
    articles, labels, errors
    """
    inputs = [os.fspath(p) for p in inputs]
    if label_from_folder is None:
        label_from_folder = _is_folder_layout(inputs)
    if label_from_folder:
        read_options = {"split": False, "label_from_folder": True, **read_options}
    else:
        read_options = {"label_field": label_field, **read_options}
    articles, labels, errors = [], [], []
    for item in iter_inputs(inputs, **read_options):
        if isinstance(item, InputError):
            errors.append(item)
        else:
            articles.append(item)
            labels.append(item.label)
    return articles, labels, errors


def train_files(data: Iterable[str | os.PathLike], output: str | os.PathLike | None = None, *,
                cv: int = 5, default: bool = False, label_field: str = "label",
                label_from_folder: bool | None = None, n_jobs: int | None = None,
                read_options: dict | None = None, backend: str = "local",
                scheduler: str | None = None, **params: Any) -> TrainResult:
    """Train a :class:`NewsClassifier` on labelled files and save it with its card.

    Parameters
    ----------
    data : iterable of str or path-like
        Training data (see :func:`read_labelled`). Ignored with ``default=True``.
    output : str, path-like or None
        Model file to write (its card goes beside it); ``None`` writes nothing.
    cv : int, default=5
        Folds of cross-validation whose metrics are recorded (0: none).
    default : bool, default=False
        Rebuild the bundled default model from the bundled corpus instead.
    label_field, label_from_folder
        See :func:`read_labelled`.
    n_jobs : int or None
        Parallel jobs for cross-validation (joblib's backend decides where they run).
    read_options : dict or None
        Passed to :func:`newsclass.readers.iter_inputs`.
    backend : {"local", "dask"}, default="local"
        ``"dask"`` runs the cross-validation folds on a Dask cluster through joblib's
        Dask backend, and the final fit as a task beside them
        (:func:`newsclass.dask.fit_and_cross_validate`; needs ``newsclass[dask]``). The
        model and metrics are the same as with ``"local"``.
    scheduler : str or None
        Dask scheduler address for ``backend="dask"``; ``None`` starts a local cluster
        on the loopback interface (`n_jobs` worker processes; ``None``: one per CPU).
    **params
        :class:`NewsClassifier` parameters.

    Returns
    -------
    TrainResult

    Raises
    ------
    ValueError
        If no usable training articles are found.
    """
    from newsclass import default_model
    from newsclass.model import NewsClassifier
    from newsclass.persistence import save_model

    if backend not in ("local", "dask"):
        raise ValueError(f"unknown backend {backend!r}; choose local or dask")
    if scheduler is not None and backend != "dask":
        raise ValueError("a scheduler address needs backend='dask' (--backend dask)")
    if default:
        if backend == "dask":
            from newsclass.dask import joblib_on_cluster

            with joblib_on_cluster(scheduler, n_workers=n_jobs):
                model = default_model.train_default(out=output, cv=cv)
        else:
            model = default_model.train_default(out=output, cv=cv)
        return TrainResult(model=model, metrics=model.metrics_,
                           output=None if output is None else os.fspath(output))
    articles, labels, errors = read_labelled(
        data, label_field=label_field, label_from_folder=label_from_folder,
        **(read_options or {}))
    if not articles:
        raise ValueError("no usable training articles in the given data"
                         + describe_failures(errors))
    if backend == "dask":
        from newsclass.dask import fit_and_cross_validate

        model, metrics = fit_and_cross_validate(articles, labels, cv, params,
                                                n_jobs=n_jobs, scheduler=scheduler)
    else:
        model = NewsClassifier(**params).fit(articles, labels)
        metrics = ({"cv": default_model.cross_validate(articles, labels, cv, params=params,
                                                       n_jobs=n_jobs)} if cv else {})
    model.metrics_ = metrics
    out = None
    if output is not None:
        save_model(model, output)
        out = os.fspath(output)
    return TrainResult(model=model, errors=errors, metrics=metrics, output=out)
