"""Separate views of an article — headline, lead, the body read — each scored by its own
linear model, and a second-stage logistic regression that learns how much each view
counts, on the validation splits of ``real_news.py --search``.

    python benchmarks/views.py [--lead 200]

For each validation split the training data are the search's (no hold-out, no
validation article). Each view is a TF-IDF of words and character n-grams with the
default recipe's settings (naive-Bayes term weights, ``LinearSVC(C=4)``):

- *headline*: the headline alone;
- *lead*: the first `--lead` characters of the normalised body;
- *full*: the default recipe's features (headline block, words and characters of the
  headline and the first 1,000 characters of the body).

The second stage is a multinomial logistic regression on the three views' SVM scores.
It is trained on scores each training article got from view models fitted **without
its source** (the authored corpus and each pool of real news in turn), so that it
learns how far each view carries to a source it has not seen; at test time the views
are fitted on all the training data. Printed: macro-F1 of each view alone (its own
SVM scores, argmax), of the stack, and of the stack with `other` weighted by factors.
Segmentation is done once per article and cached in the temporary folder.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import time

import numpy as np
from real_news import CACHE, VALIDATION, load, pooled, scores

from newsclass.documents import Document
from newsclass.features import TextFeatures
from newsclass.grams import prepare_documents
from newsclass.model import nb_term_weights
from newsclass.segment import Segmenter

FEATURES = {"min_df": 5, "char_weight": 1.4, "title_weight": 1.0}
VIEWS = ("headline", "lead", "full")


def prepared_views(data: tuple, lead: int) -> dict[str, list]:
    """view -> the prepared articles (title words, words, text) of every article."""
    articles, labels = data[0], data[1]
    digest = hashlib.sha256(json.dumps([lead, labels, [a.get("id") for a in articles]])
                            .encode()).hexdigest()[:16]
    path = CACHE / f"views-{digest}.pkl"
    if path.exists():
        return pickle.loads(path.read_bytes())
    seg = Segmenter()
    docs = [Document(a["title"], a["body"]) for a in articles]
    out = {"full": prepare_documents(docs, seg, body_chars=1000),
           "headline": prepare_documents([Document(d.title, "") for d in docs], seg),
           "lead": prepare_documents([Document("", d.body) for d in docs], seg,
                                     body_chars=lead)}
    CACHE.mkdir(exist_ok=True)
    path.write_bytes(pickle.dumps(out))
    return out


def _view_scores(prepared: list, y: np.ndarray, train: np.ndarray,
                 test: np.ndarray, C: float) -> np.ndarray:
    """SVM scores of `test` articles from one view's model fitted on `train`."""
    from sklearn.preprocessing import normalize
    from sklearn.svm import LinearSVC

    features = TextFeatures(**FEATURES)
    features.segmenter_ = Segmenter()
    fit = features._fit_prepared([prepared[i] for i in train])
    weights = nb_term_weights(fit, y[train], 0.5)
    svm = LinearSVC(C=C, random_state=0).fit(normalize(fit.multiply(weights).tocsr()),
                                             y[train])
    x = features.transform_prepared([prepared[i] for i in test])
    return svm.decision_function(normalize(x.multiply(weights).tocsr()))


def split_scores(views: dict, y: np.ndarray, groups: np.ndarray, train: np.ndarray,
                 test: np.ndarray, C: float) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-source scores of the training articles, and the test articles' scores, of
    every view side by side."""
    oof = np.zeros((len(train), len(VIEWS) * len(np.unique(y))))
    out = []
    for k, view in enumerate(VIEWS):
        cols = slice(k * len(np.unique(y)), (k + 1) * len(np.unique(y)))
        for g in np.unique(groups[train]):
            inside = groups[train] == g
            oof[inside, cols] = _view_scores(views[view], y, train[~inside], train[inside], C)
        out.append(_view_scores(views[view], y, train, test, C))
    return oof, np.hstack(out)


def run(data: tuple, lead: int, C: float = 4.0) -> dict:
    """name -> (per view and the stack: (truth, classes, proba)), cached."""
    from sklearn.linear_model import LogisticRegression

    _, labels, sources, dates = data
    y = np.asarray(labels, dtype=object)
    classes = sorted(set(labels))
    groups = np.asarray(sources)
    views = prepared_views(data, lead)
    results = {}
    for name, (is_test, left_out) in VALIDATION.items():
        key = hashlib.sha256(json.dumps([name, lead, C, labels]).encode()).hexdigest()[:16]
        path = CACHE / f"views-split-{key}.pkl"
        if path.exists():
            oof, tst, test = pickle.loads(path.read_bytes())
        else:
            where = list(zip(sources, dates, strict=True))
            test = np.array([i for i, (s, d) in enumerate(where) if is_test(s, d)])
            train = np.array([i for i, (s, d) in enumerate(where)
                              if not is_test(s, d) and not left_out(s, d)])
            oof, tst = split_scores(views, y, groups, train, test, C)
            oof = (oof, y[train])
            path.write_bytes(pickle.dumps((oof, tst, test)))
        truth = [labels[i] for i in test]
        stack = LogisticRegression(C=1.0, max_iter=2000).fit(*oof)
        per = {"stack": (truth, classes, stack.predict_proba(tst))}
        for k, view in enumerate(VIEWS):
            s = tst[:, k * len(classes):(k + 1) * len(classes)]
            e = np.exp(s - s.max(axis=1, keepdims=True))
            per[view] = (truth, classes, e / e.sum(axis=1, keepdims=True))
        results[name] = per
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lead", type=int, default=200, help="characters of the lead")
    args = parser.parse_args()
    start = time.perf_counter()
    results = run(load(), args.lead)
    print(f"{'model':<12}{'other x':>8}" + "".join(f"{n[5:][:22]:>24}" for n in VALIDATION)
          + f"{'mean':>8}{'pooled':>8}")
    for model in (*VIEWS, "stack"):
        for factor in (1.0, 0.85, 0.7, 0.5) if model == "stack" else (1.0,):
            per = {n: results[n][model] for n in VALIDATION}
            f1 = [scores(per[n], factor)["macro_f1"] for n in VALIDATION]
            print(f"{model:<12}{factor:>8}" + "".join(f"{x:>24.4f}" for x in f1)
                  + f"{np.mean(f1):>8.4f}{pooled(per, factor):>8.4f}")
    print(f"\n{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
