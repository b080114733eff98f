"""``newsclass.writers`` on its own: the shape of a record, sinks that count their bytes
and resume from a byte count, and the one rule for output files."""

from __future__ import annotations

import csv
import io
import json
import os
from types import SimpleNamespace

import pytest

from newsclass.digest import text_sha256
from newsclass.writers import (
    ERROR_FIELDS,
    FIELDS,
    TEXT_FIELDS,
    OutputError,
    Sink,
    check_output,
    error_record,
    label_record,
    output_format_of,
    record_fields,
)

ARTICLE = SimpleNamespace(id="a1", source="in.jsonl", title="高考首日",
                          body="考生陆续进入考场，考点秩序井然。", encoding="utf-8")
DETAIL = {"label": "education", "confidence": 0.912345,
          "top": [("education", 0.912345), ("congress", 0.0512)],
          "terms": [("考生", 0.123456), ("考场", 0.05)]}


def test_a_record_has_the_fields_in_order_rounded():
    record = label_record(ARTICLE, DETAIL)
    assert list(record) == [f for f in FIELDS if f != "truncated"]
    assert record["label_zh"] == "教育" and record["confidence"] == 0.9123
    assert record["top"] == {"education": 0.9123, "congress": 0.0512}
    assert list(record["top"]) == ["education", "congress"]
    assert record["terms"] == {"考生": 0.1235, "考场": 0.05}
    assert label_record(ARTICLE, DETAIL, truncated=70_000)["truncated"] == 70_000


def test_kept_text_and_fields_follow_the_record():
    whole = label_record(ARTICLE, DETAIL, keep_text=0)
    assert list(whole)[-2:] == ["body", "text_sha256"] and "body_chars" not in whole
    assert whole["body"] == ARTICLE.body
    assert whole["text_sha256"] == text_sha256(ARTICLE.title, ARTICLE.body)
    snippet = label_record(ARTICLE, DETAIL, keep_text=4)
    assert snippet["body"] == ARTICLE.body[:4] and snippet["body_chars"] == len(ARTICLE.body)
    assert snippet["text_sha256"] == whole["text_sha256"]  # of the whole text
    kept = SimpleNamespace(**vars(ARTICLE), kept=(("url", "http://x/1"), ("date", None)))
    record = label_record(kept, DETAIL)
    assert list(record)[-2:] == ["url", "date"] and record["date"] is None
    assert record_fields() == FIELDS
    assert record_fields(0, ("url",)) == FIELDS + TEXT_FIELDS + ("url",)


def test_an_error_record():
    assert error_record("a.jsonl", "line 3", "invalid JSON") == {
        "source": "a.jsonl", "position": "line 3", "error": "invalid JSON"}
    assert tuple(error_record("a", "b", "c")) == ERROR_FIELDS


@pytest.mark.parametrize("name, fmt", [
    ("out.jsonl", "jsonl"), ("out.NDJSON", "jsonl"), ("out.CSV", "csv"), ("o.tsv", "tsv"),
    ("-", "jsonl"), (None, "jsonl"), ("records", "jsonl"), ("out.xlsx", None),
    ("out.json", None), ("dir.v2/out.csv", "csv")])
def test_output_format_of(name, fmt):
    assert output_format_of(name) == fmt


def records(n: int) -> list[dict]:
    return [label_record(SimpleNamespace(**{**vars(ARTICLE), "id": f"a{i}"}), DETAIL)
            for i in range(n)]


def test_a_sink_counts_the_bytes_it_holds(tmp_path):
    path = tmp_path / "o.jsonl"
    sink = Sink(str(path), "jsonl", FIELDS, io.BytesIO())
    sizes = []
    for chunk in (records(2), records(1), []):
        sink.write(chunk)
        sizes.append(sink.size)
    sink.close()
    assert sizes[-1] == path.stat().st_size and sizes[1] == sizes[2] > sizes[0]
    lines = path.read_bytes().splitlines(keepends=True)
    assert len(lines) == 3 and sizes[0] == len(lines[0]) + len(lines[1])
    assert [json.loads(x)["id"] for x in lines] == ["a0", "a1", "a0"]


def test_a_sink_resumes_after_its_first_bytes(tmp_path):
    path = tmp_path / "o.jsonl"
    sink = Sink(str(path), "jsonl", FIELDS, io.BytesIO())
    sink.write(records(2))
    checkpoint = sink.size
    sink.close()
    with open(path, "ab") as fh:
        fh.write(b'{"id": "half a rec')  # a chunk cut short by a crash
    resumed = Sink(str(path), "jsonl", FIELDS, io.BytesIO(), keep=checkpoint)
    assert resumed.size == checkpoint
    resumed.write(records(1))
    resumed.close()
    assert path.stat().st_size == resumed.size
    assert [json.loads(x)["id"] for x in path.read_text(encoding="utf-8").splitlines()] == [
        "a0", "a1", "a0"]
    with pytest.raises(OutputError, match="manifest says"):
        Sink(str(path), "jsonl", FIELDS, io.BytesIO(), keep=resumed.size + 1)
    assert path.stat().st_size == resumed.size  # left as it was


def test_csv_and_tsv_have_a_header_and_excel_a_byte_order_mark(tmp_path):
    path = tmp_path / "o.csv"
    sink = Sink(str(path), "csv", FIELDS, io.BytesIO())
    sink.write(records(2))
    sink.close()
    raw = path.read_bytes()
    assert sink.size == len(raw) and not raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode())))
    assert list(rows[0]) == list(FIELDS) and len(rows) == 2
    assert rows[0]["top"] == "education:0.9123;congress:0.0512" and rows[0]["truncated"] == ""
    stream = io.BytesIO()
    tsv = Sink("-", "tsv", FIELDS, stream, excel=True)
    tsv.write(records(1))
    tsv.close()  # a stream is left open
    data = stream.getvalue()
    assert tsv.size == len(data) and data.startswith("\ufeffid\tsource\t".encode())
    assert len(data.decode("utf-8-sig").splitlines()) == 2


def test_an_unwritable_sink_is_a_plain_error(tmp_path):
    with pytest.raises(OutputError, match="cannot write"):
        Sink(str(tmp_path), "jsonl", FIELDS, io.BytesIO())


def test_check_output_refuses_a_missing_folder_and_an_existing_file(tmp_path):
    check_output(tmp_path / "new.jsonl")
    with pytest.raises(OutputError, match=r"folder .* does not exist"):
        check_output(tmp_path / "missing" / "o.jsonl", force=True)
    existing = tmp_path / "o.jsonl"
    existing.write_text("keep me\n")
    with pytest.raises(FileExistsError, match="--force"):
        check_output(existing)
    check_output(existing, force=True)
    assert existing.read_text() == "keep me\n"  # checking writes nothing
    link = tmp_path / "dangling.jsonl"
    os.symlink(tmp_path / "nowhere", link)
    with pytest.raises(FileExistsError):
        check_output(link)
