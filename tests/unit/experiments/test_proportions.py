"""The two-proportion z-test and the chi-square test against statsmodels/scipy, and exact values
at the boundaries (zero conversions in one arm, identical arms, p exactly at alpha)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from cible.exceptions import ExperimentError
from cible.experiments import rejects
from cible.experiments.chisquare import chi_square_test
from cible.experiments.proportions import two_proportion_ztest

CASES = [(120, 1000, 150, 1000), (17489, 145274, 17264, 145310), (3, 40, 9, 41), (0, 100, 10, 100)]


@pytest.mark.parametrize(("xc", "nc", "xt", "nt"), CASES)
def test_z_and_interval_match_statsmodels(xc: int, nc: int, xt: int, nt: int) -> None:
    r = two_proportion_ztest(xc, nc, xt, nt)
    z, p = proportions_ztest([xt, xc], [nt, nc])
    low, high = confint_proportions_2indep(xt, nt, xc, nc, method="wald", compare="diff")
    assert r.z == pytest.approx(z, rel=1e-12)
    assert r.p_value == pytest.approx(p, rel=1e-12)
    assert (r.ci_low, r.ci_high) == pytest.approx((low, high), rel=1e-12)


@pytest.mark.parametrize("alternative", ["larger", "smaller"])
def test_one_sided_matches_statsmodels(alternative: str) -> None:
    r = two_proportion_ztest(120, 1000, 150, 1000, alternative=alternative)  # type: ignore[arg-type]
    _, p = proportions_ztest([150, 120], [1000, 1000], alternative=alternative)
    assert r.p_value == pytest.approx(p, rel=1e-12)


def test_hand_computed_z_with_zero_conversions_in_one_arm() -> None:
    # control 0/100, treatment 10/100: pooled 0.05, se = sqrt(0.05 * 0.95 * 0.02)
    r = two_proportion_ztest(0, 100, 10, 100)
    z = 0.1 / math.sqrt(0.05 * 0.95 * 0.02)
    assert r.z == pytest.approx(z, rel=1e-12)
    assert r.z == pytest.approx(3.244428422615251, rel=1e-12)
    assert r.p_value == pytest.approx(2 * stats.norm.sf(z), rel=1e-12)
    assert math.isnan(r.relative_lift)  # no control conversion: lift undefined
    # unpooled Wald interval: the control arm has zero variance
    half = stats.norm.ppf(0.975) * math.sqrt(0.1 * 0.9 / 100)
    assert (r.ci_low, r.ci_high) == pytest.approx((0.1 - half, 0.1 + half), rel=1e-12)


def test_identical_arms_give_z_zero_and_p_one() -> None:
    r = two_proportion_ztest(50, 400, 50, 400)
    assert (r.z, r.p_value, r.difference, r.significant) == (0.0, 1.0, 0.0, False)


@pytest.mark.parametrize(("xc", "xt"), [(0, 0), (10, 12)])
def test_nobody_or_everybody_converted_is_p_one_not_nan(xc: int, xt: int) -> None:
    r = two_proportion_ztest(xc, 10, xt, 12)
    assert (r.z, r.p_value, r.ci_low, r.ci_high) == (0.0, 1.0, 0.0, 0.0)


def test_p_exactly_at_alpha_is_significant_and_just_above_is_not() -> None:
    assert rejects(0.05, 0.05) is True
    assert rejects(np.nextafter(0.05, 1), 0.05) is False
    assert rejects(np.nextafter(0.05, 0), 0.05) is True
    assert rejects(float("nan"), 0.05) is False
    # a test whose p-value is the alpha it is judged at
    r = two_proportion_ztest(120, 1000, 150, 1000)
    assert two_proportion_ztest(120, 1000, 150, 1000, alpha=r.p_value).significant is True
    assert two_proportion_ztest(120, 1000, 150, 1000, alpha=r.p_value * 0.999).significant is False


def test_tie_between_arms_at_different_sizes() -> None:
    r = two_proportion_ztest(10, 100, 20, 200)  # same rate 10%
    assert r.difference == 0.0
    assert r.z == pytest.approx(0.0, abs=1e-15)
    assert r.p_value == pytest.approx(1.0)


@pytest.mark.parametrize(("x", "n"), [(5, 0), (-1, 10), (11, 10)])
def test_impossible_counts_are_refused(x: int, n: int) -> None:
    with pytest.raises(ExperimentError, match="control"):
        two_proportion_ztest(x, n, 1, 10)


@pytest.mark.parametrize(("xc", "nc", "xt", "nt"), CASES)
def test_chi_square_matches_scipy_and_equals_z_squared(xc: int, nc: int, xt: int, nt: int) -> None:
    r = chi_square_test(["c", "t"], [xc, xt], [nc, nt])
    ref = stats.chi2_contingency([[xc, nc - xc], [xt, nt - xt]], correction=False)
    assert r.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert r.p_value == pytest.approx(ref.pvalue, rel=1e-10)
    assert r.dof == 1
    assert r.statistic == pytest.approx(two_proportion_ztest(xc, nc, xt, nt).z ** 2, rel=1e-9)


def test_chi_square_three_arms_and_yates_match_scipy() -> None:
    r = chi_square_test(["a", "b", "c"], [10, 20, 30], [100, 100, 100])
    ref = stats.chi2_contingency([[10, 90], [20, 80], [30, 70]])
    assert (r.statistic, r.dof) == (pytest.approx(ref.statistic, rel=1e-12), 2)
    y = chi_square_test(["a", "b"], [10, 20], [100, 100], yates=True)
    assert y.statistic == pytest.approx(stats.chi2_contingency([[10, 90], [20, 80]]).statistic)


def test_chi_square_without_any_conversion_is_zero() -> None:
    r = chi_square_test(["a", "b"], [0, 0], [10, 20])
    assert (r.statistic, r.p_value, r.significant) == (0.0, 1.0, False)


def test_chi_square_refuses_mismatched_lengths() -> None:
    with pytest.raises(ExperimentError, match="2 arms"):
        chi_square_test(["a", "b"], [1], [10, 10])
