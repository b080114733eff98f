"""newsclass serve over real HTTP on loopback: the four endpoints, refusals, never a 500."""

from __future__ import annotations

import inspect
import json
import re
import signal
import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("fastapi", reason="newsclass[web] is not installed")

from tests.clitools import newsclass
from tests.conftest import examples
from tests.webtools import SEED, Server

CONGRESS = {"title": "市人大常委会召开第十二次会议",
            "body": "会议审议了地方性法规草案，人大代表提出意见建议。"}


@pytest.fixture(scope="module")
def api():
    s = Server("serve", "--max-bytes", "200000")
    yield s
    s.stop()


def test_health_model_card_and_docs(api):
    status, health = api.json("/healthz")
    assert status == 200 and health["status"] == "ok" and "congress" in health["labels"]
    status, card = api.json("/v1/model")
    assert status == 200 and card["format"] == "newsclass-portable/1"  # the bundled model
    assert sorted(card["labels"]) == sorted(health["labels"])
    status, schema = api.json("/openapi.json")
    assert {"/v1/label", "/v1/split", "/v1/model", "/healthz"} <= set(schema["paths"])
    status, page = api.request("/docs")
    text = page.decode()
    assert status == 200 and "/v1/label" in text and "/v1/split" in text
    # nothing fetched from elsewhere: no scripts, no style sheets, no images
    assert "cdn" not in text.lower()
    assert not any(tag in text.lower() for tag in ("<script", "<link", "<img", "@import"))


def test_label_one_article_with_options(api):
    status, one = api.json("/v1/label", {**CONGRESS, "top_k": 2, "explain": 3, "id": 7})
    assert status == 200
    assert one["label"] == "congress" and one["label_zh"] == "人大" and one["id"] == 7
    assert len(one["top"]) == 2 and 0 < len(one["terms"]) <= 3
    status, text_only = api.json("/v1/label", {"text": CONGRESS["body"], "threshold": 1})
    assert status == 200 and text_only["label"] == "other"  # nothing reaches threshold 1


def test_label_a_list(api):
    articles = [CONGRESS, {"text": "高考首日考场秩序井然，考生陆续进入考点"}, {"title": "只有标题"}]
    status, reply = api.json("/v1/label", {"articles": articles[:2], "top_k": 1})
    assert status == 200
    assert [r["label"] for r in reply["results"]] == ["congress", "education"]
    assert all(len(r["top"]) == 1 for r in reply["results"])
    status, reply = api.json("/v1/label", {"articles": []})
    assert status == 200 and reply == {"results": []}


@pytest.mark.parametrize(("body", "loc"), [
    ({"title": "x"}, ["body", "body"]),
    ({"body": 5}, ["body", "body"]),
    ({"body": "x", "text": "y"}, ["body", "text"]),
    ({"body": "  "}, ["body", "body"]),
    ({"articles": [CONGRESS, {"body": "x", "title": ["a"]}]}, ["body", "articles", 1, "title"]),
    ({"articles": "x"}, ["body", "articles"]),
    ({**CONGRESS, "top_k": 0}, ["body", "top_k"]),
    ({**CONGRESS, "explain": "3"}, ["body", "explain"]),
    ({**CONGRESS, "threshold": 2}, ["body", "threshold"]),
    ([CONGRESS], ["body"]),
])
def test_a_bad_body_is_422_naming_the_field(api, body, loc):
    status, reply = api.json("/v1/label", body)
    assert status == 422
    assert reply["detail"][0]["loc"] == loc and reply["detail"][0]["msg"]


def test_not_json_and_too_large(api):
    status, reply = api.json("/v1/label", b"{not json")
    assert status == 422 and "not valid JSON" in reply["detail"][0]["msg"]
    status, reply = api.json("/v1/label", {"body": "人" * 100_000})
    assert status == 413 and reply["detail"][0]["type"] == "too_large"
    status, reply = api.json("/v1/label", {"articles": [{"text": "a"}] * 1001})
    assert status == 413 and "1000" in reply["detail"][0]["msg"]


