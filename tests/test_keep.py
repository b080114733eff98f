"""label --keep-text and --keep-fields: records that carry the article along."""

from __future__ import annotations

import csv
import json

import pytest

from newsclass.batch import label_files
from newsclass.digest import text_sha256
from newsclass.writers import FIELDS

ROWS = [
    {"id": "a", "title": "市人大常委会召开会议", "text": "会议审议了民生实事项目票决制的报告。",
     "url": "https://example.org/a", "date": "2020-05-01", "tags": ["人大", "会议"]},
    {"id": "b", "title": "学校开学", "text": "新学期第一天，学生们陆续返校。" * 20,
     "url": "https://example.org/b"},
]


@pytest.fixture()
def news(tmp_path):
    path = tmp_path / "news.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in ROWS),
                    encoding="utf-8")
    return path


def records(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_keep_text_and_fields_in_json_lines(news, tiny_model, tmp_path):
    out = tmp_path / "out.jsonl"
    label_files([news], out, model=tiny_model, keep_text=True, keep_fields=["url", "date",
                                                                           "tags"])
    a, b = records(out)
    assert a["body"] == ROWS[0]["text"] and b["body"] == ROWS[1]["text"]
    assert a["text_sha256"] == text_sha256(ROWS[0]["title"], ROWS[0]["text"])
    assert "body_chars" not in a
    assert (a["url"], a["date"], a["tags"]) == (ROWS[0]["url"], "2020-05-01", ["人大", "会议"])
    assert b["date"] is None  # absent from the input: null, the same keys in every record
    assert list(a)[:len(FIELDS) - 1] == [f for f in FIELDS if f != "truncated"]


def test_keep_a_snippet(news, tiny_model, tmp_path):
    out = tmp_path / "out.jsonl"
    label_files([news], out, model=tiny_model, keep_text=12)
    a, b = records(out)
    assert b["body"] == ROWS[1]["text"][:12] and b["body_chars"] == len(ROWS[1]["text"])
    assert b["text_sha256"] == text_sha256(ROWS[1]["title"], ROWS[1]["text"])
    assert a["body"] == ROWS[0]["text"][:12]


def test_keep_fields_in_csv_columns(news, tiny_model, tmp_path):
    out = tmp_path / "out.csv"
    label_files([news], out, model=tiny_model, keep_fields=["url"], keep_text=True)
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert list(rows[0])[-4:] == ["body", "body_chars", "text_sha256", "url"]
    assert rows[1]["url"] == "https://example.org/b"


def test_without_the_options_records_are_unchanged(news, tiny_model, tmp_path):
    plain, kept = tmp_path / "plain.jsonl", tmp_path / "kept.jsonl"
    label_files([news], plain, model=tiny_model)
    label_files([news], kept, model=tiny_model, keep_text=True, keep_fields=["url"])
    for p, k in zip(records(plain), records(kept), strict=True):
        assert set(p) == set(FIELDS) - {"truncated"}
        assert {f: k[f] for f in p} == p


@pytest.mark.parametrize(("options", "words"), [
    ({"keep_fields": ["label"]}, "cannot keep 'label'"),
    ({"keep_fields": ["body"]}, "cannot keep 'body'"),
    ({"keep_fields": "url"}, "list of field names"),
    ({"keep_fields": ["url", "url"]}, "twice"),
    ({"keep_text": 0}, "keep_text"),
    ({"keep_text": -3}, "keep_text"),
])
def test_bad_options_are_named(news, tiny_model, tmp_path, options, words):
    with pytest.raises(ValueError, match=words):
        label_files([news], tmp_path / "o.jsonl", model=tiny_model, **options)


def test_resume_refuses_other_keep_options(news, tiny_model, tmp_path):
    from newsclass.manifest import ResumeError

    out = tmp_path / "out.jsonl"
    label_files([news], out, model=tiny_model, keep_text=True)
    with pytest.raises(ResumeError):
        label_files([news], out, model=tiny_model, keep_text=5, resume=True)
    with pytest.raises(ResumeError):
        label_files([news], out, model=tiny_model, keep_text=True, keep_fields=["url"],
                    resume=True)
