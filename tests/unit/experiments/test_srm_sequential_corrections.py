"""Sample-ratio check against scipy, the mSPRT against hand-computed values and a simulation of
peeking, Holm and Benjamini-Hochberg against statsmodels and hand-adjusted p-values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from cible.exceptions import ExperimentError
from cible.experiments.corrections import correct
from cible.experiments.sequential import confidence_half_width, msprt_proportions, msprt_statistic
from cible.experiments.srm import sample_ratio_check


def test_srm_matches_scipy_chisquare() -> None:
    r = sample_ratio_check({"control": 5_100, "treatment": 4_900}, {"control": 1, "treatment": 1})
    ref = stats.chisquare([5_100, 4_900], [5_000, 5_000])
    assert (r.statistic, r.p_value) == pytest.approx((ref.statistic, ref.pvalue), rel=1e-12)
    assert r.statistic == pytest.approx(4.0)  # 100²/5000 · 2
    assert r.expected == {"control": 5_000.0, "treatment": 5_000.0}
    assert r.mismatch is False


def test_srm_exact_plan_and_a_clear_mismatch() -> None:
    exact = sample_ratio_check({"a": 300, "b": 100}, {"a": 0.75, "b": 0.25})
    assert (exact.statistic, exact.p_value, exact.mismatch) == (0.0, 1.0, False)
    bad = sample_ratio_check({"a": 5_300, "b": 4_700}, {"a": 1, "b": 1})
    assert bad.p_value == pytest.approx(stats.chi2.sf(36.0, 1), rel=1e-12)
    assert bad.mismatch is True


def test_srm_threshold_boundary() -> None:
    r = sample_ratio_check({"a": 5_100, "b": 4_900}, {"a": 1, "b": 1})
    assert sample_ratio_check(
        {"a": 5_100, "b": 4_900}, {"a": 1, "b": 1}, threshold=r.p_value
    ).mismatch
    below = np.nextafter(r.p_value, 0)
    assert not sample_ratio_check(
        {"a": 5_100, "b": 4_900}, {"a": 1, "b": 1}, threshold=below
    ).mismatch


def test_srm_refuses_arms_outside_the_plan() -> None:
    with pytest.raises(ExperimentError, match="planned arms"):
        sample_ratio_check({"a": 1, "c": 2}, {"a": 1, "b": 1})


def test_msprt_statistic_hand_computed() -> None:
    # Δ = 0.02, s² = 1e-4, τ = 0.01: Λ = sqrt(1e-4/2e-4) · exp(1e-4 · 4e-4 / (2 · 1e-4 · 2e-4))
    assert msprt_statistic(0.02, 1e-4, 0.01) == pytest.approx(
        math.sqrt(0.5) * math.exp(1.0), rel=1e-12
    )
    assert msprt_statistic(0.0, 1e-4, 0.01) == pytest.approx(math.sqrt(0.5), rel=1e-12)
    assert msprt_statistic(0.5, 0.0, 0.01) == 1.0  # no variance yet: no evidence
    half = confidence_half_width(1e-4, 0.01, 0.05)
    assert half == pytest.approx(math.sqrt(2e-4 * (math.log(2) + 2 * math.log(20))), rel=1e-12)


def test_reject_exactly_when_the_interval_excludes_zero() -> None:
    """At one look the test rejects iff 1/Λ <= α iff the confidence sequence excludes 0."""
    var, tau, alpha = 1e-4, 0.01, 0.05
    half = confidence_half_width(var, tau, alpha)
    # the half-width is pinned to its closed form by the test above; here the other function,
    # evaluated at it, must give exactly 1/alpha (the duality), then each side of the boundary
    assert 1 / msprt_statistic(half, var, tau) == pytest.approx(alpha, rel=1e-9)
    assert (
        1 / msprt_statistic(half * 1.001, var, tau)
        < alpha
        < 1 / msprt_statistic(half * 0.999, var, tau)
    )


def test_msprt_looks_and_running_minimum() -> None:
    r = msprt_proportions([10, 30, 60], [100, 300, 600], [12, 45, 100], [100, 300, 600], tau=0.05)
    ps = [lk.p_value for lk in r.looks]
    assert ps == sorted(ps, reverse=True)  # the always-valid p-value never goes up
    pc, pt = 60 / 600, 100 / 600
    var = pc * (1 - pc) / 600 + pt * (1 - pt) / 600
    assert r.looks[-1].likelihood_ratio == pytest.approx(
        msprt_statistic(pt - pc, var, 0.05), rel=1e-12
    )
    for lk in r.looks:
        assert lk.cs_low <= lk.difference <= lk.cs_high


def test_peeking_keeps_the_type_one_error_where_a_naive_z_test_does_not() -> None:
    """400 A/A tests, 50 looks each: the mSPRT rejects in <= 5%, the z-test at every look far more."""
    rng = np.random.default_rng(0)
    sims, looks, step, rate = 400, 50, 200, 0.1
    xc = rng.binomial(step, rate, (sims, looks)).cumsum(axis=1)
    xt = rng.binomial(step, rate, (sims, looks)).cumsum(axis=1)
    n = np.arange(1, looks + 1) * step
    msprt = naive = 0
    for s in range(sims):
        msprt += msprt_proportions(xc[s], n, xt[s], n, tau=0.02).first_rejection is not None
        pc, pt = xc[s] / n, xt[s] / n
        pool = (xc[s] + xt[s]) / (2 * n)
        z = (pt - pc) / np.sqrt(pool * (1 - pool) * 2 / n)
        naive += bool((2 * stats.norm.sf(np.abs(z)) <= 0.05).any())
    assert msprt / sims <= 0.05
    assert naive / sims > 0.2


def test_msprt_refuses_bad_looks() -> None:
    with pytest.raises(ExperimentError, match="same number"):
        msprt_proportions([1, 2], [10], [1], [10])
    with pytest.raises(ExperimentError, match="n > 0"):
        msprt_proportions([1], [0], [1], [10])


P = [0.01, 0.04, 0.03, 0.20]


def test_holm_hand_and_statsmodels() -> None:
    r = correct(P, "holm")
    # sorted 0.01, 0.03, 0.04, 0.20 times 4, 3, 2, 1 with a running max
    assert r.adjusted == pytest.approx((0.04, 0.09, 0.09, 0.20))
    assert r.rejected == (True, False, False, False)
    assert r.adjusted == pytest.approx(tuple(multipletests(P, method="holm")[1]))


def test_benjamini_hochberg_hand_and_statsmodels() -> None:
    r = correct(P, "fdr_bh")
    # p·m/rank with a running min from the top: 0.04, 0.0533, 0.0533, 0.20
    assert r.adjusted == pytest.approx((0.04, 0.16 / 3, 0.16 / 3, 0.20))
    assert r.rejected == (True, False, False, False)
    assert r.adjusted == pytest.approx(tuple(multipletests(P, method="fdr_bh")[1]))


def test_adjusted_p_exactly_at_alpha_is_rejected_and_nan_is_kept_out() -> None:
    r = correct([0.025, 0.5], "holm")  # 0.025 · 2 = 0.05
    assert r.adjusted[0] == pytest.approx(0.05)
    assert r.rejected == (True, False)
    n = correct([0.01, float("nan"), 0.02], "fdr_bh")
    assert math.isnan(n.adjusted[1]) and n.rejected[1] is False
    assert n.adjusted[0] == pytest.approx(0.02)  # m = 2 tested p-values
    with pytest.raises(ExperimentError, match="unknown correction"):
        correct([0.1], "bonferroni")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("diff", "var", "tau"), [(0.02, 1e-4, 0.01), (-0.003, 4e-6, 0.01), (0.1, 0.01, 0.5)]
)
def test_msprt_statistic_is_the_mixture_likelihood_ratio_integrated_by_scipy(
    diff: float, var: float, tau: float
) -> None:
    """Λ = ∫ N(Δ; θ, s²) / N(Δ; 0, s²) · N(θ; 0, τ²) dθ, integrated numerically."""
    from scipy import integrate

    s = math.sqrt(var)

    def f(theta: float) -> float:
        ratio = stats.norm.pdf(diff, theta, s) / stats.norm.pdf(diff, 0, s)
        return float(ratio * stats.norm.pdf(theta, 0, tau))

    ref = integrate.quad(f, -12 * tau, 12 * tau, limit=400, points=[diff])[0]
    assert msprt_statistic(diff, var, tau) == pytest.approx(ref, rel=1e-7)