def test_split_a_page(api):
    page = SEED.read_text(encoding="utf-8")
    status, reply = api.json("/v1/split", {"page": page, "top_k": 1})
    truth = json.loads((SEED.parent / "seed_page_labels.json").read_text(encoding="utf-8"))
    assert status == 200 and len(reply["articles"]) == len(truth["pieces"]) == 8
    assert [a["label"] for a in reply["articles"]] == [p["label"] for p in truth["pieces"]]
    first = reply["articles"][0]
    assert first["title"] in page[first["start"]:first["end"]]
    status, as_text = api.json("/v1/split", {"text": page, "top_k": 1})
    assert status == 200 and as_text == reply  # {"text"}, as /v1/label takes it
    status, refused = api.json("/v1/split", {"text": page, "page": page})
    assert status == 422 and refused["detail"][0]["loc"] == ["body", "text"]
    status, refused = api.json("/v1/split", {"body": page})
    assert status == 422 and refused["detail"][0]["loc"] == ["body", "page"]


def test_requests_are_served_concurrently(api):
    results, errors = [], []

    def client():
        try:
            for _ in range(5):
                results.append(api.json("/v1/label", CONGRESS)[1]["label"])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and results == ["congress"] * 40


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                               max_size=4),
    max_leaves=12)
FIELDS = st.sampled_from(["title", "body", "text", "id", "articles", "top_k", "explain",
                          "threshold", "page"])
NEAR = st.dictionaries(FIELDS, JSON | st.lists(st.dictionaries(FIELDS, JSON, max_size=4),
                                               max_size=3), max_size=5)


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(body=JSON | NEAR, path=st.sampled_from(["/v1/label", "/v1/split"]))
def test_any_json_gets_an_answer_never_a_500(api, body, path):
    status, raw = api.request(path, json.dumps(body).encode())
    assert status in (200, 413, 422), (status, raw[:300])
    reply = json.loads(raw)
    if status != 200:
        assert reply["detail"][0]["loc"][0] == "body"


def test_ctrl_c_stops_quietly():
    s = Server("serve")
    s.stop(signal.SIGINT)
    assert s.proc.returncode == 130, s.proc.stderr_text
    assert "Traceback" not in s.proc.stderr_text and "Error" not in s.proc.stderr_text
    assert "stopped" in s.proc.stderr_text


def _peak_rss_reset(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as fh:
            fh.write("5")  # resets the peak resident size (VmHWM)
        return True
    except OSError:
        return False


def _peak_rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))


def test_an_oversized_body_gets_413_also_from_urllib(api):
    # urllib sends the whole body before it reads the answer: the server reads and
    # discards it, so the client sees the 413 instead of a reset connection
    measured = _peak_rss_reset(api.proc.pid)
    before = _peak_rss_kb(api.proc.pid) if measured else 0
    body = b'{"body": "' + b"x" * (30 * 1024 * 1024) + b'"}'
    status, raw = api.request("/v1/label", body)
    assert status == 413 and json.loads(raw)["detail"][0]["type"] == "too_large"
    if measured:  # never the whole body in memory
        assert _peak_rss_kb(api.proc.pid) - before < 10 * 1024
    assert api.json("/healthz")[0] == 200


TOKEN = "tok-" + "s3cr3t" * 4


def _auth(token: str = TOKEN) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _refused(server, path, data=None, headers=None) -> None:
    status, reply = server.json(path, data, headers=headers)
    assert status == 401, (path, status, reply)
    assert reply["detail"][0]["type"] == "unauthorized" and "Bearer" in reply["detail"][0]["msg"]


