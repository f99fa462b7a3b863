"""Behavioural features at their date boundaries (as_of midnight UTC, the 30/90-day windows, a
customer created exactly at as_of) and their clipping rules, on a DuckDB warehouse."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pyarrow as pa
import pytest

from cible.features import build_features
from cible.features.behaviour import build_context
from cible.schemas.customers import CUSTOMERS_SCHEMA
from cible.warehouse.duckdb import DuckDBWarehouse
from tests.unit.features.world import events_table

AS_OF = date(2025, 2, 1)
MIDNIGHT = datetime(2025, 2, 1, tzinfo=UTC)
US = timedelta(microseconds=1)


_events = events_table  # the shared helper of the feature tests


def _warehouse(events: list[dict[str, object]]) -> DuckDBWarehouse:
    wh = DuckDBWarehouse(":memory:")
    wh.append_events(_events(events))
    return wh


def _buy(cid: str, ts: datetime, amount: float, order: str | None = None) -> dict[str, object]:
    return {
        "customer_id": cid,
        "event_type": "purchase",
        "timestamp": ts,
        "amount": amount,
        "order_id": order,
    }


def _view(cid: str, ts: datetime, **extra: object) -> dict[str, object]:
    return {"customer_id": cid, "event_type": "page_view", "timestamp": ts, **extra}


def test_an_event_at_exactly_as_of_midnight_is_not_seen() -> None:
    wh = _warehouse(
        [
            _buy("A", MIDNIGHT - US, 10.0, "o1"),
            _buy("A", MIDNIGHT, 500.0, "o2"),
            _view("B", MIDNIGHT),
        ]
    )
    f = build_features(wh, AS_OF)
    assert list(f.index) == ["A"]  # B's only event is at as_of: B is not in the population
    assert (f.loc["A", "frequency"], f.loc["A", "monetary"]) == (1.0, 10.0)
    assert f.loc["A", "recency_days"] == pytest.approx(1e-6 / 86_400)
    later = build_features(wh, AS_OF + timedelta(days=1))
    assert (later.loc["A", "frequency"], later.loc["A", "monetary"]) == (2.0, 510.0)
    assert list(later.index) == ["A", "B"]


@pytest.mark.parametrize(("days", "column"), [(30, "events_30d"), (90, "events_90d")])
def test_activity_windows_include_their_first_instant(days: int, column: str) -> None:
    start = MIDNIGHT - timedelta(days=days)
    wh = _warehouse(
        [
            _view("A", start - US),  # just outside the window
            _view("A", start),  # exactly its first instant: inside
            _view("A", start + US),
            _view("A", MIDNIGHT - US),  # last instant before as_of
        ]
    )
    assert build_features(wh, AS_OF).loc["A", column] == 3.0


def test_a_customer_created_exactly_at_as_of_is_not_in_the_population() -> None:
    wh = _warehouse([_view("A", datetime(2025, 1, 20, tzinfo=UTC))])
    rows: dict[str, list[object]] = {f.name: [None, None, None] for f in CUSTOMERS_SCHEMA}
    rows["customer_id"] = ["EARLY", "EDGE", "UNDATED"]
    rows["source"] = ["crm", "crm", "crm"]
    rows["created_at"] = [MIDNIGHT - timedelta(days=2), MIDNIGHT, None]
    wh.upsert_customers(pa.table(rows, schema=CUSTOMERS_SCHEMA))
    f = build_features(wh, AS_OF)
    assert list(f.index) == ["A", "EARLY", "UNDATED"]
    assert f.loc["EARLY", "tenure_days"] == 2.0  # from created_at, no event
    assert f.loc["UNDATED", "tenure_days"] == 0.0
    assert f.loc["A", "tenure_days"] == 12.0


def test_tenure_starts_at_the_earlier_of_first_event_and_creation() -> None:
    wh = _warehouse(
        [_view("A", MIDNIGHT - timedelta(days=5)), _view("B", MIDNIGHT - timedelta(days=5))]
    )
    rows: dict[str, list[object]] = {f.name: [None, None] for f in CUSTOMERS_SCHEMA}
    rows["customer_id"] = ["A", "B"]
    rows["source"] = ["crm", "crm"]
    rows["created_at"] = [MIDNIGHT - timedelta(days=9), MIDNIGHT - timedelta(days=3)]
    wh.upsert_customers(pa.table(rows, schema=CUSTOMERS_SCHEMA))
    f = build_features(wh, AS_OF)
    assert f["tenure_days"].to_dict() == {"A": 9.0, "B": 5.0}


def test_lines_without_order_id_are_orders_of_their_own() -> None:
    day = MIDNIGHT - timedelta(days=10)
    wh = _warehouse(
        [
            _buy("A", day - timedelta(days=20), 10.0),
            _buy("A", day - timedelta(days=10), 20.0),
            _buy("A", day, 30.0, "o1"),
            _buy("A", day + timedelta(hours=1), 30.0, "o1"),
        ]
    )
    a = build_features(wh, AS_OF).loc["A"]
    assert (a["frequency"], a["monetary"], a["avg_basket"]) == (3.0, 90.0, 30.0)
    assert a["mean_interpurchase_days"] == 10.0  # (first to last order: 20 days) / 2 gaps
    assert a["recency_days"] == 10.0  # an order's time is its first line's


@pytest.mark.parametrize(
    ("refund", "rate", "monetary"),
    [(-150.0, 1.0, -50.0), (-100.0, 1.0, 0.0), (-25.0, 0.25, 75.0), (40.0, 0.0, 140.0)],
)
def test_refund_rate_is_clipped_to_zero_one(refund: float, rate: float, monetary: float) -> None:
    wh = _warehouse(
        [
            _buy("A", MIDNIGHT - timedelta(days=3), 100.0, "o1"),
            {
                "customer_id": "A",
                "event_type": "refund",
                "timestamp": MIDNIGHT - timedelta(days=2),
                "amount": refund,
                "order_id": "o1",
            },
        ]
    )
    a = build_features(wh, AS_OF).loc["A"]
    assert (a["refund_rate"], a["monetary"]) == (rate, monetary)


def test_context_takes_the_crm_country_else_the_usual_location() -> None:
    wh = _warehouse(
        [
            _view("A", MIDNIGHT - timedelta(days=3), channel="web", location="FR"),
            _view("A", MIDNIGHT - timedelta(days=2), channel="app", location="BE"),
            _view("A", MIDNIGHT - timedelta(days=1), channel="app", location="BE"),
            _view("B", MIDNIGHT - timedelta(days=1), channel="store", location="ES"),
            _view("B", MIDNIGHT, channel="web", location="ES"),  # at as_of: not seen
        ]
    )
    rows: dict[str, list[object]] = {f.name: [None, None] for f in CUSTOMERS_SCHEMA}
    rows["customer_id"] = ["B", "C"]
    rows["source"] = ["crm", "crm"]
    rows["country"] = ["PT", "IT"]
    wh.upsert_customers(pa.table(rows, schema=CUSTOMERS_SCHEMA))
    ctx = build_context(wh, AS_OF).sort_index()
    assert list(ctx.index) == ["A", "B", "C"]
    assert ctx["country"].tolist() == ["BE", "PT", "IT"]
    assert ctx["channel"].tolist()[:2] == ["app", "store"]
    assert pd.isna(ctx.loc["C", "channel"])  # a CRM record without events has no channel
