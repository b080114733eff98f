"""The prediction methods both models share: from articles to labels, top labels and
explaining terms.

:class:`Predictor` holds :meth:`~Predictor.predict_proba`, :meth:`~Predictor.predict`,
:meth:`~Predictor.labels_from_proba`, :meth:`~Predictor.decide`,
:meth:`~Predictor.predict_top`, :meth:`~Predictor.predict_details` and
:meth:`~Predictor.explain` once, for the estimator
(:class:`~newsclass.model.NewsClassifier`) and the portable predictor
(:class:`~newsclass.portable.PortableClassifier`) alike; each of them supplies only how
it reads articles and scores them (the hooks below). The arithmetic is
:mod:`newsclass.decision`'s.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from newsclass.decision import (
    adjust_proba,
    check_threshold,
    class_weights,
    decide,
    explain_row,
    text_lengths,
    top_labels,
    word_terms,
)

__all__ = ["Predictor"]


class Predictor:
    """Prediction methods shared by the estimator and the portable predictor.

    A subclass has, once fitted or loaded, the attributes ``classes_``,
    ``class_prior_``, ``threshold_``, ``fallback_label_``, ``label_weights_`` and
    ``short_text_chars_``, and supplies these hooks:

    - ``_prepare(X)``: the articles normalised and segmented (a list of ``(title words,
      all words, normalised text)``, see :func:`newsclass.grams.prepare_documents`);
    - ``_encode(prepared)``: what ``_calibrated_proba`` and ``_feature_rows`` read;
    - ``_calibrated_proba(encoded)``: the calibrated probabilities, one column per
      label;
    - ``_feature_rows(encoded)``: the articles' weighted features as a CSR triple
      ``(indptr, indices, values)``;
    - ``_coef()``: the SVM's weights; ``_feature_terms()``: the surface term of each
      feature column; ``_word_segmenter()``: the segmenter, for explanations as words;
    - ``_check_fitted()``: raise if the model cannot predict yet.
    """

    # -- reading articles ---------------------------------------------------------------
    def _read(self, X: Iterable[Any]) -> tuple[Any, list[str]]:
        """The articles encoded for this model, and their prepared texts.

        Raises
        ------
        ValueError
            Naming the position of an empty or white-space-only article.
        """
        prepared = self._prepare(X)
        for i, p in enumerate(prepared):
            if not p[2].strip():  # white space only: no words either
                raise ValueError(f"article {i} is empty (no title and no body): there is "
                                 "nothing to label")
        return self._encode(prepared), [p[2] for p in prepared]

    def _proba(self, encoded: Any, texts: list[str]) -> np.ndarray:
        """The decision rule's probabilities (:func:`newsclass.decision.adjust_proba`)."""
        return adjust_proba(self._calibrated_proba(encoded), self.class_prior_,
                            text_lengths(texts), self.label_weights_,
                            self.short_text_chars_)

    # -- prediction ---------------------------------------------------------------------
    def predict_proba(self, X: Iterable[Any]) -> np.ndarray:
        """Probability of each label: the calibrated SVM's, after the decision rule's
        label weights and short-text tempering (:func:`newsclass.decision.adjust_proba`).

        Parameters
        ----------
        X : iterable of articles

        Returns
        -------
        ndarray of shape (n_articles, n_labels)
            Rows sum to 1; columns follow `classes_`. No articles give shape
            ``(0, n_labels)``.
        """
        return self._proba(*self._read(X))

    def labels_from_proba(self, proba: Any, threshold: float | None = None) -> np.ndarray:
        """The labels :meth:`predict` gives for rows of probabilities.

        Parameters
        ----------
        proba : array-like of shape (n_articles, n_labels)
            Columns follow `classes_` (as from :meth:`predict_proba`).
        threshold : float or None
            Below this best probability the label is `fallback_label_` (when the model
            knows it); ``None`` is `threshold_`, the value fixed at `fit`.

        Returns
        -------
        ndarray of labels
        """
        return self.decide(proba, threshold)[0]

    def decide(self, proba: Any, threshold: float | None = None) -> tuple[np.ndarray,
                                                                          np.ndarray]:
        """Labels and their confidences for rows of probabilities.

        Parameters
        ----------
        proba : array-like of shape (n_articles, n_labels)
        threshold : float or None
            As in :meth:`labels_from_proba`.

        Returns
        -------
        labels : ndarray
        confidence : ndarray of float
            The probability of each label given; where the threshold turned the best
            label into `fallback_label_`, the fallback's own probability.

        Raises
        ------
        ValueError
            If the threshold is above 0 and the model does not know `fallback_label_`.
        """
        self._check_fitted()
        t = self.threshold_ if threshold is None else check_threshold(threshold)
        return decide(proba, self.classes_, t, self.fallback_label_)

    def predict(self, X: Iterable[Any], threshold: float | None = None) -> np.ndarray:
        """Predict one label per article.

        Parameters
        ----------
        X : iterable of articles
        threshold : float or None
            A probability from 0 to 1 for this call; ``None`` uses the `threshold`
            the model was fitted with.

        Returns
        -------
        ndarray of labels
            The most probable label, or `fallback_label` when its probability is below
            the threshold and the model knows `fallback_label`. No articles give an
            empty array.
        """
        return self.labels_from_proba(self.predict_proba(X), threshold)

    def predict_top(self, X: Iterable[Any], k: int = 3) -> list[list[tuple[str, float]]]:
        """The `k` most probable labels of each article.

        Parameters
        ----------
        X : iterable of articles
        k : int, default=3

        Returns
        -------
        list of lists of (label, probability), most probable first
        """
        return top_labels(self.predict_proba(X), self.classes_, k)

    def predict_details(self, X: Iterable[Any], k: int = 3, terms: int = 0,
                        threshold: float | None = None) -> list[dict[str, Any]]:
        """Label, confidence, top labels and explaining terms of each article, in one pass.

        Parameters
        ----------
        X : iterable of articles
        k : int, default=3
            How many of the most probable labels to list.
        terms : int, default=0
            How many explaining terms to give per article (see :meth:`explain`).
        threshold : float or None
            As in :meth:`predict`.

        Returns
        -------
        list of dict
            ``{"label", "confidence", "top": [(label, probability), ...],
            "terms": [(term, weight), ...]}`` per article; ``confidence`` is the
            probability of the label given (the fallback's own probability where the
            threshold replaced the best label).
        """
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        encoded, texts = self._read(X)
        proba = self._proba(encoded, texts)
        labels, confidence = self.decide(proba, threshold)
        rows = self._feature_rows(encoded) if terms else None
        return [{"label": str(labels[i]), "confidence": float(confidence[i]), "top": top,
                 "terms": self._explain(rows, i, labels[i], terms, texts[i])
                 if terms else []}
                for i, top in enumerate(top_labels(proba, self.classes_, k))]

    # -- explanations -------------------------------------------------------------------
    def explain(self, text: Any, top: int = 10,
                label: Any = None) -> list[tuple[str, float]]:
        """The terms that pushed an article towards (or away from) a label.

        Each feature's contribution is its (weighted) TF-IDF value times the SVM weight
        for the label; contributions of the same surface term from the word, character
        and title blocks are added up, and pieces that are no word are given to the
        words of the text they overlap (:func:`newsclass.decision.word_terms`).

        Parameters
        ----------
        text : str, mapping or object with ``title`` and ``body``
            One article.
        top : int, default=10
            How many terms to return.
        label : label or None, default=None
            The label to explain; ``None`` explains the predicted one.

        Returns
        -------
        list of (term, weight)
            Sorted by absolute weight, largest first; positive weights pushed towards
            the label.
        """
        encoded, texts = self._read([text])
        if label is None:
            label = self.labels_from_proba(self._proba(encoded, texts))[0]
        return self._explain(self._feature_rows(encoded), 0, label, top, texts[0])

    def _explain(self, rows: tuple[np.ndarray, np.ndarray, np.ndarray], i: int,
                 label: Any, top: int, text: str) -> list[tuple[str, float]]:
        """The `top` explaining terms of row `i` of the CSR triple `rows` for `label`."""
        indptr, indices, values = rows
        lo, hi = indptr[i], indptr[i + 1]
        terms, term_of_feature = self._surface_terms()
        pairs = explain_row(indices[lo:hi], values[lo:hi].astype(np.float64),
                            class_weights(self._coef(), self.classes_, label),
                            term_of_feature, terms, None)
        return word_terms(pairs, text, self._word_segmenter(), top)

    def _surface_terms(self) -> tuple[list[str], np.ndarray]:
        """Distinct surface terms, and the term of each feature column (cached)."""
        cached = getattr(self, "_terms_cache", None)
        if cached is None:
            names = self._feature_terms()
            index: dict[str, int] = {}
            of_feature = np.fromiter((index.setdefault(t, len(index)) for t in names),
                                     dtype=np.int64, count=len(names))
            cached = self._terms_cache = (list(index), of_feature)
        return cached
