"""The default model: its recipe, its corpus, and how it is loaded.

The default model is trained by :func:`train_default`, deterministically, from the
labelled corpus in ``seeds/corpus`` (bundled with the package) and the real articles
whose labels are in ``seeds/real``. It ships inside the package in the portable format
(:mod:`newsclass.portable`), so loading it needs neither scikit-learn nor a pickle.
"""

from __future__ import annotations

import json
import os
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from newsclass.persistence import ModelFileError, read_model, save_model

__all__ = ["DEFAULT_PARAMS", "HOLDOUTS", "MODEL_NAME", "REAL_LABELS", "REAL_POOL",
           "REAL_SOURCES", "as_model", "default_model_path", "find_real_pool",
           "holdout_split", "load_default_model", "load_model", "package_data",
           "read_corpus", "read_real", "real_label_files", "train_default",
           "training_sources"]

MODEL_NAME = "default_model.npz"
#: NewsClassifier parameters of the default model (its other parameters are the defaults),
#: chosen on validation splits that are none of the hold-outs (People's Daily of February
#: 2020, 新闻联播 of 2019, Tencent News of April-June 2023; ``python
#: benchmarks/real_news.py --search``, table in ``benchmarks/README.md``):
#: ``body_chars=1000`` reads the headline and the first 1,000 characters (the main act;
#: training on all 21,700 articles takes 97 s instead of 293 s per fit, 500 scored the
#: same); ``C=4`` and ``C=8`` score alike, ``C=4`` is kept for the smaller weights;
#: ``label_weights`` weighs ``other`` by 0.7, since the pool is 82% ``other`` and news of
#: other sources leans less to it (validation macro-F1 0.825 -> 0.846); ``min_df=5``
#: keeps the model under 20 MB; ``calibration_cv=3`` fits four SVMs per model instead of
#: six at the same scores; ``short_text_chars=30`` tempers headlines shorter than 30
#: characters towards the prior (the share of unrelated headlines pulled into a topic with
#: p >= 0.9 more than halves; see ``benchmarks/README.md``).
DEFAULT_PARAMS: dict[str, Any] = {"min_df": 5, "C": 4.0, "calibration_cv": 3,
                                  "body_chars": 1000, "label_weights": {"other": 0.7},
                                  "short_text_chars": 30}


def package_data() -> Path:
    return Path(str(resources.files("newsclass").joinpath("data")))


def read_corpus(folder: str | os.PathLike | None = None) -> tuple[list[dict], list[str]]:
    """Read a labelled corpus: every ``*.jsonl`` file of `folder`, in name order.

    Parameters
    ----------
    folder : path-like or None
        Folder of JSON-lines files with ``title``, ``text`` and ``label`` fields; ``None``
        reads the corpus bundled with newsclass.

    Returns
    -------
    articles : list of dict
        ``{"id", "title", "body"}`` per article.
    labels : list of str
    """
    folder = Path(folder) if folder is not None else package_data() / "corpus"
    files = sorted(folder.glob("*.jsonl"))
    if not files:
        raise FileNotFoundError(f"no *.jsonl corpus files in {folder}")
    articles, labels = [], []
    for path in files:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                articles.append({"id": row["id"], "title": row["title"], "body": row["text"]})
                labels.append(row["label"])
            except (ValueError, KeyError) as exc:
                raise ValueError(f"{path}:{n}: bad corpus line: {exc}") from None
    return articles, labels


#: The labels of real articles, one file per pool of real news, decided by readers
#: (``seeds/real/<pool>.labels.jsonl``, bundled in the package as ``data/real``).
REAL_LABELS = Path("seeds", "real")
#: The pools of real news those ids refer to, beside the project (not shipped: the texts
#: are the publishers' copyright): ``<pool>.jsonl.gz`` in this folder.
#: ``$NEWSCLASS_REAL_POOL`` (the folder, or one pool file in it) overrides it.
REAL_POOL = Path("..", "shared", "real")
#: Where the default recipe's real news come from, by pool name.
REAL_SOURCES = {"rmrb_2019_2020": "People's Daily 2019-2020",
                "xwlb_2013_2024": "CCTV Xinwen Lianbo 2013-2024",
                "qqnews_2023": "Tencent News 2023"}


