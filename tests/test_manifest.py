"""The run manifest on its own: what it records, how it is read back, and what makes a
run a different one."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from newsclass import NewsClassifier, label_files
from newsclass.manifest import (
    MANIFEST_SUFFIX,
    ResumeError,
    RunManifest,
    input_fingerprint,
    manifest_path,
    model_fingerprint,
    read_manifest,
)
from tests.conftest import LABELS, TEXTS

SETTINGS = {"model_sha256": "ab" * 32, "threshold": None, "top_k": 3, "explain": 0}


def test_the_manifest_sits_beside_its_output():
    assert manifest_path("out/o.jsonl") == "out/o.jsonl" + MANIFEST_SUFFIX == \
        "out/o.jsonl.run.json"


def test_checkpoints_are_written_whole_and_read_back_exactly(tmp_path):
    path = str(tmp_path / "o.jsonl.run.json")
    manifest = RunManifest(inputs=[["a.jsonl", 12, 34]], settings=dict(SETTINGS))
    for done in (1, 5, 9):
        manifest.done, manifest.output_bytes, manifest.errors_bytes = done, done * 10, done
        manifest.write(path)
        again = read_manifest(path)
        assert again == manifest
        assert (again.done, again.output_bytes, again.errors_bytes) == (done, done * 10, done)
        assert os.listdir(tmp_path) == ["o.jsonl.run.json"]  # no temporary file left
    manifest.complete = True
    manifest.write(path)
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    assert data == {"format": "newsclass-run/1", "inputs": [["a.jsonl", 12, 34]],
                    "settings": SETTINGS, "done": 9, "output_bytes": 90, "errors_bytes": 9,
                    "complete": True}


@pytest.mark.parametrize("content, words", [
    (None, "no run manifest"), ("{not json", "cannot read the run manifest"),
    ('["a list"]', "is not a newsclass run manifest"),
    ('{"format": "other/1"}', "is not a newsclass run manifest"),
    ('{"format": "newsclass-run/1", "inputs": [], "settings": {}, "surprise": 1}',
     "is not a newsclass run manifest")])
def test_a_missing_or_foreign_manifest_is_refused(tmp_path, content, words):
    path = tmp_path / "o.jsonl.run.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ResumeError, match=words):
        read_manifest(str(path))


def test_inputs_are_fingerprinted_by_size_and_time(tmp_path):
    data = tmp_path / "in.jsonl"
    data.write_text("one\n", encoding="utf-8")
    missing = str(tmp_path / "gone.jsonl")
    before = input_fingerprint([str(data), missing])
    stat = data.stat()
    assert before == [[str(data), stat.st_size, stat.st_mtime_ns], [missing, None, None]]
    data.write_text("one\ntwo\n", encoding="utf-8")
    assert input_fingerprint([str(data), missing]) != before


def test_another_run_is_named_by_what_differs():
    manifest = RunManifest(inputs=[["a", 1, 2], ["b", 3, 4]], settings=dict(SETTINGS))
    manifest.check_same_run([["a", 1, 2], ["b", 3, 4]], dict(SETTINGS))
    with pytest.raises(ResumeError, match=r"inputs differ .*\(b\)"):
        manifest.check_same_run([["a", 1, 2], ["b", 5, 4]], dict(SETTINGS))
    with pytest.raises(ResumeError, match="their order"):
        manifest.check_same_run([["b", 3, 4], ["a", 1, 2]], dict(SETTINGS))
    with pytest.raises(ResumeError, match="top_k was 3, now 5"):
        manifest.check_same_run(manifest.inputs, {**SETTINGS, "top_k": 5})
    with pytest.raises(ResumeError, match="fields was None"):
        manifest.check_same_run(manifest.inputs, {**SETTINGS, "fields": ["url"]})


def test_a_finished_run_records_every_item_and_byte(tmp_path, tiny_model):
    data = tmp_path / "in.jsonl"
    data.write_text("\n".join([json.dumps({"id": "1", "text": "人大代表视察学校"},
                                          ensure_ascii=False),
                               '{"id": "broken", "text": ',
                               json.dumps({"id": "3", "text": "芯片研发"})]) + "\n",
                    encoding="utf-8")
    out = tmp_path / "o.jsonl"
    label_files([data], out, model=tiny_model, chunk_size=1, progress=False)
    manifest = read_manifest(manifest_path(str(out)))
    assert manifest.complete and manifest.done == 3  # two articles and a broken line
    assert manifest.output_bytes == out.stat().st_size
    assert manifest.errors_bytes == Path(f"{out}.errors.jsonl").stat().st_size > 0
    assert manifest.inputs == input_fingerprint([str(data)])
    assert manifest.settings["model_sha256"] == model_fingerprint(tiny_model)


def test_a_fitted_model_has_one_fingerprint_wherever_it_is(tiny_model):
    again = NewsClassifier(calibration_cv=3).fit(TEXTS, LABELS)
    assert model_fingerprint(again) == model_fingerprint(tiny_model)
    assert model_fingerprint(pickle.loads(pickle.dumps(tiny_model))) == \
        model_fingerprint(tiny_model)
    other = NewsClassifier(calibration_cv=3, C=0.5).fit(TEXTS, LABELS)
    assert model_fingerprint(other) != model_fingerprint(tiny_model)

    class Stated:
        fingerprint_ = "stated"

    assert model_fingerprint(Stated()) == "stated"


def test_the_fingerprint_does_not_depend_on_the_string_hash_seed():
    code = ("from newsclass.manifest import model_fingerprint\n"
            "class Model:\n"
            "    def __init__(self):\n"
            "        self.vocabulary_ = {'人大', '代表', '科技', '教育', 'a', 'b', 'c'}\n"
            "        self.weights_ = {('x', 1): [0.5, 2], 'y': None}\n"
            "print(model_fingerprint(Model()))\n")
    prints = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True, env={**os.environ, "PYTHONHASHSEED": seed}
                             ).stdout for seed in ("1", "2", "3")}
    assert len(prints) == 1 and len(prints.pop().strip()) == 64
