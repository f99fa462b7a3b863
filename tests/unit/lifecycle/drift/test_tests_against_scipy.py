"""Each drift test on the same numbers as its scipy counterpart, and at its threshold."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special, stats
from scipy.spatial.distance import jensenshannon

from cible.exceptions import LifecycleError
from cible.lifecycle.drift import Histogram, histogram_of
from cible.lifecycle.drift.chi_square import chi_square_test
from cible.lifecycle.drift.jensen_shannon import jensen_shannon_test
from cible.lifecycle.drift.kl import kl_test
from cible.lifecycle.drift.ks import ks_test
from cible.lifecycle.drift.psi import psi_test
from cible.lifecycle.drift.wasserstein import wasserstein_test

RNG = np.random.default_rng(42)
A = RNG.integers(0, 8, 3_000)
B = np.clip(RNG.integers(0, 8, 2_000) + RNG.integers(0, 2, 2_000), 0, 7)
EDGES = list(range(7))  # every distinct value 0..7 but the last is an edge: binning is exact
POINTS = list(range(8))


def _pair() -> tuple[Histogram, Histogram]:
    scale = float(A.std())
    return (
        histogram_of(A, EDGES, points=POINTS, scale=scale),
        histogram_of(B, EDGES, points=POINTS, scale=scale),
    )


def test_ks_equals_scipy_ks_2samp_asymptotic_on_exact_bins() -> None:
    ref, cur = _pair()
    r = ks_test(ref, cur)
    expected = stats.ks_2samp(A, B, method="asymp")
    assert r.score == pytest.approx(expected.statistic, abs=1e-12)
    assert r.p_value == pytest.approx(expected.pvalue, rel=1e-9)
    assert r.drifted is True
    assert r.effect == r.score


def test_ks_p_value_of_large_samples_is_the_kolmogorov_limit() -> None:
    # n_eff = 20,000 x 20,000 / 40,000 = 10,000: still kstwo; one more row: the limit
    at = ks_test(Histogram((10_000, 10_000)), Histogram((9_800, 10_200)))
    assert at.score == pytest.approx(0.01)
    assert at.p_value == pytest.approx(stats.kstwo.sf(0.01, 10_000), rel=1e-12)
    big = ks_test(Histogram((10_000, 10_001)), Histogram((9_801, 10_200)))
    en = 20_001 * 20_001 / 40_002
    assert big.p_value == pytest.approx(special.kolmogorov(np.sqrt(en) * big.score), rel=1e-12)
    assert big.p_value == pytest.approx(stats.kstwo.sf(big.score, round(en)), rel=0.02)


def test_ks_p_value_exactly_at_threshold_is_not_drift() -> None:
    ref = histogram_of(A[:300], EDGES)
    cur = histogram_of(B[:300], EDGES)
    p = ks_test(ref, cur).p_value
    assert 0 < p < 1
    assert ks_test(ref, cur, threshold=p).drifted is False
    assert ks_test(ref, cur, threshold=np.nextafter(p, 1)).drifted is True


def test_ks_of_identical_histograms_is_zero_with_p_one() -> None:
    ref, _ = _pair()
    r = ks_test(ref, ref)
    assert (r.score, r.p_value, r.drifted) == (0.0, 1.0, False)


def test_jensen_shannon_equals_scipy_base_2() -> None:
    ref, cur = _pair()
    r = jensen_shannon_test(ref, cur)
    assert r.score == pytest.approx(jensenshannon(ref.array(), cur.array(), base=2), abs=1e-12)
    assert jensen_shannon_test(ref, cur, threshold=r.score).drifted is True
    assert jensen_shannon_test(ref, cur, threshold=np.nextafter(r.score, 1)).drifted is False


def test_jensen_shannon_is_finite_and_one_for_disjoint_supports() -> None:
    r = jensen_shannon_test(Histogram((10, 0)), Histogram((0, 5)))
    assert r.score == pytest.approx(1.0)


def test_kl_equals_scipy_entropy_of_current_against_reference() -> None:
    ref, cur = _pair()
    r = kl_test(ref, cur)
    assert r.score == pytest.approx(stats.entropy(cur.array(), ref.array()), abs=1e-12)
    assert kl_test(ref, cur, threshold=r.score).drifted is True
    assert kl_test(ref, cur, threshold=np.nextafter(r.score, 1)).drifted is False


def test_kl_with_an_empty_bin_uses_the_smoothing_share() -> None:
    # reference share 0 -> 1e-4, renormalised: p = (0.5, 0.5, 1e-4) / 1.0001
    r = kl_test(Histogram((50, 50, 0)), Histogram((40, 40, 20)))
    p = np.array([0.5, 0.5, 1e-4]) / 1.0001
    q = np.array([0.4, 0.4, 0.2])
    assert r.score == pytest.approx(float(np.sum(q * np.log(q / p))), rel=1e-12)
    assert np.isfinite(r.score)


def test_psi_on_hand_numbers_and_at_threshold() -> None:
    # (0.25 - 0.5) ln(0.5) + (0.75 - 0.5) ln(1.5) = 0.25 ln 3
    ref, cur = Histogram((50, 50)), Histogram((25, 75))
    r = psi_test(ref, cur)
    assert r.score == pytest.approx(0.25 * np.log(3), abs=1e-12)
    assert psi_test(ref, cur, threshold=r.score).drifted is True
    assert psi_test(ref, cur, threshold=np.nextafter(r.score, 1)).drifted is False
    assert psi_test(ref, ref).score == 0.0


def test_wasserstein_equals_scipy_on_raw_values_when_bins_are_exact() -> None:
    ref, cur = _pair()
    r = wasserstein_test(ref, cur)
    assert r.details["raw"] == pytest.approx(stats.wasserstein_distance(A, B), abs=1e-12)
    assert r.details["raw"] == pytest.approx(
        stats.wasserstein_distance(POINTS, POINTS, ref.array(), cur.array()), abs=1e-12
    )
    assert r.score == pytest.approx(r.details["raw"] / A.std(), rel=1e-12)


def test_wasserstein_gate_exactly_at_threshold_drifts() -> None:
    # shares move 0.1 from point 0 to point 1, scale 2: W1 = 0.1, normalised 0.05
    ref = Histogram((50, 50), edges=(0.0,), points=(0.0, 1.0), scale=2.0)
    cur = Histogram((40, 60), edges=(0.0,), points=(0.0, 1.0), scale=2.0)
    r = wasserstein_test(ref, cur)
    assert r.score == pytest.approx(0.05, abs=1e-15)
    assert wasserstein_test(ref, cur, threshold=r.score).drifted is True
    assert wasserstein_test(ref, cur, threshold=np.nextafter(r.score, 1)).drifted is False


def test_wasserstein_of_a_constant_reference() -> None:
    ref = Histogram((10, 0), edges=(1.0,), points=(1.0, 1.0), scale=0.0)
    assert wasserstein_test(ref, ref).score == 0.0
    moved = Histogram((10, 0), edges=(1.0,), points=(1.0, 3.0), scale=0.0)
    assert wasserstein_test(moved, Histogram((5, 5), edges=(1.0,))).score == float("inf")


def test_chi_square_equals_scipy_chi2_contingency_without_correction() -> None:
    ref, cur = (
        Histogram((30, 50, 20), labels=("a", "b", "c")),
        Histogram((45, 40, 15), labels=("a", "b", "c")),
    )
    r = chi_square_test(ref, cur)
    expected = stats.chi2_contingency(np.array([ref.counts, cur.counts]), correction=False)
    assert r.score == pytest.approx(expected.statistic, rel=1e-12)
    assert r.p_value == pytest.approx(expected.pvalue, rel=1e-9)
    assert r.details["dof"] == 2
    assert r.effect == pytest.approx(np.sqrt(expected.statistic / 200), rel=1e-12)
    assert chi_square_test(ref, cur, threshold=r.p_value).drifted is False
    assert chi_square_test(ref, cur, threshold=np.nextafter(r.p_value, 1)).drifted is True


def test_chi_square_drops_categories_empty_on_both_sides() -> None:
    labels = ("a", "b", "z")
    r = chi_square_test(
        Histogram((30, 70, 0), labels=labels), Histogram((40, 60, 0), labels=labels)
    )
    expected = stats.chi2_contingency(np.array([[30, 70], [40, 60]]), correction=False)
    assert r.score == pytest.approx(expected.statistic, rel=1e-12)


def test_different_bins_are_refused_with_their_sizes() -> None:
    with pytest.raises(LifecycleError, match="reference has 2 bins, current 3"):
        ks_test(Histogram((1, 2)), Histogram((1, 2, 3)))
    with pytest.raises(LifecycleError, match="different bins"):
        psi_test(Histogram((1, 2), edges=(0.0,)), Histogram((1, 2), edges=(1.0,)))
    with pytest.raises(LifecycleError, match="current population has no non-null value"):
        kl_test(Histogram((1, 2)), Histogram((0, 0)))
    with pytest.raises(LifecycleError, match="needs 1 edges, got 2"):
        Histogram((1, 2), edges=(0.0, 1.0))
    with pytest.raises(LifecycleError, match="counts must be >= 0"):
        Histogram((1, -2))