def find_real_pool(pool: str | os.PathLike | None = None) -> Path | None:
    """The folder of the pools of real news.

    `pool` (a folder, or a pool file in it), else ``$NEWSCLASS_REAL_POOL`` when it is
    set (only there: set it to a missing folder to train without real news), else
    ``../shared/real`` beside the project or beside the current folder. ``None`` when
    there is none. Every command that trains looks here the same way.
    """
    named = pool if pool is not None else os.environ.get("NEWSCLASS_REAL_POOL")
    candidates = [named] if named else [
        Path(__file__).resolve().parents[3] / REAL_POOL.relative_to(".."), REAL_POOL]
    for path in candidates:
        if not path:
            continue
        path = Path(path)
        if path.is_file():
            return path.parent
        if path.is_dir():
            return path
    return None


def real_label_files(labels: str | os.PathLike | None = None) -> list[Path]:
    """The labels files of real news: every ``*.labels.jsonl`` of `labels` (a folder) or
    `labels` itself (a file); ``None``: the files bundled with newsclass."""
    where = Path(labels) if labels is not None else package_data() / "real"
    return [where] if where.is_file() else sorted(where.glob("*.labels.jsonl"))


def _pool_title(row: dict) -> str:
    """A pool article's headline: the kicker, headline and subtitle joined by spaces."""
    return " ".join(p for p in (row.get("pretitle"), row["title"], row.get("subtitle")) if p)


def _read_pool(path: Path, wanted: dict[str, str]) -> dict[str, dict]:
    import gzip

    opener = gzip.open if path.suffix == ".gz" else open
    texts = {}
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if row["id"] in wanted:
                texts[row["id"]] = {"id": row["id"], "title": _pool_title(row),
                                    "body": row["text"],
                                    "date": str(row.get("date", "")).replace("-", "")[:8]}
    return texts


def read_real(pool: str | os.PathLike | None = None,
              labels: str | os.PathLike | None = None) -> tuple[list[dict], list[str], list[str]]:
    """Join the labels of real articles (by id) to their texts, for every pool found.

    Parameters
    ----------
    pool : path-like or None
        The folder of pools (or a pool file in it): JSON-lines files, ``<name>.jsonl.gz``,
        with ``id``, ``title``, ``text`` and ``date`` (and ``pretitle``, ``subtitle``
        where the paper has them); ``None`` looks for it with :func:`find_real_pool`.
    labels : path-like or None
        A labels file (``id``, ``label``, ...) named ``<name>.labels.jsonl`` after its
        pool, or a folder of them; ``None`` is the files bundled with newsclass. A
        labels file whose pool is not in the folder is left out.

    Returns
    -------
    articles : list of dict
        ``{"id", "title", "body", "source"}``; the title is the kicker, headline and
        subtitle joined by spaces; ``source`` is the pool's name. Pools in name order,
        each sorted by id.
    labels : list of str
    dates : list of str
        ``YYYYMMDD`` of each article.

    Raises
    ------
    FileNotFoundError
        If no pool of any labels file is found.
    ValueError
        If a labelled id is not in its pool.
    """
    found = find_real_pool(pool)
    files = real_label_files(labels)
    pools = [(f, found / f"{f.name[:-len('.labels.jsonl')]}.jsonl.gz") for f in files
             if found is not None]
    pools = [(f, p) for f, p in pools if p.is_file()]
    if not pools:
        raise FileNotFoundError(
            f"no pool of real articles (looked in {pool or found or REAL_POOL} for "
            f"{', '.join(f.name[:-len('.labels.jsonl')] + '.jsonl.gz' for f in files)}; "
            "give --pool or set NEWSCLASS_REAL_POOL)")
    articles, out_labels, dates = [], [], []
    for label_file, pool_file in pools:
        wanted = {}
        for line in label_file.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                wanted[row["id"]] = row["label"]
        texts = _read_pool(pool_file, wanted)
        missing = sorted(set(wanted) - set(texts))
        if missing:
            raise ValueError(f"{len(missing)} labelled ids are not in {pool_file}, "
                             f"e.g. {missing[0]}")
        source = pool_file.name[:-len(".jsonl.gz")]
        for i in sorted(wanted):
            article = texts[i]
            dates.append(article.pop("date"))
            articles.append({**article, "source": source})
            out_labels.append(wanted[i])
    return articles, out_labels, dates


