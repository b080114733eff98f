"""The classifier: TF-IDF features + linear SVM with calibrated probabilities."""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Iterable
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import normalize as l2_normalize
from sklearn.svm import LinearSVC
from sklearn.utils.validation import check_is_fitted

from newsclass._version import __version__
from newsclass.decision import check_fallback
from newsclass.documents import Document, as_documents
from newsclass.features import TextFeatures
from newsclass.modelfile import is_portable, jsonable, put_array, write_joblib, write_portable
from newsclass.params import check_params
from newsclass.predictor import Predictor
from newsclass.segment import Segmenter, backend_version

__all__ = ["NewsClassifier", "nb_term_weights", "training_sha256", "versions"]


def versions() -> dict[str, str]:
    """Versions of newsclass, Python and the libraries a model depends on."""
    import platform

    import joblib
    import scipy
    import sklearn

    return {"newsclass": __version__, "python": platform.python_version(),
            "scikit-learn": sklearn.__version__, "numpy": np.__version__,
            "scipy": scipy.__version__, "jieba": backend_version("jieba"),
            "rjieba": backend_version("rjieba"), "joblib": joblib.__version__}


def nb_term_weights(features: sp.spmatrix, y: np.ndarray, strength: float) -> np.ndarray:
    """Supervised term weights from naive-Bayes log-count ratios.

    For each term and label, the log ratio of the term's document frequency inside the
    label to its frequency outside (add-one smoothed); a term's weight is
    ``1 + strength * r / mean(r)`` where ``r`` is its largest positive ratio over the
    labels. Terms that mark some label are boosted, terms spread evenly keep weight 1.

    Parameters
    ----------
    features : sparse matrix of shape (n_articles, n_terms)
    y : ndarray of labels
    strength : float
        0 gives all terms weight 1.

    Returns
    -------
    ndarray of shape (n_terms,)
    """
    n_terms = features.shape[1]
    if strength == 0:
        return np.ones(n_terms, dtype=np.float32)
    present = (features > 0).astype(np.float32).tocsc()
    total = np.asarray(present.sum(axis=0)).ravel() + 1.0
    best = np.zeros(n_terms)
    for label in np.unique(y):
        inside = np.asarray(present[np.flatnonzero(y == label)].sum(axis=0)).ravel() + 1.0
        outside = total - inside + 1.0
        ratio = np.log((inside / inside.sum()) / (outside / outside.sum()))
        np.maximum(best, ratio, out=best)
    mean = best.mean()
    scale = best / mean if mean > 0 else best
    return (1.0 + strength * scale).astype(np.float32)


def training_sha256(docs: Iterable[Document], y: Iterable[Any]) -> str:
    """SHA-256 of a training set: every title, body and label, in order.

    Parameters
    ----------
    docs : iterable of Document
    y : iterable of labels

    Returns
    -------
    str
        Hex digest.
    """
    h = hashlib.sha256()
    for doc, label in zip(docs, y, strict=False):
        for part in (doc.title, doc.body, str(label)):
            data = part.encode("utf-8", "surrogatepass")
            h.update(len(data).to_bytes(8, "little"))
            h.update(data)
    return h.hexdigest()


def _weights_by_position(class_weight: Any, classes: np.ndarray) -> Any:
    """A class_weight dict keyed by label, re-keyed by the labels' positions."""
    if not isinstance(class_weight, dict):
        return class_weight
    unknown = [k for k in class_weight if k not in set(classes.tolist())]
    if unknown:
        raise ValueError(f"NewsClassifier parameter class_weight names labels the training "
                         f"data do not have: {unknown}")
    return {i: class_weight[c] for i, c in enumerate(classes.tolist()) if c in class_weight}


def _label_weight_array(weights: dict | None, classes: np.ndarray) -> np.ndarray | None:
    """`label_weights` as one weight per class (1 for labels not named)."""
    if weights is None:
        return None
    names = {str(c): i for i, c in enumerate(classes)}
    unknown = [k for k in weights if str(k) not in names]
    if unknown:
        raise ValueError(f"NewsClassifier parameter label_weights names labels the data "
                         f"do not have: {unknown}")
    out = np.ones(len(classes))
    for k, w in weights.items():
        out[names[str(k)]] = float(w)
    return out


