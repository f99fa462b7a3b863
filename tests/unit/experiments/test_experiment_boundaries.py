"""Experiment statistics at their decision boundaries: the shared rule (p exactly at alpha, just
above, NaN), asymmetric arms where a swap of control and treatment shows (the lift is relative to
control, the difference is treatment minus control), the SRM expected counts of an uneven plan,
the Welch interval at a non-default alpha, and corrections with NaN left out of ``m``."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from cible.experiments import DEFAULT_ALPHA, rejects
from cible.experiments.corrections import correct
from cible.experiments.proportions import two_proportion_ztest
from cible.experiments.srm import sample_ratio_check
from cible.experiments.welch import welch_ttest


def test_rejects_at_alpha_just_above_and_nan() -> None:
    assert DEFAULT_ALPHA == 0.05
    assert rejects(0.05) is True
    assert rejects(float(np.nextafter(0.05, 1))) is False
    assert rejects(float(np.nextafter(0.05, 0))) is True
    assert rejects(0.01, 0.01) is True and rejects(0.0101, 0.01) is False
    assert rejects(float("nan")) is False


def test_lift_is_relative_to_control_and_the_difference_is_treatment_minus_control() -> None:
    r = two_proportion_ztest(100, 1000, 150, 1000)
    assert (r.rate_control, r.rate_treatment) == (0.1, 0.15)
    assert r.difference == pytest.approx(0.05)
    assert r.relative_lift == pytest.approx(0.5)  # not 0.05 / 0.15
    assert r.z > 0 and r.ci_low > 0 and r.significant is True
    swapped = two_proportion_ztest(150, 1000, 100, 1000)
    assert swapped.relative_lift == pytest.approx(-1 / 3)
    assert swapped.z == pytest.approx(-r.z) and swapped.ci_high < 0
    assert (swapped.conversions_control, swapped.n_treatment) == (150, 1000)


def test_no_control_conversion_gives_no_relative_lift_and_one_sided_directions() -> None:
    r = two_proportion_ztest(0, 500, 10, 400)
    assert math.isnan(r.relative_lift) and r.difference == 0.025
    larger = two_proportion_ztest(40, 400, 60, 400, alternative="larger")
    smaller = two_proportion_ztest(40, 400, 60, 400, alternative="smaller")
    both = two_proportion_ztest(40, 400, 60, 400)
    assert larger.p_value == pytest.approx(both.p_value / 2)
    assert smaller.p_value == pytest.approx(1 - both.p_value / 2)
    assert (larger.alternative, smaller.alternative) == ("larger", "smaller")
    assert r.to_dict()["relative_lift"] is None
    assert r.to_dict()["test"] == "two-proportion z-test (pooled)"


def test_the_wald_interval_follows_alpha() -> None:
    wide = two_proportion_ztest(40, 400, 60, 400, alpha=0.01)
    narrow = two_proportion_ztest(40, 400, 60, 400, alpha=0.2)
    se = math.sqrt(0.1 * 0.9 / 400 + 0.15 * 0.85 / 400)
    assert wide.ci_low == pytest.approx(0.05 - stats.norm.ppf(0.995) * se)
    assert narrow.ci_high == pytest.approx(0.05 + stats.norm.ppf(0.9) * se)
    assert (wide.alpha, narrow.alpha) == (0.01, 0.2)


def test_srm_expected_counts_of_an_uneven_plan_and_the_threshold() -> None:
    r = sample_ratio_check({"control": 210, "treatment": 790}, {"treatment": 4, "control": 1})
    assert r.expected == {"treatment": 800.0, "control": 200.0}
    assert r.observed == {"treatment": 790, "control": 210}
    assert r.statistic == pytest.approx(10**2 / 800 + 10**2 / 200)
    assert r.mismatch is False and r.threshold == 0.001
    at = sample_ratio_check({"a": 210, "b": 790}, {"a": 1, "b": 4}, threshold=r.p_value)
    assert at.mismatch is True  # p exactly at the threshold is a mismatch
    above = float(np.nextafter(r.p_value, 0))
    assert (
        sample_ratio_check({"a": 210, "b": 790}, {"a": 1, "b": 4}, threshold=above).mismatch
        is False
    )


def test_welch_interval_at_a_non_default_alpha_and_the_sign_of_t() -> None:
    c = [1.0, 2.0, 3.0, 4.0]
    t = [3.0, 5.0, 7.0, 9.0, 11.0]
    r = welch_ttest(c, t, alpha=0.1)
    ref = stats.ttest_ind(t, c, equal_var=False)
    ci = ref.confidence_interval(confidence_level=0.9)
    assert (r.t, r.dof, r.p_value) == pytest.approx((ref.statistic, ref.df, ref.pvalue))
    assert (r.ci_low, r.ci_high) == pytest.approx((ci.low, ci.high))
    assert r.difference == 4.5 and r.t > 0
    assert (r.n_control, r.n_treatment, r.mean_control, r.mean_treatment) == (4, 5, 2.5, 7.0)
    assert r.significant is True  # p = 0.0303
    assert welch_ttest(c, t, alpha=0.03).significant is False
    same = welch_ttest([2.0, 2.0], [2.0, 2.0, 2.0])
    assert (same.t, same.dof, same.p_value, same.significant) == (0.0, 3.0, 1.0, False)


def test_corrections_leave_nan_out_of_m_and_reject_at_alpha() -> None:
    holm = correct([0.01, float("nan"), 0.04], "holm")
    # m = 2, not 3: 0.01 * 2 = 0.02, max(0.02, 0.04 * 1) = 0.04
    assert holm.adjusted[0] == pytest.approx(0.02) and holm.adjusted[2] == pytest.approx(0.04)
    assert math.isnan(holm.adjusted[1])
    assert holm.rejected == (True, False, True)
    assert holm.p_values[0] == 0.01 and math.isnan(holm.p_values[1])
    bh = correct([0.03, 0.02], "fdr_bh", alpha=0.03)
    assert bh.adjusted == pytest.approx((0.03, 0.03))
    assert bh.rejected == (True, True)  # adjusted exactly at alpha
    none = correct([float("nan")], "holm")
    assert none.rejected == (False,) and math.isnan(none.adjusted[0])
    assert holm.to_dict()["test"] == "Holm (statsmodels multipletests)"


def test_arm_sizes_at_their_limits_and_the_arm_named_in_the_error() -> None:
    from cible.exceptions import ExperimentError

    one = two_proportion_ztest(1, 1, 0, 5)  # n = 1 is a valid arm
    assert (one.rate_control, one.rate_treatment) == (1.0, 0.0)
    with pytest.raises(ExperimentError, match=r"^control: 0 conversions out of 0 units"):
        two_proportion_ztest(0, 0, 1, 10)
    with pytest.raises(ExperimentError, match=r"^treatment: 4 conversions out of 3 units"):
        two_proportion_ztest(1, 10, 4, 3)
    with pytest.raises(ExperimentError, match=r"^treatment: -1 conversions"):
        two_proportion_ztest(1, 10, -1, 3)


def test_srm_refuses_a_zero_share_and_reports_its_test_name() -> None:
    from cible.exceptions import ExperimentError

    with pytest.raises(ExperimentError, match="planned shares must be > 0"):
        sample_ratio_check({"a": 10, "b": 10}, {"a": 1, "b": 0})
    r = sample_ratio_check({"a": 50, "b": 50}, {"a": 1, "b": 1})
    d = r.to_dict()
    assert d["test"] == "sample-ratio mismatch (scipy.stats.chisquare)"
    assert d["observed"] == {"a": 50, "b": 50} and d["expected"] == {"a": 50.0, "b": 50.0}
    assert (d["statistic"], d["p_value"], d["mismatch"]) == (0.0, 1.0, False)


def test_corrections_use_the_alpha_they_are_given() -> None:
    strict = correct([0.02, 0.5], "holm", alpha=0.01)
    assert strict.alpha == 0.01 and strict.rejected == (False, False)
    loose = correct([0.02, 0.5], "holm")
    assert loose.alpha == 0.05 and loose.rejected == (True, False)
    assert correct([0.04], "fdr_bh", alpha=0.04).rejected == (True,)
    assert correct([0.0401], "fdr_bh", alpha=0.04).rejected == (False,)


def test_every_count_of_each_arm_is_reported_as_given() -> None:
    r = two_proportion_ztest(12, 300, 30, 400)
    assert (r.conversions_control, r.n_control, r.conversions_treatment, r.n_treatment) == (
        12,
        300,
        30,
        400,
    )
