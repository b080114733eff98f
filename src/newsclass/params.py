"""What each parameter of a NewsClassifier must be: one rule per parameter.

:func:`check_params` is what :meth:`NewsClassifier.fit` checks first; the same rules
check a threshold given for one call (:func:`newsclass.decision.check_threshold`) and
the decision rule's values a portable model file's card holds. NumPy only.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["PARAMETER_RULES", "check_params", "param_problem"]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.number)) and not isinstance(value, bool)


def _is_whole(value: Any, least: int | None = None) -> bool:
    """Whether `value` is a whole number (not a bool), at least `least` if given."""
    return (isinstance(value, (int, np.integer)) and not isinstance(value, bool)
            and (least is None or value >= least))


def _is_range(value: Any) -> bool:
    return (isinstance(value, tuple) and len(value) == 2
            and all(_is_whole(v) for v in value) and 1 <= value[0] <= value[1])


def _is_df(value: Any) -> bool:
    if _is_whole(value):
        return value >= 1
    return isinstance(value, (float, np.floating)) and 0 < value <= 1


#: What each NewsClassifier parameter must be: a test and the words of the message.
PARAMETER_RULES: dict[str, tuple[Any, str]] = {
    "segmenter": (lambda v: v is None or hasattr(v, "cut"), "None or a Segmenter"),
    "normalize": (lambda v: isinstance(v, bool), "True or False"),
    "word_ngram_range": (_is_range, "a tuple (lo, hi) of whole numbers, 1 <= lo <= hi"),
    "char_ngram_range": (lambda v: v is None or _is_range(v),
                         "None or a tuple (lo, hi) of whole numbers, 1 <= lo <= hi"),
    "char_weight": (lambda v: _is_number(v) and v >= 0, "a number >= 0"),
    "title_weight": (lambda v: _is_number(v) and v >= 0, "a number >= 0"),
    "min_df": (_is_df, "a whole number >= 1 or a share in (0, 1]"),
    "max_df": (_is_df, "a whole number >= 1 or a share in (0, 1]"),
    "sublinear_tf": (lambda v: isinstance(v, bool), "True or False"),
    "nb_weight": (lambda v: _is_number(v) and v >= 0, "a number >= 0"),
    "C": (lambda v: _is_number(v) and v > 0, "a number > 0"),
    "class_weight": (lambda v: v is None or v == "balanced" or isinstance(v, dict),
                     "None, 'balanced' or a dict of label weights"),
    "calibration": (lambda v: v in ("sigmoid", "isotonic"), "'sigmoid' or 'isotonic'"),
    "calibration_cv": (lambda v: _is_whole(v, 2), "a whole number >= 2"),
    "threshold": (lambda v: _is_number(v) and not math.isnan(v) and 0 <= v <= 1,
                  "a probability from 0 to 1"),
    "fallback_label": (lambda v: v is not None, "a label"),
    "random_state": (lambda v: v is None or _is_whole(v), "None or a whole number"),
    "body_chars": (lambda v: v is None or _is_whole(v, 1), "None or a whole number >= 1"),
    "label_weights": (lambda v: v is None or (isinstance(v, dict) and all(
        _is_number(w) and w > 0 for w in v.values())),
                      "None or a dict of positive label weights"),
    "short_text_chars": (lambda v: v is None or _is_whole(v, 1),
                         "None or a whole number >= 1"),
}


def param_problem(name: str, value: Any) -> str | None:
    """What is wrong with `value` as the parameter `name`: ``"<name> must be <what it
    must be>, got <value>"``, or ``None`` when it is a valid value."""
    test, expected = PARAMETER_RULES[name]
    return None if test(value) else f"{name} must be {expected}, got {value!r}"


def check_params(params: dict[str, Any]) -> None:
    """Check NewsClassifier parameters, as :meth:`NewsClassifier.fit` does first.

    Raises
    ------
    ValueError
        Naming the first invalid parameter, its value and what it must be.
    """
    for name, value in params.items():
        problem = param_problem(name, value)
        if problem:
            raise ValueError(f"NewsClassifier parameter {problem}")
