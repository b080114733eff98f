"""Training a model from files: ``newsclass train`` as a function."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from newsclass.labelled import describe_failures, read_labelled
from newsclass.runners import check_backend
from newsclass.writers import check_output

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
    reviewed : Reviewed or None
        With ``add``: the reviewed articles trained on (:class:`newsclass.retrain.Reviewed`).
    warnings : list of str
        Things to tell the user, such as a retrained default model that lacks the real
        articles the shipped one learned from.
    """

    model: Any
    errors: list = field(default_factory=list)
    metrics: dict = field(default_factory=dict)
    output: str | None = None
    reviewed: Any = None
    warnings: list = field(default_factory=list)


def train_files(data: Iterable[str | os.PathLike], output: str | os.PathLike | None = None, *,
                cv: int = 5, default: bool = False, pool: str | os.PathLike | None = None,
                label_field: str = "label",
                label_from_folder: bool | None = None, n_jobs: int | None = None,
                read_options: dict | None = None, backend: str = "local",
                scheduler: str | None = None, add: str | os.PathLike | None = None,
                texts: Iterable[str | os.PathLike] | None = None,
                force: bool = False, **params: Any) -> TrainResult:
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
        (:func:`newsclass.default_model.find_real_pool`), with or without `add`.
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
    add : str, path-like or None
        A corrections file of ``newsclass review``: train on the reviewed articles too
        (the reviewer's labels), and measure the recipe without and with them
        (:func:`newsclass.retrain.retrain`). The file's SHA-256 goes into the model
        card. With `default`, the shipped default model is scored on the reviewed
        articles beside the retrained recipe; without the pool of real articles a
        warning says that the retrained model lacks them.
    texts : iterable of paths or None
        With `add`: where the reviewed texts are (records of ``newsclass label
        --keep-text``, or the labelled files); ``None``: the records beside the
        corrections file and the decisions' sources (:func:`newsclass.retrain.read_reviewed`).
    force : bool, default=False
        Replace an existing `output` (and its card). Checked before training, by the
        rule every command's outputs follow (:func:`newsclass.writers.check_output`).
    **params
        :class:`NewsClassifier` parameters.

    Returns
    -------
    TrainResult

    Raises
    ------
    ValueError
        If no usable training articles are found, or the folder of `output` does not
        exist.
    FileExistsError
        If `output` exists and `force` is false.
    """
    from newsclass.persistence import card_path, save_model

    check_backend(backend, scheduler)
    if output is not None:
        check_output(output, force)
        check_output(card_path(output), force)
    if add is not None:
        if backend != "local":
            raise ValueError("training with review decisions (add) runs locally: drop the "
                             "dask backend")
        return _train_reviewed(data, output, cv, default, pool, add, texts, params,
                               {"label_field": label_field,
                                "label_from_folder": label_from_folder,
                                **(read_options or {})})
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


def _base_data(data: Any, default: bool, pool: Any, params: dict,
               options: dict) -> tuple[list, list, tuple, dict, list, dict]:
    """The recipe's data: (articles, labels, always-trained extra, params, errors,
    sources)."""
    if not default:
        articles, labels, errors = read_labelled(data, **options)
        if not articles:
            raise ValueError("no usable training articles in the given data"
                             + describe_failures(errors))
        return articles, labels, ((), ()), params, errors, {"labelled_data": len(articles)}
    from newsclass.default_model import (
        DEFAULT_PARAMS,
        find_real_pool,
        read_corpus,
        read_real,
        training_sources,
    )

    articles, labels = read_corpus()
    # The pool is found as plain `train --default` finds it.
    found = find_real_pool(pool)
    if pool and found is None:
        raise ValueError(f"pool of real articles {pool} not found")
    real = read_real(found)[:2] if found is not None else ([], [])
    return (articles, labels, real, dict(DEFAULT_PARAMS), [],
            training_sources(len(articles), real[0]))


def _train_reviewed(data: Any, output: Any, cv: int, default: bool, pool: Any, add: Any,
                    texts: Any, params: dict, options: dict) -> TrainResult:
    from newsclass.persistence import save_model
    from newsclass.retrain import read_reviewed, retrain

    read_options = {k: v for k, v in options.items()
                    if k not in ("label_field", "label_from_folder")}
    reviewed = read_reviewed(add, list(texts) if texts else None, **read_options)
    articles, labels, extra, params, errors, sources = _base_data(
        data, default, pool, params, options)
    compare = None
    warnings = []
    if default:
        from newsclass.default_model import REAL_POOL, load_model

        compare = load_model()
        if not sources["real_news"]:
            looked = pool or os.environ.get("NEWSCLASS_REAL_POOL") or REAL_POOL
            warnings.append(
                "the retrained model lacks the real news articles the shipped default "
                f"model learned from (no pool of them was found in {looked}: give --pool "
                "or set NEWSCLASS_REAL_POOL); compare both models' scores on the reviewed "
                "articles before replacing the default")
    if reviewed.missing:
        warnings.append(f"{len(reviewed.missing)} reviewed articles were left out: their "
                        f"text was not found (e.g. {reviewed.missing[0]}); give --texts")
    model, metrics = retrain(articles, labels, reviewed, params, cv, extra=extra,
                             compare=compare)
    model.metrics_ = metrics
    model.training_data_ = {**sources, "reviewed": reviewed.describe()}
    out = None
    if output is not None:
        save_model(model, output)
        out = os.fspath(output)
    return TrainResult(model=model, errors=errors, metrics=metrics, output=out,
                       reviewed=reviewed, warnings=warnings)
