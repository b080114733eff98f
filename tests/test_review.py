"""newsclass review over real HTTP: the token, the order, the decisions, the texts."""

from __future__ import annotations

import json
import signal

import pytest

pytest.importorskip("starlette", reason="newsclass[web] is not installed")

from tests.clitools import newsclass
from tests.webtools import SEED, Server, label


@pytest.fixture(scope="module")
def seed_records(tmp_path_factory):
    folder = tmp_path_factory.mktemp("review")
    out = folder / "out.jsonl"
    label(SEED, "--keep-text", "-o", out, "-q")
    return out


@pytest.fixture(scope="module")
def server(seed_records):
    s = Server("review", seed_records, "--corrections", seed_records.parent / "c.jsonl")
    yield s
    s.stop()


def test_every_request_without_the_token_is_refused(server):
    for path in ("/", "/api/state", "/api/list", "/api/article/0", "/static/review.js"):
        assert server.request(path)[0] == 403
        assert server.request(path + "?token=wrong")[0] == 403
        assert server.request(path, headers={"X-Review-Token": "x" * 32})[0] == 403
    status, _ = server.request("/api/decision", {"pos": 0, "label": "tech"})
    assert status == 403
    assert server.request(f"/?token={server.token}")[0] == 200
    assert server.request("/static/review.js",
                          headers={"X-Review-Token": server.token})[0] == 200


def test_least_certain_first_with_counts_and_filters(server, seed_records):
    auth = {"X-Review-Token": server.token}
    _, listing = server.json("/api/list", headers=auth)
    items = listing["items"]
    assert len(items) == 8
    keys = [(i["confidence"], i["margin"]) for i in items]
    assert keys == sorted(keys)
    assert [i["pos"] for i in items] == list(range(8))
    records = [json.loads(x) for x in seed_records.read_text(encoding="utf-8").splitlines()]
    assert min(r["confidence"] for r in records) == items[0]["confidence"]
    assert {lab: c["model"] for lab, c in listing["counts"].items()} == {
        "tech": 1, "congress": 1, "education": 1, "charity": 1, "other": 4}
    _, only = server.json("/api/list?label=other&min=0.5&max=1", headers=auth)
    assert {i["label"] for i in only["items"]} == {"other"} and len(only["items"]) == 4
    _, found = server.json("/api/list?q=" + "票决制".encode().hex(), headers=auth)
    assert found["items"] == []
    from urllib.parse import quote
    _, found = server.json("/api/list?q=" + quote("票决制"), headers=auth)
    assert [i["label"] for i in found["items"]] == ["congress"]


def test_an_article_comes_with_its_terms_marked_in_its_text(server):
    auth = {"X-Review-Token": server.token}
    _, listing = server.json("/api/list?label=congress", headers=auth)
    _, art = server.json(f"/api/article/{listing['items'][0]['pos']}", headers=auth)
    body = "".join(piece for piece, _ in art["body"])
    assert "人大" in body and art["label"] == "congress" and art["label_zh"] == "人大"
    marked = [(piece, lab) for piece, lab in art["body"] if lab]
    assert marked and all(lab in {t["label"] for t in art["terms"]} for _, lab in marked)
    assert any(piece == "人大代表" or piece.startswith("人大") for piece, _ in marked)
    assert {t["label"] for t in art["terms"]} <= {art["top"][0]["label"], art["top"][1]["label"]}
    assert art["top"][0]["zh"] == "人大"


