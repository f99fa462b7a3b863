"""Welch's t-test, the bootstrap interval and CUPED against scipy/statsmodels, with the
boundaries: constant arms, a constant covariate."""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats

from cible.exceptions import ExperimentError
from cible.experiments.bootstrap import bootstrap_difference
from cible.experiments.cuped import cuped_adjust, cuped_test
from cible.experiments.welch import welch_ttest


@pytest.fixture
def revenue() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.gamma(2.0, 10.0, 300), rng.gamma(2.0, 11.0, 280)


def test_welch_matches_scipy(revenue: tuple[np.ndarray, np.ndarray]) -> None:
    c, t = revenue
    r = welch_ttest(c, t)
    ref = stats.ttest_ind(t, c, equal_var=False)
    ci = ref.confidence_interval(0.95)
    assert (r.t, r.p_value, r.dof) == pytest.approx((ref.statistic, ref.pvalue, ref.df), rel=1e-12)
    assert (r.ci_low, r.ci_high) == pytest.approx((ci.low, ci.high), rel=1e-12)
    assert r.difference == pytest.approx(t.mean() - c.mean())


def test_welch_hand_computed() -> None:
    # control [1, 2, 3] (mean 2, var 1), treatment [2, 4, 6] (mean 4, var 4)
    r = welch_ttest([1, 2, 3], [2, 4, 6])
    se = math.sqrt(1 / 3 + 4 / 3)
    dof = (1 / 3 + 4 / 3) ** 2 / ((1 / 3) ** 2 / 2 + (4 / 3) ** 2 / 2)
    assert r.t == pytest.approx(2 / se, rel=1e-12)
    assert r.dof == pytest.approx(dof, rel=1e-12)  # 2.9411...
    assert r.p_value == pytest.approx(2 * stats.t.sf(2 / se, dof), rel=1e-12)


def test_welch_identical_constant_arms_and_refusals() -> None:
    r = welch_ttest([5.0, 5.0, 5.0], [5.0, 5.0])
    assert (r.t, r.p_value, r.significant) == (0.0, 1.0, False)
    with pytest.raises(ExperimentError, match="constant with different values"):
        welch_ttest([5.0, 5.0], [6.0, 6.0])
    with pytest.raises(ExperimentError, match=">= 2 values"):
        welch_ttest([1.0], [1.0, 2.0])
    with pytest.raises(ExperimentError, match="finite"):
        welch_ttest([1.0, float("nan")], [1.0, 2.0])


@pytest.mark.parametrize("method", ["BCa", "percentile", "basic"])
def test_bootstrap_matches_scipy_with_the_same_seed(
    revenue: tuple[np.ndarray, np.ndarray], method: str
) -> None:
    c, t = revenue
    r = bootstrap_difference(c, t, n_resamples=500, method=method, seed=7)  # type: ignore[arg-type]
    ref = stats.bootstrap(
        (c, t),
        lambda a, b, axis=-1: np.mean(b, axis=axis) - np.mean(a, axis=axis),
        vectorized=True,
        paired=False,
        n_resamples=500,
        method=method,
        rng=np.random.default_rng(7),
    )
    assert (r.ci_low, r.ci_high) == pytest.approx(
        (ref.confidence_interval.low, ref.confidence_interval.high), rel=1e-12
    )
    assert r.ci_low < r.difference < r.ci_high


def test_bootstrap_of_constant_arms_is_the_point() -> None:
    r = bootstrap_difference([2.0, 2.0], [3.0, 3.0, 3.0])
    assert (r.difference, r.ci_low, r.ci_high) == (1.0, 1.0, 1.0)


def test_cuped_theta_is_the_ols_slope_and_variance_cut_is_rho_squared() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(100, 20, 2000)
    treated = rng.integers(0, 2, 2000)
    y = 0.8 * x + 3.0 * treated + rng.normal(0, 10, 2000)
    r = cuped_test(y, x, treated)
    slope = sm.OLS(y, sm.add_constant(x)).fit().params[1]
    assert r.theta == pytest.approx(slope, rel=1e-10)
    rho = np.corrcoef(x, y)[0, 1]
    assert r.variance_reduction == pytest.approx(rho**2, rel=1e-12)
    adjusted, _ = cuped_adjust(y, x)
    assert np.var(adjusted, ddof=1) == pytest.approx((1 - rho**2) * np.var(y, ddof=1), rel=1e-10)
    # same effect, smaller standard error
    assert r.adjusted.difference == pytest.approx(3.0, abs=1.0)
    se = lambda w: w.ci_high - w.ci_low  # noqa: E731
    assert se(r.adjusted) < se(r.unadjusted)


def test_cuped_with_a_constant_covariate_adjusts_nothing() -> None:
    y = np.array([1.0, 2.0, 3.0, 4.0])
    adjusted, theta = cuped_adjust(y, np.ones(4))
    assert theta == 0.0
    np.testing.assert_array_equal(adjusted, y)
    with pytest.raises(ExperimentError, match="3 covariate"):
        cuped_adjust(y, np.ones(3))
