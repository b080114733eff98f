"""The evaluation report folder: metrics, confusion matrix, coverage plot and errors.

matplotlib is imported only inside the functions that draw, and always through its
non-interactive Agg canvas, so nothing here changes the caller's pyplot backend or rc
settings.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from newsclass.documents import as_documents
from newsclass.labels import label_name
from newsclass.metrics import ROUND, check_lengths, coverage_curve, predict_scored, scored_metrics

__all__ = ["CJK_SAMPLE", "find_cjk_font", "write_report"]

#: Characters a font must have for the Chinese label names to be drawn.
CJK_SAMPLE = "科技人大教育慈善其他"

#: Family names tried first by :func:`find_cjk_font` (lower case, matched as substrings).
_PREFERRED_FONTS = ("noto sans cjk", "noto serif cjk", "source han sans", "wenquanyi",
                    "wqy", "droid sans fallback", "sarasa", "microsoft yahei", "simhei",
                    "pingfang", "heiti", "hiragino sans gb", "songti", "simsun", "ar pl")

_SNIPPET_CHARS = 120
_ERROR_TERMS = 8


# -- fonts --------------------------------------------------------------------------------
def _has_glyphs(fname: str, text: str) -> bool:
    """Whether the font file maps every character of `text` to its own glyph.

    Distinct glyphs are required so that fallback fonts (such as matplotlib's bundled
    *Last Resort*), which map whole Unicode blocks to one placeholder box, do not count.
    """
    from matplotlib.ft2font import FT2Font

    try:
        charmap = FT2Font(fname).get_charmap()
    except (OSError, RuntimeError, ValueError):
        return False
    glyphs = [charmap.get(ord(c), 0) for c in dict.fromkeys(text)]
    return all(glyphs) and len(set(glyphs)) == len(glyphs)


def find_cjk_font(sample: str = CJK_SAMPLE) -> str | None:
    """Find an installed font family that can draw the Chinese label names.

    Fonts known to matplotlib are checked for real glyphs of every character of
    `sample` (not just by name), well-known CJK families first. When none qualifies,
    the system's font folders are searched too, for fonts installed after matplotlib
    built its font cache; a font found there is registered with matplotlib's font
    manager (``fontManager.addfont``) so that its family name can be used.

    Parameters
    ----------
    sample : str, default=CJK_SAMPLE
        Characters the font must have: those of 科技 人大 教育 慈善 其他.

    Returns
    -------
    str or None
        A font family name usable as ``FontProperties(family=...)``; ``None`` if no
        installed font has the glyphs (install for example Debian's
        ``fonts-wqy-microhei`` or ``fonts-noto-cjk``).
    """
    from matplotlib import font_manager

    manager = font_manager.fontManager

    def rank(entry: Any) -> tuple[int, str]:
        name = entry.name.lower()
        return (0 if any(p in name for p in _PREFERRED_FONTS) else 1, entry.name)

    checked: set[str] = set()
    for entry in sorted(manager.ttflist, key=rank):
        if entry.fname in checked:
            continue
        checked.add(entry.fname)
        if _has_glyphs(entry.fname, sample):
            return entry.name
    try:
        system = font_manager.findSystemFonts()
    except OSError:  # an unreadable font folder means no extra fonts
        system = []
    for fname in sorted(system):
        if fname in checked or not fname.lower().endswith((".ttf", ".otf", ".ttc")):
            continue
        checked.add(fname)
        if _has_glyphs(fname, sample):
            try:
                manager.addfont(fname)
            except (OSError, RuntimeError, ValueError):
                continue
            return font_manager.FontProperties(fname=fname).get_name()
    return None


def _ascii_label(label: str) -> str:
    return label.encode("ascii", "backslashreplace").decode("ascii")


def _axis_names(labels: list[str]) -> list[str]:
    """One name per label on the matrix's axes: its Chinese name, or, where two labels
    would be drawn alike (``congress`` and ``人大``), its id beside it."""
    names = [label_name(x) for x in labels]
    twice = {n for n in names if names.count(n) > 1}
    return [f"{x} {n}" if n in twice and n != x else n
            for x, n in zip(labels, names, strict=True)]


# -- drawing ------------------------------------------------------------------------------
def _new_figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _plot_confusion(confusion: dict, path: Path) -> None:
    from matplotlib.font_manager import FontProperties

    labels = [str(x) for x in confusion["labels"]]
    matrix = np.asarray(confusion["matrix"], dtype=int).reshape(len(labels), len(labels))
    names = _axis_names(labels)
    chinese = "".join(c for n in names for c in n if not c.isascii())
    family = find_cjk_font()
    if family is not None and not _family_has_glyphs(family, chinese + "真实预测混淆矩阵"):
        family = None
    if family is not None:
        font = FontProperties(family=family)
        axis_true, axis_pred, title = "真实", "预测", "混淆矩阵"
    else:
        if chinese:
            warnings.warn("no installed font has glyphs for the Chinese label names, so "
                          "the confusion matrix shows label ids instead; install a CJK "
                          "font (e.g. Debian's fonts-wqy-microhei or fonts-noto-cjk)",
                          UserWarning, stacklevel=3)
        font = FontProperties()
        names = [_ascii_label(x) for x in labels]
        axis_true, axis_pred, title = "true", "predicted", "confusion matrix"

    size = max(4.0, 1.5 + 0.8 * len(labels))
    fig = _new_figure(size, size)
    ax = fig.add_subplot()
    ax.imshow(matrix, cmap="Blues", vmin=0, vmax=max(int(matrix.max()), 1))
    ticks = np.arange(len(labels))
    ax.set_xticks(ticks, names, fontproperties=font, rotation=45, ha="right",
                  rotation_mode="anchor")
    ax.set_yticks(ticks, names, fontproperties=font)
    ax.set_xlabel(axis_pred, fontproperties=font)
    ax.set_ylabel(axis_true, fontproperties=font)
    ax.set_title(title, fontproperties=font)
    dark = matrix.max() / 2 if matrix.size else 0
    for i in range(len(labels)):
        for j in range(len(labels)):
            ax.text(j, i, str(matrix[i, j]), ha="center", va="center",
                    color="white" if matrix[i, j] > dark else "black")
    fig.savefig(path, format="png")


def _family_has_glyphs(family: str, text: str) -> bool:
    from matplotlib.font_manager import FontProperties, findfont

    try:
        fname = findfont(FontProperties(family=family), fallback_to_default=False)
    except ValueError:
        return False
    return _has_glyphs(fname, text)


def _plot_coverage(curve: list[dict], path: Path) -> None:
    points = [c for c in curve if c.get("accuracy") is not None]
    # Consecutive thresholds that cover the same articles give the same point: draw it
    # once, labelled with its range of thresholds.
    groups: list[list[dict]] = []
    for c in points:
        if groups and groups[-1][-1]["coverage"] == c["coverage"]:
            groups[-1].append(c)
        else:
            groups.append([c])
    fig = _new_figure(6.4, 4.8)
    ax = fig.add_subplot()
    if groups:
        xs = [g[0]["coverage"] for g in groups]
        ys = [g[0]["accuracy"] for g in groups]
        ax.plot(xs, ys, marker="o", markersize=4)
        x0, y0 = min(xs), min(ys)
        x_pad, y_pad = max(0.02, (1 - x0) * 0.08), max(0.02, (1 - y0) * 0.08)
        ax.set_xlim(max(0.0, x0 - x_pad), 1 + x_pad / 2)
        ax.set_ylim(max(0.0, y0 - y_pad), 1 + y_pad / 2)
        # Label points from full coverage down, skipping those too close to the last one.
        last = None
        for g, x, y in reversed(list(zip(groups, xs, ys, strict=True))):
            if last is not None and (abs(x - last[0]) < (1 - x0 + x_pad) / 12
                                     and abs(y - last[1]) < (1 - y0 + y_pad) / 12):
                continue
            last = (x, y)
            lo, hi = g[0]["threshold"], g[-1]["threshold"]
            text = f"{lo:g}" if lo == hi else f"{lo:g}–{hi:g}"
            ax.annotate(text, (x, y), textcoords="offset points", xytext=(-4, -12),
                        fontsize=7, ha="right")
    else:
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.text(0.5, 0.5, "no articles covered", ha="center", va="center",
                transform=ax.transAxes)
    ax.grid(alpha=0.3)
    ax.set_xlabel("coverage (share of articles with best probability >= threshold)")
    ax.set_ylabel("accuracy on covered articles")
    ax.set_title("accuracy versus coverage (labels: probability thresholds)")
    fig.savefig(path, format="png")


# -- report -------------------------------------------------------------------------------
def _article_id(article: Any, position: int) -> Any:
    if isinstance(article, dict):
        value = article.get("id")
    else:
        value = getattr(article, "id", None)
    return position if value is None else value


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _SNIPPET_CHARS else flat[:_SNIPPET_CHARS] + "…"


def _errors(model: Any, articles: Sequence, y_true: np.ndarray, pred: np.ndarray,
            proba: np.ndarray, classes: np.ndarray, ids: Sequence | None) -> list[dict]:
    column = {c: j for j, c in enumerate(classes.tolist())}
    rows = []
    for i in np.flatnonzero(pred != y_true):
        article = articles[int(i)]
        doc = as_documents([article], name="articles")[0]
        label = str(pred[i])
        terms: list = []
        if hasattr(model, "explain") and label in column:
            terms = [[t, round(float(w), ROUND)]
                     for t, w in model.explain(article, top=_ERROR_TERMS, label=label)]
        rows.append({
            "id": ids[int(i)] if ids is not None else _article_id(article, int(i)),
            "title": doc.title,
            "text": _snippet(doc.body),
            "true": str(y_true[i]),
            "predicted": label,
            "confidence": round(float(proba[i, column[label]]), ROUND)
            if label in column else None,
            "terms": terms,
        })
    return rows


def write_report(report_dir: str | os.PathLike, model: Any, articles: Sequence,
                 labels: Sequence[str], metrics: dict | None = None,
                 ids: Sequence | None = None) -> list[Path]:
    """Write an evaluation report folder.

    Files written (the folder is created):

    - ``metrics.json``: the metrics (see :func:`newsclass.metrics.evaluate`);
    - ``confusion.png``: the confusion matrix, with Chinese label names when a CJK font
      is installed (see :func:`find_cjk_font`), else label ids and a ``UserWarning``;
    - ``coverage.png``: accuracy versus coverage as the probability threshold rises;
    - ``errors.jsonl``: one JSON line per misclassified article: ``id``, ``title``,
      ``text`` (a snippet), ``true``, ``predicted``, ``confidence`` (probability of the
      predicted label) and ``terms`` (``[term, weight]`` pairs from ``model.explain``
      for the predicted label).

    Parameters
    ----------
    report_dir : path-like
        Folder to write to.
    model : NewsClassifier
        A fitted model.
    articles : sequence of articles
    labels : sequence of str
        True labels.
    metrics : dict or None
        Metrics already computed by :func:`newsclass.metrics.evaluate` on the same
        articles, written and drawn as given; ``None`` computes them from this
        function's prediction pass.
    ids : sequence or None
        An id per article for ``errors.jsonl``; ``None`` uses each article's ``id``
        field when it has one, else its position.

    Returns
    -------
    list of Path
        The files written, in the order above.
    """
    check_lengths(articles, labels)
    if ids is not None and len(ids) != len(articles):
        raise ValueError(f"got {len(ids)} ids for {len(articles)} articles")
    out = Path(report_dir)
    out.mkdir(parents=True, exist_ok=True)
    proba, classes, pred = predict_scored(model, articles)
    y_true = np.asarray([str(y) for y in labels], dtype=object)
    if metrics is None:
        metrics = scored_metrics(y_true, pred, proba, classes)

    paths = [out / "metrics.json", out / "confusion.png", out / "coverage.png",
             out / "errors.jsonl"]
    paths[0].write_text(json.dumps(metrics, ensure_ascii=False, indent=2) + "\n",
                        encoding="utf-8")
    _plot_confusion(metrics["confusion_matrix"], paths[1])
    _plot_coverage(metrics.get("coverage") or coverage_curve(y_true, proba, classes),
                   paths[2])
    errors = _errors(model, articles, y_true, pred, proba, classes, ids)
    with open(paths[3], "w", encoding="utf-8") as fh:
        for row in errors:
            fh.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    return paths
