"""How scores become answers: the arithmetic of the decision rule and its explanations.

Both predictors, the estimator (:class:`~newsclass.model.NewsClassifier`) and the portable
predictor (:class:`~newsclass.portable.PortableClassifier`), turn their calibrated
probabilities into labels here and nowhere else, so that they cannot drift apart:
:func:`adjust_proba` (label weights and the tempering of short texts), :func:`decide`
(the threshold and its fallback label), :func:`top_labels`, and the explaining terms
(:func:`class_weights`, :func:`explain_row`, :func:`word_terms`). NumPy only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from newsclass.params import param_problem

__all__ = [
    "adjust_proba",
    "check_fallback",
    "check_threshold",
    "class_weights",
    "decide",
    "explain_row",
    "text_lengths",
    "top_labels",
    "word_terms",
]


def check_threshold(threshold: Any) -> float:
    """`threshold` as a float, if it is a probability from 0 to 1.

    Raises
    ------
    ValueError
        Naming the value, when it is not a number in [0, 1] (NaN included).
    """
    problem = param_problem("threshold", threshold)
    if problem:
        raise ValueError(problem)
    return float(threshold)


def check_fallback(classes: Sequence, threshold: float, fallback: Any) -> None:
    """Refuse a threshold that has no label to fall back to.

    Raises
    ------
    ValueError
        When `threshold` is above 0 and `fallback` is not one of `classes`: below the
        threshold there would be no label to give.
    """
    if threshold > 0 and fallback not in set(np.asarray(classes).tolist()):
        raise ValueError(
            f"threshold {threshold:g} needs a fallback label, but the model's fallback "
            f"label {fallback!r} is not one of its labels "
            f"({', '.join(str(c) for c in classes)}); train it with a fallback label it "
            "knows (fallback_label, train --fallback-label) or use no threshold")


def decide(proba: Any, classes: np.ndarray, threshold: float,
           fallback: Any) -> tuple[np.ndarray, np.ndarray]:
    """The label of each row and its confidence: the most probable label, or `fallback`
    where the best probability is below `threshold` (:func:`check_fallback` refuses a
    `fallback` not in `classes`); the confidence is the probability of the label given,
    which is the fallback's own probability where the threshold replaced the best label."""
    check_fallback(classes, threshold, fallback)
    proba = np.asarray(proba, dtype=float).reshape(-1, len(classes))
    chosen = proba.argmax(axis=1)
    if threshold > 0:
        low = proba[np.arange(len(chosen)), chosen] < threshold
        chosen[low] = np.asarray(classes).tolist().index(fallback)
    labels = np.asarray(classes)[chosen]
    return labels, proba[np.arange(len(chosen)), chosen]


def text_lengths(texts: Sequence[str]) -> np.ndarray:
    """How much was read of each prepared text: its characters other than white space."""
    return np.fromiter((len(t) - t.count(" ") - t.count("\n") for t in texts),
                       dtype=np.float64, count=len(texts))


def adjust_proba(proba: np.ndarray, prior: np.ndarray, lengths: np.ndarray,
                 label_weights: np.ndarray | None, short_text_chars: int | None) -> np.ndarray:
    """The decision rule's probabilities, from the calibrated ones.

    Two steps, each off when its parameter is ``None``:

    1. *Label weights*: each label's probability times its weight, renormalised: the
       shares of labels in the news to be labelled differ from those of the training
       pool, which is mostly ``other`` from a few sources (a prior shift, applied alike
       to the prior below).
    2. *Short texts*: a text of ``n`` characters, fewer than `short_text_chars`, carries
       little evidence; its probabilities are tempered towards the prior:
       ``p'(y) ∝ p(y)^t · prior(y)^(1 - t)`` with ``t = n / short_text_chars``. A
       headline of half that length keeps half of its evidence (in log-odds); longer
       texts are unchanged.

    Parameters
    ----------
    proba : ndarray of shape (n_articles, n_labels)
    prior : ndarray of shape (n_labels,)
        The training shares of the labels.
    lengths : ndarray of shape (n_articles,)
        Characters read of each article (:func:`text_lengths`).
    label_weights : ndarray of shape (n_labels,) or None
    short_text_chars : int or None

    Returns
    -------
    ndarray of shape (n_articles, n_labels)
        Rows sum to 1.
    """
    if label_weights is not None:
        proba = proba * label_weights
        proba = proba / proba.sum(axis=1, keepdims=True)
        prior = prior * label_weights
        prior = prior / prior.sum()
    if not short_text_chars or len(proba) == 0:
        return proba
    t = np.minimum(1.0, lengths / short_text_chars)
    short = np.flatnonzero(t < 1.0)
    if len(short):
        logp = (np.log(np.clip(proba[short], 1e-12, 1.0)) * t[short, None]
                + np.log(np.clip(prior, 1e-12, 1.0)) * (1.0 - t[short, None]))
        logp -= logp.max(axis=1, keepdims=True)
        tempered = np.exp(logp)
        proba = proba.copy()
        proba[short] = tempered / tempered.sum(axis=1, keepdims=True)
    return proba


