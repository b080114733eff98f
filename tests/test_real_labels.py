"""The labels of real articles: kept by id, one file per pool, joined to the pools at run time."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from newsclass.default_model import REAL_LABELS, REAL_SOURCES, find_real_pool, read_real

ROOT = Path(__file__).resolve().parents[1]
LABELS = {"tech", "congress", "education", "charity", "other"}
FIELDS = {"id", "label", "confident", "note", "decided", "readings", "drawn"}


@pytest.fixture(scope="module")
def pools():
    out = {}
    for path in sorted((ROOT / REAL_LABELS).glob("*.labels.jsonl")):
        lines = path.read_text(encoding="utf-8").splitlines()
        out[path.name[:-len(".labels.jsonl")]] = [json.loads(x) for x in lines if x.strip()]
    return out


def test_one_labels_file_per_pool(pools):
    assert set(pools) == set(REAL_SOURCES)
    ids = [r["id"] for rows in pools.values() for r in rows]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("pool, least, drawn", [
    ("rmrb_2019_2020", 7000, {"candidate", "random", "rest-of-may", "rest"}),
    ("xwlb_2013_2024", 6966, {"candidate", "rest"}),
    ("qqnews_2023", 5696, {"candidate", "rest"})])
def test_labels_are_by_id_only_with_the_agreed_fields(pools, pool, least, drawn):
    rows = pools[pool]
    assert len(rows) >= least
    for r in rows:
        assert set(r) == FIELDS
        assert r["label"] in LABELS and isinstance(r["confident"], bool)
        assert r["drawn"] in drawn and 1 <= r["readings"] <= 3
        assert len(r["note"]) <= 300  # a note, never an article's text
    assert sum(r["readings"] >= 2 for r in rows) >= 300
    assert set(Counter(r["label"] for r in rows)) == LABELS


def test_the_hold_out_months_are_labelled_whole(pools):
    months = Counter(r["id"][:6] for r in pools["rmrb_2019_2020"])
    assert months["202005"] >= 600
    session_2024 = [r for r in pools["xwlb_2013_2024"] if r["id"].startswith("xwlb:202403")]
    assert len(session_2024) >= 200


@pytest.mark.skipif(find_real_pool() is None, reason="the pools of real articles are not here")
def test_labels_join_to_the_pools(pools):
    articles, labels, dates = read_real()
    present = {p.name[:-len(".jsonl.gz")] for p in find_real_pool().glob("*.jsonl.gz")}
    rows = [r for name, rs in pools.items() if name in present for r in rs]
    assert len(articles) == len(rows) and Counter(labels) == Counter(r["label"] for r in rows)
    assert all(a["body"] and a["title"] for a in articles[:50])
    assert {a["source"] for a in articles} == present & set(REAL_SOURCES)
    assert all(len(d) == 8 and d.isdigit() for d in dates)


def test_no_text_of_the_pools_is_in_the_project():
    if find_real_pool() is None:
        pytest.skip("the pools of real articles are not here")
    articles, _, _ = read_real()
    tracked = "".join(p.read_text(encoding="utf-8", errors="ignore")
                      for p in (ROOT / "seeds").rglob("*") if p.is_file())
    # A 30-character piece of any labelled body would mean copied text.
    for a in articles[::40]:
        body = a["body"].replace("\n", "")
        piece = body[len(body) // 2:len(body) // 2 + 30]
        assert len(piece) < 30 or piece not in tracked