def _labels_array(y: Iterable[Any]) -> np.ndarray:
    """Labels as a 1-d array: strings as objects, integers and booleans as they are."""
    y = np.asarray(list(y) if not hasattr(y, "__len__") else y)
    if y.ndim != 1:
        raise ValueError(f"y must be one-dimensional, got shape {y.shape}")
    return y.astype(object) if y.dtype.kind in "US" else y


def _check_training_set(docs: list, y: np.ndarray) -> Counter:
    """Label counts of a usable training set; ValueError in plain words otherwise."""
    if not docs:
        raise ValueError("cannot fit on an empty X: no articles given")
    if len(docs) != len(y):
        raise ValueError(f"X has {len(docs)} articles but y has {len(y)} labels")
    counts = Counter(y.tolist())
    if len(counts) < 2:
        raise ValueError(f"need at least two different labels to fit, got only "
                         f"{next(iter(counts))!r}")
    rare = sorted(str(k) for k, v in counts.items() if v < 2)
    if rare:
        raise ValueError(f"each label needs at least 2 examples to calibrate "
                         f"probabilities; these have 1: {', '.join(rare)}")
    return counts


class NewsClassifier(Predictor, ClassifierMixin, BaseEstimator):
    """Topic classifier for Chinese news articles.

    Articles are normalised, segmented with jieba and turned into TF-IDF features
    (:class:`TextFeatures`); a linear SVM (``LinearSVC``) separates the labels and its
    scores are calibrated into probabilities by cross-validation
    (``CalibratedClassifierCV``). The prediction methods (``predict``,
    ``predict_proba``, ``predict_details``, ``explain``, ...) are those of
    :class:`~newsclass.predictor.Predictor`, shared with the portable predictor.

    Parameters
    ----------
    segmenter : Segmenter or None, default=None
        Word segmenter; ``None`` uses ``Segmenter()`` (bundled dictionary and stopwords,
        HMM off).
    normalize : bool, default=True
        Apply :func:`newsclass.normalize` to every text.
    word_ngram_range, char_ngram_range, char_weight, title_weight, min_df, max_df, sublinear_tf
        Feature settings, passed to :class:`TextFeatures`. The defaults were chosen by
        measurement (``benchmarks/tune_features.py``).
    nb_weight : float, default=0.5
        Strength of the supervised term weighting (:func:`nb_term_weights`) applied to
        the TF-IDF matrix before the SVM; 0 turns it off.
    C : float, default=2.0
        Inverse regularisation strength of the SVM.
    class_weight : dict, "balanced" or None, default=None
        Passed to ``LinearSVC``.
    calibration : {"sigmoid", "isotonic"}, default="sigmoid"
        Calibration method.
    calibration_cv : int, default=5
        Folds used to calibrate (reduced to the smallest label's count when a label has
        fewer examples).
    threshold : float, default=0.0
        The default threshold of :meth:`predict` (fixed at `fit`, like every parameter):
        when the best probability is below it, the prediction is `fallback_label`
        instead, if the model knows that label. ``predict(X, threshold=t)`` overrides
        it for one call.
    fallback_label : str, default="other"
        The label that low-confidence predictions fall back to.
    random_state : int, default=0
        Seed for the SVM and the calibration folds, so that training is repeatable.
    body_chars : int or None, default=None
        Read only the first `body_chars` characters of each body, in training and in
        prediction alike (see :class:`TextFeatures`); ``None`` reads all of it.
    label_weights : dict or None, default=None
        Weight of each label's probability (labels not named weigh 1), applied after
        calibration and renormalised: a prior shift for news whose label shares differ
        from the training pool's (see :func:`newsclass.decision.adjust_proba`).
    short_text_chars : int or None, default=None
        Texts shorter than this many characters have their probabilities tempered
        towards the label prior in proportion to how little was read; ``None`` tempers
        nothing.

    Attributes
    ----------
    classes_ : ndarray of str
        The labels, sorted.
    features_ : TextFeatures
        The fitted feature extractor.
    term_weights_ : ndarray
        Supervised weight of each feature (all 1 when `nb_weight` is 0).
    calibrated_ : CalibratedClassifierCV
        The fitted calibrated SVM.
    class_prior_ : ndarray
        Share of each label in the training data.
    threshold_ : float
        The default threshold of :meth:`predict`, fixed at `fit`.
    fallback_label_ : label
        The label below-threshold predictions fall back to, fixed at `fit`.
    n_train_ : int
        Number of training articles.
    label_counts_ : dict
        Training articles per label.
    training_sha256_ : str
        SHA-256 of the training titles, bodies and labels.
    metrics_ : dict
        Evaluation results attached to the model (saved in its model card).

    Notes
    -----
    An empty or white-space-only article (no title, no body) has nothing to label:
    prediction methods raise ``ValueError`` naming its position, as ``newsclass label``
    reports it as an input error ("empty text"). Labels may be strings, integers or
    booleans; every parameter is validated at :meth:`fit`, and what :meth:`fit` learned
    (including `nb_weight`, `threshold` and `fallback_label`) is kept in fitted
    attributes, so ``set_params`` changes nothing until the next :meth:`fit`.
    """

    def __init__(self, segmenter: Segmenter | None = None, normalize: bool = True,
                 word_ngram_range: tuple[int, int] = (1, 1),
                 char_ngram_range: tuple[int, int] | None = (1, 3), char_weight: float = 1.4,
                 title_weight: float = 1.0, min_df: int | float = 1,
                 max_df: int | float = 1.0, sublinear_tf: bool = True,
                 nb_weight: float = 0.5, C: float = 2.0, class_weight: dict | str | None = None,
                 calibration: str = "sigmoid", calibration_cv: int = 5,
                 threshold: float = 0.0, fallback_label: str = "other",
                 random_state: int | None = 0, body_chars: int | None = None,
                 label_weights: dict | None = None,
                 short_text_chars: int | None = None) -> None:
        self.segmenter = segmenter
        self.normalize = normalize
        self.word_ngram_range = word_ngram_range
        self.char_ngram_range = char_ngram_range
        self.char_weight = char_weight
        self.title_weight = title_weight
        self.min_df = min_df
        self.max_df = max_df
        self.sublinear_tf = sublinear_tf
        self.nb_weight = nb_weight
        self.C = C
        self.class_weight = class_weight
        self.calibration = calibration
        self.calibration_cv = calibration_cv
        self.threshold = threshold
        self.fallback_label = fallback_label
        self.random_state = random_state
        self.body_chars = body_chars
        self.label_weights = label_weights
        self.short_text_chars = short_text_chars

    # -- fitting ------------------------------------------------------------------------
    def fit(self, X: Iterable[Any], y: Iterable[Any],
            sample_weight: Any = None) -> NewsClassifier:
        """Train on articles and their labels.

        Parameters
        ----------
        X : iterable of articles
            Strings, mappings or objects with ``title`` and ``body``
            (see :func:`newsclass.as_documents`).
        y : iterable of labels
            One label per article: strings, integers or booleans.
        sample_weight : array-like of shape (n_articles,) or None
            Weight of each article in the SVM and its calibration (e.g. so that each
            source of news counts alike); ``None`` weighs all alike.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            If a parameter is invalid (the message names it), `X` is empty, `X` and `y`
            differ in length, there is only one label, or a label has a single example.
        """
        check_params(self.get_params(deep=False))
        docs = as_documents(X)
        y = _labels_array(y)
        counts = _check_training_set(docs, y)
        self.features_ = TextFeatures(
            segmenter=self.segmenter, normalize=self.normalize,
            word_ngram_range=self.word_ngram_range, char_ngram_range=self.char_ngram_range,
            char_weight=self.char_weight, title_weight=self.title_weight,
            min_df=self.min_df, max_df=self.max_df, sublinear_tf=self.sublinear_tf,
            body_chars=self.body_chars)
        features = self.features_.fit_transform(docs)
        self.term_weights_ = (nb_term_weights(features, y, self.nb_weight)
                              if self.nb_weight else None)
        features = self._weigh(features)
        folds = StratifiedKFold(n_splits=min(self.calibration_cv, min(counts.values())),
                                shuffle=True, random_state=self.random_state)
        # The SVM learns label positions (0, 1, ...), so that a class_weight dict keyed by
        # label names means the same inside the calibration folds, which re-encode labels.
        self.classes_, position = np.unique(y, return_inverse=True)
        try:
            check_fallback(self.classes_, float(self.threshold), self.fallback_label)
        except ValueError as exc:
            raise ValueError(f"fallback_label: {exc}") from None
        svm = LinearSVC(C=self.C, class_weight=_weights_by_position(self.class_weight,
                                                                    self.classes_),
                        random_state=self.random_state)
        self.calibrated_ = CalibratedClassifierCV(svm, method=self.calibration, cv=folds,
                                                  ensemble=False)
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight, dtype=float)
            if sample_weight.shape != (len(y),) or not np.all(sample_weight > 0):
                raise ValueError("sample_weight must hold one positive number per article")
        self.calibrated_.fit(features, position, sample_weight=sample_weight)
        self.class_prior_ = np.array([counts[c] for c in self.classes_], float) / len(y)
        self.label_weights_ = _label_weight_array(self.label_weights, self.classes_)
        self.short_text_chars_ = (None if self.short_text_chars is None
                                  else int(self.short_text_chars))
        self.threshold_ = float(self.threshold)
        self.fallback_label_ = self.fallback_label
        self.n_train_ = len(docs)
        self.label_counts_ = {str(c): int(counts[c]) for c in self.classes_}
        self.training_sha256_ = training_sha256(docs, y)
        self.n_features_ = features.shape[1]
        self.metrics_ = {}
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        return tags

    # -- prediction ---------------------------------------------------------------------
    @property
    def linear_(self) -> LinearSVC:
        """The SVM trained on all the data, whose weights :meth:`explain` reads."""
        check_is_fitted(self, "calibrated_")
        return self.calibrated_.calibrated_classifiers_[0].estimator

    # -- the hooks of Predictor (its predict, predict_proba, predict_details, explain...)
    def _check_fitted(self) -> None:
        check_is_fitted(self, "calibrated_")

    def _prepare(self, X: Iterable[Any]) -> list:
        self._check_fitted()
        return self.features_.prepare(as_documents(X))

    def _encode(self, prepared: list) -> sp.csr_matrix:
        """The articles' weighted features."""
        return self._weigh(self.features_.transform_prepared(prepared))

    def _weigh(self, features: sp.csr_matrix) -> sp.csr_matrix:
        if self.term_weights_ is None or features.shape[0] == 0:
            return features
        return l2_normalize(features.multiply(self.term_weights_).tocsr())

    def _calibrated_proba(self, features: sp.csr_matrix) -> np.ndarray:
        if features.shape[0] == 0:
            return np.zeros((0, len(self.classes_)))
        return self.calibrated_.predict_proba(features)

    def _feature_rows(self, features: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray,
                                                              np.ndarray]:
        return features.indptr, features.indices, features.data

    def _coef(self) -> np.ndarray:
        return self.linear_.coef_

    def _feature_terms(self) -> list[str]:
        """Each feature's surface term: its name without the block's prefix (``w:``)."""
        return [n[2:] for n in self.features_.get_feature_names_out()]

    def _word_segmenter(self) -> Segmenter:
        return self.features_.segmenter_

    def decision_function(self, X: Iterable[Any]) -> np.ndarray:
        """Uncalibrated SVM scores.

        Parameters
        ----------
        X : iterable of articles

        Returns
        -------
        ndarray of shape (n_articles, n_labels), or (n_articles,) with two labels
        """
        return self.linear_.decision_function(self._read(X)[0])

    def __getstate__(self) -> dict:
        state = dict(super().__getstate__())  # a copy: it can be the live __dict__
        state.pop("_terms_cache", None)
        return state

    def __setstate__(self, state: dict) -> None:
        # Model files saved before the fitted copies of these parameters existed.
        if "calibrated_" in state:
            state.setdefault("threshold_", float(state.get("threshold", 0.0)))
            state.setdefault("fallback_label_", state.get("fallback_label", "other"))
            state.setdefault("label_weights_", None)
            state.setdefault("short_text_chars_", None)
            if not state.get("nb_weight", 0.5):
                state["term_weights_"] = None
        state.setdefault("max_df", 1.0)
        super().__setstate__(state)

    # -- description and export ---------------------------------------------------------
    def describe(self) -> dict:
        """The model card's description of this fitted model (JSON-serialisable).

        Returns
        -------
        dict
            ``versions``, ``labels``, ``training`` (articles, label counts, SHA-256 and,
            when known, the sources), ``segmentation``, ``parameters``, ``n_features``
            and ``metrics``.
        """
        check_is_fitted(self, "calibrated_")
        seg = self.features_.segmenter_
        return {
            "versions": versions(),
            "labels": [str(c) for c in self.classes_],
            "training": {"articles": self.n_train_, "label_counts": self.label_counts_,
                         "sha256": self.training_sha256_,
                         **({"sources": self.training_data_}
                            if getattr(self, "training_data_", None) else {})},
            "segmentation": {**seg.describe(), "normalize": bool(self.normalize)},
            "parameters": {k: jsonable(v) for k, v in self.get_params(deep=False).items()
                           if k != "segmenter"},
            "n_features": int(self.n_features_),
            "metrics": jsonable(getattr(self, "metrics_", {})),
        }

    def save(self, path: str | os.PathLike) -> dict:
        """Write the fitted model to `path`, the format chosen by its name, with its card
        beside it (``<path>.json``).

        ``*.npz`` is the portable format (:meth:`export`: arrays and JSON, loaded without
        scikit-learn and without running code); any other name, conventionally
        ``*.joblib``, is the whole estimator as a joblib pickle, to refit or inspect.
        ``newsclass.save_model(clf, path)`` does the same and also takes a Pipeline.

        Parameters
        ----------
        path : str or path-like

        Returns
        -------
        dict
            The model card as written.
        """
        check_is_fitted(self, "calibrated_")
        if is_portable(path):
            return self.export(path)
        return write_joblib(self, path, self.describe())

    def export(self, path: str | os.PathLike) -> dict:
        """Write the model in the portable format: arrays and JSON, no pickle.

        :func:`newsclass.load_model` reads the file back into a
        :class:`~newsclass.portable.PortableClassifier`, which predicts like this
        estimator without scikit-learn (see :mod:`newsclass.modelfile` for the arrays
        it holds and what the format guarantees). A JSON copy of the card goes beside it
        (``<path>.json``).

        Parameters
        ----------
        path : str or path-like
            The file to write, conventionally ``*.npz``.

        Returns
        -------
        dict
            The model card as written.
        """
        check_is_fitted(self, "calibrated_")
        f = self.features_
        arrays: dict[str, Any] = {}
        put_array(arrays, "user_words", f.segmenter_.user_words)
        put_array(arrays, "stopwords", sorted(f.segmenter_.stopwords))
        blocks = []
        for kind, vec, weight, rng in (
                ("word", f.word_vectorizer_, 1.0, f.word_ngram_range),
                ("char", f.char_vectorizer_, f.char_weight, f.char_ngram_range),
                ("title", f.title_vectorizer_, f.title_weight, f.word_ngram_range)):
            if vec is None:
                continue
            if kind == "char":
                if not hasattr(vec, "keys_"):
                    raise ValueError("character n-grams longer than 3 cannot be exported; "
                                     "use char_ngram_range within (1, 3)")
                put_array(arrays, "char_keys", vec.keys_)
            else:
                put_array(arrays, "terms", vec.get_feature_names_out(), kind=kind)
            put_array(arrays, "idf", vec.idf_, kind=kind)
            blocks.append({"kind": kind, "weight": float(weight),
                           "ngram_range": list(rng), "sublinear_tf": bool(f.sublinear_tf)})
        if self.term_weights_ is not None:
            put_array(arrays, "term_weights", self.term_weights_)
        put_array(arrays, "coef", self.linear_.coef_)
        put_array(arrays, "intercept", self.linear_.intercept_)
        self._put_calibration(arrays)
        model = {"classes": self.classes_.tolist(), "threshold": self.threshold_,
                 "fallback_label": jsonable(self.fallback_label_),
                 "normalize": bool(self.normalize), "calibration": self.calibration,
                 "body_chars": self.body_chars,
                 "short_text_chars": self.short_text_chars_,
                 "label_weights": (None if self.label_weights_ is None
                                   else self.label_weights_.tolist()),
                 "segmenter": {"backend": f.segmenter_.backend, "hmm": f.segmenter_.hmm},
                 "blocks": blocks}
        import datetime

        created = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        return write_portable(path, arrays, {"created": created, **self.describe(),
                                             "model": model})

    def _put_calibration(self, arrays: dict[str, Any]) -> None:
        """The calibrators' parameters, into the arrays of a portable file."""
        calibrators = self.calibrated_.calibrated_classifiers_[0].calibrators
        if self.calibration == "sigmoid":
            put_array(arrays, "sigmoid_a", [c.a_ for c in calibrators])
            put_array(arrays, "sigmoid_b", [c.b_ for c in calibrators])
            return
        for i, c in enumerate(calibrators):
            put_array(arrays, "isotonic_x", c.X_thresholds_, i=i)
            put_array(arrays, "isotonic_y", c.y_thresholds_, i=i)
