"""Fitting a recipe and validating it: one pool of tasks, on any joblib backend.

A *recipe* is a set of :class:`NewsClassifier` parameters. :func:`fit_and_validate`
fits it on the training data and, beside that fit, runs the checks it is given:

* :class:`CrossValidation` — k folds of some articles, with other articles (real news
  beside an authored corpus, reviewed articles) in every training fold;
* :class:`HoldOut` — trained on one set, scored on another (a month, a source).

Every fit is one task of a single ``joblib.Parallel`` call, the largest first so that
no worker waits at the end. Where the tasks run is joblib's backend: worker processes
here (`jobs`), or a Dask cluster inside :func:`newsclass.dask.joblib_on_cluster`.
Training is deterministic, so the model and the scores do not depend on where they ran.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from newsclass.metrics import label_metrics

__all__ = ["Check", "CrossValidation", "HoldOut", "fit", "fit_and_validate", "fit_predict"]


def fit(params: Mapping, articles: Sequence, labels: Sequence) -> Any:
    """A NewsClassifier with `params`, fitted on `articles` (one task)."""
    from newsclass.model import NewsClassifier

    return NewsClassifier(**params).fit(list(articles), list(labels))


def fit_predict(params: Mapping, train: Sequence, train_labels: Sequence,
                test: Sequence) -> np.ndarray:
    """Fit a NewsClassifier with `params` on `train` and predict `test` (one task)."""
    return fit(params, train, train_labels).predict(list(test))


class Check(Protocol):
    """A measurement of a recipe made of fits: its tasks, and how to score their results."""

    def tasks(self, params: Mapping) -> list[tuple[int, Any]]:
        """``(training size, joblib.delayed call)`` per fit."""

    def score(self, results: list) -> dict:
        """The tasks' results, in order, scored."""


@dataclass(frozen=True)
class CrossValidation:
    """k-fold cross-validation of `articles`, with `extra` in every training fold.

    Parameters
    ----------
    articles, labels : sequences
        The data split into folds.
    folds : int, default=5
    extra, extra_labels : sequences
        Articles added to every training fold and never tested; the folds depend only on
        `labels`.
    stratified : bool, default=True
        Folds keep the label shares (``StratifiedKFold``); ``False``: plain ``KFold``
        (for a few articles, where a label may occur once).
    """

    articles: Sequence
    labels: Sequence
    folds: int = 5
    extra: Sequence = ()
    extra_labels: Sequence = ()
    stratified: bool = True
    _splits: list = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        from sklearn.model_selection import KFold, StratifiedKFold

        if self.folds < 2:
            raise ValueError(f"cross-validation needs at least 2 folds, got {self.folds}")
        splitter = StratifiedKFold if self.stratified else KFold
        splits = list(splitter(self.folds, shuffle=True, random_state=0)
                      .split(np.zeros(len(self.labels)), np.asarray(self.labels)))
        object.__setattr__(self, "_splits", splits)

    def tasks(self, params: Mapping) -> list[tuple[int, Any]]:
        from joblib import delayed

        arts, labs = self.articles, self.labels
        return [(len(train) + len(self.extra),
                 delayed(fit_predict)(params, [arts[i] for i in train] + list(self.extra),
                                      [labs[i] for i in train] + list(self.extra_labels),
                                      [arts[i] for i in test]))
                for train, test in self._splits]

    def score(self, results: list) -> dict:
        """``folds`` and :func:`label_metrics` of the out-of-fold predictions."""
        y = np.asarray(self.labels)
        pred = np.empty(len(y), dtype=object)
        for (_, test), predicted in zip(self._splits, results, strict=True):
            pred[test] = predicted
        return {"folds": self.folds, **label_metrics(y, pred)}


@dataclass(frozen=True)
class HoldOut:
    """Trained on `train`, scored on `test`.

    Parameters
    ----------
    train, train_labels, test, test_labels : sequences
    noted : mapping
        Numbers recorded beside the scores (say, how many real articles it trained on).
    """

    train: Sequence
    train_labels: Sequence
    test: Sequence
    test_labels: Sequence
    noted: Mapping = field(default_factory=dict)

    def tasks(self, params: Mapping) -> list[tuple[int, Any]]:
        from joblib import delayed

        return [(len(self.train),
                 delayed(fit_predict)(params, self.train, self.train_labels, self.test))]

    def score(self, results: list) -> dict:
        """``n``, the noted numbers and :func:`label_metrics` of the test articles."""
        (pred,) = results
        return {"n": len(self.test), **self.noted, **label_metrics(self.test_labels, pred)}


def fit_and_validate(params: Mapping, articles: Sequence, labels: Sequence,
                     checks: Mapping[str, Check] | None = None, *,
                     jobs: int | None = None) -> tuple[Any, dict]:
    """Fit a recipe on `articles` and run its `checks`, all in one pool of tasks.

    Parameters
    ----------
    params : mapping
        NewsClassifier parameters.
    articles, labels : sequences
        What the returned model is trained on.
    checks : mapping of name to Check, or None
        Measurements of the same recipe (:class:`CrossValidation`, :class:`HoldOut`).
    jobs : int or None
        Tasks run at once (joblib's ``n_jobs``): ``None`` is 1 here, or what the active
        joblib backend sets (every worker of a Dask cluster inside
        :func:`newsclass.dask.joblib_on_cluster`); ``-1`` is one per CPU.

    Returns
    -------
    model : NewsClassifier
    metrics : dict
        Each check's scores by its name, in the order given.
    """
    from joblib import Parallel, delayed

    checks = dict(checks or {})
    tasks = [(len(articles), delayed(fit)(params, articles, labels))]
    spans = {}
    for name, check in checks.items():
        mine = check.tasks(params)
        spans[name] = slice(len(tasks), len(tasks) + len(mine))
        tasks += mine
    # The biggest fits first: the last tasks to start are the shortest.
    order = sorted(range(len(tasks)), key=lambda i: -tasks[i][0])
    done = Parallel(n_jobs=min(jobs, len(tasks)) if jobs and jobs > 0 else jobs)(
        tasks[i][1] for i in order)
    results: list = [None] * len(tasks)
    for i, result in zip(order, done, strict=True):
        results[i] = result
    return results[0], {name: checks[name].score(results[span])
                        for name, span in spans.items()}
