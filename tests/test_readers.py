"""Tests for reading input files into articles and errors (newsclass.readers)."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
from pathlib import Path

import pytest

from newsclass.articles import split_articles
from newsclass.charsets import SAMPLE_SIZE, detect_encoding
from newsclass.formats import InputArticle, InputError, input_format_of
from newsclass.readers import iter_inputs, read_text

# Three short articles: (id, title, body, label). "镕" is in GBK but not GB 2312.
RECORDS = [
    ("rd-001", "市人大常委会召开第十二次会议",
     "本报讯（记者 李明 通讯员 周立新）3月14日，市十六届人大常委会召开第十二次会议，"
     "审议《城市绿化条例（草案）》，听取市政府关于义务教育优质均衡发展情况的报告。"
     "会议还表决通过了有关人事任免事项。", "congress"),
    ("rd-002", "我市新增高新技术企业四十五家",
     "本报讯（记者 王镕）记者从市科技局获悉，2023年全市新认定高新技术企业45家，总数达到"
     "312家，全社会研发投入同比增长18.6%，一批关键核心技术取得突破。", "tech"),
    ("rd-003", "市慈善总会启动“春风行动”",
     "本报讯（记者 陈静）市慈善总会近日启动“春风行动”募捐活动，为困难家庭送去米面油等"
     "生活物资，首批惠及群众1200余户，各界爱心人士踊跃参与。", "charity"),
]
TITLES = [r[1] for r in RECORDS]
BODIES = [r[2] for r in RECORDS]

PAGE = "\n".join([
    "湘江晚报", "2024年3月15日 星期五", "",
    "市人大常委会召开第十二次会议", "",
    "本报讯（记者 李明 通讯员 周立新）3月14日，市十六届人大常委会召开第十二次会议，"
    "审议《城市绿化条例（草案）》，听取市政府关于义务教育优质均衡发展情况的报告。", "",
    "会议还表决通过了有关人事任免事项。", "",
    "我市新增高新技术企业四十五家", "",
    "本报讯（记者 王镕）记者从市科技局获悉，2023年全市新认定高新技术企业45家，总数达到"
    "312家，全社会研发投入同比增长18.6%，一批关键核心技术取得突破。", "",
])
PAGE_TITLES = ["市人大常委会召开第十二次会议", "我市新增高新技术企业四十五家"]

ENCODINGS = ["utf-8", "utf-8-sig", "gb18030", "gbk"]
FORMATS = ["txt", "jsonl", "csv", "tsv"]


# --- helpers ----------------------------------------------------------------------------

def _jsonl(records=RECORDS) -> str:
    return "".join(json.dumps({"id": i, "title": t, "text": b, "label": lab},
                              ensure_ascii=False) + "\n" for i, t, b, lab in records)


def _table(delimiter: str, records=RECORDS) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(["id", "title", "text", "label"])
    writer.writerows(records)
    return out.getvalue()


def _content(fmt: str) -> str:
    return {"txt": PAGE, "jsonl": _jsonl(), "csv": _table(","), "tsv": _table("\t")}[fmt]


def _write(path: Path, text: str, encoding: str = "utf-8", gz: bool = False) -> str:
    data = text.encode(encoding)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data) if gz else data)
    return str(path)


def _read(*inputs, **kwargs) -> list[InputArticle | InputError]:
    return list(iter_inputs(list(inputs), **kwargs))


def _split(items):
    articles = [x for x in items if isinstance(x, InputArticle)]
    errors = [x for x in items if isinstance(x, InputError)]
    assert len(articles) + len(errors) == len(items)
    return articles, errors


def _only_error(items) -> InputError:
    assert len(items) == 1 and isinstance(items[0], InputError), items
    return items[0]


def _expected_pairs(fmt: str) -> list[tuple[str, str]]:
    if fmt == "txt":
        return [(a.title, a.body) for a in split_articles(PAGE)]
    return list(zip(TITLES, BODIES, strict=True))


# --- input_format_of and detect_encoding --------------------------------------------------

@pytest.mark.parametrize(("name", "expected"), [
    ("page.txt", "txt"), ("PAGE.TXT", "txt"), ("a/b/news.jsonl", "jsonl"),
    ("news.ndjson", "jsonl"), ("t.csv", "csv"), ("t.tsv", "tsv"), ("t.tsv.gz", "tsv"),
    ("news.jsonl.GZ", "jsonl"), ("page.txt.gz", "txt"), ("archive.gz", None),
    ("data.json", None), ("README", None), ("notes.txt.bak", None),
])
def test_input_format_of(name, expected):
    assert input_format_of(name) == expected
    assert input_format_of(Path(name)) == expected


@pytest.mark.parametrize(("encoding", "expected"), [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gb18030", "gb18030"),
    ("gbk", "gb18030"),
])
def test_detect_encoding_of_news_text(encoding, expected):
    assert detect_encoding((PAGE + _jsonl()).encode(encoding)) == expected


def test_detect_encoding_ascii_empty_and_cut_sample():
    assert detect_encoding(b"") == "utf-8"
    assert detect_encoding(b'{"id": 1, "text": "\\u5e02"}\n') == "utf-8"
    data = PAGE.encode("utf-8")
    # A sample that cuts a three-byte character in two is still UTF-8.
    assert detect_encoding(data[:data.index("人".encode()) + 1]) == "utf-8"
    # A stray invalid byte makes it not UTF-8.
    assert detect_encoding(b"abc\n\xff\n") != "utf-8"
    # UTF-8 with a corrupt line is still UTF-8; a GB 18030 line among ASCII ones is not.
    assert detect_encoding(data + b"\xff\n") == "utf-8"
    assert detect_encoding("市人大\n".encode() + b"\xff\xfe\xfa\n") == "utf-8"
    assert detect_encoding(b"id,text\n1,abc\n" + "市人大".encode("gb18030")) != "utf-8"


def test_detect_encoding_gb18030_only_characters():
    # "䶮" is in GB 18030 but not in GBK.
    text = "南汉二陵博物馆开馆 刘䶮康陵出土文物首次集中展出，观众可近距离欣赏玉器和陶瓷。"
    with pytest.raises(UnicodeEncodeError):
        text.encode("gbk")
    assert detect_encoding(text.encode("gb18030")) == "gb18030"


def test_detect_encoding_text_charset_normalizer_finds_messy():
    # With its default limit on mess, charset-normalizer finds nothing for GB 18030 text
    # dense with "℃"; it must still be found.
    text = ("强寒潮来袭 气温将骤降14℃以上\n本报讯（记者 乌云娜）受强冷空气影响，6日至8日"
            "全区大部地区气温将下降10℃至14℃，局地降幅可达16℃以上，并伴有6至8级偏北风。"
            "呼和浩特市7日最低气温将降至零下12℃左右，并出现入冬以来的首场中到大雪。")
    assert detect_encoding(text.encode("gb18030")) == "gb18030"


def test_undetectable_encoding(tmp_path):
    noise = bytes(range(128, 256)) * 3
    assert detect_encoding(noise) is None
    path = tmp_path / "noise.txt"
    path.write_bytes(noise)
    error = _only_error(_read(str(path)))
    assert error.error.startswith("cannot detect the text encoding")


def test_detected_gb2312_and_gbk_are_read_as_gb18030(monkeypatch):
    import newsclass.charsets as charsets

    class Result:
        def __init__(self, encoding):
            self.encoding = encoding

        def best(self):
            return self

    for name, expected in [("gb2312", "gb18030"), ("gbk", "gb18030"), ("cp936", "gb18030"),
                           ("big5", "big5"), ("euc_jis_2004", "euc_jis_2004")]:
        monkeypatch.setattr(charsets, "from_bytes", lambda data, name=name, **kw: Result(name))
        assert detect_encoding("市人大".encode("gbk")) == expected


def test_detect_encoding_big5():
    text = "臺北市議會今日召開臨時會，審議年度總預算案，多位議員關注教育經費與長照服務。"
    assert detect_encoding(text.encode("big5")) == "big5"


# --- formats and encodings ----------------------------------------------------------------

@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_in_each_encoding(tmp_path, fmt, encoding):
    path = _write(tmp_path / f"news.{fmt}", _content(fmt), encoding)
    articles, errors = _split(_read(path))
    assert errors == []
    expected = "gb18030" if encoding == "gbk" else encoding
    assert {a.encoding for a in articles} == {expected}
    assert [(a.title, a.body) for a in articles] == _expected_pairs(fmt)
    assert all(a.source == path and a.label is None for a in articles)
    if fmt == "txt":
        assert [a.title for a in articles] == PAGE_TITLES
    else:
        # The id column is found even right after a UTF-8 byte order mark.
        assert [a.id for a in articles] == [r[0] for r in RECORDS]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_gzipped_files(tmp_path, fmt, encoding):
    path = _write(tmp_path / f"news.{fmt}.gz", _content(fmt), encoding, gz=True)
    articles, errors = _split(_read(path))
    assert errors == []
    assert [(a.title, a.body) for a in articles] == _expected_pairs(fmt)
    assert {a.encoding for a in articles} == {encoding}


def test_txt_positions_ids_and_split_false(tmp_path):
    path = _write(tmp_path / "page.txt", PAGE)
    articles = _read(path)
    assert [a.position for a in articles] == ["article 1", "article 2"]
    assert [a.id for a in articles] == [f"{path}#1", f"{path}#2"]
    whole = _read(path, split=False)
    assert len(whole) == 1
    assert (whole[0].title, whole[0].body, whole[0].id) == ("", PAGE, f"{path}#1")


def test_jsonl_files_joined_with_their_byte_order_marks(tmp_path):
    part = _jsonl(RECORDS[:2]).encode("utf-8-sig")
    path = tmp_path / "joined.jsonl"
    path.write_bytes(part + part)
    items = _read(str(path))
    assert [(a.id, a.position, a.encoding) for a in items] == [
        ("rd-001", "line 1", "utf-8-sig"), ("rd-002", "line 2", "utf-8-sig"),
        ("rd-001", "line 3", "utf-8-sig"), ("rd-002", "line 4", "utf-8-sig")]


def test_jsonl_ids_positions_and_blank_lines(tmp_path):
    lines = ['{"id": 7, "text": "市人大代表视察学校"}', "", "   ",
             '{"text": "慈善超市开业", "title": null}', '{"id": "", "text": "科技馆开放"}']
    path = _write(tmp_path / "a.jsonl", "\n".join(lines))  # no final line break
    items = _read(path)
    assert [(a.id, a.position) for a in items] == [
        ("7", "line 1"), (f"{path}#4", "line 4"), (f"{path}#5", "line 5")]
    assert items[1].title == ""
    assert items[2].body == "科技馆开放"


def test_csv_rows_count_from_the_first_after_the_header(tmp_path):
    text = "id,text\nA1,市人大代表视察学校\n\n,慈善超市开业\n"
    path = _write(tmp_path / "a.csv", text)
    items = _read(path)
    assert [(a.id, a.position, a.title) for a in items] == [
        ("A1", "row 1", ""), (f"{path}#3", "row 3", "")]


def test_multi_line_quoted_csv_field(tmp_path):
    # Line breaks inside a quoted field come out as "\n", whatever the file's line ends.
    body = "第一段，提到了“逗号,和引号\"”。\n第二段，继续报道。\n\n第三段。"
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(
        [["id", "title", "text"], ["m1", "多段落报道", body], ["m2", "短讯", "一句话新闻。"]])
    path = _write(tmp_path / "multi.csv", out.getvalue(), "gb18030")
    items = _read(path)
    assert [(a.id, a.position, a.title, a.body) for a in items] == [
        ("m1", "row 1", "多段落报道", body),
        ("m2", "row 2", "短讯", "一句话新闻。")]


def test_tsv_with_quotes_and_tabs(tmp_path):
    path = _write(tmp_path / "t.tsv", 'id\ttext\nt1\t"含\t制表符的正文"\nt2\t普通正文\n')
    assert [a.body for a in _read(path)] == ["含\t制表符的正文", "普通正文"]


def test_custom_field_names_and_labels(tmp_path):
    lines = [{"doc": "x1", "head": "标题", "content": "正文一", "cat": "tech"},
             {"doc": 2, "content": "正文二", "cat": 3},
             {"doc": "x3", "content": "正文三"}]
    path = _write(tmp_path / "a.jsonl", "".join(json.dumps(x) + "\n" for x in lines))
    items = _read(path, text_field="content", title_field="head", id_field="doc",
                  label_field="cat")
    assert [(a.id, a.title, a.body, a.label) for a in items[:2]] == [
        ("x1", "标题", "正文一", "tech"), ("2", "", "正文二", "3")]
    assert items[2] == InputError(path, "line 3", "missing field 'cat'")


def test_label_field_on_a_txt_page_is_an_error(tmp_path):
    path = _write(tmp_path / "page.txt", PAGE)
    error = _only_error(_read(path, label_field="label"))
    assert (error.position, error.error.split(":")[0]) == ("", "missing field 'label'")


def test_labels_from_csv(tmp_path):
    path = _write(tmp_path / "train.csv", _table(","))
    items = _read(path, label_field="label")
    assert [a.label for a in items] == [r[3] for r in RECORDS]
    error = _only_error(_read(path, label_field="topic"))
    assert error.position == ""
    assert error.error.startswith("missing field 'topic'")


def test_forced_encoding(tmp_path):
    # Two characters are too few to tell GB 18030 from Big5; forcing settles it.
    short = _write(tmp_path / "short.txt", "教育", "gb18030")
    forced = _read(short, encoding="GB18030", split=False)
    assert [(a.body, a.encoding) for a in forced] == [("教育", "gb18030")]
    # Forcing the wrong encoding costs the lines that do not decode, not the file.
    path = _write(tmp_path / "gb.jsonl", '{"text": "abc"}\n' + _jsonl(RECORDS[:1]), "gbk")
    articles, errors = _split(_read(path, encoding="utf-8"))
    assert [a.body for a in articles] == ["abc"]
    assert [e.position for e in errors] == ["line 2"]
    assert errors[0].error.startswith("undecodable bytes in line 2: they do not decode "
                                     "as utf-8")


def test_forced_format_and_stdin(tmp_path):
    path = _write(tmp_path / "news.dat", _jsonl())
    assert len(_read(path, input_format="jsonl")) == 3
    stdin = io.BytesIO(_jsonl().encode("gb18030"))
    items = _read("-", stdin=stdin)
    assert [(a.source, a.position, a.id, a.encoding) for a in items] == [
        ("-", f"line {n}", r[0], "gb18030") for n, r in enumerate(RECORDS, 1)]
    page = _read("-", stdin=io.BytesIO(PAGE.encode("utf-8-sig")), input_format="txt")
    assert [(a.title, a.id) for a in page] == [(PAGE_TITLES[0], "-#1"), (PAGE_TITLES[1], "-#2")]


# --- directories --------------------------------------------------------------------------

def test_directories_sorted_with_glob(tmp_path):
    root = tmp_path / "in"
    for rel in ["b.jsonl", "a/z.csv", "a/y.txt.gz", "a.txt", "c/d/e.tsv", "notes.md",
                ".hidden.jsonl", ".git/x.jsonl"]:
        fmt = input_format_of(rel) or "jsonl"
        _write(root / rel, _content(fmt), gz=rel.endswith(".gz"))
    sources = list(dict.fromkeys(x.source for x in _read(str(root))))
    assert sources == [os.path.join(str(root), p) for p in
                       ["a/y.txt.gz", "a/z.csv", "a.txt", "b.jsonl", "c/d/e.tsv"]]
    only_txt = {x.source for x in _read(str(root), glob="*.txt*")}
    assert only_txt == {os.path.join(str(root), "a/y.txt.gz"), os.path.join(str(root), "a.txt")}
    # A glob may pick a file of unknown format: that file is an error, the rest goes on.
    picked = _read(str(root), glob="*.md")
    error = _only_error(picked)
    assert error.error.startswith("unknown format: '.md'")


def test_forced_format_reads_every_file_of_a_directory(tmp_path):
    _write(tmp_path / "in" / "0001", "第一篇新闻正文。")
    _write(tmp_path / "in" / "0002", "第二篇新闻正文。")
    items = _read(str(tmp_path / "in"), input_format="txt", split=False)
    assert [a.body for a in items] == ["第一篇新闻正文。", "第二篇新闻正文。"]


def test_empty_directory_is_an_error(tmp_path):
    (tmp_path / "empty").mkdir()
    _write(tmp_path / "other" / "x.md", "# notes")
    assert "no input files" in _only_error(_read(str(tmp_path / "empty"))).error
    error = _only_error(_read(str(tmp_path / "other"), glob="*.json"))
    assert error.error == "no input files matching '*.json' under the directory"


def test_labels_from_folders(tmp_path):
    data = tmp_path / "DATA"
    _write(data / "congress" / "001.txt", PAGE, "gbk")  # a whole page, one article
    _write(data / "tech" / "001.txt", BODIES[1])
    _write(data / "tech" / "002.txt.gz", BODIES[1], gz=True)
    items = _read(str(data), label_from_folder=True)
    assert [(a.label, a.position, a.encoding) for a in items] == [
        ("congress", "article 1", "gb18030"), ("tech", "article 1", "utf-8"),
        ("tech", "article 1", "utf-8")]
    assert items[0].body == PAGE
    with pytest.raises(ValueError, match="not both"):
        iter_inputs([str(data)], label_field="label", label_from_folder=True)
    assert "no folder" in _only_error(
        _read("-", stdin=io.BytesIO(b"x"), label_from_folder=True)).error


# --- errors -------------------------------------------------------------------------------

def test_unreadable_files(tmp_path):
    assert _only_error(_read(str(tmp_path / "missing.jsonl"))) == InputError(
        str(tmp_path / "missing.jsonl"), "", "unreadable file: not found")
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        locked = _write(tmp_path / "locked.jsonl", _jsonl())
        os.chmod(locked, 0)
        try:
            assert _only_error(_read(locked)).error == "unreadable file: permission denied"
        finally:
            os.chmod(locked, 0o644)


def test_bad_gzip_files(tmp_path):
    fake = _write(tmp_path / "fake.jsonl.gz", _jsonl())
    assert _only_error(_read(fake)).error == "unreadable file: not a gzip file"
    data = gzip.compress(_jsonl(RECORDS * 400).encode())
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(data[: len(data) // 2])
    articles, errors = _split(_read(str(cut)))
    assert len(articles) > 100
    assert [e.position for e in errors] == [f"line {len(articles) + 1}"]
    assert "the rest of the file was not read" in errors[0].error


def test_binary_files(tmp_path):
    blob = tmp_path / "blob.txt"
    blob.write_bytes(b"PK\x03\x04\x00\x00binary")
    assert _only_error(_read(str(blob))).error.startswith("binary file: NUL bytes")
    utf16 = _write(tmp_path / "u16.txt", PAGE, "utf-16")  # with its byte order mark
    wide = _read(utf16)
    assert wide and all(a.encoding == "utf-16" for a in wide)
    assert [a.body for a in wide] == [a.body for a in _read(_write(tmp_path / "u8.txt",
                                                                   PAGE))]
    bare = _write(tmp_path / "u16le.txt", PAGE, "utf-16-le")  # no mark: binary to a guess
    assert "UTF-16" in _only_error(_read(bare)).error
    assert [a.body for a in _read(bare, encoding="utf-16-le")] == [a.body for a in wide]
    packed = tmp_path / "packed.jsonl"
    packed.write_bytes(gzip.compress(_jsonl().encode()))
    assert "name the file .gz" in _only_error(_read(str(packed))).error


def test_unknown_format(tmp_path):
    for name, what in [("data.json", "'.json'"), ("README", "no file extension"),
                       ("x.doc.gz", "'.doc'")]:
        path = _write(tmp_path / name, _jsonl())
        assert _only_error(_read(path)).error.startswith(f"unknown format: {what}")


def test_empty_files_and_empty_text(tmp_path):
    for name, text in [("e.txt", ""), ("e.jsonl", "\n \n"), ("e.csv", ""), ("bom.txt", "")]:
        path = _write(tmp_path / name, text, "utf-8-sig" if name == "bom.txt" else "utf-8")
        assert _only_error(_read(path)) == InputError(path, "", "empty file")
    path = _write(tmp_path / "blank.jsonl", '{"text": " \\n "}\n{"text": ""}\n')
    assert [e.error for e in _read(path)] == [
        "empty text: field 'text' is only white space", "empty text: field 'text' is empty"]
    path = _write(tmp_path / "blank.csv", "id,title,text\n1,只有标题,  \n2, ,\n")
    # A headline with an empty body is an article, labelled from its headline.
    assert _read(path) == [
        InputArticle("1", path, "row 1", "只有标题", "  ", "utf-8"),
        InputError(path, "row 2", "empty text: field 'text' is empty and field 'title' too")]
    page = _write(tmp_path / "headline.txt", "只有标题的简讯\n\n正文第一段很长很长很长。\n")
    assert any(isinstance(a, InputArticle) for a in _read(page))
    furniture = _write(tmp_path / "furniture.txt", "湘江晚报\n2024年3月15日 星期五\nA2 要闻\n")
    assert "no articles" in _only_error(_read(furniture)).error


def test_json_errors(tmp_path):
    lines = ['{"id": 1, "text": "好"}', '{"id": 2 "text": "x"}', '["text"]', '"市人大"',
             '{"title": "无正文"}', '{"text": 5}', '{"text": "x", "title": ["a"]}',
             '{"text": "x", "id": [1]}', '{"text": "x", "id": 1.5}', '{"text": null}',
             '{"text": "x", "label": null}', '{"text": "x", "label": " "}']
    path = _write(tmp_path / "bad.jsonl", "\n".join(lines) + "\n")
    items = _read(path, label_field="label")
    assert items[0] == InputError(path, "line 1", "missing field 'label'")
    assert [(e.position, e.error) for e in items[1:]] == [
        ("line 2", "malformed JSON: Expecting ',' delimiter (column 10)"),
        ("line 3", "JSON line is not an object: got an array"),
        ("line 4", "JSON line is not an object: got a string"),
        ("line 5", "no body field (looked for 'text', 'body', 'content'): the record has "
                   "'title'; name the body field with the text_field option (--text-field)"),
        ("line 6", "field 'text' is a number, expected a string"),
        ("line 7", "field 'title' is an array, expected a string"),
        ("line 8", "field 'id' is an array, expected a string or an integer"),
        ("line 9", "field 'id' is a number, expected a string or an integer"),
        ("line 10", "field 'text' is null, expected a string"),
        ("line 11", "field 'label' is null, expected a string"),
        ("line 12", "field 'label' is empty"),
    ]


def test_csv_errors(tmp_path):
    path = _write(tmp_path / "bad.csv",
                  'id,title,text\n1,标题,正文\n2,缺一列\n3,a,b,c\n4,"x"y,z\n5,好,好\n')
    items = _read(path)
    assert [(x.position, type(x).__name__) for x in items] == [
        ("row 1", "InputArticle"), ("row 2", "InputError"), ("row 3", "InputError"),
        ("row 4", "InputError"), ("row 5", "InputArticle")]
    assert items[1].error == ("wrong number of fields: the row has 2, the header row 3 "
                              "(ending on line 3)")
    assert items[2].error.startswith("wrong number of fields: the row has 4")
    assert items[3].error.startswith("malformed row: ',' expected after '\"'")
    unclosed = _write(tmp_path / "open.csv", 'id,text\n1,ok\n2,"never closed\n3,lost\n')
    items = _read(unclosed)
    assert items[1].position == "row 2"
    assert "a quoted field is not closed" in items[1].error
    no_text = _write(tmp_path / "notext.csv", "id,story\n1,x\n")
    error = _only_error(_read(no_text))
    assert error.error == ("no body field (looked for 'text', 'body', 'content'): the header "
                           "row has the columns 'id', 'story'; name the body field with the "
                           "text_field option (--text-field)")


def test_undecodable_lines_cost_only_their_line(tmp_path):
    good = _jsonl().encode("utf-8").splitlines(keepends=True)
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(good[0] + b'{"text": "\xff\xfe bad"}\n' + good[1] + good[2])
    items = _read(str(path))
    assert [x.position for x in items] == ["line 1", "line 2", "line 3", "line 4"]
    assert isinstance(items[1], InputError)
    assert items[1].error == ("undecodable bytes in line 2: they do not decode as utf-8 "
                              "(invalid start byte: ff at byte 11 of the line)")
    table = tmp_path / "mixed.csv"
    rows = _table(",").encode("utf-8").splitlines(keepends=True)
    table.write_bytes(rows[0] + rows[1] + b'x,"two\nlines \xff"\n' + rows[2])
    items = _read(str(table))
    assert [(x.position, type(x).__name__) for x in items] == [
        ("row 1", "InputArticle"), ("row 2", "InputError"), ("row 3", "InputArticle")]
    assert items[1].error.startswith("undecodable bytes in line 4: ")
    page = tmp_path / "page.txt"
    page.write_bytes(PAGE.encode("utf-8") + b"\xff\n")
    error = _only_error(_read(str(page)))
    assert error.position == ""
    assert error.error.startswith(f"undecodable bytes in line {PAGE.count(chr(10)) + 1}")


def test_nothing_lost_in_a_file_mixing_good_and_bad_lines(tmp_path):
    good = [json.dumps({"id": n, "text": f"第{n}条新闻：市人大常委会召开会议。"},
                       ensure_ascii=False) for n in range(200)]
    bad = ["{oops", "[]", '{"text": 1}', '{"title": "无正文"}', '{"text": "  "}']
    lines = [good[n] if n % 7 else bad[(n // 7) % len(bad)] for n in range(200)]
    path = _write(tmp_path / "mixed.jsonl", "\n".join(lines) + "\n", "gb18030")
    articles, errors = _split(_read(path))
    expected_bad = sum(1 for n in range(200) if n % 7 == 0)
    assert (len(articles), len(errors)) == (200 - expected_bad, expected_bad)
    positions = [x.position for x in _read(path)]
    assert positions == [f"line {n}" for n in range(1, 201)]


def test_one_bad_input_never_stops_the_stream(tmp_path):
    inputs = [_write(tmp_path / "a.jsonl", _jsonl()), str(tmp_path / "missing.csv"),
              _write(tmp_path / "x.bin", "?"), _write(tmp_path / "b.csv", _table(","))]
    articles, errors = _split(_read(*inputs))
    assert len(articles) == 6
    assert [e.source for e in errors] == inputs[1:3]


# --- streaming and large inputs -----------------------------------------------------------

def test_lines_across_the_sample_boundary(tmp_path):
    records = [(f"id{n}", TITLES[n % 3], BODIES[n % 3], "x") for n in range(600)]
    text = _jsonl(records)
    assert len(text.encode("gb18030")) > 2 * SAMPLE_SIZE
    path = _write(tmp_path / "big.jsonl.gz", text, "gb18030", gz=True)
    items = _read(path)
    assert all(isinstance(a, InputArticle) and a.encoding == "gb18030" for a in items)
    assert [(a.id, a.body) for a in items] == [(r[0], r[2]) for r in records]


def test_jsonl_is_streamed_not_read_whole():
    data = _jsonl(RECORDS * 2000).encode("utf-8")
    assert len(data) > 10 * SAMPLE_SIZE
    stream = io.BytesIO(data)
    items = iter_inputs("-", stdin=stream)
    first = next(items)
    assert first.id == RECORDS[0][0]
    assert stream.tell() <= SAMPLE_SIZE + 1000
    assert sum(1 for _ in items) == 3 * 2000 - 1


def test_argument_checks():
    with pytest.raises(ValueError, match="input_format"):
        iter_inputs(["a"], input_format="json")
    with pytest.raises(ValueError, match="unknown encoding"):
        iter_inputs(["a"], encoding="klingon")
    with pytest.raises(TypeError, match="inputs"):
        iter_inputs([1, 2])
    with pytest.raises(TypeError, match="inputs"):
        iter_inputs([b"a.txt"])


def test_read_text(tmp_path):
    assert read_text(_write(tmp_path / "p.txt", PAGE, "gbk")) == PAGE
    assert read_text(_write(tmp_path / "p.txt.gz", PAGE, "utf-8-sig", gz=True)) == PAGE
    assert read_text("-", stdin=io.BytesIO(PAGE.encode("gb18030"))) == PAGE
    assert read_text(_write(tmp_path / "s.txt", "教育", "gb18030"), encoding="gb18030") == "教育"
    missing = str(tmp_path / "none.txt")
    with pytest.raises(ValueError, match=f"^{re.escape(missing)}: unreadable file: not found$"):
        read_text(missing)
    bad = tmp_path / "bad.txt"
    bad.write_bytes(PAGE.encode() + b"\xff\n")
    line = PAGE.count("\n") + 1
    with pytest.raises(ValueError, match=f"undecodable bytes in line {line}: they do not decode"):
        read_text(bad)
    with pytest.raises(ValueError, match="empty file"):
        read_text(_write(tmp_path / "e.txt", " \n"))
    with pytest.raises(ValueError, match="unknown encoding"):
        read_text(bad, encoding="nope")
