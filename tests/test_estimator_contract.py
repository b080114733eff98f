"""NewsClassifier as scikit-learn expects an estimator to behave (the gaps once found)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.base import clone

from newsclass import NewsClassifier, label_files

from .conftest import LABELS, TEXTS


@pytest.mark.parametrize("kind", ["int", "numpy int", "bool"])
def test_integer_and_bool_labels(kind):
    names = sorted(set(LABELS))
    if kind == "bool":
        texts = [t for t, y in zip(TEXTS, LABELS, strict=True) if y != "education"]
        y = [lab == "tech" for lab in LABELS if lab != "education"]
    else:
        texts = TEXTS
        y = [names.index(lab) for lab in LABELS]
        if kind == "numpy int":
            y = np.asarray(y, dtype=np.int32)
    clf = NewsClassifier(calibration_cv=3).fit(texts, y)
    assert sorted(clf.classes_.tolist()) == sorted(set(np.asarray(y).tolist()))
    pred = clf.predict(["研究团队攻克芯片关键技术"])
    tech = True if kind == "bool" else names.index("tech")
    assert pred[0] == tech and type(pred[0].item()) is type(tech)


def test_class_weight_by_label_name():
    weighted = NewsClassifier(calibration_cv=3, class_weight={"tech": 5.0}).fit(TEXTS, LABELS)
    plain = NewsClassifier(calibration_cv=3).fit(TEXTS, LABELS)
    assert weighted.classes_.tolist() == plain.classes_.tolist() == sorted(set(LABELS))
    assert not np.allclose(weighted.decision_function(TEXTS), plain.decision_function(TEXTS))
    with pytest.raises(ValueError, match=r"class_weight names labels .*sports"):
        NewsClassifier(calibration_cv=3, class_weight={"sports": 2.0}).fit(TEXTS, LABELS)


def test_no_articles_give_empty_results(tiny_model):
    assert tiny_model.predict([]).shape == (0,)
    assert tiny_model.predict_proba([]).shape == (0, len(tiny_model.classes_))
    assert tiny_model.predict_details([]) == []


@pytest.mark.parametrize("param, value", [
    ("calibration", "foo"), ("C", 0), ("C", "2"), ("min_df", 0), ("max_df", 1.5),
    ("threshold", 2.0), ("threshold", float("nan")), ("char_ngram_range", (3, 1)),
    ("word_ngram_range", [1, 2]), ("calibration_cv", 1), ("normalize", "yes"),
    ("class_weight", "even"), ("nb_weight", -1), ("random_state", 1.5),
])
def test_bad_parameters_fail_at_fit_naming_the_parameter(param, value):
    clf = NewsClassifier(**{param: value})  # stored as given, as scikit-learn wants
    assert clf.get_params()[param] is value
    with pytest.raises(ValueError, match=rf"parameter {param} must be"):
        clf.fit(TEXTS, LABELS)


@pytest.mark.parametrize("param, value", [("nb_weight", 0.0), ("threshold", 0.99),
                                          ("fallback_label", "tech"), ("C", 0.01)])
def test_set_params_after_fit_changes_nothing_until_refit(tiny_model, param, value):
    model = clone(tiny_model).set_params(calibration_cv=3).fit(TEXTS, LABELS)
    before = model.predict_proba(TEXTS), model.predict(TEXTS)
    model.set_params(**{param: value})
    np.testing.assert_array_equal(model.predict_proba(TEXTS), before[0])
    np.testing.assert_array_equal(model.predict(TEXTS), before[1])


def test_threshold_set_before_fit_counts_and_a_call_can_override_it():
    texts = [*TEXTS, "天气晴，气温回升", "菜价平稳，市场供应充足", "公交线路调整"]
    labels = [*LABELS, "other", "other", "other"]
    strict = NewsClassifier(calibration_cv=3, threshold=1.0).fit(texts, labels)
    assert set(strict.predict(TEXTS).tolist()) == {"other"}
    assert strict.predict(TEXTS, threshold=0.0).tolist() == strict.labels_from_proba(
        strict.predict_proba(TEXTS), threshold=0.0).tolist()
    with pytest.raises(ValueError, match="threshold must be a probability"):
        strict.predict(TEXTS, threshold=1.5)


def test_max_df_reaches_the_features():
    common = NewsClassifier(calibration_cv=3, char_ngram_range=None).fit(TEXTS, LABELS)
    rare = NewsClassifier(calibration_cv=3, char_ngram_range=None, max_df=0.1).fit(
        TEXTS, LABELS)
    assert rare.features_.max_df == 0.1
    assert rare.n_features_ < common.n_features_


def test_tags_say_text_input(tiny_model):
    tags = tiny_model.__sklearn_tags__()
    assert tags.input_tags.string and not tags.input_tags.two_d_array


def test_empty_text_is_refused_the_same_way_in_python_and_the_cli(tiny_model, tmp_path):
    with pytest.raises(ValueError, match="article 1 is empty"):
        tiny_model.predict(["人大代表", " \u3000\n"])
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in [
        {"id": "a", "text": "人大代表"}, {"id": "b", "text": " \u3000\n"}]) + "\n",
        encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = label_files([path], out, model=tiny_model, progress=False)
    assert (result.labelled, result.errors) == (1, 1)
    (err,) = [json.loads(x) for x in (tmp_path / "out.jsonl.errors.jsonl").read_text(
        encoding="utf-8").splitlines()]
    assert err["position"] == "line 2" and "empty" in err["error"]
