from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.estimator_checks import check_estimator
from threadpoolctl import threadpool_limits

from cible.predict import BalancedClassifier
from cible.predict.balance import correct_prior


def _groups() -> tuple[pd.DataFrame, np.ndarray]:
    # x = 0: 100 rows, 10 positive; x = 1: 100 rows, 50 positive (base rate 30%)
    x = np.r_[np.zeros(100), np.ones(100)]
    y = np.r_[np.ones(10), np.zeros(90), np.ones(50), np.zeros(50)].astype(int)
    return pd.DataFrame({"x": x}), y


def test_corrected_probabilities_are_the_observed_rates() -> None:
    X, y = _groups()
    model = BalancedClassifier(DecisionTreeClassifier(max_depth=1, random_state=0)).fit(X, y)
    p = model.predict_proba(pd.DataFrame({"x": [0.0, 1.0]}))[:, 1]
    assert p == pytest.approx([0.10, 0.50])
    raw = model.estimator_.predict_proba(pd.DataFrame({"x": [0.0, 1.0]}))[:, 1]
    assert raw[0] == pytest.approx((10 / 60) / (10 / 60 + 90 / 140))  # the balanced world
    assert model.logit_shift_ == pytest.approx(np.log(0.3 / 0.7))


def test_weights_reach_the_last_step_of_a_pipeline() -> None:
    X, y = _groups()
    pipe = make_pipeline(StandardScaler(), LogisticRegression())
    balanced = BalancedClassifier(pipe).fit(X, y)
    plain = BalancedClassifier(pipe, balance=False).fit(X, y)
    assert plain.logit_shift_ == 0.0
    # both end at the observed rates once corrected (a saturated model of a binary feature)
    for m in (balanced, plain):
        assert m.predict_proba(pd.DataFrame({"x": [0.0, 1.0]}))[:, 1] == pytest.approx(
            [0.1, 0.5], abs=0.01
        )
    grid = pd.DataFrame({"x": [0.0, 1.0]})
    assert balanced.predict(grid).tolist() == (balanced.predict_proba(grid)[:, 1] >= 0.5).tolist()


def test_sklearn_protocol() -> None:
    model = BalancedClassifier(LogisticRegression(C=0.5))
    assert clone(model).get_params()["estimator__C"] == 0.5
    with pytest.raises(NotFittedError):
        model.predict_proba(pd.DataFrame({"x": [0.0]}))
    with pytest.raises(ValueError, match=r"Only binary classification is supported; got 3 class"):
        model.fit(pd.DataFrame({"x": [0.0, 1.0, 2.0]}), np.array([0, 1, 2]))
    # any two labels: the second sorted one is the positive class
    fitted = BalancedClassifier(DecisionTreeClassifier(max_depth=1)).fit(*_labelled("no", "yes"))
    assert fitted.classes_.tolist() == ["no", "yes"]
    assert fitted.predict(pd.DataFrame({"x": [0.0]})).tolist() == ["no"]


def _labelled(neg: str, pos: str) -> tuple[pd.DataFrame, np.ndarray]:
    X, y = _groups()
    return X, np.where(y == 1, pos, neg)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.SkipTestWarning")
@pytest.mark.parametrize(
    "estimator",
    [
        BalancedClassifier(LogisticRegression()),
        BalancedClassifier(DecisionTreeClassifier(random_state=0), balance=False),
    ],
)
def test_passes_scikit_learn_checks(estimator: BalancedClassifier) -> None:
    with threadpool_limits(1):
        results = check_estimator(estimator, on_fail=None)
    assert {r["check_name"]: str(r["exception"]) for r in results if r["status"] == "failed"} == {}


def test_correct_prior() -> None:
    p = np.array([0.5, 0.2])
    assert correct_prior(p, 0.0) is not p
    assert correct_prior(p, np.log(1 / 3))[0] == pytest.approx(0.25)
