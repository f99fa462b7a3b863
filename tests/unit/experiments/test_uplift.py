"""Uplift metrics against scikit-uplift 0.5 and a hand computation; the uplift models find a
planted effect and behave as scikit-learn estimators."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import sklift.metrics as sklift  # the test extra: scikit-uplift 0.5, the reference
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from cible.exceptions import ExperimentError
from cible.experiments.uplift_metrics import (
    evaluate_uplift,
    qini_coefficient,
    qini_curve,
    uplift_at_k,
    uplift_auc,
    uplift_curve,
)
from cible.experiments.uplift_models import METHODS, make_model
from cible.experiments.uplift_run import audience, fit_and_evaluate


@pytest.fixture
def scored() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    n = 3_000
    t = rng.integers(0, 2, n)
    u = np.round(rng.normal(size=n), 2)  # ties on purpose
    y = (rng.random(n) < 0.1 + 0.05 * t * (u > 0)).astype(int)
    return y, u, t


def test_metrics_match_scikit_uplift(scored: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    y, u, t = scored
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        assert qini_coefficient(y, u, t) == pytest.approx(sklift.qini_auc_score(y, u, t), rel=1e-12)
        assert uplift_auc(y, u, t) == pytest.approx(sklift.uplift_auc_score(y, u, t), rel=1e-12)
        for k in (0.1, 0.3, 0.5):
            ref = sklift.uplift_at_k(y, u, t, strategy="overall", k=k)
            assert uplift_at_k(y, u, t, k) == pytest.approx(ref, rel=1e-12)
        for mine, theirs in ((qini_curve, sklift.qini_curve), (uplift_curve, sklift.uplift_curve)):
            x1, v1 = mine(y, u, t)
            x2, v2 = theirs(y, u, t)
            np.testing.assert_allclose(x1, x2)
            np.testing.assert_allclose(v1, v2, rtol=1e-12)


def test_hand_computed_curve_and_top_k() -> None:
    # ranked: (y, t) = (1, 1), (0, 0), (1, 0), (0, 1)
    y = np.array([1, 0, 1, 0])
    t = np.array([1, 0, 0, 1])
    u = np.array([0.9, 0.5, 0.3, 0.1])
    x, q = qini_curve(y, u, t)
    # i=1: 1 - 0; i=2: 1 - 0·1/1; i=3: 1 - 1·1/2; i=4: 1 - 1·2/2
    assert x.tolist() == [0, 1, 2, 3, 4]
    assert q.tolist() == pytest.approx([0, 1, 1, 0.5, 0])
    assert uplift_at_k(y, u, t, 0.5) == pytest.approx(1.0)  # top 2: treated 1/1, control 0/1
    with pytest.raises(ExperimentError, match=r"k must be a fraction"):
        uplift_at_k(y, u, t, 1.0)


def test_perfect_ranking_scores_one_and_reversed_scores_below_zero() -> None:
    y = np.array([1, 1, 0, 0, 0, 0, 1, 1])
    t = np.array([1, 1, 1, 1, 0, 0, 0, 0])
    perfect = y * t - y * (1 - t)
    assert qini_coefficient(y, perfect, t) == pytest.approx(1.0)
    assert qini_coefficient(y, -perfect, t) < 0


def _planted(n: int = 6_000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    t = rng.integers(0, 2, n)
    effect = np.where(x["a"] > 0, 0.25, 0.0)
    y = (rng.random(n) < 0.2 + effect * t).astype(int)
    return x, y, t


@pytest.mark.parametrize("method", sorted(METHODS))
@pytest.mark.parametrize("base", ["logistic", "hgb_slow"])
def test_every_model_finds_the_planted_effect(method: str, base: str) -> None:
    x, y, t = _planted()
    evaluations, _, (n_train, n_test, effect) = fit_and_evaluate(
        x, y, t, [(method, base)], test_size=0.3, seed=0
    )
    e = evaluations[0]
    assert (n_train, n_test) == (4_200, 1_800)
    assert effect == pytest.approx(0.125, abs=0.04)
    assert e.uplift_top_30 > 0.18  # the top 30% is inside the half with +25 points
    # the oracle ranking (a > 0 first) scores 0.128 on this split, a random one -0.005
    assert e.qini_coefficient > 0.09


def test_estimator_contract() -> None:
    x, y, t = _planted(800)
    model = make_model("t_learner", "logistic")
    with pytest.raises(NotFittedError):
        model.predict(x)
    assert model.fit(x, y, t) is model
    assert clone(model).get_params() == {"base": "logistic", "seed": 0}
    with pytest.raises(ExperimentError, match="3 columns"):
        model.predict(np.ones((2, 3)))
    with pytest.raises(ExperimentError, match="both outcomes"):
        make_model("t_learner", "logistic").fit(x, np.zeros(800), t)
    with pytest.raises(ExperimentError, match="unknown uplift method"):
        make_model("s_learner", "logistic")
    before = x.copy()
    make_model("blend", "logistic").fit(x, y, t)
    pd.testing.assert_frame_equal(x, before)


def test_audience_is_the_top_fraction_with_stable_ties() -> None:
    aud, scores = audience(["a", "b", "c", "d", "e"], np.array([0.1, 0.3, 0.3, -0.2, 0.0]), 0.4)
    assert aud.members == 2  # int(5 · 0.4)
    assert scores.loc[scores["member"], "customer_id"].tolist() == ["b", "c"]
    assert scores["rank"].tolist() == [3, 1, 2, 5, 4]
    assert aud.threshold == pytest.approx(0.3)
    small, _ = audience(["a", "b"], np.array([0.1, 0.2]), 0.3)  # int(0.6) = 0 members
    assert small.members == 0


def test_evaluation_keeps_thin_curves() -> None:
    rng = np.random.default_rng(1)
    y, t, u = rng.integers(0, 2, 5000), rng.integers(0, 2, 5000), rng.normal(size=5000)
    e = evaluate_uplift("m", y, u, t)
    assert len(e.qini_x) <= 200 and e.qini_x[0] == 0 and e.qini_x[-1] == 5000
