"""The portable predictor: a model exported to a portable file, run with NumPy alone.

A trained :class:`~newsclass.model.NewsClassifier` is, at prediction time, only
arithmetic: a normaliser, a segmenter configuration and its word lists, vocabularies
with IDF and term weights, a coefficient matrix, intercepts and calibration parameters.
:meth:`NewsClassifier.export` stores exactly that in one ``.npz`` file
(:mod:`newsclass.modelfile`: its layout, and what reading it guarantees);
:func:`load_portable` reads it into a :class:`PortableClassifier`, which imports neither
scikit-learn nor SciPy and never unpickles anything. Its prediction methods are the
estimator's own (:class:`~newsclass.predictor.Predictor`); only how it scores articles,
straight from term counts, is its own.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from itertools import chain, repeat
from pathlib import Path
from typing import Any

import numpy as np

from newsclass.decision import check_threshold
from newsclass.documents import as_documents
from newsclass.grams import (
    KeyTable,
    char_ngram_queries,
    key_to_text,
    prepare_documents,
    word_ngrams,
)
from newsclass.modelfile import (
    ModelFileError,
    array_name,
    get_array,
    model_file_errors,
    read_portable,
)
from newsclass.params import param_problem
from newsclass.predictor import Predictor
from newsclass.segment import Segmenter

__all__ = ["PortableClassifier", "load_portable"]


def load_portable(path: str | os.PathLike) -> PortableClassifier:
    """Read a portable model file into a :class:`PortableClassifier`.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    PortableClassifier

    Raises
    ------
    ModelFileError
        If the file is missing, too large, not a zip of plain arrays, holds object
        arrays, would unpack far beyond its size, does not match its card, or its
        arrays do not fit together (see :func:`newsclass.modelfile.read_portable`).
    """
    path = Path(path)
    card, arrays, segmenter = read_portable(path)
    with model_file_errors(path):
        return PortableClassifier(card, arrays, path, segmenter)


class _Block:
    """One TF-IDF block: how to find its columns, its IDF and weight."""

    def __init__(self, spec: dict, arrays: dict, offset: int, normalized: bool) -> None:
        self.kind, self.weight = spec["kind"], float(spec["weight"])
        self.normalized = normalized  # the texts it gets went through normalize()
        self.ngram_range = tuple(spec["ngram_range"])
        self.sublinear_tf = bool(spec["sublinear_tf"])
        self.idf = get_array(arrays, "idf", kind=self.kind)
        self.offset = offset
        if self.kind == "char":
            self.keys = get_array(arrays, "char_keys")
            if len(self.keys) != len(self.idf) or np.any(np.diff(self.keys) <= 0):
                raise ValueError(f"{array_name('char_keys')} must be sorted, distinct, one "
                                 f"per {array_name('idf', kind='char')}")
            self.table = None
        else:
            terms = get_array(arrays, "terms", kind=self.kind)
            if len(terms) != len(self.idf):
                raise ValueError(f"{array_name('terms', kind=self.kind)} and "
                                 f"{array_name('idf', kind=self.kind)} differ in length")
            self.terms = terms
            self.vocabulary = {t: i for i, t in enumerate(terms)}

    def names(self) -> list[str]:
        if self.kind == "char":
            return [key_to_text(k) for k in self.keys.tolist()]
        return list(self.terms)

    def _lookup(self, keys: np.ndarray) -> np.ndarray:
        """Column of each packed n-gram, -1 when unknown: by binary search for a few
        articles, through a hash table (built on first need) for many."""
        if self.table is None and len(keys) < 50_000:
            at = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
            return np.where(self.keys[at] == keys, at, -1)
        if self.table is None:  # frequent n-grams (low IDF) take their home slots first
            self.table = KeyTable(self.keys, np.argsort(self.idf, kind="stable"))
        return self.table.lookup(keys)

    def columns(self, prepared: list) -> tuple[np.ndarray, np.ndarray]:
        """(row, column) of every known term occurrence of the prepared articles."""
        if self.kind == "char":
            keys, rows = char_ngram_queries([p[2] for p in prepared], self.ngram_range,
                                            self.normalized)
            cols = self._lookup(keys)
        else:
            field = 0 if self.kind == "title" else 1
            lists = [word_ngrams(p[field], self.ngram_range) for p in prepared]
            cols = np.fromiter(map(self.vocabulary.get, chain.from_iterable(lists),
                                   repeat(-1)), dtype=np.int64)
            rows = np.repeat(np.arange(len(lists), dtype=np.int64),
                             [len(t) for t in lists])
        known = cols >= 0
        return rows[known], cols[known]

    def counts(self, prepared: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows, columns (in this block) and counts of the terms of the prepared
        articles, ordered by row and then column."""
        rows, cols = self.columns(prepared)
        n_cols = len(self.idf)
        # (row, column) pairs sort twice as fast in 32 bits, when they fit.
        kind = np.uint32 if len(prepared) * n_cols < 2 ** 32 else np.int64
        pair, counts = np.unique(rows.astype(kind) * kind(n_cols) + cols.astype(kind),
                                 return_counts=True)
        pair = pair.astype(np.int64)
        return pair // n_cols, pair % n_cols, counts

    def term_frequency(self, counts: np.ndarray, dtype: type) -> np.ndarray:
        """Counts as the block weighs them: ``1 + log(count)`` when `sublinear_tf`."""
        tf = counts.astype(dtype)
        if self.sublinear_tf:
            np.log(tf, out=tf)
            tf += 1.0
        return tf

    def tfidf(self, prepared: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows, global columns and values of this block, each row L2-normalised and
        scaled by the block's weight (float32, as the estimator computes them)."""
        rows, cols, counts = self.counts(prepared)
        data = self.term_frequency(counts, np.float32)
        data *= self.idf[cols]
        _normalise_rows(rows, data, len(prepared))
        if self.weight != 1.0:
            data *= np.float32(self.weight)
        return rows, cols + self.offset, data


def _normalise_rows(rows: np.ndarray, data: np.ndarray, n_rows: int) -> None:
    norms = np.sqrt(np.bincount(rows, weights=data.astype(np.float64) ** 2,
                                minlength=n_rows))
    norms[norms == 0] = 1.0
    data /= norms[rows].astype(np.float32)


class PortableClassifier(Predictor):
    """A fitted NewsClassifier read from a portable file: predictions without
    scikit-learn.

    Gives the labels and probabilities of the estimator it was exported from (to about
    1e-7), with the same prediction methods (:class:`~newsclass.predictor.Predictor`).

    Attributes
    ----------
    classes_ : ndarray
        The labels.
    threshold_ : float
    fallback_label_ : label
    card_ : dict
        The model card stored in the file (versions, training data, parameters, metrics).
    metrics_ : dict
        The card's metrics.
    n_train_, label_counts_, training_sha256_, training_data_
        The training data, as the card records it.
    n_features_ : int
    path_ : Path
        The file it was read from.
    """

    def __init__(self, card: dict, arrays: dict, path: Path, segmenter: Segmenter) -> None:
        self.card_, self.path_ = card, path
        model = card["model"]
        self.classes_ = np.asarray(model["classes"], dtype=object if any(
            isinstance(c, str) for c in model["classes"]) else None)
        self.threshold_ = check_threshold(model["threshold"])
        self.fallback_label_ = model["fallback_label"]
        self.normalize = bool(model["normalize"])
        # Files written before these existed read every character, weigh no label and
        # temper no short text.
        self.body_chars = model.get("body_chars")
        self.short_text_chars_ = model.get("short_text_chars")
        weights = model.get("label_weights")
        self.label_weights_ = None if weights is None else np.asarray(weights, dtype=float)
        self.segmenter_ = segmenter
        self.blocks_, offset = [], 0
        for spec in model["blocks"]:
            block = _Block(spec, arrays, offset, self.normalize)
            self.blocks_.append(block)
            offset += len(block.idf)
        self.n_features_ = offset
        # Single words are looked up in vocabularies without stopwords or white space:
        # then the segmenter need not drop them first (word pairs do need it).
        self._clean_words = not all(
            b.ngram_range == (1, 1) and segmenter.keeps_all(b.vocabulary)
            for b in self.blocks_ if b.kind != "char")
        self.term_weights_ = arrays.get(array_name("term_weights"))
        self.coef_ = get_array(arrays, "coef")
        self.intercept_ = get_array(arrays, "intercept")
        self.calibration = model["calibration"]
        self.calibrators_ = self._calibrators(arrays)
        n_rows = 1 if len(self.classes_) == 2 else len(self.classes_)
        if self.coef_.shape != (n_rows, offset) or self.intercept_.shape != (n_rows,):
            raise ValueError(f"coef has shape {self.coef_.shape}, intercept "
                             f"{self.intercept_.shape}; expected ({n_rows}, {offset})")
        if self.term_weights_ is not None and self.term_weights_.shape != (offset,):
            raise ValueError("term_weights do not have one weight per feature")
        training = card.get("training", {})
        self.metrics_ = card.get("metrics", {})
        self.n_train_ = training.get("articles")
        self.label_counts_ = training.get("label_counts", {})
        counts = np.array([float(self.label_counts_.get(str(c), 0)) for c in self.classes_])
        self.class_prior_ = (counts / counts.sum() if counts.sum() > 0
                             else np.full(len(counts), 1.0 / max(1, len(counts))))
        self._check_decision_rule(path)
        self.training_sha256_ = training.get("sha256")
        self.training_data_ = training.get("sources")
        self._tables: dict = {}  # score tables, built on first use

    def _check_decision_rule(self, path: Path) -> None:
        """The card's label weights, body length and short-text length, by the rules
        of the estimator's parameters (:mod:`newsclass.params`)."""
        w = self.label_weights_
        if w is not None and (w.shape != (len(self.classes_),) or not np.all(w > 0)):
            raise ModelFileError(f"model file {path}: label_weights in its card must be one "
                                 "positive number per label")
        for name, value in (("body_chars", self.body_chars),
                            ("short_text_chars", self.short_text_chars_)):
            problem = param_problem(name, value)
            if problem:
                raise ModelFileError(f"model file {path}: in its card, {problem}")

    def _calibrators(self, arrays: dict) -> list:
        n = len(self.intercept_)
        if self.calibration == "sigmoid":
            a, b = get_array(arrays, "sigmoid_a"), get_array(arrays, "sigmoid_b")
            if a.shape != (n,) or b.shape != (n,):
                raise ValueError(f"{array_name('sigmoid_a')} and {array_name('sigmoid_b')} "
                                 "need one value per score")
            return [("sigmoid", float(a[i]), float(b[i])) for i in range(n)]
        if self.calibration == "isotonic":
            return [("isotonic", get_array(arrays, "isotonic_x", i=i),
                     get_array(arrays, "isotonic_y", i=i)) for i in range(n)]
        raise ValueError(f"unknown calibration {self.calibration!r}")

    def __repr__(self) -> str:
        return (f"PortableClassifier({os.fspath(self.path_)!r}, labels="
                f"{[str(c) for c in self.classes_]}, features={self.n_features_})")

    @property
    def fingerprint_(self) -> str:
        """SHA-256 of what the predictor computes with: the arrays' hashes in its card."""
        return hashlib.sha256(json.dumps(self.card_["arrays"], sort_keys=True)
                              .encode()).hexdigest()

    # -- the hooks of Predictor ----------------------------------------------------------
    def _check_fitted(self) -> None:
        """A loaded model can always predict."""

    def _prepare(self, X: Iterable[Any]) -> list:
        return prepare_documents(as_documents(X), self.segmenter_, self.normalize,
                                 self._clean_words, self.body_chars)

    def _encode(self, prepared: list) -> list:
        """The prepared articles themselves: scores are computed from their terms."""
        return prepared

    def _calibrated_proba(self, prepared: list) -> np.ndarray:
        return self._calibrated(self._scores(prepared))

    def _feature_rows(self, prepared: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The articles' feature matrix, as the estimator computes it (for explanations),
        as a CSR triple ``(indptr, indices, values)``."""
        parts = [b.tfidf(prepared) for b in self.blocks_]
        rows = np.concatenate([p[0] for p in parts])
        cols = np.concatenate([p[1] for p in parts])
        data = np.concatenate([p[2] for p in parts])
        if self.term_weights_ is not None:
            data = data * self.term_weights_[cols]
            _normalise_rows(rows, data, len(prepared))
        order = np.argsort(rows, kind="stable")
        indptr = np.searchsorted(rows[order], np.arange(len(prepared) + 1))
        return indptr, cols[order], data[order]

    def _coef(self) -> np.ndarray:
        return self.coef_

    def _feature_terms(self) -> list[str]:
        return [n for b in self.blocks_ for n in b.names()]

    def _word_segmenter(self) -> Segmenter:
        return self.segmenter_

    # -- scores -----------------------------------------------------------------------------

    def _score_table(self, block: _Block) -> np.ndarray:
        """Per column of `block`: its IDF, IDF × term weight and IDF × term weight ×
        each class's coefficient, side by side, so that scoring a term reads one row."""
        table = self._tables.get(block.kind)
        if table is None:
            span = slice(block.offset, block.offset + len(block.idf))
            idf = block.idf.astype(np.float64)
            weighted = idf if self.term_weights_ is None else idf * self.term_weights_[span]
            # float32 halves the memory the lookups read; sums are taken in float64.
            table = np.empty((len(idf), 2 + len(self.intercept_)), dtype=np.float32)
            table[:, 0], table[:, 1] = idf, weighted
            table[:, 2:] = (self.coef_[:, span] * weighted).T
            self._tables[block.kind] = table
        return table

    def _scores(self, prepared: list) -> np.ndarray:
        """SVM scores of prepared articles, straight from term counts.

        A score is linear in the features, so each block's L2 norm, weight and the
        norm after term weighting (when the model has term weights) scale sums per
        article instead of every feature value.
        """
        n = len(prepared)
        sums = np.zeros((n, len(self.intercept_)))
        norm2 = np.zeros(n)
        for block in self.blocks_:
            rows, cols, counts = block.counts(prepared)
            if not len(rows):
                continue
            terms = np.take(self._score_table(block), cols, axis=0)  # faster than [cols]
            terms *= block.term_frequency(counts, np.float32)[:, None]
            starts = np.flatnonzero(np.diff(rows, prepend=-1))
            present = rows[starts]
            squares = np.add.reduceat(np.square(terms[:, :2], dtype=np.float64), starts,
                                      axis=0)
            scale = block.weight / np.sqrt(squares[:, 0])
            sums[present] += np.add.reduceat(terms[:, 2:], starts, axis=0,
                                             dtype=np.float64) * scale[:, None]
            norm2[present] += squares[:, 1] * scale ** 2
        if self.term_weights_ is not None:
            norm2[norm2 == 0] = 1.0
            sums /= np.sqrt(norm2)[:, None]
        return sums + self.intercept_

    def _calibrated(self, scores: np.ndarray) -> np.ndarray:
        """Calibrated probabilities of SVM scores, one column per label."""
        n_classes = len(self.classes_)
        proba = np.zeros((len(scores), n_classes))
        for k, (kind, a, b) in enumerate(self.calibrators_):
            column = k + 1 if n_classes == 2 else k
            if kind == "sigmoid":
                with np.errstate(over="ignore"):
                    proba[:, column] = 1.0 / (1.0 + np.exp(a * scores[:, k] + b))
            else:
                proba[:, column] = np.interp(np.clip(scores[:, k], a[0], a[-1]), a, b)
        if n_classes == 2:
            proba[:, 0] = 1.0 - proba[:, 1]
        else:
            total = proba.sum(axis=1, keepdims=True)
            proba = np.divide(proba, total, out=np.full_like(proba, 1 / n_classes),
                              where=total != 0)
        proba[(proba > 1.0) & (proba <= 1.0 + 1e-5)] = 1.0
        return proba

    def decision_function(self, X: Iterable[Any]) -> np.ndarray:
        """Uncalibrated SVM scores, as ``NewsClassifier.decision_function``."""
        scores = self._scores(self._read(X)[0])
        return scores[:, 0] if scores.shape[1] == 1 else scores
