"""``newsclass label`` with one and two processes, beside the plain baseline, on one file.

    python benchmarks/label_scaling.py [--mb 40]

Writes a JSON-lines file of ``--mb`` megabytes (the bundled corpus repeated under fresh
ids), then times, on that same file and in this same run:

- ``newsclass label FILE -o OUT --jobs 1`` and ``--jobs 2`` (the bundled default model,
  a fresh process each, so loading is included);
- the plain baseline: jieba + scikit-learn ``TfidfVectorizer`` + ``LinearSVC``, fitted on
  the corpus beforehand (not timed), reading the same JSON lines and writing one JSON
  record per article, in one process — what a user would write by hand.

Also times two independent ``--jobs 1`` runs on the two halves of the file, started
together: the most two processes can give on this machine (each loads the model and
starts Python once, and they share the memory bus).

Prints wall seconds and MB/s of each, and the ratios the issue asks about
(``--jobs 2`` over ``--jobs 1``, beside that ceiling; ``--jobs 2`` over the baseline).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _data import machine
from batch_memory import write_input

_BASELINE = r"""
import json, sys, time
import jieba
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC
from newsclass.default_model import read_corpus

articles, labels = read_corpus()
tok = jieba.Tokenizer()
tok.initialize()
model = make_pipeline(TfidfVectorizer(tokenizer=tok.lcut, token_pattern=None), LinearSVC())
model.fit([f"{a['title']}\n{a['body']}" for a in articles], labels)
start = time.perf_counter()
with open(sys.argv[1], encoding="utf-8") as src, open(sys.argv[2], "w", encoding="utf-8") as out:
    batch = []
    def flush():
        texts = [f"{r.get('title', '')}\n{r['text']}" for r in batch]
        for r, label in zip(batch, model.predict(texts)):
            out.write(json.dumps({"id": r["id"], "label": str(label)}, ensure_ascii=False) + "\n")
        batch.clear()
    for line in src:
        batch.append(json.loads(line))
        if len(batch) == 256:
            flush()
    flush()
print(time.perf_counter() - start)
"""


def timed(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True)
    return time.perf_counter() - start


def _halves_side_by_side(src: Path, tmp: Path) -> float:
    """Wall time of two independent ``--jobs 1`` runs, one on each half of the file,
    started together: what two processes can do on this machine with no coordination."""
    lines = src.read_bytes().splitlines(keepends=True)
    halves = [tmp / "half1.jsonl", tmp / "half2.jsonl"]
    halves[0].write_bytes(b"".join(lines[:len(lines) // 2]))
    halves[1].write_bytes(b"".join(lines[len(lines) // 2:]))
    start = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-m", "newsclass", "label", str(h), "-o",
                               str(h.with_suffix(".out.jsonl")), "-q", "--jobs", "1"])
             for h in halves]
    if any(p.wait() for p in procs):
        raise SystemExit("a half run failed")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=40.0)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "big.jsonl"
        n, mb = write_input(src, opts.mb)
        print(f"# {n:,} articles, {mb:.1f} MB of JSON lines; {machine()}")
        walls = {}
        for jobs in ("1", "2"):
            out = Path(tmp) / f"out{jobs}.jsonl"
            walls[jobs] = timed([sys.executable, "-m", "newsclass", "label", str(src), "-o",
                                 str(out), "-q", "--jobs", jobs])
            assert sum(1 for _ in open(out, encoding="utf-8")) == n
        walls["halves"] = _halves_side_by_side(src, Path(tmp))
        base_out = Path(tmp) / "baseline.jsonl"
        run = subprocess.run([sys.executable, "-c", _BASELINE, str(src), str(base_out)],
                             check=True, capture_output=True, text=True)
        walls["baseline"] = float(run.stdout.split()[-1])
        print("| run | wall s | MB/s |")
        print("|---|---|---|")
        for name, label in (("1", "newsclass label --jobs 1"), ("2", "newsclass label --jobs 2"),
                            ("halves", "two `--jobs 1` runs side by side, one per half "
                             "(the ceiling)"),
                            ("baseline", "jieba + TfidfVectorizer + LinearSVC, one process "
                             "(labelling only)")):
            print(f"| {label} | {walls[name]:.1f} | {mb / walls[name]:.2f} |")
        print(f"--jobs 2 / --jobs 1: {walls['1'] / walls['2']:.2f}x (ceiling "
              f"{walls['1'] / walls['halves']:.2f}x); "
              f"--jobs 2 / baseline: {walls['baseline'] / walls['2']:.2f}x")


if __name__ == "__main__":
    main()