def test_a_token_guards_every_request_but_healthz():
    s = Server("serve", "--token", TOKEN)
    try:
        assert s.json("/healthz")[0] == 200
        for path, data in (("/v1/model", None), ("/openapi.json", None),
                           ("/v1/label", CONGRESS), ("/v1/split", {"page": "x"})):
            _refused(s, path, data)
            _refused(s, path, data, headers=_auth("wrong"))
            _refused(s, path, data, headers={"Authorization": TOKEN})  # no scheme
        assert s.request("/docs")[0] == 401
        # a refused body, even a large one, is read before the answer (urllib sees 401)
        _refused(s, "/v1/label", {"articles": [CONGRESS] * 500})
        status, one = s.json("/v1/label", CONGRESS, headers=_auth())
        assert status == 200 and one["label"] == "congress"
        assert s.json("/v1/model", headers={"Authorization": f"bearer {TOKEN}"})[0] == 200
        assert s.request("/docs", headers=_auth())[0] == 200
    finally:
        s.stop()


def test_the_token_from_the_environment():
    s = Server("serve", env={"NEWSCLASS_TOKEN": TOKEN})
    try:
        _refused(s, "/v1/label", CONGRESS)
        assert s.json("/v1/label", CONGRESS, headers=_auth())[0] == 200
    finally:
        s.stop()


def test_loopback_without_a_token_needs_none(api):
    assert api.json("/v1/label", CONGRESS)[0] == 200
    assert api.json("/v1/label", CONGRESS, headers=_auth("anything"))[0] == 200


def test_another_host_gets_a_generated_token_printed_once():
    s = Server("serve", "--host", "0.0.0.0")
    try:
        announced = s.proc.stdout.readline().decode()
        match = re.search(r"token: (\S+)", announced)
        assert match, announced
        token = match.group(1)
        assert len(token) >= 32
        _refused(s, "/v1/label", CONGRESS)
        assert s.json("/v1/label", CONGRESS, headers=_auth(token))[0] == 200
        assert s.json("/healthz")[0] == 200
    finally:
        s.stop(signal.SIGINT)
    assert s.proc.stderr_text.count(token) == 0  # printed once, on standard output
    assert "other machines" in s.proc.stderr_text


def test_a_slow_request_gets_503_within_the_time_limit():
    s = Server("serve", "--timeout", "0.3")
    try:
        text = "".join(a["body"] for a in (CONGRESS,)) * 60
        started = time.monotonic()
        status, reply = s.json("/v1/label", {"articles": [{"text": text}] * 1000})
        assert time.monotonic() - started < 5
        assert status == 503 and reply["detail"][0]["type"] == "timeout"
        assert "0.3" in reply["detail"][0]["msg"]
        # The abandoned work stops at its next step, and the server answers again (a
        # busy machine may need a few tries at this time limit).
        deadline = time.monotonic() + 20
        while (status := s.json("/v1/label", CONGRESS)[0]) == 503:
            assert time.monotonic() < deadline, "still 503 after 20 s"
            time.sleep(0.5)
        assert status == 200
    finally:
        s.stop()


@pytest.mark.parametrize("args", [("--token", ""), ("--token", "two words here, no"),
                                  ("--timeout", "0"), ("--timeout", "-1"),
                                  ("--timeout", "soon")])
def test_bad_token_or_timeout_is_a_usage_error(args):
    err = newsclass("serve", *args, "--port", "0", code=2).stderr.decode()
    assert args[0] in err and "unrecognized" not in err


def test_serve_app_takes_the_options_of_the_command():
    from newsclass.serve import serve_app

    names = inspect.signature(serve_app).parameters
    assert {"model", "max_bytes", "token", "timeout"} <= set(names)
    assert names["timeout"].default == 30 and names["token"].default is None
    with pytest.raises(ValueError, match="token"):
        serve_app(token="a b")
    with pytest.raises(ValueError, match="timeout"):
        serve_app(timeout=0)


def test_which_hosts_need_a_token():
    from newsclass.webapp import is_loopback, server_token

    for host in ("127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"):
        assert is_loopback(host) and server_token(host, None) == (None, False)
    for host in ("0.0.0.0", "::", "192.0.2.7", "example.org"):
        token, generated = server_token(host, None)
        assert not is_loopback(host) and generated and len(token) >= 32
    assert server_token("127.0.0.1", TOKEN) == (TOKEN, False)
    assert server_token("0.0.0.0", TOKEN) == (TOKEN, False)
    with pytest.raises(ValueError, match="empty"):
        server_token("0.0.0.0", "")
