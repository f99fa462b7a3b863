"""No spelling of a table name reaches past the cutoff: the view holds filtered copies only."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from cible.exceptions import LeakageError, WarehouseError
from cible.predict import PointInTimeView, point_in_time_features
from cible.predict.predict_features import PREDICT_EVENT_COLUMNS, build_predict_features
from cible.schemas.customers import CUSTOMERS_SCHEMA
from cible.schemas.events import EVENT_FIELDS
from cible.warehouse.base import Warehouse, WarehouseReader
from cible.warehouse.duckdb import DuckDBWarehouse
from tests.unit.predict.data import events_table, planted_events, purchase

CUTOFF = date(2025, 1, 1)
MIDNIGHT = datetime(2025, 1, 1, tzinfo=UTC)
JUST_BEFORE = MIDNIGHT - timedelta(microseconds=1)
PRE_EVENTS = 3  # e1, e2 (one microsecond before the cutoff), e3
CATALOG = "wh"  # the inner warehouse's catalog: the stem of its file name


def _customers(created: dict[str, datetime | None]) -> pa.Table:
    rows: dict[str, list[object]] = {f.name: [None] * len(created) for f in CUSTOMERS_SCHEMA}
    rows["customer_id"] = list(created)
    rows["source"] = ["crm"] * len(created)
    rows["created_at"] = list(created.values())
    return pa.table(rows, schema=CUSTOMERS_SCHEMA)


@pytest.fixture()
def wh(tmp_path: Path) -> Iterator[DuckDBWarehouse]:
    warehouse = DuckDBWarehouse(tmp_path / f"{CATALOG}.duckdb")
    warehouse.append_events(
        events_table(
            [
                {**purchase("A", datetime(2024, 6, 1, tzinfo=UTC)), "event_id": "e1"},
                {**purchase("A", JUST_BEFORE), "event_id": "e2"},
                {
                    "event_id": "e3",
                    "customer_id": "B",
                    "event_type": "email_click",
                    "timestamp": datetime(2024, 11, 15, tzinfo=UTC),
                },
                {**purchase("A", MIDNIGHT, 999.0), "event_id": "at_cutoff"},
                {**purchase("B", datetime(2025, 2, 1, tzinfo=UTC), 999.0), "event_id": "late1"},
                {**purchase("C", datetime(2025, 3, 1, tzinfo=UTC), 999.0), "event_id": "late2"},
            ]
        )
    )
    warehouse.upsert_customers(
        _customers(
            {
                "OLD": datetime(2024, 1, 1, tzinfo=UTC),
                "EDGE": JUST_BEFORE,
                "AT": MIDNIGHT,
                "LATE": datetime(2025, 2, 1, tzinfo=UTC),
                "NODATE": None,
            }
        )
    )
    warehouse.replace_identity(
        pd.DataFrame({"record_id": ["EDGE", "AT", "LATE"], "surviving_id": ["OLD"] * 3})
    )
    yield warehouse
    warehouse.close()


def _snapshot(wh: Warehouse) -> dict[str, list[dict[str, object]]]:
    return {
        t: wh.fetch_arrow(f"SELECT * FROM {t} ORDER BY ALL").to_pylist()
        for t in ("events", "customers", "customer_identity")
    }


EVENT_SPELLINGS = [
    "events",
    "EVENTS",
    "main.events",
    "memory.main.events",  # the view's own catalog
    '"events"',
    '"main"."events"',
    '"memory"."main"."events"',
    "(SELECT * FROM main.events) AS s",
    '(SELECT * FROM (SELECT * FROM "main".events) s1) AS s2',
    "query_table('events')",
    "query_table('main.events')",
    "query('SELECT * FROM main.events')",
]


@pytest.mark.parametrize("relation", EVENT_SPELLINGS)
def test_every_spelling_of_events_sees_only_pre_cutoff_rows(
    wh: DuckDBWarehouse, relation: str
) -> None:
    with PointInTimeView(wh, CUTOFF) as view:
        n, last = (
            view.fetch_arrow(f"SELECT count(*), max(timestamp) FROM {relation}")
            .to_pylist()[0]
            .values()
        )
    assert n == PRE_EVENTS
    assert last == JUST_BEFORE and last < MIDNIGHT


@pytest.mark.parametrize(
    "sql",
    [
        "WITH events AS (SELECT * FROM main.events) SELECT count(*) FROM events",
        'WITH e AS (SELECT * FROM "main"."events") SELECT count(*) FROM e',
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 2) "
        "SELECT count(*) FROM main.events, r WHERE r.n = 1",
        "FROM main.events SELECT count(*)",
        "SELECT count(*) FROM main.events WHERE timestamp >= TIMESTAMPTZ '2000-01-01' "
        "UNION ALL SELECT 0 ORDER BY 1 DESC LIMIT 1",
    ],
)
def test_ctes_and_other_query_shapes_see_only_pre_cutoff_rows(
    wh: DuckDBWarehouse, sql: str
) -> None:
    with PointInTimeView(wh, CUTOFF) as view:
        assert view.scalar(sql) == PRE_EVENTS


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        (f"SELECT count(*) FROM {CATALOG}.main.events", 'schema "wh.main" does not exist'),
        (f'SELECT count(*) FROM "{CATALOG}"."main"."events"', 'schema "wh.main" does not exist'),
        ("SELECT count(*) FROM read_parquet('{dir}/events.parquet')", "disabled by configuration"),
        ("SELECT count(*) FROM '{dir}/events.parquet'", "disabled by configuration"),
        ("SELECT count(*) FROM read_csv('{dir}/events.csv')", "disabled by configuration"),
        ("SELECT count(*) FROM read_blob('{dir}/wh.duckdb')", "disabled by configuration"),
        (f"ATTACH '{{dir}}/{CATALOG}.duckdb' AS w (READ_ONLY)", r"got \['ATTACH'\]"),
        ("SELECT * FROM query('ATTACH ''{dir}/wh.duckdb''')", "Expected a single SELECT"),
        ("SET enable_external_access = true", r"got \['SET'\]"),
        ("SELECT count(*) FROM leaked", "Table with name leaked does not exist"),
    ],
)
def test_the_warehouse_file_and_other_catalogs_are_unreachable(
    wh: DuckDBWarehouse, tmp_path: Path, sql: str, message: str
) -> None:
    wh.execute(f"COPY events TO '{tmp_path}/events.parquet'")
    wh.execute(f"COPY events TO '{tmp_path}/events.csv'")
    leaked = wh.fetch_arrow("SELECT * FROM events")  # a Python variable with every event
    assert leaked.num_rows == 6
    with PointInTimeView(wh, CUTOFF) as view:
        with pytest.raises(WarehouseError, match=message):
            view.fetch_arrow(sql.format(dir=tmp_path))
        databases = view.fetch_arrow("SELECT database_name FROM duckdb_databases()")
        assert sorted(databases.column(0).to_pylist()) == ["memory", "system", "temp"]
        tables = view.fetch_arrow("SELECT table_catalog, table_name FROM information_schema.tables")
        assert sorted(tables.to_pylist(), key=str) == [
            {"table_catalog": "memory", "table_name": n}
            for n in ("customer_identity", "customers", "events")
        ]
    # the files themselves are fine: the inner warehouse reads them
    assert wh.scalar(f"SELECT count(*) FROM read_parquet('{tmp_path}/events.parquet')") == 6


def test_the_cutoff_boundaries_for_events_and_customers(wh: DuckDBWarehouse) -> None:
    with PointInTimeView(wh, CUTOFF) as view:
        ids = view.fetch_arrow("SELECT event_id FROM events ORDER BY 1").column(0).to_pylist()
        assert ids == ["e1", "e2", "e3"]  # e2 one microsecond before: in; at_cutoff: out
        customers = view.fetch_arrow("SELECT customer_id FROM customers ORDER BY 1")
        assert customers.column(0).to_pylist() == ["EDGE", "NODATE", "OLD"]  # AT, LATE: out
        identity = view.fetch_arrow("SELECT * FROM customer_identity").to_pylist()
        assert identity == [{"record_id": "EDGE", "surviving_id": "OLD"}]
        assert view.rows == {"events": 3, "customers": 3, "customer_identity": 1}
    # with the next day as cutoff, the event at the old cutoff and the record AT are in
    with PointInTimeView(wh, date(2025, 1, 2)) as later:
        assert later.count("events") == 4
        assert later.count("customers") == 4


def test_writes_are_refused_and_the_warehouse_is_unchanged_and_usable(
    wh: DuckDBWarehouse,
) -> None:
    before = _snapshot(wh)
    view = PointInTimeView(wh, CUTOFF)
    for sql, kind in [
        ("DELETE FROM events", "DELETE"),
        ("INSERT INTO events (event_id) VALUES ('x')", "INSERT"),
        ("UPDATE events SET amount = 0", "UPDATE"),
        ("DROP TABLE events", "DROP"),
        ("CREATE TABLE events2 AS SELECT 1", "CREATE"),
        ("SELECT 1; DELETE FROM events", "SELECT', 'DELETE"),
        ("PRAGMA database_list", "PRAGMA"),
        ("CALL pragma_version()", "CALL"),
        ("INSTALL httpfs", "LOAD"),
        ("EXPLAIN SELECT * FROM events", "EXPLAIN"),
    ]:
        expected = f"read-only: it runs one SELECT statement, got \\['{kind}'\\]"
        with pytest.raises(WarehouseError, match=expected):
            view.fetch_arrow(sql)
    assert view.count("events") == PRE_EVENTS
    assert isinstance(view, WarehouseReader) and not isinstance(view, Warehouse)
    view.close()
    with pytest.raises(WarehouseError, match="Connection already closed"):
        view.count("events")
    assert _snapshot(wh) == before
    wh.append_events(events_table([{**purchase("D", MIDNIGHT), "event_id": "new"}]))
    assert wh.count("events") == 7


def test_features_through_the_view_equal_those_over_the_whole_warehouse() -> None:
    wh = DuckDBWarehouse(":memory:")
    wh.append_events(planted_events(40, seed=5))
    created = {f"C{i:04d}": datetime(2024, 1 + i % 12, 1, tzinfo=UTC) for i in range(0, 40, 3)}
    created |= {"C0001": datetime(2025, 2, 1, tzinfo=UTC), "PROSPECT": None}
    wh.upsert_customers(_customers(created))
    wh.replace_identity(pd.DataFrame({"record_id": ["C0003"], "surviving_id": ["C0006"]}))
    wh.rekey_customers(pd.DataFrame({"record_id": ["C0003"], "surviving_id": ["C0006"]}))
    through_view = point_in_time_features(wh, CUTOFF)
    pd.testing.assert_frame_equal(through_view, build_predict_features(wh, CUTOFF))
    assert "PROSPECT" in through_view.index and "C0003" not in through_view.index
    with pytest.raises(LeakageError, match="after the cutoff 2025-01-01"):
        point_in_time_features(wh, CUTOFF, as_of=date(2025, 1, 2))
    wh.close()


def test_a_view_of_some_event_columns_holds_only_those(wh: DuckDBWarehouse) -> None:
    with PointInTimeView(wh, CUTOFF, event_columns=PREDICT_EVENT_COLUMNS) as view:
        columns = view.fetch_arrow("SELECT * FROM events LIMIT 0").column_names
        assert columns == list(PREDICT_EVENT_COLUMNS)
        assert view.count("events") == PRE_EVENTS
        with pytest.raises(WarehouseError, match='Referenced column "channel" not found'):
            view.fetch_arrow("SELECT channel FROM events")
    with PointInTimeView(wh, CUTOFF) as everything:
        names = everything.fetch_arrow("SELECT * FROM events LIMIT 0").column_names
        assert names == [f.name for f in EVENT_FIELDS]
