"""The as_of cutoff is midnight UTC whatever the time zone of the process or of the warehouse
session: a purchase an hour before midnight UTC (already the next day in Tokyo) still counts."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pyarrow as pa
import pytest

from cible.features import build_features
from cible.features.behaviour import build_context, default_as_of
from cible.schemas.events import EVENTS_SCHEMA
from cible.warehouse.duckdb import DuckDBWarehouse

AS_OF = date(2025, 2, 1)
LATE = datetime(2025, 1, 31, 23, 0, tzinfo=UTC)  # 2025-02-01 08:00 in Tokyo (UTC+9, no DST)
EARLY = datetime(2025, 1, 10, 12, 0, tzinfo=UTC)


def _warehouse(rows: list[dict[str, object]]) -> DuckDBWarehouse:
    cols: dict[str, list[object]] = {f.name: [] for f in EVENTS_SCHEMA}
    for i, row in enumerate(rows):
        values = {"event_id": f"e{i}", "source": "t", **row}
        for name in cols:
            cols[name].append(values.get(name))
    wh = DuckDBWarehouse(":memory:")
    wh.append_events(pa.table(cols, schema=EVENTS_SCHEMA))
    return wh


def _event(kind: str, ts: datetime, **extra: object) -> dict[str, object]:
    return {"customer_id": "A", "event_type": kind, "timestamp": ts, **extra}


@pytest.fixture
def tokyo_process(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("tokyo_process")
def test_default_as_of_is_the_utc_day_after_the_last_event() -> None:
    wh = _warehouse([_event("page_view", LATE)])
    assert default_as_of(wh) == date(2025, 2, 1)  # not 2025-02-02, the day after in Tokyo


def _tokyo_session(wh: DuckDBWarehouse) -> DuckDBWarehouse:
    # a session configured for another time zone (an operator's default, a shared database)
    wh._con.execute("SET TimeZone = 'Asia/Tokyo'")
    return wh


def test_features_cut_at_midnight_utc_in_a_session_of_another_time_zone() -> None:
    wh = _tokyo_session(
        _warehouse(
            [
                _event("purchase", EARLY, amount=10.0, order_id="o1"),
                _event("purchase", LATE, amount=30.0, order_id="o2"),
            ]
        )
    )
    row = build_features(wh, AS_OF).loc["A"]
    assert row["frequency"] == 2.0
    assert row["monetary"] == 40.0
    assert row["recency_days"] == pytest.approx(1 / 24)
    assert row["events_30d"] == 2.0


def test_context_cuts_at_midnight_utc_in_a_session_of_another_time_zone() -> None:
    late_app = [_event("page_view", LATE + timedelta(minutes=m), channel="app") for m in (0, 1, 2)]
    wh = _tokyo_session(_warehouse([_event("page_view", EARLY, channel="web"), *late_app]))
    assert build_context(wh, AS_OF).loc["A", "channel"] == "app"
