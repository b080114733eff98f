"""Saving and loading model files, in either of the two formats, each with a JSON card.

- **Portable** (``*.npz``, :mod:`newsclass.modelfile`): arrays and JSON, read into a
  :class:`~newsclass.portable.PortableClassifier` without scikit-learn; loading never
  runs code from the file. The bundled default model ships in this format.
- **joblib** (any other name): the whole :class:`~newsclass.model.NewsClassifier`, to
  refit or inspect it in scikit-learn. A pickle runs code when loaded, so load only
  joblib files from a source you trust: :func:`read_model` checks the file against the
  SHA-256 in its card before unpickling, which catches changed and truncated files, but
  a card can be forged as easily as a model: the check is for integrity, not for trust.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any

from newsclass.digest import file_sha256
from newsclass.modelfile import (
    ModelFileError,
    card_path,
    is_portable,
    read_portable_card,
    write_joblib,
)
from newsclass.portable import load_portable
from newsclass.segment import jieba_dictionary_path

__all__ = ["ModelFileError", "card_path", "check_compatibility", "is_portable", "read_card",
           "read_model", "save_model"]


def save_model(model: Any, path: str | os.PathLike, metrics: dict | None = None) -> dict:
    """Write a fitted :class:`NewsClassifier` to `path` and its card to ``<path>.json``:
    in the portable format when `path` ends in ``.npz`` (:meth:`NewsClassifier.export`),
    else as a joblib pickle.

    Parameters
    ----------
    model : NewsClassifier or Pipeline
        A fitted model, or a fitted ``Pipeline`` ending in one (joblib only; its card
        describes the classifier). A search such as ``GridSearchCV`` is refused: pass
        its ``best_estimator_``.
    path : str or path-like
        Model file to write (``*.npz``: portable; ``*.joblib``: the whole estimator).
        Its folder is created.
    metrics : dict or None
        Evaluation results to record; they are also stored in ``model.metrics_``.

    Returns
    -------
    dict
        The model card as written.
    """
    classifier = _classifier_of(model, path)
    if metrics is not None:
        classifier.metrics_ = dict(metrics)
    if is_portable(path):
        return classifier.export(path)
    return write_joblib(model, path, classifier.describe())


def _classifier_of(model: Any, path: str | os.PathLike) -> Any:
    """The fitted NewsClassifier that `model` is or ends in (a Pipeline's last step).

    Raises
    ------
    ValueError
        For a search (``GridSearchCV`` and the like), and for a Pipeline saved in the
        portable format, which holds a NewsClassifier alone: the message says what to
        pass instead.
    sklearn.exceptions.NotFittedError
        If the classifier is not fitted.
    """
    from sklearn.pipeline import Pipeline
    from sklearn.utils.validation import check_is_fitted

    if hasattr(model, "best_estimator_") or hasattr(model, "param_grid") or hasattr(
            model, "param_distributions"):
        raise ValueError(f"{type(model).__name__} is a search, not a model: save its "
                         "best model, search.best_estimator_ (refit=True keeps it)")
    classifier = model
    if isinstance(model, Pipeline):
        classifier = model.steps[-1][1]
        if is_portable(path):
            raise ValueError(
                f"a portable file ({os.fspath(path)}) holds a NewsClassifier alone, not a "
                "Pipeline: save the pipeline as .joblib, or pass its last step "
                "(pipeline[-1], or search.best_estimator_ for a search)")
    if not hasattr(classifier, "describe"):
        raise ValueError(f"cannot save a {type(classifier).__name__}: save_model writes "
                         "a NewsClassifier, or a Pipeline that ends in one")
    check_is_fitted(classifier, "calibrated_")
    return classifier


def read_card(path: str | os.PathLike) -> dict:
    """Read the model card of the model file `path`: ``<path>.json``, or for a portable
    file without one, the card inside the file.

    Raises
    ------
    ModelFileError
        If the card is missing or is not valid JSON.
    """
    cpath = card_path(path)
    try:
        return json.loads(cpath.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if is_portable(path) and Path(path).is_file():
            # A portable file carries its card inside.
            return {**read_portable_card(path), "model_file": Path(path).name,
                    "model_sha256": file_sha256(path)}
        raise ModelFileError(f"model card {cpath} not found: every model file needs the "
                             "card written beside it by save_model()") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"model card {cpath} is not valid JSON: {exc}") from None


def _minor(version: str) -> tuple[str, ...]:
    return tuple(version.split(".")[:2])


def read_model(path: str | os.PathLike, verify: bool = True) -> Any:
    """Load a model file saved by :func:`save_model`.

    A portable file (``*.npz``) is read by :func:`newsclass.portable.load_portable`,
    which checks it against the card inside it. A joblib file's SHA-256 is checked
    against its model card before it is unpickled, and a warning is given when the
    model was saved under another scikit-learn minor version or another jieba
    dictionary.

    .. warning:: A joblib file is a pickle and runs code when loaded. Load only joblib
       files from a source you trust.

    Parameters
    ----------
    path : str or path-like
        The model file. (:func:`newsclass.load_model` also loads the bundled default.)
    verify : bool, default=True
        Check the file against its model card. ``False`` loads a file without a card.

    Returns
    -------
    NewsClassifier or PortableClassifier

    Raises
    ------
    ModelFileError
        If the file or its card is missing, the file does not match the card's
        SHA-256 (changed or truncated), or it cannot be read.
    """
    if is_portable(path):
        return load_portable(path)
    import joblib

    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"model file {path} not found")
    card = None
    if verify:
        card = read_card(path)
        expected = card.get("model_sha256")
        actual = file_sha256(path)
        if actual != expected:
            raise ModelFileError(
                f"model file {path} does not match the SHA-256 in its model card "
                f"{card_path(path).name} (expected {expected}, got {actual}): the file was "
                "changed or truncated; refusing to load it")
    try:
        with warnings.catch_warnings():
            # Reported below, once and in plain words.
            warnings.filterwarnings("ignore", message=".*Trying to unpickle estimator.*")
            model = joblib.load(path)
    except Exception as exc:
        raise ModelFileError(f"model file {path} could not be loaded: "
                             f"{type(exc).__name__}: {exc}") from exc
    if card is not None:
        check_compatibility(card, path)
    return model


def check_compatibility(card: dict, path: str | os.PathLike) -> list[str]:
    """Warn about differences between a model's card and this installation.

    Returns
    -------
    list of str
        The problems found (also issued as ``UserWarning``).
    """
    from newsclass.model import versions

    problems = []
    saved = card.get("versions", {}).get("scikit-learn", "")
    now = versions()["scikit-learn"]
    if _minor(saved) != _minor(now):
        problems.append(
            f"model {path} was saved with scikit-learn {saved} but {now} is installed; "
            "its predictions may differ. Retrain it under this version (newsclass train) "
            "or install the version it was saved with.")
    seg = card.get("segmentation", {})
    if seg.get("dictionary_sha256"):
        if file_sha256(jieba_dictionary_path()) != seg["dictionary_sha256"]:
            problems.append(f"model {path} was trained with a different jieba main "
                            "dictionary; segmentation, and so predictions, may differ.")
    for p in problems:
        warnings.warn(p, UserWarning, stacklevel=3)
    return problems
