"""CLV summaries at their date boundaries: a purchase at the last instant of the observation-end
day and at the next midnight, period edges (midnight, the hour, Monday 00:00), and the holdout cut
at exactly calibration_as_of."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pyarrow as pa
import pytest

from cible.exceptions import CLVError
from cible.predict.clv import clv_summary, holdout_purchases, rfm_summary
from cible.predict.clv.rfm import observation_end_of
from cible.schemas.events import EVENTS_SCHEMA
from cible.warehouse.duckdb import DuckDBWarehouse

END = date(2025, 1, 10)
US = pd.Timedelta(microseconds=1)
NEXT_MIDNIGHT = pd.Timestamp("2025-01-11", tz="UTC")


def _log(times: list[pd.Timestamp], customers: list[str] | None = None) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": customers or ["A"] * len(times),
            "timestamp": times,
            "value": [10.0 * (i + 1) for i in range(len(times))],
        }
    )


def test_a_purchase_at_the_last_instant_of_the_end_day_counts_the_next_midnight_does_not() -> None:
    first = pd.Timestamp("2025-01-01 12:00", tz="UTC")
    log = _log([first, NEXT_MIDNIGHT - US, NEXT_MIDNIGHT])
    s = rfm_summary(log, value_col="value", observation_end=END)
    assert s.loc["A"].to_dict() == {
        "frequency": 1.0,
        "recency": 9.0,
        "T": 9.0,
        "monetary_value": 20.0,
    }
    nothing_yet = _log([NEXT_MIDNIGHT], ["B"])
    with pytest.raises(CLVError, match="no transaction on or before the observation end"):
        rfm_summary(nothing_yet, observation_end=END)


def test_an_end_given_as_a_timestamp_counts_by_its_utc_day() -> None:
    log = _log([pd.Timestamp("2025-01-01", tz="UTC"), NEXT_MIDNIGHT - US])
    # 10 Jan 23:30 in New York is 11 Jan 04:30 UTC: the end day is 11 Jan, T one day longer
    late = datetime(2025, 1, 10, 23, 30, tzinfo=ZoneInfo("America/New_York"))
    assert rfm_summary(log, observation_end=late).loc["A", "T"] == 10.0
    assert rfm_summary(log, observation_end=datetime(2025, 1, 10, 23, 59)).loc["A", "T"] == 9.0


def test_the_default_end_is_the_day_of_the_last_purchase() -> None:
    log = _log([pd.Timestamp("2025-01-01", tz="UTC"), pd.Timestamp("2025-01-04 00:00", tz="UTC")])
    assert rfm_summary(log).loc["A"].to_dict() == {"frequency": 1.0, "recency": 3.0, "T": 3.0}


@pytest.mark.parametrize(
    ("unit", "second", "frequency"),
    [
        ("D", "2025-01-06 23:59:59.999999", 0.0),  # the same UTC day as the first purchase
        ("D", "2025-01-07 00:00", 1.0),  # midnight opens a new day
        ("h", "2025-01-06 10:59:59.999999", 0.0),
        ("h", "2025-01-06 11:00", 1.0),
        ("W", "2025-01-06 23:59:59.999999", 0.0),  # weeks count purchases per day
        ("W", "2025-01-07 00:00", 1.0),  # the next day is a repeat purchase, 1/7 week later
    ],
)
def test_period_edges(unit: str, second: str, frequency: float) -> None:
    start = {"D": "2025-01-06 00:00", "h": "2025-01-06 10:00", "W": "2025-01-06 00:00"}[unit]
    log = _log([pd.Timestamp(start, tz="UTC"), pd.Timestamp(second, tz="UTC")])
    s = rfm_summary(log, observation_end=date(2025, 1, 20), time_unit=unit)  # type: ignore[arg-type]
    assert s.loc["A", "frequency"] == frequency
    assert s.loc["A", "recency"] == frequency / (7 if unit == "W" else 1)


@pytest.mark.parametrize(("second", "recency"), [("2025-01-12", 6 / 7), ("2025-01-13", 1.0)])
def test_a_week_is_seven_days_from_the_first_purchase(second: str, recency: float) -> None:
    # Monday 6 Jan to Sunday 12 Jan is 6/7 week; to Monday 13 Jan exactly one week
    log = _log([pd.Timestamp("2025-01-06 15:00", tz="UTC"), pd.Timestamp(second, tz="UTC")])
    s = rfm_summary(log, observation_end=date(2025, 1, 20), time_unit="W")
    assert s.loc["A"].to_dict() == {"frequency": 1.0, "recency": recency, "T": 2.0}


def test_purchases_before_the_epoch_fall_in_the_right_day() -> None:
    # noon on 31 Dec 1969 (before the epoch: floor division, not truncation) and 1 Jan 1970
    log = _log([pd.Timestamp("1969-12-31 12:00", tz="UTC"), pd.Timestamp("1970-01-01", tz="UTC")])
    s = rfm_summary(log, observation_end=date(1970, 1, 1), time_unit="W")
    assert s.loc["A"].to_dict() == {"frequency": 1.0, "recency": 1 / 7, "T": 1 / 7}


def _warehouse(rows: list[tuple[str, datetime, float]]) -> DuckDBWarehouse:
    cols: dict[str, list[object]] = {f.name: [] for f in EVENTS_SCHEMA}
    for i, (cid, ts, amount) in enumerate(rows):
        values = {
            "event_id": f"e{i}",
            "customer_id": cid,
            "source": "t",
            "event_type": "purchase",
            "timestamp": ts,
            "amount": amount,
        }
        for name in cols:
            cols[name].append(values.get(name))
    wh = DuckDBWarehouse(":memory:")
    wh.append_events(pa.table(cols, schema=EVENTS_SCHEMA))
    return wh


def test_warehouse_summary_excludes_a_purchase_at_exactly_as_of() -> None:
    as_of = date(2025, 1, 11)
    midnight = datetime(2025, 1, 11, tzinfo=UTC)
    wh = _warehouse(
        [
            ("A", datetime(2025, 1, 1, tzinfo=UTC), 10.0),
            ("A", midnight - timedelta(microseconds=1), 20.0),
            ("A", midnight, 500.0),
            ("B", midnight, 7.0),
        ]
    )
    s = clv_summary(wh, as_of)
    assert list(s.index) == ["A"]
    assert s.loc["A"].to_dict() == {
        "frequency": 1.0,
        "recency": 9.0,
        "T": 9.0,
        "monetary_value": 20.0,
    }
    assert observation_end_of(as_of) == END


def test_holdout_counts_a_purchase_at_exactly_the_calibration_end() -> None:
    cut = datetime(2025, 1, 10, tzinfo=UTC)
    wh = _warehouse(
        [
            ("A", datetime(2025, 1, 1, tzinfo=UTC), 10.0),
            ("A", cut, 20.0),  # first instant of the holdout
            ("A", cut + timedelta(days=2), 20.0),
            ("A", datetime(2025, 1, 20, tzinfo=UTC), 20.0),  # at as_of: outside
            ("B", cut - timedelta(microseconds=1), 5.0),  # in the cohort, no holdout purchase
            ("C", cut, 5.0),  # first bought at the cut: not in the calibration cohort
        ]
    )
    counts = holdout_purchases(wh, date(2025, 1, 10), date(2025, 1, 20), "D")
    assert counts.to_dict() == {"A": 2.0, "B": 0.0}
    with pytest.raises(CLVError, match="must be before as_of"):
        holdout_purchases(wh, date(2025, 1, 21), date(2025, 1, 20), "D")
