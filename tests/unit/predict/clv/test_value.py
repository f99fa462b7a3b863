"""Discounted CLV over a horizon."""

from __future__ import annotations

import numpy as np
import pytest

from cible.exceptions import CLVError
from cible.predict.clv import (
    CDNOW_BGNBD,
    CDNOW_GAMMA_GAMMA,
    BetaGeoModel,
    GammaGammaModel,
    customer_lifetime_value,
)
from cible.predict.clv.value import STEP_DAYS, horizon_steps

WEEKS = BetaGeoModel.from_params(**CDNOW_BGNBD)
DAYS = BetaGeoModel.from_params(**dict(CDNOW_BGNBD, alpha=CDNOW_BGNBD["alpha"] * 7))
GG = GammaGammaModel.from_params(**CDNOW_GAMMA_GAMMA)
X, TX, T, M = (
    np.array([0, 2, 7]),
    np.array([0, 30.43, 12.5]),
    np.array([38.86, 38.86, 30.0]),
    np.array([0.0, 40.0, 25.0]),
)


def test_horizon_steps_are_months_ending_at_the_horizon() -> None:
    steps = horizon_steps(365)
    assert len(steps) == 12 and steps[-1] == 365.0
    np.testing.assert_allclose(steps[:-1], np.arange(1, 12) * STEP_DAYS)
    assert list(horizon_steps(30)) == [30.0]
    assert len(horizon_steps(365.25)) == 12  # exactly twelve months, no sliver step
    with pytest.raises(CLVError, match="horizon_days must be a number > 0"):
        horizon_steps(0)


def test_without_discount_value_is_purchases_times_spend() -> None:
    clv = customer_lifetime_value(
        WEEKS, GG, X, TX, T, M, horizon_days=273, discount_rate_annual=0.0, time_unit="W"
    )
    expected = WEEKS.expected_purchases(39.0, X, TX, T) * GG.expected_average_value(X, M)
    np.testing.assert_allclose(clv, expected, rtol=1e-12)
    # the paper's customer (x = 2, t_x = 30.43, T = 38.86) with m_x = 40: 1.226 * E(M)
    assert clv[1] == pytest.approx(1.2260282 * GG.expected_average_value(2, 40.0)[0], rel=1e-6)


def test_discounting_month_by_month_by_hand() -> None:
    rate = 0.15
    clv = customer_lifetime_value(
        WEEKS, GG, X, TX, T, M, horizon_days=100, discount_rate_annual=rate, time_unit="W"
    )
    ends = np.array([STEP_DAYS, 2 * STEP_DAYS, 3 * STEP_DAYS, 100.0])
    for i in range(3):
        cumulative = [0.0] + [WEEKS.expected_purchases(e / 7, X[i], TX[i], T[i])[0] for e in ends]
        manual = sum(
            (cumulative[k + 1] - cumulative[k]) / (1 + rate) ** (ends[k] / 365.25) for k in range(4)
        )
        assert clv[i] == pytest.approx(manual * GG.expected_average_value(X[i], M[i])[0], rel=1e-12)


def test_value_is_the_same_in_any_time_unit() -> None:
    in_weeks = customer_lifetime_value(WEEKS, GG, X, TX, T, M, horizon_days=365, time_unit="W")
    in_days = customer_lifetime_value(
        DAYS, GG, X, TX * 7, T * 7, M, horizon_days=365, time_unit="D"
    )
    np.testing.assert_allclose(in_weeks, in_days, rtol=1e-9)


def test_value_falls_with_the_discount_rate_and_rises_with_the_horizon() -> None:
    values = [
        customer_lifetime_value(
            WEEKS, GG, X, TX, T, M, horizon_days=h, discount_rate_annual=d, time_unit="W"
        )
        for h, d in [(365, 0.0), (365, 0.1), (365, 0.3), (730, 0.3)]
    ]
    assert (values[0] > values[1]).all() and (values[1] > values[2]).all()
    assert (values[3] > values[2]).all()


def test_negative_spend_counts_as_zero_and_bad_input_is_refused() -> None:
    neg = customer_lifetime_value(WEEKS, GG, [3], [10.0], [20.0], [-5.0], time_unit="W")
    zero = customer_lifetime_value(WEEKS, GG, [3], [10.0], [20.0], [0.0], time_unit="W")
    assert neg[0] == zero[0] > 0
    with pytest.raises(CLVError, match="discount_rate_annual must be > -1"):
        customer_lifetime_value(WEEKS, GG, X, TX, T, M, discount_rate_annual=-1.0)
    with pytest.raises(CLVError, match="same length"):
        customer_lifetime_value(WEEKS, GG, X, TX, T, M[:2])


def test_horizon_steps_at_exactly_one_and_two_months() -> None:
    assert horizon_steps(STEP_DAYS).tolist() == [STEP_DAYS]
    assert horizon_steps(STEP_DAYS + 1e-6).tolist() == [STEP_DAYS, STEP_DAYS + 1e-6]
    assert horizon_steps(2 * STEP_DAYS).tolist() == [STEP_DAYS, 2 * STEP_DAYS]
    assert horizon_steps(1.0).tolist() == [1.0]
    with pytest.raises(CLVError, match="horizon_days must be a number > 0"):
        horizon_steps(0.0)
