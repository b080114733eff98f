"""Segmentation speed: newsclass.Segmenter against calling jieba directly.

Segments the bodies of the bundled corpus (seeds/corpus) several times over and reports
MB/s (UTF-8 bytes) for each way, best of 5 runs. Run: ``python benchmarks/segment_speed.py``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import jieba

sys.path.insert(0, str(Path(__file__).parent))
from _data import machine

from newsclass import Segmenter

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
    jieba.initialize()
    plain = Segmenter(user_dict=None, stopwords=None)
    rows = [
        ("jieba.lcut (global tokenizer, HMM on)", jieba.lcut),
        ("jieba.lcut(HMM=False)", lambda t: jieba.lcut(t, HMM=False)),
        ("Segmenter(hmm=True, no dictionary or stopwords)",
         Segmenter(user_dict=None, stopwords=None, hmm=True).cut),
        ("Segmenter() (defaults: HMM off, news dictionary, stopwords)", Segmenter().cut),
        ("Segmenter(no dictionary or stopwords)", plain.cut),
    ]
    print(f"# {len(texts)} texts, {mb:.1f} MB; {machine()}")
    print("| segmenter | MB/s |")
    print("|---|---|")
    for name, fn in rows:
        fn("预热")
        print(f"| {name} | {best_rate(fn, texts, mb):.2f} |", flush=True)


if __name__ == "__main__":
    main()
