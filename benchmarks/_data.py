"""Readers for the public benchmark data in ../shared/bench (never copied here)."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

BENCH = Path(os.environ.get("NEWSCLASS_BENCH", Path(__file__).resolve().parents[1].parent
                            / "shared" / "bench"))


def load_split(dataset: str, split: str) -> tuple[list[str], list[str]]:
    """Texts and labels of one split, e.g. ``load_split("thucnews_titles", "train")``."""
    path = BENCH / dataset / f"{split}.jsonl"
    if not path.is_file():
        raise SystemExit(f"benchmark data not found: {path} (set NEWSCLASS_BENCH)")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [r["text"] for r in rows], [r["label"] for r in rows]


def load_train_test(dataset: str, train_splits: list[str], test_split: str
                    ) -> tuple[list[str], list[str], list[str], list[str]]:
    """Training texts and labels (the splits joined), then test texts and labels."""
    X, y = [], []
    for split in train_splits:
        texts, labels = load_split(dataset, split)
        X += texts
        y += labels
    return (X, y, *load_split(dataset, test_split))


def machine() -> str:
    """One line describing this machine."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"
