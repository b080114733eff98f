"""The labels of real articles: kept by id, joined to the pool at run time."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from newsclass.default_model import REAL_LABELS, find_real_pool, read_real

ROOT = Path(__file__).resolve().parents[1]
LABELS = {"tech", "congress", "education", "charity", "other"}


@pytest.fixture(scope="module")
def rows():
    lines = (ROOT / REAL_LABELS).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_labels_are_by_id_only_with_the_agreed_fields(rows):
    assert len(rows) >= 3000
    assert len({r["id"] for r in rows}) == len(rows)
    for r in rows:
        assert set(r) == {"id", "label", "confident", "note", "decided", "readings", "drawn"}
        assert r["label"] in LABELS and isinstance(r["confident"], bool)
        assert r["drawn"] in {"candidate", "random", "rest-of-may", "rest"}
        assert len(r["note"]) <= 300  # a note, never an article's text
    months = Counter(r["id"][:6] for r in rows)
    assert months["202005"] >= 600
    assert sum(r["readings"] >= 2 for r in rows) >= 300
    assert set(Counter(r["label"] for r in rows)) == LABELS


@pytest.mark.skipif(find_real_pool() is None, reason="the pool of real articles is not here")
def test_labels_join_to_the_pool(rows):
    articles, labels, dates = read_real()
    assert len(articles) == len(rows) and Counter(labels) == Counter(r["label"] for r in rows)
    assert all(a["body"] and a["title"] for a in articles[:50])
    assert dates[0].startswith("2019")


def test_no_text_of_the_pool_is_in_the_project(rows):
    pool = find_real_pool()
    if pool is None:
        pytest.skip("the pool of real articles is not here")
    articles, _, _ = read_real()
    tracked = "".join(p.read_text(encoding="utf-8", errors="ignore")
                      for p in (ROOT / "seeds").rglob("*") if p.is_file())
    # A 30-character piece of any labelled body would mean copied text.
    for a in articles[::40]:
        body = a["body"].replace("\n", "")
        piece = body[len(body) // 2:len(body) // 2 + 30]
        assert len(piece) < 30 or piece not in tracked
