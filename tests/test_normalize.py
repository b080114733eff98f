import re
import sys
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsclass import normalize
from newsclass.normalization import join_broken_lines
from tests.conftest import examples


def test_full_width_ascii_becomes_half_width():
    assert normalize("ＡＢＣ１２３％") == "ABC123%"


def test_chinese_punctuation_is_kept():
    text = "会议指出，要抓好落实：一是稳增长；二是惠民生！对吗？（完）……"
    assert normalize(text) == text


def test_zero_width_and_control_characters_removed():
    assert normalize("科\u200b技\u200d创\ufeff新\x07") == "科技创新"


def test_white_space_runs_fold():
    assert normalize("衡阳  日报\t\t讯　记者") == "衡阳 日报 讯 记者"


def test_line_break_inside_sentence_is_joined():
    assert normalize("知识价值信用\n贷款风险补偿") == "知识价值信用贷款风险补偿"


def test_line_break_after_sentence_end_is_kept():
    assert normalize("会议结束。\n下午继续") == "会议结束。\n下午继续"
    assert normalize("他说：“好。”\n随后离开") == "他说：“好。”\n随后离开"


def test_line_break_next_to_latin_is_kept():
    assert normalize("CPU\n芯片") == "CPU\n芯片"


def test_blank_lines_fold_to_one_and_windows_line_endings():
    assert normalize("第一段。\r\n\r\n\r\n\r\n第二段。\r\n") == "第一段。\n\n第二段。"


def test_idempotent_on_messy_text():
    messy = " ２０２３年，\u200b科技\n创新　\r\n\r\n\r\n成果①（上接第一版）\n"
    once = normalize(messy)
    assert normalize(once) == once


def test_rejects_non_str():
    with pytest.raises(TypeError, match="bytes"):
        normalize(b"abc")


def test_invisible_character_list_matches_unicodedata():
    from newsclass.normalization import _INVISIBLE_RE

    keep = set("\t\n\r\x85")
    missing = [hex(c) for c in range(sys.maxunicode + 1)
               if unicodedata.category(chr(c)) in ("Cc", "Cf", "Cs")
               and chr(c) not in keep and not _INVISIBLE_RE.match(chr(c))]
    assert missing == []


def test_nfkc_never_exposes_invisible_characters_or_line_separators():
    # normalize() removes them before NFKC only; this is why one pass is enough.
    from newsclass.normalization import _INVISIBLE_RE, _NEWLINE_RE

    exposing = []
    for c in range(sys.maxunicode + 1):
        char = chr(c)
        if 0xD800 <= c < 0xE000 or _INVISIBLE_RE.match(char) or _NEWLINE_RE.match(char):
            continue
        composed = unicodedata.normalize("NFKC", char)
        if composed != char and (_INVISIBLE_RE.search(composed)
                                 or _NEWLINE_RE.search(composed)):
            exposing.append(hex(c))
    assert exposing == []


def _step_by_step(text):
    """The rules of normalize() one substitution at a time, as its docstring says."""
    text = re.sub("\r\n|[\r\u2028\u2029\x85]", "\n", text)
    text = re.sub("[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u200b-\u200f\ufeff\ud800-\udfff"
                  "\ufdd0-\ufdef]", "", text)
    kept = "，：；！？（）…"  # (the alphabet below has no combining marks)
    text = "".join(c if c in kept else unicodedata.normalize("NFKC", c) for c in text)
    text = re.sub(r"[^\S\n]+", " ", text)
    text = re.sub(r" ?\n ?", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return join_broken_lines(text).strip()


@settings(max_examples=examples(3000), deadline=None)
@given(st.text(alphabet=" \n\t\r\u3000\xa0\u2003\u2028\u2029\x85\u200b\ufeff\x0b\x1c"
                        "\u00ad，。：（）科技人大Ａ１①a", max_size=16))
def test_white_space_folds_as_the_step_by_step_rules(text):
    assert normalize(text) == _step_by_step(text)
