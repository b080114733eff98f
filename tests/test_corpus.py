"""Checks on the labelled corpus in seeds/corpus that the default model is trained from."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[1] / "seeds" / "corpus"
LABELS = {"tech", "congress", "education", "charity", "other"}
GENRES = {"消息", "简讯", "通讯", "评论", "专访", "会议报道", "图片新闻说明", "全文", "综述"}
MINIMUM = {"tech": 150, "congress": 150, "education": 150, "charity": 150, "other": 300}


@pytest.fixture(scope="module")
def rows():
    out = []
    for path in sorted(CORPUS.glob("*.jsonl")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                out.append((f"{path.name}:{n}", json.loads(line)))
    assert out, f"no corpus in {CORPUS}"
    return out


def test_schema_and_label_validity(rows):
    bad = [where for where, r in rows
           if set(r) != {"id", "label", "title", "text", "subtopic", "genre"}
           or r["label"] not in LABELS or r["genre"] not in GENRES
           or not all(isinstance(r[k], str) and r[k].strip() for k in r)]
    assert bad == []


def test_counts_per_label(rows):
    counts = Counter(r["label"] for _, r in rows)
    short = {k: (counts[k], v) for k, v in MINIMUM.items() if counts[k] < v}
    assert short == {}


def test_subtopics_per_label(rows):
    subtopics = defaultdict(set)
    for _, r in rows:
        subtopics[r["label"]].add(r["subtopic"])
    assert {k: len(v) for k, v in subtopics.items() if len(v) < 12} == {}


def test_length_spread(rows):
    lengths = [len(r["text"]) for _, r in rows]
    # Briefs may be a headline and one sentence (the short items of the hard cases).
    assert min(n for n, (_, r) in zip(lengths, rows, strict=True) if r["genre"] != "简讯") >= 120
    assert min(lengths) >= 20 and max(lengths) <= 1200
    short = sum(n < 300 for n in lengths) / len(lengths)
    assert 0.25 <= short <= 0.45
    assert sum(n >= 600 for n in lengths) / len(lengths) >= 0.05
    assert sum(n >= 800 for n in lengths) >= 10


def test_unique_ids(rows):
    dupes = [k for k, v in Counter(r["id"] for _, r in rows).items() if v > 1]
    assert dupes == []


def test_no_near_duplicates(rows):
    """No two articles share more than 40% of their character 5-grams."""
    grams = [{t[i:i + 5] for i in range(len(t) - 4)} for t in (r["text"] for _, r in rows)]
    index = defaultdict(list)
    for j, g in enumerate(grams):
        for x in g:
            index[x].append(j)
    pairs = []
    for j, g in enumerate(grams):
        shared = Counter(k for x in g for k in index[x] if k > j)
        for k, c in shared.items():
            if c / min(len(g), len(grams[k])) > 0.40:
                pairs.append((rows[j][0], rows[k][0]))
    assert pairs == []


def test_no_body_contains_another_opening(rows):
    openings = {r["text"][:30]: where for where, r in rows}
    hits = [(where, openings[o]) for where, r in rows for o in openings
            if openings[o] != where and o in r["text"]]
    assert hits == []


def test_seed_page_is_not_training_data(rows):
    """No corpus article shares a 20-character run with the seed page (the acceptance
    test); fixed terms such as 民生实事项目人大代表票决制 are shorter than that."""
    n = 20
    page = (CORPUS.parent / "000_5c64d9000366f065.txt").read_text(encoding="utf-8")
    page_grams = {page[i:i + n] for i in range(len(page) - n + 1)}
    leaked = [where for where, r in rows
              if any(r["text"][i:i + n] in page_grams for i in range(len(r["text"]) - n + 1))]
    assert leaked == []
