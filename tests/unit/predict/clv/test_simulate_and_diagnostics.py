"""The simulator follows the BG/NBD story; fit-check tables; the pinned public API."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cible.exceptions import CLVError
from cible.predict.clv import (
    CDNOW_BGNBD,
    CDNOW_GAMMA_GAMMA,
    BetaGeoModel,
    frequency_fit,
    holdout_fit,
    rfm_summary,
    simulate_transactions,
)
from cible.schemas.events import EVENTS_SCHEMA

CDNOW = BetaGeoModel.from_params(**CDNOW_BGNBD)


def test_simulated_purchase_counts_follow_the_model() -> None:
    """Without acquisition spread every customer has T = 39 weeks: the repeat-purchase counts
    must follow P(X(39) = x) (equation 8), checked bin by bin and on the mean."""
    sim = simulate_transactions(
        30_000, CDNOW_BGNBD, acquisition_days=0, observation_days=273, random_state=9
    )
    s = rfm_summary(sim.transactions, observation_end=sim.observation_end, time_unit="h")
    weeks = s["T"] / 168
    assert weeks.max() - weeks.min() < 1 / 168 + 1e-12
    table = frequency_fit(CDNOW, s["frequency"], np.full(len(s), 39.0), max_frequency=5)
    sd = np.sqrt(table["expected"] * (1 - table["expected"] / len(s)))
    assert (abs(table["actual"] - table["expected"]) < 4 * sd).all()
    x = s["frequency"]
    mean_sd = x.std() / np.sqrt(len(x))
    assert abs(x.mean() - CDNOW.expected_purchases_new(39.0)[0]) < 4 * mean_sd


def test_simulated_spend_follows_the_gamma_gamma_story() -> None:
    """nu ~ Gamma(q, rate v) per customer; each purchase z ~ Gamma(p, rate nu), so z * nu of
    every purchase is Gamma(p, 1): mean and variance p."""
    sim = simulate_transactions(
        20_000, CDNOW_BGNBD, CDNOW_GAMMA_GAMMA, observation_days=100, random_state=4
    )
    p, q, v = (CDNOW_GAMMA_GAMMA[k] for k in ("p", "q", "v"))
    nu = sim.customers["nu"]
    assert abs(nu.mean() - q / v) < 4 * np.sqrt(q) / v / np.sqrt(len(nu))
    owner_nu = sim.transactions["customer_id"].map(sim.customers.set_index("customer_id")["nu"])
    scaled = sim.transactions["value"] * owner_nu
    assert abs(scaled.mean() - p) < 4 * np.sqrt(p / len(scaled))
    assert scaled.var() == pytest.approx(p, rel=0.05)


def test_simulation_is_reproducible_and_exports_events() -> None:
    a = simulate_transactions(200, CDNOW_BGNBD, CDNOW_GAMMA_GAMMA, random_state=1)
    b = simulate_transactions(200, CDNOW_BGNBD, CDNOW_GAMMA_GAMMA, random_state=1)
    pd.testing.assert_frame_equal(a.transactions, b.transactions)
    assert a.transactions["timestamp"].max() < pd.Timestamp(a.as_of, tz="UTC")
    assert a.transactions.groupby("customer_id").size().min() == 1  # everyone bought once
    events = a.to_events()
    assert events.schema == EVENTS_SCHEMA
    assert events.num_rows == len(a.transactions)
    assert set(events.column("event_type").to_pylist()) == {"purchase"}
    with pytest.raises(CLVError, match="n_customers >= 1"):
        simulate_transactions(0, CDNOW_BGNBD)


def test_holdout_table_by_hand() -> None:
    calibration = pd.DataFrame(
        {"frequency": [0.0, 0, 1, 3], "recency": [0.0, 0, 5, 20], "T": [30.0, 10, 30, 25]},
        index=["a", "b", "c", "d"],
    )
    actual = pd.Series([0.0, 1, 2, 4], index=["d", "c", "b", "a"])  # any order: aligned by id
    table = holdout_fit(CDNOW, calibration, actual, 39.0, max_frequency=2)
    assert list(table["frequency"]) == ["0", "1", "2+"]
    assert list(table["customers"]) == [2, 1, 1]
    assert list(table["actual"]) == [3.0, 1.0, 0.0]
    predicted = CDNOW.expected_purchases(39.0, [0, 0, 1, 3], [0, 0, 5, 20], [30, 10, 30, 25])
    np.testing.assert_allclose(
        table["predicted"], [predicted[:2].mean(), predicted[2], predicted[3]], rtol=1e-12
    )
    with pytest.raises(CLVError, match="1 calibration customer"):
        holdout_fit(CDNOW, calibration, actual.drop("a"), 39.0)
