"""The Beta-Binomial probability to beat control against numerical integration (scipy), with
exact values; power and sample size against the closed-form normal formula and statsmodels."""

from __future__ import annotations

import math

import pytest
from scipy import integrate, stats
from statsmodels.stats.power import NormalIndPower

from cible.exceptions import ExperimentError
from cible.experiments.bayes import prob_b_beats_a, probability_to_beat_control
from cible.experiments.power import power_proportions, sample_size_means, sample_size_proportions


def _integrated(a_a: int, b_a: int, a_b: int, b_b: int) -> float:
    f = lambda x: stats.beta.pdf(x, a_b, b_b) * stats.beta.cdf(x, a_a, b_a)  # noqa: E731
    return float(integrate.quad(f, 0, 1, limit=200, epsabs=1e-12)[0])


@pytest.mark.parametrize(
    "params", [(2, 3, 4, 2), (13, 89, 21, 81), (1, 1, 1, 1), (40, 400, 35, 410)]
)
def test_closed_form_matches_numerical_integration(params: tuple[int, int, int, int]) -> None:
    assert prob_b_beats_a(*params) == pytest.approx(_integrated(*params), abs=1e-9)


def test_exact_values() -> None:
    # A ~ Beta(1, 1) uniform, B ~ Beta(2, 1) density 2x: P(B > A) = ∫ 2x · x dx = 2/3
    assert prob_b_beats_a(1, 1, 2, 1) == pytest.approx(2 / 3, rel=1e-12)
    # identical posteriors (a tie): 1/2
    assert prob_b_beats_a(7, 5, 7, 5) == pytest.approx(0.5, rel=1e-12)
    r = probability_to_beat_control(0, 10, 0, 10)  # zero conversions in both arms
    assert r.probability_treatment_beats_control == pytest.approx(0.5, rel=1e-12)
    assert r.posterior_control == (1, 11)


def test_zero_conversions_in_control_favours_treatment() -> None:
    r = probability_to_beat_control(0, 100, 10, 100)
    assert r.probability_treatment_beats_control == pytest.approx(
        _integrated(1, 101, 11, 91), abs=1e-9
    )
    assert r.probability_treatment_beats_control > 0.999


def test_non_integer_prior_is_refused() -> None:
    with pytest.raises(ExperimentError, match="whole number"):
        prob_b_beats_a(1.5, 1, 1, 1)  # type: ignore[arg-type]


def test_sample_size_matches_the_closed_form() -> None:
    plan = sample_size_proportions(0.10, 0.12)
    h = 2 * math.asin(math.sqrt(0.12)) - 2 * math.asin(math.sqrt(0.10))
    n = 2 * ((stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) / h) ** 2
    assert plan.effect_size == pytest.approx(h, rel=1e-12)
    assert plan.n_control == math.ceil(n) == 3_835
    assert plan.n_treatment == plan.n_control


def test_power_at_the_planned_size_is_the_planned_power() -> None:
    plan = sample_size_proportions(0.10, 0.12, power=0.9)
    assert power_proportions(0.10, 0.12, plan.n_control) == pytest.approx(0.9, abs=1e-3)
    assert power_proportions(0.10, 0.12, plan.n_control) >= 0.9
    ref = NormalIndPower().power(abs(plan.effect_size), nobs1=1000, alpha=0.05, ratio=2.0)
    assert power_proportions(0.10, 0.12, 1000, ratio=2.0) == pytest.approx(ref, rel=1e-12)


def test_sample_size_for_means_and_unequal_ratio() -> None:
    plan = sample_size_means(1.0, 4.0)  # d = 0.25
    assert plan.n_control == 253  # statsmodels TTestIndPower, two-sided 5%, power 0.8
    assert (
        sample_size_proportions(0.1, 0.12, ratio=2.0).n_treatment
        == 2 * sample_size_proportions(0.1, 0.12, ratio=2.0).n_control
    )


@pytest.mark.parametrize(("base", "expected"), [(0.1, 0.1), (0.0, 0.1), (0.1, 1.0)])
def test_degenerate_plans_are_refused(base: float, expected: float) -> None:
    with pytest.raises(ExperimentError, match="rates must be in"):
        sample_size_proportions(base, expected)
