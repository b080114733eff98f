"""The corrections file: append-only, on disk before it counts, safe to reopen."""

from __future__ import annotations

import json
import os

import pytest

from newsclass.corrections import (
    CORRECTION_FIELDS,
    CorrectionLog,
    CorrectionsError,
    make_correction,
    read_corrections,
)


def test_append_reopen_and_latest_decision_wins(tmp_path):
    path = tmp_path / "c.jsonl"
    log = CorrectionLog(path)
    log.append(make_correction("a", "s.txt", "h1", "other", "charity"))
    log.append(make_correction("b", "s.txt", "h2", "tech", "tech"))
    log.append(make_correction("a", "s.txt", "h1", "other", "education"))
    log.close()
    rows = read_corrections(path)
    assert [r["label"] for r in rows] == ["charity", "tech", "education"]
    assert all(list(r) == list(CORRECTION_FIELDS) for r in rows)
    again = CorrectionLog(path)
    assert again.decisions[("s.txt", "a")]["label"] == "education"
    assert len(again.decisions) == 2


def test_a_line_cut_short_by_a_crash_is_dropped_and_appending_goes_on(tmp_path):
    path = tmp_path / "c.jsonl"
    log = CorrectionLog(path)
    log.append(make_correction("a", "s", "h", "other", "tech"))
    log.close()
    with open(path, "ab") as fh:
        fh.write(b'{"id": "b", "source": "s", "text_sha2')  # killed mid-write
    assert len(read_corrections(path)) == 1
    log = CorrectionLog(path)
    log.append(make_correction("c", "s", "h3", "other", "charity"))
    log.close()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(x)["id"] for x in lines] == ["a", "c"]


def test_bad_lines_are_named(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text('{"id": "a"}\n', encoding="utf-8")
    with pytest.raises(CorrectionsError, match=r"c.jsonl line 1: field 'source' is missing"):
        read_corrections(path)
    path.write_text("not json\n", encoding="utf-8")
    with pytest.raises(CorrectionsError, match="line 1: not a JSON line"):
        CorrectionLog(path)
    with pytest.raises(CorrectionsError, match="cannot read"):
        read_corrections(tmp_path / "missing.jsonl")


def test_each_decision_is_fsynced(tmp_path, monkeypatch):
    synced = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real(fd)))
    log = CorrectionLog(tmp_path / "c.jsonl")
    log.append(make_correction("a", "s", "h", "other", "tech"))
    log.append(make_correction("b", "s", "h", "other", "tech"))
    assert len(synced) == 2
    log.close()
