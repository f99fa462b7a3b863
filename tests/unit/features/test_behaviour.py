from __future__ import annotations

from datetime import UTC, date, datetime

import pyarrow as pa
import pytest

from cible.exceptions import FeatureError
from cible.features import build_features, default_as_of
from cible.schemas.events import EVENTS_SCHEMA
from cible.warehouse.duckdb import DuckDBWarehouse


def _events(rows: list[tuple[str, str, str, str, float | None, str | None]]) -> pa.Table:
    cols: dict[str, list[object]] = {f.name: [] for f in EVENTS_SCHEMA}
    for i, (cid, etype, ts, order, amount, _) in enumerate(rows):
        values = {
            "event_id": f"e{i}",
            "customer_id": cid,
            "source": "t",
            "event_type": etype,
            "timestamp": datetime.fromisoformat(ts).replace(tzinfo=UTC),
            "order_id": order,
            "amount": amount,
        }
        for name in cols:
            cols[name].append(values.get(name))
    return pa.table(cols, schema=EVENTS_SCHEMA)


@pytest.fixture
def warehouse() -> DuckDBWarehouse:
    wh = DuckDBWarehouse(":memory:")
    wh.append_events(
        _events(
            [
                # A: two orders (one of two lines), one partial refund, a page view in the last 30 days
                ("A", "purchase", "2025-01-01 00:00:00", "o1", 60.0, None),
                ("A", "purchase", "2025-01-01 00:00:00", "o1", 40.0, None),
                ("A", "purchase", "2025-01-21 00:00:00", "o2", 50.0, None),
                ("A", "refund", "2025-01-25 00:00:00", "o2", -30.0, None),
                ("A", "page_view", "2025-01-30 00:00:00", None, None, None),
                # B: one order long ago, then nothing
                ("B", "purchase", "2024-10-03 00:00:00", "o3", 20.0, None),
                # C: only browsing
                ("C", "page_view", "2025-01-31 12:00:00", None, None, None),
                # after as_of: must be ignored
                ("A", "purchase", "2025-02-05 00:00:00", "o9", 999.0, None),
            ]
        )
    )
    return wh


def test_golden_values(warehouse: DuckDBWarehouse) -> None:
    f = build_features(warehouse, date(2025, 2, 1))
    assert list(f.index) == ["A", "B", "C"]
    a, b, c = f.loc["A"], f.loc["B"], f.loc["C"]
    assert a.to_dict() == {
        "recency_days": 11.0,
        "frequency": 2.0,
        "monetary": 120.0,
        "avg_basket": 75.0,
        "tenure_days": 31.0,
        "mean_interpurchase_days": 20.0,
        "refund_rate": 0.2,
        "events_30d": 3.0,
        "events_90d": 5.0,
    }
    assert b["recency_days"] == 121.0
    assert b["mean_interpurchase_days"] == 121.0  # single order: days since it
    assert (b["events_30d"], b["events_90d"]) == (0.0, 0.0)
    assert c["frequency"] == 0.0 and c["recency_days"] != c["recency_days"]  # NaN
    assert c["tenure_days"] == pytest.approx(0.5)


def test_default_as_of_is_day_after_last_event(warehouse: DuckDBWarehouse) -> None:
    assert default_as_of(warehouse) == date(2025, 2, 6)


def test_empty_warehouse() -> None:
    wh = DuckDBWarehouse(":memory:")
    with pytest.raises(FeatureError, match="holds no event"):
        default_as_of(wh)
    with pytest.raises(
        FeatureError, match="no customer has an event or a record before as_of 2025-01-01"
    ):
        build_features(wh, date(2025, 1, 1))
