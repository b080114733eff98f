"""Text rendering of model cards and metrics: every table newsclass prints.

Columns are aligned by terminal width, so Chinese label names (two columns per
character) line up.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

from newsclass.digest import file_sha256
from newsclass.labels import label_name

__all__ = ["display_width", "format_card", "format_metrics", "metrics_lines"]

_INDENT = "  "


def display_width(text: str) -> int:
    """Terminal width of `text`: wide and full-width characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    fill = " " * max(0, width - display_width(text))
    return fill + text if right else text + fill


def _table(header: list[str], rows: list[list[str]], numeric_from: int = 1) -> list[str]:
    """Aligned columns; columns from `numeric_from` on are right-aligned."""
    columns = list(zip(header, *rows, strict=True))
    widths = [max(display_width(str(v)) for v in col) for col in columns]
    lines = []
    for row in [header, *rows]:
        cells = [_pad(str(v), w, right=i >= numeric_from) for i, (v, w)
                 in enumerate(zip(row, widths, strict=True))]
        lines.append(_INDENT + "  ".join(cells).rstrip())
    return lines


def _pairs(items: dict[str, Any]) -> list[str]:
    if not items:
        return [_INDENT + "(none)"]
    width = max(display_width(str(k)) for k in items)
    return [f"{_INDENT}{_pad(str(k), width)}  {_value(v)}" for k, v in items.items()]


def _name(label: str) -> str:
    """Chinese name of a default label; empty for other labels."""
    name = label_name(label)
    return "" if name == label else name


def _value(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    if value is None:
        return "None"
    return str(value)


def _number(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else _value(value)


def metrics_lines(name: str, metrics: dict) -> list[str]:
    """One evaluation result: headline numbers, per-label table, confusion matrix."""
    title = name
    if isinstance(metrics.get("folds"), int):
        title = f"{name} ({metrics['folds']}-fold cross-validation)"
    elif isinstance(metrics.get("n"), int):
        title = f"{name} ({metrics['n']} articles)"
    lines = [f"{_INDENT}{title}"]
    headline = [f"{shown} {_number(metrics[key])}"
                for key, shown in (("accuracy", "accuracy"), ("macro_f1", "macro-F1"))
                if key in metrics]
    if headline:
        lines.append(_INDENT * 2 + ", ".join(headline))
    per_label = metrics.get("per_label")
    if isinstance(per_label, dict) and per_label:
        rows = [[str(label), _name(str(label)),
                 *(_number(stats.get(k, "")) for k in ("precision", "recall", "f1")),
                 _value(stats.get("support", ""))]
                for label, stats in per_label.items()]
        lines += [_INDENT + line for line in
                  _table(["label", "name", "precision", "recall", "f1", "support"], rows,
                         numeric_from=2)]
    confusion = metrics.get("confusion_matrix")
    if isinstance(confusion, dict) and confusion.get("labels") and confusion.get("matrix"):
        labels = [str(x) for x in confusion["labels"]]
        lines.append(_INDENT * 2 + "confusion matrix (rows: true label, columns: predicted)")
        rows = [[label, *(str(n) for n in counts)]
                for label, counts in zip(labels, confusion["matrix"], strict=True)]
        lines += [_INDENT + line for line in _table(["", *labels], rows)]
    coverage = metrics.get("coverage")
    if isinstance(coverage, list) and coverage:
        lines.append(_INDENT * 2 + "coverage at probability thresholds")
        rows = [[_value(c.get("threshold")), _number(c.get("coverage")),
                 _number(c.get("accuracy"))] for c in coverage if isinstance(c, dict)]
        lines += [_INDENT + line for line in
                  _table(["threshold", "coverage", "accuracy"], rows, numeric_from=0)]
    rest = {k: v for k, v in metrics.items() if k not in
            {"folds", "n", "accuracy", "macro_f1", "per_label", "confusion_matrix", "coverage"}}
    if rest:
        lines += [_INDENT + line for line in _pairs(rest)]
    return lines


def _is_result(value: Any) -> bool:
    return isinstance(value, dict) and any(
        k in value for k in ("accuracy", "macro_f1", "per_label", "confusion_matrix"))


def _general_lines(card: dict, model_path: str | Path | None) -> list[str]:
    general = {"model file": str(model_path) if model_path is not None
               else card.get("model_file", "?"),
               "format": card.get("format", "?"),
               "created": card.get("created", "?")}
    sha = card.get("model_sha256")
    status = ""
    if model_path is not None and sha:
        path = Path(model_path)
        if not path.is_file():
            status = " (model file missing)"
        else:
            status = (" (matches the file)" if file_sha256(path) == sha
                      else " (DOES NOT match the file: changed or truncated)")
    general["file sha256"] = f"{sha or '?'}{status}"
    if "n_features" in card:
        general["features"] = card["n_features"]
    return ["Model", *_pairs(general)]


def _card_metrics_lines(metrics: dict) -> list[str]:
    lines = ["Metrics"]
    if not metrics:
        lines.append(_INDENT + "(none recorded)")
    elif _is_result(metrics):
        lines += metrics_lines("evaluation", metrics)
    else:
        other = {}
        for name, value in metrics.items():
            if _is_result(value):
                lines += metrics_lines(str(name), value)
            else:
                other[name] = value
        if other:
            lines += _pairs(other)
    return lines


def _sources(sources: dict) -> dict:
    """Where the training articles came from: the authored corpus, each pool of real
    news, reviewed articles."""
    flat = {}
    for name, value in sources.items():
        if isinstance(value, dict) and name == "real_news_by_source":
            flat.update({f"  {pool}": n for pool, n in value.items()})
        elif isinstance(value, dict):
            flat[name] = ", ".join(f"{k} {v}" for k, v in value.items())
        else:
            flat[name] = value
    return flat


def format_card(card: dict, model_path: str | Path | None = None) -> str:
    """Render a model card as text.

    Parameters
    ----------
    card : dict
        A model card, as written by :func:`newsclass.save_model`.
    model_path : path-like or None
        The model file the card belongs to; when given, its SHA-256 is compared with
        the card's.

    Returns
    -------
    str
        The card, section by section, without a trailing line break.
    """
    training = card.get("training", {})
    counts = training.get("label_counts", {})
    labels = [str(x) for x in card.get("labels", counts)]
    lines = [*_general_lines(card, model_path),
             "", "Versions (when saved)", *_pairs(card.get("versions", {})),
             "", f"Labels ({len(labels)})",
             *_table(["label", "name", "training articles"],
                     [[x, _name(x), _value(counts.get(x, "?"))] for x in labels],
                     numeric_from=2),
             "", "Training data",
             *_pairs({"articles": training.get("articles", "?"),
                      "sha256": training.get("sha256", "?"),
                      **_sources(training.get("sources") or {})}),
             "", "Segmentation", *_pairs(card.get("segmentation", {})),
             "", "Parameters", *_pairs(card.get("parameters", {})),
             "", *_card_metrics_lines(card.get("metrics") or {})]
    return "\n".join(lines)


def format_metrics(metrics: dict, name: str = "evaluation") -> str:
    """Metrics as a readable text table: headline numbers, per-label table, confusion
    matrix and coverage curve (the one layout of ``train``, ``evaluate`` and ``info``).

    Parameters
    ----------
    metrics : dict
        As from :func:`newsclass.metrics.evaluate`, or a check of
        :func:`newsclass.fitting.fit_and_validate`.
    name : str, default="evaluation"
        The heading.

    Returns
    -------
    str
    """
    return "\n".join(metrics_lines(name, metrics))