def training_sources(n_corpus: int, real: list[dict]) -> dict:
    """What a model learned from, for its card: the authored corpus and the real
    articles of each pool."""
    by_source: dict[str, int] = {}
    for article in real:
        by_source[article["source"]] = by_source.get(article["source"], 0) + 1
    return {"authored_corpus": n_corpus, "real_news": len(real),
            "real_news_by_source": by_source}


def _real_or_none(pool: str | os.PathLike | None) -> tuple[list, list, list] | None:
    try:
        return read_real(pool)
    except FileNotFoundError as exc:
        print(f"newsclass: training without real news: {exc}", file=sys.stderr)
        return None


def _is_may_2020(source: str, date: str) -> bool:
    return source == "rmrb_2019_2020" and date.startswith("202005")


def _is_session_2024(source: str, date: str) -> bool:
    return source == "xwlb_2013_2024" and "20240301" <= date <= "20240320"


def _is_xwlb_2024(source: str, date: str) -> bool:
    return source == "xwlb_2013_2024" and date >= "2024"


def _nothing(source: str, date: str) -> bool:
    return False


#: The time-split hold-outs recorded in the model card, by pool and date: name -> (is a
#: test article, is left out of training besides the test articles). People's Daily of
#: May 2020 (an NPC-session month; trained on everything else) and the 新闻联播 NPC
#: session weeks of 2024 (trained on 新闻联播 of 2013-2023 and the other pools).
HOLDOUTS = {
    "holdout_may_2020": (_is_may_2020, _nothing),
    "holdout_xwlb_session_2024": (_is_session_2024, _is_xwlb_2024),
}


def holdout_split(name: str, articles: list, labels: list[str],
                  real: tuple[list, list, list]) -> tuple[list, list, list, list]:
    """Training data (the corpus and the real articles outside the hold-out) and test
    data (the real articles of the hold-out `name`, see :data:`HOLDOUTS`)."""
    is_test, left_out = HOLDOUTS[name]
    ra, rl, dates = real
    where = [(a["source"], d) for a, d in zip(ra, dates, strict=True)]
    test = [i for i, (s, d) in enumerate(where) if is_test(s, d)]
    train = [i for i, (s, d) in enumerate(where) if not is_test(s, d) and not left_out(s, d)]
    return (articles + [ra[i] for i in train], labels + [rl[i] for i in train],
            [ra[i] for i in test], [rl[i] for i in test])


def default_checks(articles: list, labels: list, real: tuple[list, list, list] | None,
                   cv: int = 5) -> dict:
    """What the card of the default recipe records: cross-validation on the authored
    corpus alone, and each hold-out of :data:`HOLDOUTS` when there are real articles
    (:mod:`newsclass.fitting` checks); nothing when `cv` is 0."""
    from newsclass.fitting import CrossValidation, HoldOut

    if not cv:
        return {}
    checks: dict = {"cv": CrossValidation(articles, labels, cv)}
    for name in HOLDOUTS if real else ():
        train, train_labels, test, test_labels = holdout_split(name, articles, labels, real)
        checks[name] = HoldOut(train, train_labels, test, test_labels,
                               noted={"trained_on_real": len(train) - len(articles)})
    return checks


