"""rfm_summary (pandas) on hand-computed logs, and the warehouse SQL version against it."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from cible.exceptions import CLVError
from cible.predict.clv import (
    CDNOW_BGNBD,
    CDNOW_GAMMA_GAMMA,
    clv_summary,
    holdout_purchases,
    rfm_summary,
    simulate_transactions,
)
from cible.schemas.events import EVENTS_SCHEMA
from cible.warehouse.duckdb import DuckDBWarehouse

LOG = pd.DataFrame(
    {
        "client": ["A", "A", "A", "A", "B", "C", "C"],
        "when": pd.to_datetime(
            [
                "2025-01-01 10:00",  # Wednesday
                "2025-01-01 18:00",  # same day: one purchase period worth 50
                "2025-01-05 09:00",  # Sunday: still the first ISO week
                "2025-01-10 12:00",
                "2025-01-08 08:00",
                "2025-01-03 00:00",
                "2025-01-12 00:00",  # after the observation end: ignored
            ]
        ),
        "amount": [20.0, 30.0, 50.0, 10.0, 15.0, 5.0, 25.0],
    }
)
END = date(2025, 1, 10)


def test_days_by_hand() -> None:
    before = LOG.copy()
    s = rfm_summary(LOG, "client", "when", "amount", observation_end=END, time_unit="D")
    pd.testing.assert_frame_equal(LOG, before)  # the input is left alone
    assert s.index.name == "client"
    assert s.to_dict(orient="index") == {
        # days 1, 5, 10: two repeat periods, worth 50 and 10
        "A": {"frequency": 2.0, "recency": 9.0, "T": 9.0, "monetary_value": 30.0},
        "B": {"frequency": 0.0, "recency": 0.0, "T": 2.0, "monetary_value": 0.0},
        "C": {"frequency": 0.0, "recency": 0.0, "T": 7.0, "monetary_value": 0.0},
    }


def test_weeks_by_hand() -> None:
    s = rfm_summary(LOG, "client", "when", "amount", observation_end=END, time_unit="W")
    # purchases counted per day, as with "D"; recency and T are those days / 7 (7-day weeks
    # from each customer's first purchase), not calendar weeks (which would merge A's 1 and 5 Jan)
    assert s.to_dict(orient="index") == {
        "A": {"frequency": 2.0, "recency": 9 / 7, "T": 9 / 7, "monetary_value": 30.0},
        "B": {"frequency": 0.0, "recency": 0.0, "T": 2 / 7, "monetary_value": 0.0},
        "C": {"frequency": 0.0, "recency": 0.0, "T": 1.0, "monetary_value": 0.0},
    }


def test_hours_by_hand() -> None:
    s = rfm_summary(LOG, "client", "when", "amount", observation_end=END, time_unit="h")
    a = s.loc["A"]
    # hours 1 Jan 10h, 1 Jan 18h, 5 Jan 9h, 10 Jan 12h; the end is the hour 10 Jan 23h
    assert a.to_dict() == {
        "frequency": 3.0,
        "recency": 9 * 24 + 2.0,
        "T": 9 * 24 + 13.0,
        "monetary_value": 30.0,
    }


def test_defaults_time_zones_and_missing_values() -> None:
    log = pd.DataFrame(
        {
            "customer_id": [1, 1, 2],
            # 00:30 in Paris is 23:30 UTC the day before: both of customer 1's purchases on 1 Jan
            "timestamp": pd.to_datetime(
                ["2025-01-01 08:00+01:00", "2025-01-02 00:30+01:00", "2025-01-04 12:00+01:00"]
            ),
            "value": [10.0, np.nan, 4.0],
        }
    )
    s = rfm_summary(log, value_col="value")  # observation end: the day of the last purchase
    assert s.loc[1].to_dict() == {"frequency": 0.0, "recency": 0.0, "T": 3.0, "monetary_value": 0.0}
    no_value = rfm_summary(log)
    assert list(no_value.columns) == ["frequency", "recency", "T"]


def test_bad_logs_are_refused() -> None:
    with pytest.raises(CLVError, match=r"lack column\(s\) \['price'\]"):
        rfm_summary(LOG, "client", "when", "price")
    with pytest.raises(CLVError, match="'when' is empty in 1 row"):
        rfm_summary(LOG.assign(when=LOG["when"].where(LOG.index != 3)), "client", "when")
    with pytest.raises(CLVError, match="'client' is empty in row 2"):
        rfm_summary(LOG.assign(client=LOG["client"].where(LOG.index != 2)), "client", "when")
    with pytest.raises(CLVError, match="'amount' holds values that are not numbers"):
        rfm_summary(LOG.assign(amount=["1"] * 6 + ["one"]), "client", "when", "amount")
    with pytest.raises(CLVError, match="time_unit 'M' is not supported"):
        rfm_summary(LOG, "client", "when", time_unit="M")  # type: ignore[arg-type]
    with pytest.raises(CLVError, match="no transaction on or before"):
        rfm_summary(LOG, "client", "when", observation_end=date(2024, 1, 1))


# -- the warehouse version -------------------------------------------------------------------------


def _events(log: pd.DataFrame, rng: np.random.Generator) -> pa.Table:
    """Purchases as events, some orders split in two lines; refunds, page views and purchases
    after as_of that the summary must ignore."""
    n = len(log)
    split = rng.random(n) < 0.3
    amount = log["value"].to_numpy()
    amount = np.where(rng.random(n) < 0.05, np.nan, amount)  # a missing amount counts as 0
    rows = {
        "event_id": [f"e{i}" for i in range(n)] + [f"e{i}b" for i in np.flatnonzero(split)],
        "customer_id": list(log["customer_id"]) + list(log["customer_id"][split]),
        "event_type": ["purchase"] * (n + int(split.sum())),
        "timestamp": list(log["timestamp"]) + list(log["timestamp"][split]),
        "order_id": [f"o{i}" for i in range(n)] + [f"o{i}" for i in np.flatnonzero(split)],
        "amount": list(np.where(split, amount / 2, amount)) + list((amount / 2)[split]),
    }
    noise = {
        "event_id": ["r1", "v1"],
        "customer_id": [log["customer_id"].iloc[0]] * 2,
        "event_type": ["refund", "page_view"],
        "timestamp": [log["timestamp"].iloc[-1]] * 2,
        "order_id": ["o0", None],
        "amount": [-5.0, None],
    }
    frame = pd.concat([pd.DataFrame(rows), pd.DataFrame(noise)], ignore_index=True)
    frame["source"] = "test"
    for field in EVENTS_SCHEMA:
        if field.name not in frame:
            frame[field.name] = None
    return pa.Table.from_pandas(
        frame[EVENTS_SCHEMA.names], schema=EVENTS_SCHEMA, preserve_index=False
    )


@pytest.fixture(scope="module")
def loaded() -> tuple[DuckDBWarehouse, pd.DataFrame, date]:
    sim = simulate_transactions(
        3000, CDNOW_BGNBD, CDNOW_GAMMA_GAMMA, observation_days=200, random_state=3
    )
    log = sim.transactions
    late = log.head(50).assign(timestamp=pd.Timestamp(sim.as_of, tz="UTC") + pd.Timedelta(hours=1))
    warehouse = DuckDBWarehouse(":memory:")
    warehouse.append_events(
        _events(pd.concat([log, late], ignore_index=True), np.random.default_rng(0))
    )
    return warehouse, log, sim.as_of


@pytest.mark.parametrize("unit", ["h", "D", "W"])
def test_sql_equals_pandas(loaded: tuple[DuckDBWarehouse, pd.DataFrame, date], unit: str) -> None:
    warehouse, log, as_of = loaded
    in_sql = clv_summary(warehouse, as_of, unit)  # type: ignore[arg-type]
    events = warehouse.fetch_arrow(
        "SELECT customer_id, timestamp, amount FROM events WHERE event_type = 'purchase'"
    ).to_pandas()
    in_pandas = rfm_summary(
        events,
        value_col="amount",
        observation_end=as_of - timedelta(days=1),
        time_unit=unit,  # type: ignore[arg-type]
    )
    in_pandas.index = in_pandas.index.astype(str)
    pd.testing.assert_frame_equal(in_sql, in_pandas, check_names=False, rtol=1e-12)
    assert len(in_sql) == log["customer_id"].nunique()
    assert (in_sql["frequency"] > 0).any() and (in_sql["monetary_value"] > 0).any()


def test_holdout_purchases_count_periods_after_the_calibration_end(
    loaded: tuple[DuckDBWarehouse, pd.DataFrame, date],
) -> None:
    warehouse, _, as_of = loaded
    cut = as_of - timedelta(days=60)
    counts = holdout_purchases(warehouse, cut, as_of, "D")
    before, after = clv_summary(warehouse, cut, "D"), clv_summary(warehouse, as_of, "D")
    assert list(counts.index) == list(before.index)  # the calibration cohort
    # with days, periods do not straddle the cut: full = calibration + holdout periods
    full = after.loc[before.index, "frequency"] + 1
    np.testing.assert_array_equal(
        full.to_numpy(), before["frequency"].to_numpy() + 1 + counts.to_numpy()
    )
    with pytest.raises(CLVError, match="must be before as_of"):
        holdout_purchases(warehouse, as_of, as_of, "D")


def test_empty_warehouse_is_a_clear_error() -> None:
    with pytest.raises(CLVError, match="no purchase event before as_of 2025-01-01"):
        clv_summary(DuckDBWarehouse(":memory:"), date(2025, 1, 1))
