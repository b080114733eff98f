"""Test-set accuracy of NewsClassifier's defaults and the plain jieba + LinearSVC baseline.

Trains on THUCNews titles train+dev (19,981 titles) and scores the 10,000-title test
split once; also FewCLUE TNEWS (train_few_all -> test_public); newsclass with each
segmentation backend. Prints a Markdown table.
Run: ``python benchmarks/thucnews.py``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import jieba
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

sys.path.insert(0, str(Path(__file__).parent))
from _data import load_train_test, machine

from newsclass import NewsClassifier, Segmenter


def baseline():
    tok = jieba.Tokenizer()
    return make_pipeline(TfidfVectorizer(tokenizer=tok.lcut, token_pattern=None), LinearSVC())


def run(name: str, model, X, y, Xt, yt) -> None:
    t = time.perf_counter()
    model.fit(X, y)
    fit = time.perf_counter() - t
    t = time.perf_counter()
    pred = np.asarray(model.predict(Xt))
    rate = len(Xt) / (time.perf_counter() - t)
    print(f"| {name} | {np.mean(pred == np.asarray(yt)):.4f} | "
          f"{f1_score(yt, pred, average='macro'):.4f} | {fit:.1f} | {rate:,.0f} |", flush=True)


def main() -> None:
    print(f"# {machine()}")
    print("| data | model | test accuracy | test macro-F1 | fit s | predict articles/s |")
    print("|---|---|---|---|---|---|")
    sets = {
        "THUCNews titles": ("thucnews_titles", ["train", "dev"], "test"),
        "TNEWS FewCLUE": ("tnews_fewclue", ["train_few_all"], "test_public"),
    }
    for label, (name, train_splits, test_split) in sets.items():
        X, y, Xt, yt = load_train_test(name, train_splits, test_split)
        for model_name, model in [
                ("jieba + LinearSVC (baseline)", baseline()),
                ("NewsClassifier()", NewsClassifier()),
                ("NewsClassifier(segmenter=Segmenter(backend='jieba'))",
                 NewsClassifier(segmenter=Segmenter(backend="jieba")))]:
            print(f"| {label} ", end="")
            run(model_name, model, X, y, Xt, yt)


if __name__ == "__main__":
    main()
