import sys
import unicodedata

import pytest

from newsclass import normalize


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
