"""The rules run as SQL inside each warehouse backend (DuckDB, PostgreSQL) on a registered
profile relation and select what Python selects, boundaries included."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from cible.activation.plan import parse_plan
from cible.services.audiences import qualified_in_warehouse
from cible.warehouse import Warehouse
from cible.warehouse.duckdb import DuckDBWarehouse
from tests.conftest import fresh_schema_name, postgresql_warehouse_at

NOW = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
PLAN = parse_plan(
    {
        "audiences": [
            {"name": "band", "channels": ["email"], "rule": {"field": "monetary", "between": [10, 20]}},
            {"name": "recent", "channels": ["sms"], "rule": {"field": "last_order", "within_days": 30}},
            {"name": "not_loyal", "channels": ["push"],
             "rule": {"not": {"field": "segment", "in": ["Loyal", "O'Brien"]}}},
        ]
    }
)  # fmt: skip


def _table() -> tuple[pa.Table, dict[str, dict[str, object]]]:
    edge = NOW - timedelta(days=30)
    data = {
        "customer_id": ["C1", "C2", "C3", "C4", "C5"],
        "monetary": [10.0, 20.0, 9.999, None, 20.000001],
        "segment": ["Loyal", "O'Brien", None, "New", "new"],
        "last_order": [
            edge,
            edge - timedelta(microseconds=1),
            NOW,
            None,
            NOW + timedelta(seconds=1),
        ],
    }
    naive = [None if t is None else t.replace(tzinfo=None) for t in data["last_order"]]
    table = pa.table({**data, "last_order": pa.array(naive, pa.timestamp("us"))})
    rows = {c: {k: data[k][i] for k in data} for i, c in enumerate(data["customer_id"])}
    return table, rows  # type: ignore[return-value]


@pytest.fixture(params=["duckdb", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Warehouse]:
    if request.param == "duckdb":
        wh: Warehouse = DuckDBWarehouse(tmp_path / "w.duckdb")
        yield wh
        wh.close()
        return
    pg = postgresql_warehouse_at(fresh_schema_name())
    try:
        yield pg
    finally:
        pg.drop_schema()
        pg.close()


def test_rules_run_in_the_warehouse_as_in_python(warehouse: Warehouse) -> None:
    table, rows = _table()
    got = qualified_in_warehouse(warehouse, PLAN, table, rows, NOW)
    assert got == {
        "band": {"C1", "C2"},
        "recent": {"C1", "C3"},
        "not_loyal": {"C3", "C4", "C5"},
    }
