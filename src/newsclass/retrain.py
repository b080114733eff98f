"""Retraining with review decisions: find the reviewed texts, add them, measure both ways.

:func:`read_reviewed` joins the decisions of a corrections file
(:mod:`newsclass.corrections`) to the texts they were made on, found by their
fingerprint (``text_sha256``) in the records of ``newsclass label --keep-text`` or in
the labelled inputs. :func:`retrain` fits a recipe on its training data plus the
reviewed articles and measures, on the same folds, the recipe without them and with
them, and how the models score on the reviewed articles themselves.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from newsclass.corrections import latest_decisions, read_corrections
from newsclass.digest import file_sha256, text_sha256
from newsclass.formats import InputArticle, ReadOptions
from newsclass.readers import read_inputs

__all__ = ["Reviewed", "read_reviewed", "retrain"]

#: The suffix ``newsclass review`` gives a corrections file beside its records.
CORRECTIONS_SUFFIX = ".corrections.jsonl"


@dataclass
class Reviewed:
    """Reviewed articles ready to train on.

    Attributes
    ----------
    path, sha256 : str
        The corrections file and its SHA-256.
    articles : list of dict
        ``{"id", "title", "body"}`` of each reviewed article whose text was found.
    labels, model_labels : list of str
        The reviewer's label and the label the model had given, per article.
    missing : list of str
        Decisions whose text was found nowhere (left out), described for people.
    texts_from : list of str
        The files the texts were looked for in.
    """

    path: str
    sha256: str
    articles: list = field(default_factory=list)
    labels: list = field(default_factory=list)
    model_labels: list = field(default_factory=list)
    missing: list = field(default_factory=list)
    texts_from: list = field(default_factory=list)

    @property
    def relabelled(self) -> int:
        """Articles whose label the reviewer changed."""
        return sum(a != b for a, b in zip(self.labels, self.model_labels, strict=True))

    def describe(self) -> dict:
        """What the model card records about them."""
        return {"file": os.path.basename(self.path), "sha256": self.sha256,
                "articles": len(self.articles), "relabelled": self.relabelled,
                "not_found": len(self.missing)}


def _record_texts(path: str, wanted: set[str]) -> dict[str, tuple[str, str]] | None:
    """Texts kept in the records of ``newsclass label --keep-text``, by fingerprint;
    ``None`` when `path` is not such a file."""
    if not path.endswith((".jsonl", ".ndjson")):
        return None
    found: dict[str, tuple[str, str]] = {}
    with open(path, encoding="utf-8", errors="replace") as fh:
        for n, line in enumerate(fh):
            try:
                row = json.loads(line) if line.strip() else {}
            except ValueError:
                row = None
            if not isinstance(row, dict) or (n == 0 and "text_sha256" not in row):
                return None if n == 0 else found
            if (row.get("text_sha256") in wanted and "body_chars" not in row
                    and isinstance(row.get("body"), str)):
                found[row["text_sha256"]] = (str(row.get("title") or ""), row["body"])
    return found


def _input_texts(path: str, wanted: set[str], read_options: ReadOptions) -> dict:
    found = {}
    for item in read_inputs([path], read_options):
        if isinstance(item, InputArticle):
            digest = text_sha256(item.title, item.body)
            if digest in wanted:
                found[digest] = (item.title, item.body)
    return found


def _default_texts(path: str, decisions: list[dict]) -> list[str]:
    """Where the texts are likely to be: the records the corrections file sits beside
    (``OUT.jsonl`` for ``OUT.jsonl.corrections.jsonl``) and the decisions' sources."""
    places = []
    if path.endswith(CORRECTIONS_SUFFIX):
        places.append(path[: -len(CORRECTIONS_SUFFIX)])
    places += sorted({d["source"] for d in decisions})
    return [p for p in dict.fromkeys(places) if p != "-" and os.path.isfile(p)]


