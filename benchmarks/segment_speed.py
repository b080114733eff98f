"""Segmentation speed: newsclass.Segmenter against calling jieba directly, and its share
of the whole labelling pipeline.

Segments the bodies of the bundled corpus (seeds/corpus) several times over and reports
MB/s (UTF-8 bytes) for each way, best of 5 runs; then labels the same texts with the
default model (``predict``: normalisation, segmentation, features, classifier) with each
backend and reports the pipeline's MB/s and the share of its time spent segmenting.
Run: ``python benchmarks/segment_speed.py``.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

import jieba
import rjieba

sys.path.insert(0, str(Path(__file__).parent))
from _data import machine

from newsclass import Segmenter, load_model
from newsclass.segment import BACKENDS

ROOT = Path(__file__).resolve().parents[1]


def corpus_texts(repeat: int = 3) -> list[str]:
    texts = []
    for path in sorted((ROOT / "seeds" / "corpus").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(json.loads(line)["text"])
    return texts * repeat


def best_rate(fn, texts: list[str], mb: float) -> float:
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        for text in texts:
            fn(text)
        best = min(best, time.perf_counter() - t)
    return mb / best


def main() -> None:
    texts = corpus_texts()
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    fast = rjieba.Jieba()
    rows = [
        ("jieba.lcut (jieba's global tokenizer, HMM on)", jieba.lcut),
        ("jieba.lcut(HMM=False)", lambda t: jieba.lcut(t, HMM=False)),
        ("Segmenter(backend='jieba', user_dict=None, stopwords=None)",
         Segmenter(backend="jieba", user_dict=None, stopwords=None).cut),
        ("Segmenter(backend='jieba')", Segmenter(backend="jieba").cut),
        ("rjieba.Jieba().cut(HMM off)", lambda t: fast.cut(t, False)),
        ("Segmenter(user_dict=None, stopwords=None) (rjieba)",
         Segmenter(user_dict=None, stopwords=None).cut),
        ("Segmenter() (defaults: rjieba, HMM off, news dictionary, stopwords)",
         Segmenter().cut),
    ]
    print(f"# {len(texts)} texts, {mb:.1f} MB; {machine()}")
    print("| segmenter | MB/s |")
    print("|---|---|")
    for name, fn in rows:
        fn("预热")
        print(f"| {name} | {best_rate(fn, texts, mb):.2f} |", flush=True)

    print("\n| pipeline (default model, predict) | segmenter MB/s | pipeline MB/s | "
          "segmentation share |")
    print("|---|---|---|---|")
    model = load_model()
    for backend in BACKENDS:
        seg = Segmenter(backend=backend)
        model.features_.segmenter_ = seg
        model.predict(texts[:10])
        seg_rate = best_rate(seg.cut, texts, mb)
        pipe_rate = _pipeline_rate(model, texts, mb)
        print(f"| {backend} | {seg_rate:.2f} | {pipe_rate:.2f} | "
              f"{pipe_rate / seg_rate:.0%} |", flush=True)


def _pipeline_rate(model, texts: list[str], mb: float) -> float:
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        for i in range(0, len(texts), 256):
            model.predict(texts[i:i + 256])
        best = min(best, time.perf_counter() - t)
    return mb / best


if __name__ == "__main__":
    main()
