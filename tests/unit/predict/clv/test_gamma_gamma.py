"""Gamma-Gamma: golden values, brute-force integration, gradient, recovery, independence check."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, optimize, stats
from sklearn.exceptions import NotFittedError

from cible.exceptions import CLVError
from cible.predict.clv import (
    CDNOW_BGNBD,
    CDNOW_GAMMA_GAMMA,
    GammaGammaModel,
    gamma_gamma_log_likelihood,
    rfm_summary,
    simulate_transactions,
)
from cible.predict.clv.gamma_gamma import _negative_log_likelihood

P, Q, V = CDNOW_GAMMA_GAMMA["p"], CDNOW_GAMMA_GAMMA["q"], CDNOW_GAMMA_GAMMA["v"]


@pytest.fixture(scope="module")
def cdnow() -> GammaGammaModel:
    return GammaGammaModel.from_params(P, Q, V)


def test_population_mean_and_conditional_spend(cdnow: GammaGammaModel) -> None:
    # p v / (q - 1) = 6.25 * 15.44 / 2.74
    assert cdnow.population_mean == pytest.approx(35.218978, abs=1e-6)
    # (v + m x) p / (p x + q - 1) for x = 4, m = 50: 215.44 * 6.25 / 27.74
    assert cdnow.expected_average_value(4, 50.0)[0] == pytest.approx(48.540014, abs=1e-6)
    # no repeat purchase: the population mean, whatever the monetary value given
    np.testing.assert_allclose(
        cdnow.expected_average_value([0, 0], [0.0, 999.0]), 35.218978, atol=1e-6
    )


def test_more_purchases_move_the_estimate_towards_the_customer_mean(cdnow: GammaGammaModel) -> None:
    values = cdnow.expected_average_value([1, 2, 5, 20, 200], 80.0)
    assert (np.diff(values) > 0).all()
    assert values[-1] == pytest.approx(80.0, rel=0.01)


@pytest.mark.parametrize(("x", "m"), [(1, 12.0), (3, 35.0), (12, 140.0)])
def test_density_and_expectation_equal_numeric_integration(
    cdnow: GammaGammaModel, x: int, m: float
) -> None:
    """Integrate over nu ~ Gamma(q, rate v): m_x | nu ~ Gamma(p x, rate nu x), E(M | nu) = p/nu."""
    prior = stats.gamma(Q, scale=1 / V)

    def joint(nu: float) -> float:
        return float(stats.gamma.pdf(m, P * x, scale=1 / (nu * x)) * prior.pdf(nu))

    density = integrate.quad(joint, 0, np.inf, limit=200)[0]
    spend = integrate.quad(lambda nu: P / nu * joint(nu), 0, np.inf, limit=200)[0] / density
    assert gamma_gamma_log_likelihood([P, Q, V], x, m)[0] == pytest.approx(
        np.log(density), abs=1e-8
    )
    assert cdnow.expected_average_value(x, m)[0] == pytest.approx(spend, rel=1e-8)


def test_gradient_is_the_derivative_of_the_likelihood() -> None:
    rng = np.random.default_rng(1)
    x = rng.integers(1, 10, 300).astype(float)
    m = rng.gamma(3.0, 10.0, 300)
    xs, inv = np.unique(x, return_inverse=True)

    def nll(lp: np.ndarray) -> tuple[float, np.ndarray]:
        return _negative_log_likelihood(lp, x, m, xs, inv)

    for point in ([0.0, 0.0, 0.0], np.log([P, Q, V / 30]), [1.0, -0.5, 0.3]):
        lp = np.asarray(point, dtype=float)
        numeric = optimize.approx_fprime(lp, lambda v: nll(v)[0], 1e-7)
        np.testing.assert_allclose(nll(lp)[1], numeric, rtol=1e-4)


@pytest.fixture(scope="module")
def simulated() -> pd.DataFrame:
    sim = simulate_transactions(
        20_000, CDNOW_BGNBD, CDNOW_GAMMA_GAMMA, observation_days=546, random_state=11
    )
    return rfm_summary(
        sim.transactions, value_col="value", observation_end=sim.observation_end, time_unit="h"
    )


def test_fit_recovers_parameters_within_four_standard_errors(simulated: pd.DataFrame) -> None:
    s = simulated
    model = GammaGammaModel().fit(s["frequency"], s["monetary_value"])
    for name, value in CDNOW_GAMMA_GAMMA.items():
        assert abs(model.params_[name] - value) < 4 * model.standard_errors_[name], name
    repeat = s[s["frequency"] > 0]
    assert model.n_customers_ == len(repeat)
    assert model.log_likelihood_ == pytest.approx(
        gamma_gamma_log_likelihood(
            list(model.params_.values()), repeat["frequency"], repeat["monetary_value"]
        ).sum(),
        rel=1e-12,
    )
    # the simulation draws spend independently of frequency: no correlation to report
    assert abs(model.frequency_monetary_correlation_) < 0.05
    assert not model.independence_doubtful_


def test_money_unit_only_rescales_v(simulated: pd.DataFrame) -> None:
    s = simulated
    euros = GammaGammaModel().fit(s["frequency"], s["monetary_value"])
    cents = GammaGammaModel().fit(s["frequency"], s["monetary_value"] * 100)
    assert cents.params_["p"] == pytest.approx(euros.params_["p"], rel=1e-5)
    assert cents.params_["q"] == pytest.approx(euros.params_["q"], rel=1e-5)
    assert cents.params_["v"] == pytest.approx(euros.params_["v"] * 100, rel=1e-5)
    assert cents.log_likelihood_ == pytest.approx(
        euros.log_likelihood_ - euros.n_customers_ * np.log(100), rel=1e-9
    )


def test_correlated_spend_is_reported() -> None:
    rng = np.random.default_rng(2)
    x = rng.integers(1, 20, 500).astype(float)
    m = 5.0 * x * rng.gamma(20.0, 1 / 20.0, 500)  # spend grows with frequency
    model = GammaGammaModel().fit(x, m)
    assert model.frequency_monetary_correlation_ > 0.8
    assert model.independence_pvalue_ < 1e-6
    assert model.independence_doubtful_


def test_customers_without_repeat_or_value_are_left_out_of_the_fit() -> None:
    x = np.array([0, 0, 1, 2, 3, 4, 2, 1])
    m = np.array([0.0, 0.0, 10.0, 20.0, 12.0, 15.0, 0.0, 30.0])
    model = GammaGammaModel().fit(x, m)
    assert model.n_customers_ == 5  # frequency > 0 and monetary > 0


def test_errors() -> None:
    with pytest.raises(NotFittedError):
        GammaGammaModel().expected_average_value(1, 10.0)
    with pytest.raises(CLVError, match="at least 2 customers"):
        GammaGammaModel().fit([0, 1], [0.0, 10.0])
    with pytest.raises(CLVError, match="same length"):
        GammaGammaModel().fit([1, 2, 3], [1.0, 2.0])
    with pytest.raises(CLVError, match="whole number"):
        GammaGammaModel().fit([1.5, 2], [1.0, 2.0])
    with pytest.raises(CLVError, match=r"q = 0\.9 <= 1"):
        _ = GammaGammaModel.from_params(6.0, 0.9, 15.0).population_mean
    with pytest.raises(CLVError, match="frequency > 0 and monetary_value > 0"):
        gamma_gamma_log_likelihood([P, Q, V], [0], [10.0])
