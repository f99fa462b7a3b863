"""Contextual features at as_of 2025-02-01, hand-computed, on DuckDB and PostgreSQL: season
shares at the months' edges, an order exactly at as_of, holiday windows (a holiday date exactly,
the window's first and last day), the time zone of the local date, weekday and hour, the
time-of-day edges and a customer without orders."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pytest

from cible.config import ContextualConfig
from cible.features.contextual import build_contextual
from cible.warehouse.base import Warehouse
from tests.unit.features.world import MIDNIGHT, US, buy, load, view

AS_OF = date(2025, 2, 1)


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_season_shares_at_the_months_edges_and_the_as_of_cutoff(engine: Warehouse) -> None:
    times = [
        _utc(2024, 2, 29, 10),  # winter
        _utc(2024, 3, 1, 10),  # spring
        _utc(2024, 5, 31, 10),
        _utc(2024, 6, 1, 10),  # summer
        _utc(2024, 8, 31, 10),
        _utc(2024, 9, 1, 10),  # autumn
        _utc(2024, 11, 30, 10),
        _utc(2024, 12, 1, 10),  # winter
        MIDNIGHT - US,  # the last instant before as_of: counted
        MIDNIGHT,  # exactly at as_of: not yet
    ]
    load(engine, [buy("A", ts, f"o{i}") for i, ts in enumerate(times)])
    a = build_contextual(engine, AS_OF, ContextualConfig()).loc["A"]
    assert (a["winter_share"], a["spring_share"]) == pytest.approx((3 / 9, 2 / 9))
    assert (a["summer_share"], a["autumn_share"]) == pytest.approx((2 / 9, 2 / 9))
    assert math.isnan(a["holiday_share"])  # no country: no holiday calendar
    later = build_contextual(engine, AS_OF + timedelta(days=1), ContextualConfig()).loc["A"]
    assert later["winter_share"] == pytest.approx(4 / 10)


def test_time_of_day_edges(engine: Warehouse) -> None:
    clock = [(5, 59), (6, 0), (11, 59), (12, 0), (17, 59), (18, 0), (21, 59), (22, 0)]
    load(
        engine,
        [buy("A", _utc(2025, 1, 10 + i, h, m), f"o{i}") for i, (h, m) in enumerate(clock)],
    )
    a = build_contextual(engine, AS_OF, ContextualConfig()).loc["A"]
    shares = [a["morning_share"], a["afternoon_share"], a["evening_share"], a["night_share"]]
    assert shares == [0.25, 0.25, 0.25, 0.25]


def test_weekday_hour_and_date_are_read_in_the_configured_time_zone(engine: Warehouse) -> None:
    load(
        engine,
        [
            buy("A", _utc(2025, 1, 3, 23, 30), "o1"),  # Friday in UTC, Saturday 00:30 in Paris
            buy("A", _utc(2025, 1, 5, 22, 30), "o2"),  # Sunday either way (23:30 in Paris)
            buy("NY", _utc(2024, 12, 31, 23, 30), "o3"),  # 2025-01-01 00:30 in Paris
        ],
        [{"customer_id": "NY", "country": "France"}],
    )
    utc = build_contextual(engine, AS_OF, ContextualConfig(holiday_window_days=0))
    paris = build_contextual(
        engine, AS_OF, ContextualConfig(time_zone="Europe/Paris", holiday_window_days=0)
    )
    assert utc.loc["A", "weekend_share"] == 0.5 and paris.loc["A", "weekend_share"] == 1.0
    assert utc.loc["A", "evening_share"] == 0.0 and utc.loc["A", "night_share"] == 1.0
    assert paris.loc["A", "evening_share"] == 0.0 and paris.loc["A", "night_share"] == 1.0
    # New Year's Eve in UTC, New Year's Day (a public holiday) in Paris
    assert utc.loc["NY", "holiday_share"] == 0.0 and paris.loc["NY", "holiday_share"] == 1.0
    assert utc.loc["NY", "winter_share"] == 1.0


def _july(engine: Warehouse) -> Warehouse:
    """FR, GB and country-less customers ordering around 14 July 2024 (French National Day)."""
    days = [10, 11, 14, 17, 18]  # 4 and 3 days before, the day, 3 and 4 days after
    events = [
        buy(cid, _utc(2024, 7, d, 12), f"{cid}{d}") for cid in ("FR", "GB", "NONE") for d in days
    ]
    return load(
        engine,
        events,
        [{"customer_id": "FR", "country": "France"}, {"customer_id": "GB", "country": "UK"}],
    )


def test_holiday_window_includes_its_first_and_last_day(engine: Warehouse) -> None:
    f = build_contextual(_july(engine), AS_OF, ContextualConfig())
    assert f.loc["FR", "holiday_share"] == pytest.approx(3 / 5)  # 11, 14 and 17 July
    assert f.loc["GB", "holiday_share"] == 0.0  # no British holiday in mid-July
    assert math.isnan(f.loc["NONE", "holiday_share"])
    exact = build_contextual(engine, AS_OF, ContextualConfig(holiday_window_days=0))
    assert exact.loc["FR", "holiday_share"] == pytest.approx(1 / 5)  # the holiday date only


def test_a_configured_holiday_country_applies_to_every_customer(engine: Warehouse) -> None:
    f = build_contextual(_july(engine), AS_OF, ContextualConfig(holiday_country="GB"))
    assert f["holiday_share"].to_dict() == {"FR": 0.0, "GB": 0.0, "NONE": 0.0}
    fr = build_contextual(engine, AS_OF, ContextualConfig(holiday_country="fr"))
    assert fr["holiday_share"].to_dict() == pytest.approx({"FR": 0.6, "GB": 0.6, "NONE": 0.6})


def test_one_order_counts_once_at_its_first_line_and_browsers_have_no_row(
    engine: Warehouse,
) -> None:
    load(
        engine,
        [
            buy("A", _utc(2025, 1, 15, 11), "o1"),  # the order's time: morning
            buy("A", _utc(2025, 1, 15, 13), "o1"),
            buy("A", _utc(2025, 1, 16, 19)),  # no order id: an order of its own, evening
            view("B", _utc(2025, 1, 16, 19)),
        ],
    )
    f = build_contextual(engine, AS_OF, ContextualConfig())
    assert list(f.index) == ["A"]
    assert (f.loc["A", "morning_share"], f.loc["A", "afternoon_share"]) == (0.5, 0.0)
    assert f.loc["A", "evening_share"] == 0.5
