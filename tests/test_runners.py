"""``newsclass.runners``: chunks classified here or in worker processes, emitted in input
order, with an article the model fails on reported in its place."""

from __future__ import annotations

import os

import pytest

from newsclass.runners import DetailOptions, check_backend, classify, run_pool, run_serial


class Echo:
    """A model whose details say what it was asked and which process answered."""

    def predict_details(self, X, k=3, terms=0, threshold=None):
        if any("boom" in x for x in X):
            raise RuntimeError("boom")
        return [{"text": x, "k": k, "terms": terms, "threshold": threshold,
                 "pid": os.getpid()} for x in X]


class NoThreshold:
    """A model whose predict_details takes no threshold."""

    def predict_details(self, X, k=3, terms=0):
        return [{"text": x, "k": k} for x in X]


CHUNKS = [[f"article {c}.{i}" for i in range(1 + c % 4)] for c in range(23)]


def collect(runner, model, chunks, options, *args) -> list[list[dict]]:
    emitted: list[list[dict]] = []
    runner(model, iter(chunks), options, emitted.append, *args)
    return emitted


def test_serial_emits_each_chunk_in_order():
    options = DetailOptions(top_k=2, explain=5, threshold=0.4)
    emitted = collect(run_serial, Echo(), CHUNKS, options)
    assert [[d["text"] for d in chunk] for chunk in emitted] == CHUNKS
    assert {(d["k"], d["terms"], d["threshold"]) for c in emitted for d in c} == {(2, 5, 0.4)}


def test_a_pool_gives_the_serial_details_in_the_same_order():
    options = DetailOptions(top_k=1, explain=2)
    serial = collect(run_serial, Echo(), CHUNKS, options)
    pooled = collect(run_pool, Echo(), CHUNKS, options, 2)
    strip = [[{k: v for k, v in d.items() if k != "pid"} for d in c] for c in serial]
    assert [[{k: v for k, v in d.items() if k != "pid"} for d in c] for c in pooled] == strip
    pids = [c[0]["pid"] for c in pooled]
    assert pids[0] == os.getpid()  # this process classifies the first chunk itself
    assert set(pids) - {os.getpid()}, "no chunk was classified by a worker"


def test_a_pool_with_nothing_to_do_emits_nothing():
    assert collect(run_pool, Echo(), [], DetailOptions(), 2) == []


def test_classify_with_a_real_model(tiny_model):
    articles = ["市人大常委会召开会议", "高考首日考生入场"]
    got = classify(tiny_model, articles, DetailOptions(top_k=2, explain=3))
    assert got == tiny_model.predict_details(articles, k=2, terms=3)
    assert [d["label"] for d in got] == ["congress", "education"]


def test_an_article_the_model_fails_on_gets_an_error_in_its_place():
    got = classify(Echo(), ["a", "boom here", "c"], DetailOptions())
    assert [d.get("text") for d in got] == ["a", None, "c"]
    assert got[1] == {"error": "could not be classified: RuntimeError: boom"}
    emitted = collect(run_serial, Echo(), [["x"], ["boom"], ["y", "z"]], DetailOptions())
    assert [len(c) for c in emitted] == [1, 1, 2] and "error" in emitted[1][0]


def test_the_threshold_is_passed_only_when_the_run_sets_one():
    assert classify(NoThreshold(), ["a"], DetailOptions(top_k=4)) == [{"text": "a", "k": 4}]
    # A model that cannot take the run's threshold fails on every article, and says so.
    [failed] = classify(NoThreshold(), ["a"], DetailOptions(threshold=0.5))
    assert "threshold" in failed["error"]


def test_check_backend():
    check_backend("local", None)
    check_backend("dask", "tcp://127.0.0.1:8786")
    with pytest.raises(ValueError, match="unknown backend 'spark'"):
        check_backend("spark", None)
    with pytest.raises(ValueError, match="scheduler address needs backend='dask'"):
        check_backend("local", "tcp://127.0.0.1:8786")