def test_decisions_are_checked_and_appended(server, seed_records):
    auth = {"X-Review-Token": server.token}
    for bad in ({"pos": 0, "label": "sports"}, {"pos": 99, "label": "tech"},
                {"pos": 0, "label": "tech", "path": "/etc/passwd"}, {"pos": "0"}, [1]):
        status, reply = server.json("/api/decision", bad, headers=auth)
        assert status == 422, bad
    status, reply = server.json("/api/decision", {"pos": 2, "label": "charity"}, headers=auth)
    assert status == 200 and reply["decision"] == "charity" and reply["reviewed"] == 1
    rows = [json.loads(x) for x in (seed_records.parent / "c.jsonl").read_text(
        encoding="utf-8").splitlines()]
    assert len(rows) == 1 and rows[0]["label"] == "charity"
    _, art = server.json("/api/article/2", headers=auth)
    assert rows[0]["id"] == art["id"] and rows[0]["model_label"] == art["label"]
    _, state = server.json("/api/state", headers=auth)
    assert state["reviewed"] == 1 and state["start"] == 0


def test_texts_from_the_inputs_when_the_records_lack_them(tmp_path):
    out = tmp_path / "plain.jsonl"
    label(SEED, "-o", out, "-q")
    s = Server("review", out, "--inputs", SEED)
    try:
        _, art = s.json("/api/article/0", headers={"X-Review-Token": s.token})
        assert len("".join(p for p, _ in art["body"])) > 100 and not art["snippet"]
    finally:
        s.stop()


def test_records_without_text_anywhere_are_a_usage_error(tmp_path):
    rows = [{"id": "x", "source": "-", "title": "t", "label": "tech", "top": {"tech": 0.9}}]
    out = tmp_path / "out.jsonl"
    out.write_text(json.dumps(rows[0]) + "\n", encoding="utf-8")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1}\n', encoding="utf-8")
    for path, words in ((out, "have no text"), (bad, "bad.jsonl line 1: field 'id'")):
        proc = newsclass("review", path, "--port", "0", code=2)
        assert words in proc.stderr.decode()


def test_another_host_is_warned_about(seed_records):
    s = Server("review", seed_records, "--host", "0.0.0.0",
               "--corrections", seed_records.parent / "other.jsonl")
    try:
        assert s.request(f"/?token={s.token}")[0] == 200
    finally:
        s.stop(signal.SIGINT)
    assert "other machines on the network can reach it" in s.proc.stderr_text


def test_ctrl_c_stops_quietly(seed_records):
    s = Server("review", seed_records, "--corrections", seed_records.parent / "ctrl-c.jsonl")
    s.stop(signal.SIGINT)
    assert s.proc.returncode == 130, s.proc.stderr_text
    assert "Traceback" not in s.proc.stderr_text and "Error" not in s.proc.stderr_text
    assert "stopped" in s.proc.stderr_text


def test_the_favicon_needs_no_token(server):
    status, body = server.request("/favicon.ico")
    assert status == 204 and body == b""
    assert server.request("/favicon.ico?token=wrong")[0] == 204
    assert server.request("/api/state")[0] == 403  # nothing else opens


def test_counts_per_label_follow_the_decisions(tmp_path, seed_records):
    s = Server("review", seed_records, "--corrections", tmp_path / "counts.jsonl")
    auth = {"X-Review-Token": s.token}
    try:
        _, state = s.json("/api/state", headers=auth)
        assert state["counts"]["other"] == {"model": 4, "now": 4, "reviewed": 0}
        _, listing = s.json("/api/list?label=other", headers=auth)
        pos = listing["items"][0]["pos"]
        _, reply = s.json("/api/decision", {"pos": pos, "label": "tech"}, headers=auth)
        assert reply["reviewed"] == 1 and reply["total"] == 8
        assert reply["counts"]["other"] == {"model": 4, "now": 3, "reviewed": 0}
        assert reply["counts"]["tech"] == {"model": 1, "now": 2, "reviewed": 1}
        _, reply = s.json("/api/decision", {"pos": pos, "label": "other"}, headers=auth)
        assert reply["reviewed"] == 1
        assert reply["counts"]["other"] == {"model": 4, "now": 4, "reviewed": 1}
        assert reply["counts"]["tech"] == {"model": 1, "now": 1, "reviewed": 0}
        _, state = s.json("/api/state", headers=auth)
        assert state["counts"] == reply["counts"]
    finally:
        s.stop()