def read_reviewed(corrections: str | os.PathLike, texts: list | None = None,
                  read_options: ReadOptions | Mapping[str, Any] | None = None) -> Reviewed:
    """The latest decision about each article of a corrections file, with its text.

    Parameters
    ----------
    corrections : str or path-like
        A corrections file of ``newsclass review``.
    texts : list of paths or None
        Where to find the texts: records of ``newsclass label --keep-text`` and the
        labelled input files, searched for each decision's ``text_sha256``. ``None``:
        the records beside the corrections file and the files named in the decisions'
        ``source``.
    read_options : ReadOptions, mapping of its fields, or None
        How input files are read (:class:`newsclass.formats.ReadOptions`).

    Returns
    -------
    Reviewed

    Raises
    ------
    ValueError
        If the corrections file cannot be read, holds no decisions, or none of their
        texts is found.
    """
    path = os.fspath(corrections)
    decisions = list(latest_decisions(read_corrections(path)).values())
    if not decisions:
        raise ValueError(f"{path} holds no review decisions")
    places = [os.fspath(t) for t in texts] if texts else _default_texts(path, decisions)
    wanted = {d["text_sha256"] for d in decisions}
    found: dict[str, tuple[str, str]] = {}
    for place in places:
        got = _record_texts(place, wanted - set(found)) if os.path.isfile(place) else None
        found.update(got if got is not None else
                     _input_texts(place, wanted - set(found), ReadOptions.of(read_options)))
    out = Reviewed(path, file_sha256(path), texts_from=places)
    for d in decisions:
        if d["text_sha256"] not in found:
            out.missing.append(f"{d['source']} {d['id']}")
            continue
        title, body = found[d["text_sha256"]]
        out.articles.append({"id": d["id"], "title": title, "body": body})
        out.labels.append(d["label"])
        out.model_labels.append(d["model_label"])
    if not out.articles:
        where = ", ".join(places) or "nowhere (give the texts)"
        raise ValueError(f"none of the {len(decisions)} reviewed articles of {path} was "
                         f"found in {where}: give the records of newsclass label "
                         "--keep-text or the labelled files as texts")
    return out


def retrain(articles: list, labels: list, reviewed: Reviewed, params: dict, cv: int = 5, *,
            extra: tuple[list, list] = ((), ()), compare: Any = None,
            jobs: int | None = -1) -> tuple[Any, dict]:
    """Fit `params` on the training data plus the reviewed articles, and measure it.

    Parameters
    ----------
    articles, labels : list
        The recipe's own training data, cross-validated.
    reviewed : Reviewed
    params : dict
        NewsClassifier parameters.
    cv : int, default=5
        Folds; 0 measures only `compare` on the reviewed articles.
    extra : (articles, labels)
        Data always trained on and never tested (the real articles of the default
        recipe, as in its own cross-validation).
    compare : NewsClassifier or None
        A model to score on the reviewed articles beside the retrained recipe (the
        model being replaced).
    jobs : int or None, default=-1
        Fits run at once (:func:`newsclass.fitting.fit_and_validate`; ``-1``: one per
        CPU).

    Returns
    -------
    model : NewsClassifier
    metrics : dict
        ``cv_before`` and ``cv`` (the recipe's cross-validation without and with the
        reviewed articles in every training fold), ``reviewed_before`` (`compare` on
        the reviewed articles) and ``reviewed_after`` (the retrained recipe on them, out
        of fold: each fold of them predicted by the recipe trained on the training data
        and the other folds); each only when it can be measured.
    """
    from newsclass.fitting import CrossValidation, fit_and_validate
    from newsclass.metrics import label_metrics

    ea, el = list(extra[0]), list(extra[1])
    arts, labs = reviewed.articles, reviewed.labels
    checks: dict = {}
    if cv:
        checks["cv_before"] = CrossValidation(articles, labels, cv, ea, el)
        checks["cv"] = CrossValidation(articles, labels, cv, ea + arts, el + labs)
        if len(arts) >= 2 and cv >= 2:
            checks["reviewed_after"] = CrossValidation(
                arts, labs, min(cv, len(arts)), articles + ea, labels + el, stratified=False)
    model, measured = fit_and_validate(params, articles + ea + arts, labels + el + labs,
                                       checks, jobs=jobs)
    metrics = {name: measured[name] for name in ("cv_before", "cv") if name in measured}
    if compare is not None:
        metrics["reviewed_before"] = {"n": len(arts), **label_metrics(
            labs, compare.predict(arts))}
    if "reviewed_after" in measured:
        metrics["reviewed_after"] = measured["reviewed_after"]
    return model, metrics
