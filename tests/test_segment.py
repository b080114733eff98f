import pickle

import jieba
import pytest

from newsclass import Segmenter
from newsclass.segment import BACKENDS


@pytest.mark.parametrize("backend", BACKENDS)
def test_private_tokenizer_not_global(backend):
    import rjieba

    seg = Segmenter(backend=backend)
    assert "科技型中小企业" in seg.cut("全市科技型中小企业")
    assert seg.tokenizer is not jieba.dt and seg.tokenizer is not rjieba._DEFAULT_JIEBA
    # The global tokenizers do not learn our user words.
    assert "科技型中小企业" not in jieba.dt.FREQ
    assert rjieba.cut("全市科技型中小企业", False) != seg.cut("全市科技型中小企业")


def test_backends_agree_on_the_corpus():
    from newsclass.default_model import read_corpus

    articles, _ = read_corpus()
    fast, slow = Segmenter(backend="rjieba"), Segmenter(backend="jieba")
    texts = [a["title"] + "\n" + a["body"] for a in articles]
    assert [fast.cut(t) for t in texts] == [slow.cut(t) for t in texts]


def test_unknown_and_missing_backend(monkeypatch):
    import sys

    from newsclass import ModelFileError, load_model
    from newsclass.segment import SegmenterBackendError

    with pytest.raises(ValueError, match="unknown segmentation backend"):
        Segmenter(backend="thulac")
    data = pickle.dumps(Segmenter(backend="rjieba"))
    monkeypatch.setitem(sys.modules, "rjieba", None)  # as if it were not installed
    with pytest.raises(SegmenterBackendError, match="pip install rjieba"):
        pickle.loads(data)
    with pytest.raises(ModelFileError, match="backend 'rjieba' is not installed"):
        load_model()


def test_user_dictionary_words_kept_whole():
    assert "科技型中小企业" in Segmenter().cut("全市科技型中小企业数量增长")
    assert "票决制" in Segmenter().cut("推行票决制")


def test_user_dict_from_iterable_and_file(tmp_path):
    assert "雁城英才卡" in Segmenter(user_dict=["雁城英才卡"]).cut("申领雁城英才卡")
    path = tmp_path / "words.txt"
    path.write_text("# comment\n衡山科学城 50 ns\n", encoding="utf-8")
    seg = Segmenter(user_dict=path)
    assert seg.user_words == ("衡山科学城 50 ns",)
    assert "衡山科学城" in seg.cut("衡山科学城孵化器")


def test_missing_word_list_file_is_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nope\.txt"):
        Segmenter(user_dict=tmp_path / "nope.txt")


def test_stopwords_and_spaces_removed_single_characters_kept():
    words = Segmenter().cut("我 在 学校 的 门口 看 书。")
    assert "的" not in words and "。" not in words and " " not in words
    assert "书" in words and "看" in words


def test_custom_and_no_stopwords():
    assert Segmenter(stopwords=["门口"]).cut("学校门口") == ["学校"]
    assert "的" in Segmenter(stopwords=None).cut("我的书")


@pytest.mark.parametrize("backend", BACKENDS)
def test_hmm_switch(backend):
    # An unknown name is joined by the HMM and split without it.
    text = "许珂报道"
    assert (Segmenter(hmm=True, backend=backend).cut(text)
            != Segmenter(hmm=False, backend=backend).cut(text))


def test_pickle_drops_loaded_dictionary_and_reloads():
    seg = Segmenter()
    seg.cut("预热")
    data = pickle.dumps(seg)
    assert len(data) < 20_000
    back = pickle.loads(data)
    assert back._tokenizer is None
    assert back == seg
    assert back.cut("人大代表票决制") == seg.cut("人大代表票决制")


def test_callable_and_type_error():
    seg = Segmenter()
    assert seg("科技创新") == seg.cut("科技创新")
    with pytest.raises(TypeError, match="int"):
        seg.cut(5)


def test_describe_has_checksums():
    info = Segmenter().describe()
    assert info["backend"] == "rjieba" and info["backend_version"] != "unknown"
    assert len(info["dictionary_sha256"]) == 64
    assert info["user_dict_sha256"] != Segmenter(user_dict=None).describe()["user_dict_sha256"]


def test_cut_is_one_backend_call_and_a_filter():
    """What cut adds to the backend costs one pass over its words (the time itself is
    measured by benchmarks/segment_speed.py, not here)."""
    seg = Segmenter(user_dict=None, backend="jieba")
    text = "衡阳市科技创新攻坚战取得新成效，高新技术企业总数突破一千家。" * 200
    backend = seg._cutter()
    calls = []

    def counted(t):
        calls.append(t)
        return backend(t)

    seg._cut = counted
    words = seg.cut(text)
    assert calls == [text]
    assert words == [w for w in backend(text) if w not in seg.stopwords and not w.isspace()]


def test_uncleaned_words_are_the_backend_words_and_cover_the_text():
    seg = Segmenter()
    text = "市人大常委会 召开会议，审议\n科技创新条例的草案。"
    raw = seg.cut(text, clean=False)
    assert "".join(raw) == text  # nothing dropped: stopwords and spaces are still there
    assert [w for w in raw if w not in seg.stopwords and not w.isspace()] == seg.cut(text)


def test_keeps_all_tells_whether_cut_would_drop_a_word():
    seg = Segmenter(stopwords=["的", "了"])
    assert seg.keeps_all(["人大", "科技", "代表"])
    assert not seg.keeps_all(["人大", "的"])
    assert not seg.keeps_all(["科技", "\u3000"])
