"""Tests for splitting newspaper pages into articles (newsclass.articles)."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsclass.articles import Article, Page, split_articles, split_page
from newsclass.documents import as_documents
from tests.conftest import examples

HERE = Path(__file__).parent
SEED = HERE.parent / "seeds" / "000_5c64d9000366f065.txt"
PAGES = sorted((HERE / "pages").glob("*.txt"))


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def _uncovered(page: str, result: Page) -> list[str]:
    """Non-blank lines with a character outside every article and furniture span."""
    spans = [(a.start, a.end) for a in result.articles]
    spans += [(f.start, f.end) for f in result.furniture]
    missing = []
    for match in re.finditer(r"[^\r\n]+", page):
        for i in range(match.start(), match.end()):
            if not page[i].isspace() and not any(a <= i < b for a, b in spans):
                missing.append(match.group())
                break
    return missing


def _check_spans(page: str, result: Page) -> None:
    spans = sorted([(a.start, a.end) for a in result.articles]
                   + [(f.start, f.end) for f in result.furniture])
    assert [(a.start, a.end) for a in result.articles] == sorted(
        (a.start, a.end) for a in result.articles)
    for (s1, e1), (s2, e2) in itertools.pairwise(spans):
        assert 0 <= s1 < e1 <= s2 < e2 <= len(page)
    assert _uncovered(page, result) == []


# --- the seed page --------------------------------------------------------------------

@pytest.fixture(scope="module")
def seed() -> tuple[str, list[Article]]:
    page = _read(SEED)
    return page, split_articles(page)


def test_seed_has_eight_pieces_matching_labels_file(seed):
    _, articles = seed
    labels = json.loads((HERE.parent / "seeds" / "seed_page_labels.json").read_text("utf-8"))
    assert labels["page"] == SEED.name
    assert len(articles) == 8
    assert [(a.title, a.start, a.end) for a in articles] == [
        (p["title"], p["start"], p["end"]) for p in labels["pieces"]]
    assert [p["label"] for p in labels["pieces"]] == [
        "tech", "education", "other", "charity", "congress", "other", "other", "other"]


def test_seed_headlines(seed):
    _, a = seed
    assert a[0].title == "科技创新攻坚战衡阳打得有“新”意"
    assert a[0].subtitles == ("1—11月，全市科技型中小企业数量同比增长72%",
                              "打好“发展六仗”系列报道")
    assert a[1].title == "巅峰对决！衡阳市第三届大中小学思政辩论赛圆满收官"
    assert a[1].subtitles == ()
    assert (a[2].title, a[2].subtitles) == ("市个私协会召开第八次代表大会",
                                            ("推动全市个私企业实现更快发展",))
    assert (a[3].title, a[3].subtitles) == ("《衡阳慈善志》评审会召开",
                                            ("全面系统刻好“慈善年轮”",))
    assert (a[4].title, a[4].subtitles) == ("我市深化民生实事项目人大代表票决制工作",
                                            ("269个“民定”项目让老百姓更有获得感和幸福感",))
    assert [x.title for x in a[5:]] == ["", "", ""]


def test_seed_bylines_and_markers(seed):
    _, a = seed
    assert a[0].byline == "衡阳日报讯（文/全媒体记者 许珂 图/全媒体记者 罗茂盛）"
    assert a[1].byline == "衡阳日报讯（见习记者 王慧）"
    assert a[2].byline == "衡阳日报讯（全媒体记者 胡建军）"
    assert a[3].byline == "衡阳日报讯（全媒体记者 金明达）"
    assert a[4].byline == "■衡阳日报全媒体记者 谢小青"
    assert a[7].byline == "■衡阳日报全媒体记者 张志伟 摄"
    assert [x.continued_from for x in a] == ["", "", "", "", "", "第一版①", "第一版②", ""]
    assert all(x.continues_to == "" for x in a)
    assert a[0].body.startswith("国内首台套66kV")
    assert a[5].body.startswith("大力实施“制造立市")
    assert a[6].body.startswith("我们必须全面贯彻")
    assert a[7].body.startswith("12月22日是冬至节气") and a[7].body.endswith("冬至。")


def test_seed_congress_article_keeps_column_label_and_scrambled_text(seed):
    page, a = seed
    congress = a[4]
    assert congress.body.startswith("培训，区人大常委会工作专班")
    assert "。\n人大亮点工作回眸\n“以前办理异地就医备案" in congress.body
    assert "明确任务目标、责任主体" in congress.body
    assert "各乡镇（街道）、村（社区）负责配合" in congress.body
    assert congress.body.endswith("再到经办人员业务")
    assert page[congress.end:].lstrip().startswith("（上接第一版①）")


def test_seed_page_breaks_rejoined(seed):
    _, a = seed
    assert "知识价值信用贷款风险补偿" in a[0].body
    assert "耒阳市第一中学、衡阳市第九中学" in a[1].body
    assert "持续推进乡村振兴。" in a[5].body
    assert "送审评议稿进行了认真评审" in a[3].body
    assert "①" in a[5].continued_from  # characters are kept as they are


def test_seed_covers_page(seed):
    page, _ = seed
    result = split_page(page)
    _check_spans(page, result)
    assert result.furniture == ()


def test_seed_with_windows_line_endings_gives_same_articles(seed):
    page, articles = seed
    crlf = page.replace("\n", "\r\n")
    again = split_articles(crlf)
    assert [(x.title, x.subtitles, x.byline, x.body, x.continued_from) for x in again] == [
        (x.title, x.subtitles, x.byline, x.body, x.continued_from) for x in articles]
    assert [crlf[x.start:x.end].replace("\r\n", "\n") for x in again] == [
        page[x.start:x.end] for x in articles]


# --- invented pages ---------------------------------------------------------------------

@pytest.mark.parametrize("path", PAGES, ids=[p.stem for p in PAGES])
def test_invented_page(path: Path):
    page = _read(path)
    truth = json.loads(path.with_suffix(".json").read_text("utf-8"))
    result = split_page(page)
    got = result.articles
    assert [a.title for a in got] == [t["title"] for t in truth["articles"]]
    assert [f.text for f in result.furniture] == truth["furniture"]
    for article, expected in zip(got, truth["articles"], strict=True):
        assert article.subtitles == tuple(expected["subtitles"])
        assert article.byline == expected["byline"]
        assert article.continued_from == expected["continued_from"]
        assert article.continues_to == expected["continues_to"]
        assert article.body.startswith(expected["body_head"]), article.body[:20]
        assert article.body.endswith(expected["body_tail"]), article.body[-20:]
        for piece in expected.get("body_contains", []):
            assert piece in article.body
        raw = page[article.start:article.end]
        assert article.title in raw and all(s in raw for s in article.subtitles)
        assert "\r" not in article.body and "\r" not in article.title
    _check_spans(page, result)


def test_invented_pages_cover_the_required_cases():
    texts = [_read(p) for p in PAGES]
    assert len(texts) >= 10
    assert any("\r\n" in t for t in texts)
    assert any("新华社" in t and "电（" in t for t in texts)
    assert any("下转" in t for t in texts) and any("上接" in t for t in texts)
    assert any("本报讯(" in t for t in texts)
    assert any(" 摄" in t for t in texts)


# --- behaviour on small inputs ------------------------------------------------------------

@pytest.mark.parametrize("bad", [None, b"page", 3, ["a"]])
def test_non_str_raises_type_error_naming_type(bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        split_articles(bad)


@pytest.mark.parametrize("page", ["", "   ", "\n\r\n\t\u3000\n"])
def test_blank_page_gives_nothing(page):
    assert split_articles(page) == []
    assert split_page(page) == Page((), ())


def test_page_without_headline_is_one_article():
    page = "今天天气很好，市民纷纷外出踏青。\n\n公园里游人如织，\n孩子们在草地上放风筝。"
    (article,) = split_articles(page)
    assert article.title == ""
    assert article.body == ("今天天气很好，市民纷纷外出踏青。\n"
                            "公园里游人如织，孩子们在草地上放风筝。")
    assert (article.start, article.end) == (0, len(page))
    assert article.text == article.body


def test_lone_short_line_inside_article_is_a_column_label():
    page = ("区里召开会议\n\n本报讯（记者 王五）会议听取了汇报。\n\n工作回眸\n\n"
            "去年全区完成项目十个。\n")
    (article,) = split_articles(page)
    assert article.body == "会议听取了汇报。\n工作回眸\n去年全区完成项目十个。"


def test_article_works_as_classifier_input_and_is_frozen():
    (article,) = split_articles("市里召开会议\n\n本报讯（记者 王五）会议听取了汇报。")
    assert article.text == "市里召开会议\n会议听取了汇报。"
    (doc,) = as_documents([article])
    assert (doc.title, doc.body) == (article.title, article.body)
    with pytest.raises(AttributeError):
        article.title = "x"  # type: ignore[misc]


def test_half_width_punctuation():
    page = ("(上接第2版)项目进展顺利,预计年底完工!\n\n"
            "新区学校开学\n\n本报讯(记者 王五)9月1日,新区学校开学.\n\n共招收学生1200人.")
    first, second = split_articles(page)
    assert first.continued_from == "第2版" and first.body == "项目进展顺利,预计年底完工!"
    assert second.title == "新区学校开学" and second.byline == "本报讯(记者 王五)"
    assert second.body == "9月1日,新区学校开学.\n共招收学生1200人."


# --- properties -----------------------------------------------------------------------------

_PIECES = st.sampled_from([
    "\n", "\n\n", "\r\n", "\r", " ", "\u3000", "。", "，", "摄", "■", "（上接第一版）",
    "（下转第二版）", "本报讯（记者 王五）", "新华社北京1月2日电", "记者 王五 通讯员 赵六",
    "■本报记者 王五 摄", "市里召开会议", "——副题", "2024年1月2日 星期二", "责任编辑：某",
    "会议听取了汇报", "工作回眸", "A2 要闻", "(", ")", "人大", "1", "a",
])
_PAGES = st.one_of(st.text(max_size=200), st.lists(_PIECES, max_size=40).map("".join))


@settings(max_examples=examples(300), deadline=None)
@given(_PAGES)
def test_any_string_splits_into_ordered_covering_spans(page):
    result = split_page(page)
    assert split_articles(page) == list(result.articles)
    _check_spans(page, result)
    for article in result.articles:
        assert page[article.start:article.end].strip()
