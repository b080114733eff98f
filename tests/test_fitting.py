"""Fitting a recipe and validating it in one pool of tasks (newsclass.fitting)."""

import numpy as np
import pytest

from newsclass.default_model import read_corpus
from newsclass.fitting import CrossValidation, HoldOut, fit, fit_and_validate, fit_predict
from newsclass.metrics import label_metrics

PARAMS = {"min_df": 2, "calibration_cv": 2, "char_ngram_range": (1, 2)}


@pytest.fixture(scope="module")
def data():
    articles, labels = read_corpus()
    return articles[::8], labels[::8]


def test_one_pool_gives_what_separate_fits_give(data):
    articles, labels = data
    train, test = articles[: len(articles) // 2], articles[len(articles) // 2:]
    train_y, test_y = labels[: len(labels) // 2], labels[len(labels) // 2:]
    checks = {"cv": CrossValidation(articles, labels, 3),
              "later": HoldOut(train, train_y, test, test_y, noted={"month": 5})}
    model, metrics = fit_and_validate(PARAMS, articles, labels, checks, jobs=2)
    assert list(metrics) == ["cv", "later"]
    probe = articles[::7]
    alone = fit(PARAMS, articles, labels)
    assert np.array_equal(model.predict_proba(probe), alone.predict_proba(probe))
    held = metrics["later"]
    assert held["n"] == len(test) and held["month"] == 5
    assert held["macro_f1"] == label_metrics(
        test_y, fit_predict(PARAMS, train, train_y, test))["macro_f1"]
    assert metrics["cv"]["folds"] == 3
    assert sum(map(sum, metrics["cv"]["confusion_matrix"]["matrix"])) == len(articles)


def test_scores_do_not_depend_on_how_many_run_at_once(data):
    articles, labels = data
    checks = {"cv": CrossValidation(articles, labels, 3)}
    _, serial = fit_and_validate(PARAMS, articles, labels, checks, jobs=1)
    _, parallel = fit_and_validate(PARAMS, articles, labels, checks, jobs=2)
    assert serial == parallel


def test_extra_articles_train_every_fold_and_are_never_tested(data):
    articles, labels = data
    cv = CrossValidation(articles[:40], labels[:40], 2, articles[40:], labels[40:])
    tasks = cv.tasks(PARAMS)
    assert [size for size, _ in tasks] == [20 + len(articles) - 40] * 2
    results = [np.asarray([labels[0]] * 20, dtype=object)] * 2
    scored = cv.score(results)
    assert sum(map(sum, scored["confusion_matrix"]["matrix"])) == 40


def test_plain_folds_for_a_few_articles_where_a_label_occurs_once(data):
    articles, _ = data
    few, few_labels = articles[:3], ["tech", "other", "charity"]
    with pytest.raises(ValueError):
        CrossValidation(few, few_labels, 3)  # stratified folds need 3 of each
    assert len(CrossValidation(few, few_labels, 3, stratified=False).tasks(PARAMS)) == 3


def test_fewer_than_two_folds_is_refused(data):
    articles, labels = data
    with pytest.raises(ValueError, match="at least 2 folds"):
        CrossValidation(articles, labels, 1)
