"""Scores of a model on labelled articles: metrics and a coverage curve.

Numbers only: nothing here trains a model (fitting and validating a recipe is
:mod:`newsclass.fitting`). Every function returns plain, JSON-serialisable numbers
rounded to 4 places.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["check_lengths", "coverage_curve", "evaluate", "label_metrics", "predict_scored",
           "scored_metrics"]

ROUND = 4


def check_lengths(articles: Sequence, labels: Sequence) -> None:
    """ValueError unless there are as many labels as articles, and some."""
    if len(articles) != len(labels):
        raise ValueError(f"got {len(articles)} articles but {len(labels)} labels")
    if len(articles) == 0:
        raise ValueError("cannot evaluate on no articles")


def predict_scored(model: Any, articles: Sequence) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One ``predict_proba`` pass: probabilities, class names and predicted labels.

    The labels are those the model's ``predict`` would give (a NewsClassifier's
    ``labels_from_proba``, so its threshold counts); other estimators get the most
    probable class.
    """
    proba = np.asarray(model.predict_proba(articles), dtype=float)
    classes = np.asarray([str(c) for c in model.classes_], dtype=object)
    from_proba = getattr(model, "labels_from_proba", None)
    if from_proba is not None:
        pred = np.asarray([str(p) for p in from_proba(proba)], dtype=object)
    else:
        pred = classes[proba.argmax(axis=1)]
    return proba, classes, pred


def label_metrics(y_true: Sequence, pred: Sequence, labels: Sequence | None = None) -> dict:
    """Accuracy, macro-F1, per-label precision/recall/F1 and the confusion matrix.

    Parameters
    ----------
    y_true, pred : sequences of labels
    labels : sequence or None
        Labels to report besides those in `y_true` and `pred` (say, all a model knows).
        Macro-F1 averages only over labels that occur in `y_true` or `pred`, as
        scikit-learn's ``f1_score(average="macro")`` does; when `pred` has labels that
        `y_true` has not, ``macro_f1_data_labels`` averages over the true labels only.

    Returns
    -------
    dict
        JSON-serialisable, numbers rounded to 4 places; confusion-matrix rows are true
        labels, columns predicted ones.
    """
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    y_true = np.asarray([str(y) for y in y_true], dtype=object)
    pred = np.asarray([str(y) for y in pred], dtype=object)
    seen = set(y_true.tolist()) | set(pred.tolist())
    names = sorted(seen | {str(x) for x in (labels if labels is not None else ())})
    p, r, f, s = precision_recall_fscore_support(y_true, pred, labels=names, zero_division=0)
    macro = [fi for name, fi in zip(names, f, strict=True) if name in seen]
    true_labels = set(y_true.tolist())
    extra = {}
    if true_labels != seen:  # the model predicts labels the data do not have
        extra["macro_f1_data_labels"] = round(float(np.mean(
            [fi for name, fi in zip(names, f, strict=True) if name in true_labels])), ROUND)
    return {
        "accuracy": round(float(np.mean(pred == y_true)), ROUND),
        "macro_f1": round(float(np.mean(macro)), ROUND),
        **extra,
        "per_label": {n: {"precision": round(float(a), ROUND),
                          "recall": round(float(b), ROUND),
                          "f1": round(float(c), ROUND), "support": int(d)}
                      for n, a, b, c, d in zip(names, p, r, f, s, strict=True)},
        "confusion_matrix": {"labels": names,
                             "matrix": confusion_matrix(y_true, pred, labels=names).tolist()},
    }


def scored_metrics(y_true: np.ndarray, pred: np.ndarray, proba: np.ndarray,
             classes: np.ndarray) -> dict:
    """Metrics of one prediction pass (:func:`predict_scored`), with the coverage curve."""
    return {"n": len(y_true), **label_metrics(y_true, pred, classes),
            "coverage": coverage_curve(y_true, proba, classes)}


def evaluate(model: Any, articles: Sequence, labels: Sequence[str]) -> dict:
    """Measure a fitted model on labelled articles.

    Parameters
    ----------
    model : NewsClassifier
        A fitted model (any classifier with ``predict_proba`` and ``classes_`` works).
    articles : sequence of articles
        Strings, mappings or objects with ``title`` and ``body``.
    labels : sequence of str
        The true label of each article.

    Returns
    -------
    dict
        JSON-serialisable, numbers rounded to 4 places:

        - ``n``: number of articles;
        - ``accuracy``;
        - ``macro_f1``: mean F1 over the labels that occur among the true or the
          predicted labels (as ``sklearn.metrics.f1_score(average="macro")``);
        - ``per_label``: ``{label: {"precision", "recall", "f1", "support"}}`` for every
          label of the model or of `labels` (0 where undefined);
        - ``confusion_matrix``: ``{"labels": [...], "matrix": [[...]]}``, rows the true
          label, columns the predicted one, labels the sorted union of the model's
          classes and the true labels;
        - ``coverage``: :func:`coverage_curve` at the default thresholds.

    Raises
    ------
    ValueError
        If there are no articles or `articles` and `labels` differ in length.

    Notes
    -----
    The model is run once (``predict_proba``); predictions are what ``model.predict``
    gives, so a `threshold` set on the model counts. The coverage curve always uses the
    most probable label.
    """
    check_lengths(articles, labels)
    proba, classes, pred = predict_scored(model, articles)
    y_true = np.asarray([str(y) for y in labels], dtype=object)
    return scored_metrics(y_true, pred, proba, classes)


def coverage_curve(y_true: Sequence[str], proba: Any, classes: Sequence[str],
                   thresholds: Sequence[float] | None = None) -> list[dict]:
    """Coverage and accuracy of confident predictions, threshold by threshold.

    An article is covered at threshold ``t`` when its best probability is at least
    ``t``; its prediction is then the most probable label. Raising the threshold trades
    coverage for accuracy, which lets a user choose one (for example as
    ``NewsClassifier(threshold=...)``, below which predictions fall back to ``other``).

    Parameters
    ----------
    y_true : sequence of str
        True labels.
    proba : array-like of shape (n_articles, n_labels)
        Probabilities, columns following `classes`.
    classes : sequence of str
        The label of each column.
    thresholds : sequence of float or None
        Thresholds on the best probability; ``None`` uses 0, 0.05, ..., 1.

    Returns
    -------
    list of dict
        ``{"threshold", "coverage", "accuracy"}`` per threshold, in increasing threshold
        order: the share of articles covered and the accuracy on them (``None`` when none
        is covered). Numbers rounded to 4 places.
    """
    proba = np.asarray(proba, dtype=float)
    y_true = np.asarray([str(y) for y in y_true], dtype=object)
    if proba.ndim != 2 or proba.shape[0] != len(y_true) or proba.shape[1] != len(classes):
        raise ValueError(f"proba has shape {proba.shape}; expected ({len(y_true)}, "
                         f"{len(classes)}) for {len(y_true)} labels and {len(classes)} classes")
    if thresholds is None:
        thresholds = np.round(np.linspace(0.0, 1.0, 21), 2)
    names = np.asarray([str(c) for c in classes], dtype=object)
    best = proba.max(axis=1) if proba.size else np.zeros(len(y_true))
    correct = names[proba.argmax(axis=1)] == y_true if proba.size else np.zeros(0, bool)
    curve = []
    for t in sorted(float(t) for t in thresholds):
        covered = best >= t
        n = int(covered.sum())
        curve.append({
            "threshold": round(t, ROUND),
            "coverage": round(n / len(y_true), ROUND) if len(y_true) else 0.0,
            "accuracy": round(float(correct[covered].mean()), ROUND) if n else None,
        })
    return curve
