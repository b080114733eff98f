"""Training a model from files: ``newsclass train`` as a function."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from newsclass.formats import ReadOptions
from newsclass.labelled import describe_failures, read_labelled
from newsclass.runners import check_backend
from newsclass.writers import check_output

__all__ = ["TrainResult", "train_files"]


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
                label_from_folder: bool | None = None, jobs: int | None = -1,
                read_options: ReadOptions | Mapping[str, Any] | None = None,
                backend: str = "local",
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
    jobs : int or None, default=-1
        Fits run at once: the final fit and the cross-validation folds are tasks of one
        pool (:func:`newsclass.fitting.fit_and_validate`); ``-1`` is one per CPU (or
        every worker of the Dask cluster).
    read_options : dict or None
        Passed to :func:`newsclass.readers.iter_inputs`.
    backend : {"local", "dask"}, default="local"
        ``"dask"`` runs the fits on a Dask cluster through joblib's Dask backend
        (:func:`newsclass.dask.joblib_on_cluster`; needs ``newsclass[dask]``). The model
        and metrics are the same as with ``"local"``.
    scheduler : str or None
        Dask scheduler address for ``backend="dask"``; ``None`` starts a local cluster
        on the loopback interface (`jobs` worker processes; ``-1``: one per CPU).
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
    from newsclass.persistence import card_path

    check_backend(backend, scheduler)
    if output is not None:
        check_output(output, force)
        check_output(card_path(output), force)
    options = {"label_field": label_field, "label_from_folder": label_from_folder,
               "read_options": ReadOptions.of(read_options)}
    with _executor(backend, scheduler, jobs):
        if add is not None:
            result = _train_reviewed(data, cv, default, pool, add, texts, params, options,
                                     jobs)
        elif default:
            from newsclass.default_model import train_default

            result = TrainResult(model=train_default(cv=cv, pool=pool, jobs=jobs))
        else:
            result = _train_labelled(data, cv, params, options, jobs)
    result.metrics = result.model.metrics_
    if output is not None:
        _save(result, output)
    return result


def _executor(backend: str, scheduler: str | None, jobs: int | None) -> Any:
    """Where the fits run: joblib's own processes, or a Dask cluster."""
    if backend != "dask":
        return nullcontext()
    from newsclass.dask import joblib_on_cluster

    return joblib_on_cluster(scheduler, jobs=jobs)


def _save(result: TrainResult, output: str | os.PathLike) -> None:
    from newsclass.persistence import save_model

    save_model(result.model, output)
    result.output = os.fspath(output)


def _read_training(data: Any, options: dict) -> tuple[list, list, list]:
    """The labelled training data: articles, labels and the inputs that failed; a
    ValueError quoting the first failures when no article is usable."""
    articles, labels, errors = read_labelled(data, **options)
    if not articles:
        raise ValueError("no usable training articles in the given data"
                         + describe_failures(errors))
    return articles, labels, errors


def _train_labelled(data: Any, cv: int, params: dict, options: dict,
                    jobs: int | None) -> TrainResult:
    from newsclass.fitting import CrossValidation, fit_and_validate

    articles, labels, errors = _read_training(data, options)
    checks = {"cv": CrossValidation(articles, labels, cv)} if cv else {}
    model, metrics = fit_and_validate(params, articles, labels, checks, jobs=jobs)
    model.metrics_ = metrics
    return TrainResult(model=model, errors=errors)


def _base_data(data: Any, default: bool, pool: Any, params: dict,
               options: dict) -> tuple[list, list, tuple, dict, list, dict]:
    """The recipe's data: (articles, labels, always-trained extra, params, errors,
    sources)."""
    if not default:
        articles, labels, errors = _read_training(data, options)
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


def _train_reviewed(data: Any, cv: int, default: bool, pool: Any, add: Any, texts: Any,
                    params: dict, options: dict, jobs: int | None) -> TrainResult:
    from newsclass.retrain import read_reviewed, retrain

    reviewed = read_reviewed(add, list(texts) if texts else None,
                             read_options=options["read_options"])
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
                             compare=compare, jobs=jobs)
    model.metrics_ = metrics
    model.training_data_ = {**sources, "reviewed": reviewed.describe()}
    return TrainResult(model=model, errors=errors, reviewed=reviewed, warnings=warnings)
