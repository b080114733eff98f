import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from newsclass import Document, NewsClassifier, normalize

from .conftest import LABELS, TEXTS


def test_fit_returns_self_and_sets_fitted_attributes(tiny_data):
    clf = NewsClassifier(calibration_cv=3)
    assert clf.fit(*tiny_data) is clf
    assert list(clf.classes_) == ["congress", "education", "tech"]
    assert clf.n_train_ == len(TEXTS)
    assert clf.label_counts_ == {"congress": 8, "education": 8, "tech": 8}
    assert len(clf.training_sha256_) == 64


def test_constructor_stores_parameters_only():
    clf = NewsClassifier(C=0.3, threshold=0.5)
    assert clf.get_params()["C"] == 0.3
    assert not [k for k in vars(clf) if k.endswith("_")]


def test_predicts_training_like_texts(tiny_model):
    pred = tiny_model.predict(["人大常委会审议条例草案", "考生进入考点参加高考",
                               "企业获得发明专利"])
    assert list(pred) == ["congress", "education", "tech"]


def test_probabilities_sum_to_one_and_follow_classes(tiny_model):
    proba = tiny_model.predict_proba([*TEXTS[:5], "人大代表联络站"])
    assert proba.shape == (6, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert tiny_model.classes_[proba[-1].argmax()] == "congress"


def test_decision_function_shape_and_agreement(tiny_model):
    scores = tiny_model.decision_function(TEXTS)
    assert scores.shape == (len(TEXTS), 3)
    assert np.mean(tiny_model.classes_[scores.argmax(1)] == np.array(LABELS)) == 1.0


def test_predict_top(tiny_model):
    top = tiny_model.predict_top(["人大常委会召开会议"], k=2)
    assert len(top) == 1 and len(top[0]) == 2
    assert top[0][0][0] == "congress"
    assert top[0][0][1] >= top[0][1][1]
    with pytest.raises(ValueError):
        tiny_model.predict_top(["x"], k=0)


def test_explain_gives_signed_terms(tiny_model):
    terms = tiny_model.explain("人大常委会审议条例", top=5)
    assert 0 < len(terms) <= 5
    assert terms[0][1] > 0
    assert any("人大" in t for t, _ in terms)
    against = dict(tiny_model.explain("人大常委会审议条例", top=50, label="tech"))
    assert min(against.values()) < 0
    with pytest.raises(ValueError, match="unknown label"):
        tiny_model.explain("x", label="sports")


def test_threshold_falls_back_to_other():
    texts = [*TEXTS, "天气晴，气温回升", "菜价平稳，市场供应充足", "公交线路调整", "景区游客增多"]
    labels = LABELS + ["other"] * 4
    clf = NewsClassifier(calibration_cv=3).fit(texts, labels)
    doc = ["人大代表"]
    assert clf.predict(doc)[0] == "congress"
    best = clf.predict_proba(doc).max()
    assert clf.predict(doc, threshold=best + 1e-6)[0] == "other"
    assert clf.predict(doc)[0] == "congress"  # the call's threshold is not kept
    strict = NewsClassifier(calibration_cv=3, threshold=best + 1e-6).fit(texts, labels)
    assert strict.predict(doc)[0] == "other"
    assert strict.predict_details(doc)[0]["label"] == "other"


def test_input_types_agree(tiny_model):
    expected = tiny_model.predict_proba(TEXTS)
    for X in (tuple(TEXTS), np.array(TEXTS), pd.Series(TEXTS)):
        np.testing.assert_allclose(tiny_model.predict_proba(X), expected)


def test_title_body_objects_and_dicts(tiny_model):
    as_dict = tiny_model.predict_proba([{"title": "人大常委会会议", "body": "会议审议了报告。"}])
    as_doc = tiny_model.predict_proba([Document("人大常委会会议", "会议审议了报告。")])
    np.testing.assert_allclose(as_dict, as_doc)
    assert tiny_model.classes_[as_dict[0].argmax()] == "congress"


def test_title_counts_more_than_body_when_trained_with_titles():
    docs = [{"title": t, "body": "本报讯 消息称，有关工作正在推进。"} for t in TEXTS]
    clf = NewsClassifier(calibration_cv=3, title_weight=2.0).fit(docs, LABELS)
    assert clf.features_.title_vectorizer_ is not None
    doc = {"title": "人大常委会审议条例", "body": "考生 学校 课堂"}
    assert clf.predict([doc])[0] == "congress"


@pytest.mark.parametrize("method", ["predict", "predict_proba", "predict_details"])
def test_empty_text_is_refused_with_its_position(tiny_model, method):
    with pytest.raises(ValueError, match="article 1 is empty"):
        getattr(tiny_model, method)(["人大代表", "   \n\t "])


@pytest.mark.parametrize("bad, pos, kind", [
    ([None], 0, "NoneType"), (["ok", 3], 1, "int"), (["ok", "ok", b"x"], 2, "bytes"),
    (["ok", ["nested"]], 1, "list"), ([1.5], 0, "float"),
])
def test_bad_items_name_their_position(tiny_model, bad, pos, kind):
    with pytest.raises(TypeError, match=rf"X\[{pos}\].*{kind}"):
        tiny_model.predict(bad)


def test_single_string_is_rejected(tiny_model):
    with pytest.raises(TypeError, match="single str"):
        tiny_model.predict("人大代表")


def test_fit_errors_are_plain():
    with pytest.raises(ValueError, match="two different labels"):
        NewsClassifier().fit(["a", "b"], ["x", "x"])
    with pytest.raises(ValueError, match="3 articles but y has 2"):
        NewsClassifier().fit(["a", "b", "c"], ["x", "y"])
    with pytest.raises(ValueError, match="empty X"):
        NewsClassifier().fit([], [])
    with pytest.raises(ValueError, match="at least 2 examples"):
        NewsClassifier().fit(["a", "b", "c"], ["x", "x", "y"])


def test_unfitted_model_raises_not_fitted():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        NewsClassifier().predict(["x"])


def test_clone_gives_unfitted_equal_params(tiny_model):
    c = clone(tiny_model)
    assert c.get_params() == {**tiny_model.get_params()}
    assert not hasattr(c, "classes_")


def test_pipeline_and_cross_val_score(tiny_data):
    pipe = Pipeline([("norm", FunctionTransformer(lambda X: [normalize(x) for x in X])),
                     ("clf", NewsClassifier(calibration_cv=2))])
    scores = cross_val_score(pipe, *tiny_data, cv=2)
    assert scores.shape == (2,)
    assert scores.mean() > 0.5


def test_grid_search(tiny_data):
    grid = GridSearchCV(NewsClassifier(calibration_cv=2),
                        {"C": [0.1, 1.0], "char_ngram_range": [(1, 2), None]}, cv=2)
    grid.fit(*tiny_data)
    assert set(grid.best_params_) == {"C", "char_ngram_range"}
    assert grid.predict(["人大常委会会议"])[0] == "congress"


def test_training_is_deterministic(tiny_data):
    a = NewsClassifier(calibration_cv=3).fit(*tiny_data).predict_proba(TEXTS)
    b = NewsClassifier(calibration_cv=3).fit(*tiny_data).predict_proba(TEXTS)
    np.testing.assert_array_equal(a, b)


@pytest.mark.slow
def test_five_megabyte_article(tiny_model):
    text = "市人大常委会召开会议，审议有关报告。代表们认真审议，提出意见建议。\n" * 150_000
    assert len(text.encode("utf-8")) > 5_000_000
    assert tiny_model.predict([text])[0] == "congress"
