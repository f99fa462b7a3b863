"""Leakage is impossible by construction: features only see events before the cutoff."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cible.exceptions import LeakageError, WarehouseError
from cible.predict import PointInTimeView, point_in_time_features
from cible.predict.pointintime import midnight_utc, point_in_time_sql
from cible.predict.predict_features import PREDICT_FEATURE_NAMES
from cible.warehouse.base import WarehouseReader
from cible.warehouse.duckdb import DuckDBDialect, DuckDBWarehouse
from tests.unit.predict.data import events_table, planted_events, purchase

CUTOFF = date(2025, 1, 1)
MIDNIGHT = datetime(2025, 1, 1, tzinfo=UTC)


def _digest(frame: object) -> str:
    buf = io.BytesIO()
    frame.to_parquet(buf)  # type: ignore[attr-defined]
    return hashlib.sha256(buf.getvalue()).hexdigest()


@pytest.fixture(scope="module")
def base_features() -> str:
    wh = DuckDBWarehouse(":memory:")
    wh.append_events(planted_events(60, seed=3))
    return _digest(point_in_time_features(wh, CUTOFF))


post_cutoff_event = st.builds(
    lambda cid, minutes, amount, kind: {
        **purchase(cid, MIDNIGHT + timedelta(minutes=minutes), amount),
        "event_type": kind,
        "amount": amount if kind == "purchase" else -amount if kind == "refund" else None,
    },
    cid=st.sampled_from(["C0001", "C0002", "C0030", "NEW1"]),
    minutes=st.integers(min_value=0, max_value=60 * 24 * 400),
    amount=st.floats(min_value=0.5, max_value=5_000, allow_nan=False),
    kind=st.sampled_from(["purchase", "refund", "page_view", "email_click"]),
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(extra=st.lists(post_cutoff_event, min_size=1, max_size=12))
def test_events_at_or_after_cutoff_leave_features_byte_identical(
    base_features: str, extra: list[dict[str, object]]
) -> None:
    wh = DuckDBWarehouse(":memory:")
    wh.append_events(planted_events(60, seed=3))
    wh.append_events(events_table([{**e, "event_id": f"x{i}"} for i, e in enumerate(extra)]))
    assert _digest(point_in_time_features(wh, CUTOFF)) == base_features


def test_changing_post_cutoff_events_in_place_changes_nothing(base_features: str) -> None:
    wh = DuckDBWarehouse(":memory:")
    wh.append_events(planted_events(60, seed=3))
    wh.execute(
        f"UPDATE events SET amount = amount * 100 WHERE timestamp >= TIMESTAMPTZ '{MIDNIGHT.isoformat()}'"
    )
    wh.execute(
        f"DELETE FROM events WHERE timestamp >= TIMESTAMPTZ '{MIDNIGHT.isoformat()}' AND customer_id = 'C0005'"
    )
    assert _digest(point_in_time_features(wh, CUTOFF)) == base_features
    # ...while the same change before the cutoff is seen
    wh.execute(
        f"UPDATE events SET amount = amount * 2 WHERE timestamp < TIMESTAMPTZ '{MIDNIGHT.isoformat()}'"
    )
    assert _digest(point_in_time_features(wh, CUTOFF)) != base_features


def test_features_after_the_cutoff_raise_leakage_error() -> None:
    wh = DuckDBWarehouse(":memory:")
    wh.append_events(planted_events(20, seed=1))
    with pytest.raises(LeakageError, match=r"2025-01-02, after the cutoff 2025-01-01"):
        point_in_time_features(wh, CUTOFF, as_of=date(2025, 1, 2))
    earlier = point_in_time_features(wh, CUTOFF, as_of=date(2024, 12, 1))
    assert list(earlier.columns) == list(PREDICT_FEATURE_NAMES)


def test_a_view_sees_only_the_past_and_is_read_only() -> None:
    wh = DuckDBWarehouse(":memory:")
    wh.append_events(
        events_table(
            [
                purchase("A", datetime(2024, 12, 31, 23, 59, tzinfo=UTC)),
                purchase("A", MIDNIGHT),
                purchase("B", datetime(2025, 3, 1, tzinfo=UTC)),
            ]
        )
    )
    view = PointInTimeView(wh, CUTOFF)
    assert view.rows == {"events": 1, "customers": 0, "customer_identity": 0}
    assert view.count("events") == 1
    assert view.scalar("SELECT count(DISTINCT customer_id) FROM events") == 1
    assert view.last_event_time() == datetime(2024, 12, 31, 23, 59, tzinfo=UTC)
    # a query with its own WITH clause is restricted too
    assert view.scalar("WITH x AS (SELECT * FROM events) SELECT count(*) FROM x") == 1
    assert isinstance(view, WarehouseReader)
    with pytest.raises(
        WarehouseError, match=r"read-only: it runs one SELECT statement, got \['DELETE'\]"
    ):
        view.fetch_arrow("DELETE FROM events")
    assert not hasattr(view, "execute") and not hasattr(view, "append_events")
    assert wh.count("events") == 3
    nested = PointInTimeView(view, date(2025, 6, 1))
    assert nested.cutoff == CUTOFF and nested.count("events") == 1
    view.close()
    assert nested.count("events") == 1  # a copy of its own
    assert wh.count("events") == 3  # the wrapped warehouse is still open


def test_customers_created_after_the_cutoff_are_not_in_the_population() -> None:
    import pyarrow as pa

    from cible.schemas.customers import CUSTOMERS_SCHEMA

    wh = DuckDBWarehouse(":memory:")
    wh.append_events(events_table([purchase("A", datetime(2024, 6, 1, tzinfo=UTC))]))
    rows = {f.name: [None, None] for f in CUSTOMERS_SCHEMA}
    rows["customer_id"] = ["OLD", "LATE"]
    rows["source"] = ["crm", "crm"]
    rows["created_at"] = [datetime(2024, 1, 1, tzinfo=UTC), datetime(2025, 2, 1, tzinfo=UTC)]
    wh.upsert_customers(pa.table(rows, schema=CUSTOMERS_SCHEMA))
    features = point_in_time_features(wh, CUTOFF)
    assert list(features.index) == ["A", "OLD"]


def test_midnight_utc_is_an_aware_instant() -> None:
    got = midnight_utc(date(2025, 1, 2))
    assert got == datetime(2025, 1, 2, tzinfo=UTC)
    assert got.tzinfo is UTC  # a naive datetime is not equal to the aware one either


def test_a_view_of_some_event_columns_copies_only_those() -> None:
    sql = point_in_time_sql(DuckDBDialect(), CUTOFF, ["customer_id", "timestamp"])
    assert sql["events"].startswith('SELECT "customer_id", "timestamp" FROM events WHERE ')
    assert point_in_time_sql(DuckDBDialect(), CUTOFF)["events"].startswith("SELECT * FROM")
    wh = DuckDBWarehouse(":memory:")
    wh.append_events(events_table([purchase("A", datetime(2024, 12, 31, 23, 59, tzinfo=UTC))]))
    with PointInTimeView(wh, CUTOFF, event_columns=["customer_id", "timestamp"]) as view:
        assert view.fetch_arrow("SELECT * FROM events").column_names == ["customer_id", "timestamp"]
    with PointInTimeView(wh, CUTOFF) as whole:
        assert len(whole.fetch_arrow("SELECT * FROM events").column_names) > 2
