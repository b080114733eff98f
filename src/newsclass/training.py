"""Training a model from files: ``newsclass train`` as a function."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from newsclass.labelled import describe_failures, read_labelled
from newsclass.runners import check_backend

__all__ = ["TrainResult", "fit_recipe", "train_files"]


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


def train_files(data: Iterable[str | os.PathLike], output: str | os.PathLike | None = None, *,
                cv: int = 5, default: bool = False, pool: str | os.PathLike | None = None,
                label_field: str = "label",
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
        Rebuild the default model by its recipe instead
        (:func:`newsclass.default_model.train_default`): the bundled corpus plus the
        real articles whose labels ship with newsclass, read from `pool`.
    pool : str, path-like or None
        With `default`: the pool of real articles; ``None`` looks for it
        (:func:`newsclass.default_model.find_real_pool`).
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
    from newsclass.persistence import save_model

    check_backend(backend, scheduler)
    if default:
        model = _train_default(output, cv, pool, backend, scheduler, n_jobs)
        return TrainResult(model=model, metrics=model.metrics_,
                           output=None if output is None else os.fspath(output))
    articles, labels, errors = read_labelled(
        data, label_field=label_field, label_from_folder=label_from_folder,
        **(read_options or {}))
    if not articles:
        raise ValueError("no usable training articles in the given data"
                         + describe_failures(errors))
    model, metrics = fit_recipe(articles, labels, params, cv, backend=backend,
                                n_jobs=n_jobs, scheduler=scheduler)
    model.metrics_ = metrics
    out = None
    if output is not None:
        save_model(model, output)
        out = os.fspath(output)
    return TrainResult(model=model, errors=errors, metrics=metrics, output=out)


def _train_default(output: str | os.PathLike | None, cv: int, pool: Any, backend: str,
                   scheduler: str | None, n_jobs: int | None) -> Any:
    from newsclass.default_model import train_default

    if backend != "dask":
        return train_default(out=output, cv=cv, pool=pool)
    from newsclass.dask import joblib_on_cluster

    with joblib_on_cluster(scheduler, n_workers=n_jobs):
        return train_default(out=output, cv=cv, pool=pool)


def fit_recipe(articles: list, labels: list, params: dict, cv: int = 5, *,
               backend: str = "local", n_jobs: int | None = None,
               scheduler: str | None = None) -> tuple[Any, dict]:
    """Fit a NewsClassifier with `params` and cross-validate the same recipe.

    Parameters
    ----------
    articles, labels
        Training data.
    params : dict
        NewsClassifier parameters.
    cv : int, default=5
        Folds of cross-validation; 0 skips it.
    backend, n_jobs, scheduler
        As in :func:`train_files`.

    Returns
    -------
    model : NewsClassifier
    metrics : dict
        ``{"cv": ...}``, or ``{}`` when `cv` is 0.
    """
    check_backend(backend, scheduler)
    if backend == "dask":
        from newsclass.dask import fit_and_cross_validate

        return fit_and_cross_validate(articles, labels, cv, params, n_jobs=n_jobs,
                                      scheduler=scheduler)
    from newsclass.metrics import cross_validate
    from newsclass.model import NewsClassifier

    model = NewsClassifier(**params).fit(articles, labels)
    return model, ({"cv": cross_validate(articles, labels, params, cv, n_jobs=n_jobs)}
                   if cv else {})