def train_default(corpus: str | os.PathLike | None = None, out: str | os.PathLike | None = None,
                  cv: int = 5, pool: str | os.PathLike | None = None, real: bool = True,
                  jobs: int | None = -1):
    """Train the default model from the authored corpus and the labelled real articles.

    Deterministic. The real articles' labels are in the project (``seeds/real``); their
    texts are read from the pools beside it (:func:`read_real`). Without the pools the
    model is trained on the corpus alone, with a message saying so.

    Parameters
    ----------
    corpus : path-like or None
        Corpus folder; ``None`` is the bundled corpus.
    out : path-like or None
        Where to save the model (and its card beside it); ``None`` saves nothing.
    cv : int, default=5
        Folds of the cross-validation of the recipe on the authored corpus recorded in
        the card; 0 skips it and the real-news hold-outs.
    pool : path-like or None
        The folder of the pools of real articles; ``None`` looks for it
        (:func:`find_real_pool`).
    real : bool, default=True
        Use the real articles; ``False`` trains on the corpus alone.
    jobs : int or None, default=-1
        Fits run at once (:func:`newsclass.fitting.fit_and_validate`): ``-1`` is one per
        CPU.

    Returns
    -------
    NewsClassifier
        Its ``metrics_`` has ``cv`` (the recipe on the corpus alone) and each hold-out
        of :data:`HOLDOUTS` (trained without it, scored on it); ``training_data_`` says
        what it learned from, pool by pool.
    """
    from newsclass.fitting import fit_and_validate

    articles, labels = read_corpus(corpus)
    found = _real_or_none(pool) if real else None
    ra, rl = (found[0], found[1]) if found else ([], [])
    model, metrics = fit_and_validate(DEFAULT_PARAMS, articles + ra, labels + rl,
                                      default_checks(articles, labels, found, cv), jobs=jobs)
    model.metrics_ = metrics
    model.training_data_ = training_sources(len(articles), ra)
    if out is not None:
        save_model(model, out)
    return model


def load_default_model() -> Any:
    """Load the default model bundled with newsclass.

    Returns
    -------
    PortableClassifier

    Raises
    ------
    ModelFileError
        If no default model is bundled, or the bundled file fails its checks.
    """
    path = default_model_path()
    if not path.is_file():
        raise ModelFileError(f"no default model is bundled with this newsclass ({path} is "
                             "missing); rebuild it with: newsclass train --default")
    return read_model(path)


def default_model_path() -> Path:
    """The bundled default model file (inside the package)."""
    return package_data() / MODEL_NAME


def load_model(path: str | os.PathLike | None = None, verify: bool = True) -> Any:
    """Load a model file, or the default model bundled with newsclass.

    A portable file (``*.npz``, as the default model) is checked against the card
    inside it and never runs code; a joblib file's SHA-256 is checked against its card
    before it is unpickled (:func:`newsclass.persistence.read_model`).

    .. warning:: A joblib file is a pickle and runs code when loaded. Load only joblib
       files from a source you trust.

    Parameters
    ----------
    path : str, path-like or None, default=None
        The model file; ``None`` loads the default model (:func:`load_default_model`).
    verify : bool, default=True
        Check the file against its model card. ``False`` loads a file without a card.

    Returns
    -------
    NewsClassifier or PortableClassifier

    Raises
    ------
    ModelFileError
        If the file or its card is missing, the file does not match its card, or it
        cannot be read.
    """
    if path is None:
        return load_default_model()
    return read_model(path, verify=verify)


def as_model(model: Any) -> Any:
    """A fitted model as given, or loaded from a model file, or the default for None.

    Parameters
    ----------
    model : NewsClassifier, str, path-like or None

    Returns
    -------
    NewsClassifier
    """
    if model is None or isinstance(model, (str, os.PathLike)):
        return load_model(model)
    return model
