"""CLV summaries where an edit of the code would show: customers not given in order, a purchase one
nanosecond before the end of the observation day, float32 amounts, the default time unit of the
warehouse queries, and a warehouse session in another time zone than UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pyarrow as pa

from cible.predict.clv import clv_summary, holdout_purchases, rfm_summary
from cible.predict.clv.rfm import clv_summary_sql, holdout_purchases_sql
from cible.schemas.events import EVENTS_SCHEMA
from cible.warehouse.duckdb import DuckDBWarehouse


def test_customers_come_out_sorted_whatever_the_input_order() -> None:
    log = pd.DataFrame(
        {
            "customer_id": ["b", "a", "b", "c"],
            "timestamp": pd.to_datetime(
                ["2025-01-01", "2025-01-03", "2025-01-05", "2025-01-02"], utc=True
            ),
        }
    )
    s = rfm_summary(log, observation_end=date(2025, 1, 10))
    assert list(s.index) == ["a", "b", "c"]
    assert s["frequency"].tolist() == [0.0, 1.0, 0.0]
    assert s["recency"].tolist() == [0.0, 4.0, 0.0]
    assert s["T"].tolist() == [7.0, 9.0, 8.0]


def test_a_purchase_one_nanosecond_before_the_end_midnight_counts() -> None:
    # 23:59:59.999999999 floors to the last microsecond of 10 Jan, not to the next midnight
    times = [pd.Timestamp("2025-01-01 12:00", tz="UTC"), pd.Timestamp("2025-01-11", tz="UTC")]
    stamps = pd.Series(times).astype("datetime64[ns, UTC]") - pd.to_timedelta([0, 1], unit="ns")
    log = pd.DataFrame({"customer_id": ["A", "A"], "timestamp": stamps})
    assert str(log["timestamp"].iloc[1]) == "2025-01-10 23:59:59.999999999+00:00"
    s = rfm_summary(log, observation_end=date(2025, 1, 10))
    assert s.loc["A"].to_dict() == {"frequency": 1.0, "recency": 9.0, "T": 9.0}


def test_float32_amounts_are_summed_in_float64() -> None:
    # two days worth 2^24 and 1: in float32, 2^24 + 1 rounds back to 2^24, so the repeat value
    # (total minus the first day) would come out as 0 instead of 1
    log = pd.DataFrame(
        {
            "customer_id": ["A", "A"],
            "timestamp": pd.to_datetime(["2025-01-01", "2025-01-02"], utc=True),
            "value": np.array([2.0**24, 1.0], dtype=np.float32),
        }
    )
    s = rfm_summary(log, value_col="value", observation_end=date(2025, 1, 2))
    assert s.loc["A"].to_dict() == {
        "frequency": 1.0,
        "recency": 1.0,
        "T": 1.0,
        "monetary_value": 1.0,
    }


def _warehouse(rows: list[tuple[str, datetime]], session_tz: str = "UTC") -> DuckDBWarehouse:
    cols: dict[str, list[object]] = {f.name: [] for f in EVENTS_SCHEMA}
    for i, (cid, ts) in enumerate(rows):
        values = {
            "event_id": f"e{i}",
            "customer_id": cid,
            "source": "t",
            "event_type": "purchase",
            "timestamp": ts,
            "amount": 10.0,
        }
        for name in cols:
            cols[name].append(values.get(name))
    wh = DuckDBWarehouse(":memory:")
    wh.append_events(pa.table(cols, schema=EVENTS_SCHEMA))
    # a session configured for another time zone (an operator's default, a shared database)
    wh._con.execute(f"SET TimeZone = '{session_tz}'")
    return wh


def test_the_warehouse_queries_count_in_days_by_default() -> None:
    wh = _warehouse([("A", datetime(2025, 1, 1, tzinfo=UTC))])
    as_of, cut = date(2025, 1, 20), date(2025, 1, 10)
    assert clv_summary_sql(wh, as_of) == clv_summary_sql(wh, as_of, "D")
    assert holdout_purchases_sql(wh, cut, as_of) == holdout_purchases_sql(wh, cut, as_of, "D")


def test_holdout_counts_in_the_unit_it_is_given() -> None:
    # Mon 13 and Tue 14 Jan 2025: two purchase days in days and weeks alike
    # (weeks count purchases per day); 9h and 10h on the 13th are one day but two hours
    wh = _warehouse(
        [
            ("A", datetime(2025, 1, 1, tzinfo=UTC)),
            ("A", datetime(2025, 1, 13, 9, tzinfo=UTC)),
            ("A", datetime(2025, 1, 13, 10, tzinfo=UTC)),
            ("A", datetime(2025, 1, 14, 9, tzinfo=UTC)),
        ]
    )
    assert holdout_purchases(wh, date(2025, 1, 10), date(2025, 1, 20)).to_dict() == {"A": 2.0}
    assert holdout_purchases(wh, date(2025, 1, 10), date(2025, 1, 20), "W").to_dict() == {"A": 2.0}
    assert holdout_purchases(wh, date(2025, 1, 10), date(2025, 1, 20), "h").to_dict() == {"A": 3.0}


LATE = datetime(2025, 1, 9, 23, 0, tzinfo=UTC)  # 10 Jan 08:00 in Tokyo (UTC+9, no DST)


def test_summary_cuts_at_midnight_utc_in_a_session_of_another_time_zone() -> None:
    wh = _warehouse([("A", datetime(2025, 1, 1, tzinfo=UTC)), ("A", LATE)], "Asia/Tokyo")
    s = clv_summary(wh, date(2025, 1, 10))
    assert s.loc["A"].to_dict() == {
        "frequency": 1.0,
        "recency": 8.0,
        "T": 8.0,
        "monetary_value": 10.0,
    }


def test_holdout_cuts_at_midnight_utc_in_a_session_of_another_time_zone() -> None:
    # LATE is before the calibration end (midnight UTC): A is in the cohort, not in the holdout;
    # 19 Jan 23:00 UTC is before as_of: it counts
    wh = _warehouse([("A", LATE), ("A", datetime(2025, 1, 19, 23, tzinfo=UTC))], "Asia/Tokyo")
    counts = holdout_purchases(wh, date(2025, 1, 10), date(2025, 1, 20), "D")
    assert counts.to_dict() == {"A": 1.0}