def top_labels(proba: np.ndarray, classes: np.ndarray, k: int) -> list[list[tuple]]:
    """The `k` most probable labels of each row, as ``(label, probability)`` pairs."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    order = np.argsort(-proba, axis=1, kind="stable")[:, :k]
    return [[(str(classes[j]), float(row[j])) for j in idx]
            for row, idx in zip(proba, order, strict=True)]


def explain_row(columns: np.ndarray, values: np.ndarray, weights: np.ndarray,
                term_of_feature: np.ndarray, terms: Sequence[str],
                top: int | None) -> list[tuple[str, float]]:
    """Each surface term's contribution (value times weight, summed over the word,
    character and title features of the same term), largest magnitude first."""
    contributions = values * weights[columns]
    ids, where = np.unique(term_of_feature[columns], return_inverse=True)
    totals = np.bincount(where, weights=contributions, minlength=len(ids))
    nonzero = np.flatnonzero(totals)
    order = nonzero[np.argsort(-np.abs(totals[nonzero]), kind="stable")[:top]]
    return [(terms[ids[k]], float(totals[k])) for k in order.tolist()]


def word_terms(pairs: Sequence[tuple[str, float]], text: str, segmenter: Any,
               top: int) -> list[tuple[str, float]]:
    """Explaining terms as words a reader recognises.

    A term that is a word of the text (two characters or more) or of the dictionary is
    kept as it is. Any other term — a single character, a character n-gram that is no
    word, a piece across punctuation (学, 研, "，我市") — gives its weight to the words of
    the text it overlaps, shared over its occurrences and over those words; a piece that
    overlaps no word of two characters or more is left out.

    Parameters
    ----------
    pairs : sequence of (term, weight)
        Every term's contribution (:func:`explain_row` with ``top=None``).
    text : str
        The prepared (normalised) text the features were read from.
    segmenter : Segmenter
        The model's segmenter: its words of `text` and its dictionary.
    top : int
        How many terms to return.

    Returns
    -------
    list of (term, weight)
        Largest magnitude first.
    """
    import bisect

    tokens = segmenter.cut(text, clean=False)
    if "".join(tokens) != text:  # cannot place pieces: keep the terms as they are
        return sorted(pairs, key=lambda p: -abs(p[1]))[:top]
    kept = {w for w in segmenter.cut(text) if len(w) >= 2}
    starts, spans = [], []
    position = 0
    for token in tokens:
        if token in kept:
            starts.append(position)
            spans.append((position, position + len(token), token))
        position += len(token)
    out: dict[str, float] = {}
    for term, weight in pairs:
        if term in kept or " " in term or segmenter.is_word(term):
            out[term] = out.get(term, 0.0) + weight
            continue
        found = _occurrences(text, term)
        for i in found:
            lo = max(0, bisect.bisect_right(starts, i) - 1)
            words = [w for a, b, w in spans[lo:bisect.bisect_left(starts, i + len(term))]
                     if a < i + len(term) and b > i]
            for w in words:
                out[w] = out.get(w, 0.0) + weight / len(found) / len(words)
    ranked = sorted(((t, w) for t, w in out.items() if w), key=lambda p: -abs(p[1]))
    return ranked[:top]


def _occurrences(text: str, term: str) -> list[int]:
    """Start of every occurrence of `term` in `text` (overlapping ones too)."""
    found, i = [], text.find(term)
    while i >= 0:
        found.append(i)
        i = text.find(term, i + 1)
    return found


def class_weights(coef: np.ndarray, classes: Sequence, label: Any) -> np.ndarray:
    """The weight vector that pushes towards `label` (two labels share one vector)."""
    names = [str(c) for c in classes]
    if str(label) not in names:
        raise ValueError(f"unknown label {label!r}; the model knows {names}")
    index = names.index(str(label))
    if coef.shape[0] == 1:  # two labels: one weight vector for classes[1]
        return coef[0] if index == 1 else -coef[0]
    return coef[index]
