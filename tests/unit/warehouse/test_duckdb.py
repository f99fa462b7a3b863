from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from cible.config import DuckDBWarehouseConfig
from cible.exceptions import WarehouseError
from cible.schemas.customers import CUSTOMERS_SCHEMA
from cible.schemas.events import EVENTS_SCHEMA
from cible.warehouse import LoadCounts, open_warehouse
from cible.warehouse.duckdb import DuckDBWarehouse, disable_progress_bar


def _events(ids: list[str]) -> pa.Table:
    n = len(ids)
    data = {f.name: pa.nulls(n, f.type) for f in EVENTS_SCHEMA}
    data.update(
        {
            "event_id": pa.array(ids),
            "customer_id": pa.array(["A"] * n),
            "source": pa.array(["s"] * n),
            "event_type": pa.array(["page_view"] * n),
            "timestamp": pa.array(
                [datetime(2025, 1, i + 1, tzinfo=UTC) for i in range(n)],
                type=pa.timestamp("us", tz="UTC"),
            ),
        }
    )
    return pa.table(data, schema=EVENTS_SCHEMA)


def _customers(rows: list[tuple[str, str]]) -> pa.Table:
    n = len(rows)
    data = {f.name: pa.nulls(n, f.type) for f in CUSTOMERS_SCHEMA}
    data.update(
        {
            "customer_id": pa.array([r[0] for r in rows]),
            "source": pa.array(["crm"] * n),
            "city": pa.array([r[1] for r in rows]),
        }
    )
    return pa.table(data, schema=CUSTOMERS_SCHEMA)


def test_events_are_appended_once() -> None:
    wh = DuckDBWarehouse(":memory:")
    assert wh.append_events(_events(["a", "b"])) == LoadCounts(2, 0)
    assert wh.append_events(_events(["b", "c"])) == LoadCounts(1, 1)
    assert wh.count("events") == 3
    assert wh.last_event_time() == datetime(2025, 1, 2, tzinfo=UTC)


def test_customers_are_upserted() -> None:
    wh = DuckDBWarehouse(":memory:")
    assert wh.upsert_customers(_customers([("A", "Lyon"), ("B", "Nantes")])) == LoadCounts(2, 0)
    assert wh.upsert_customers(_customers([("A", "Paris")])) == LoadCounts(0, 1)
    assert wh.fetch_arrow("SELECT city FROM customers ORDER BY customer_id").column(
        0
    ).to_pylist() == ["Paris", "Nantes"]


def test_transaction_rolls_back_on_error() -> None:
    wh = DuckDBWarehouse(":memory:")
    with pytest.raises(RuntimeError), wh.transaction():
        wh.append_events(_events(["a"]))
        raise RuntimeError("boom")
    assert wh.count("events") == 0


def test_driver_errors_are_wrapped() -> None:
    wh = DuckDBWarehouse(":memory:")
    with pytest.raises(WarehouseError, match=r"DuckDB query failed: .*no_such_table"):
        wh.fetch_arrow("SELECT * FROM no_such_table")


def test_open_warehouse_resolves_relative_to_out_dir(tmp_path: Path) -> None:
    wh = open_warehouse(DuckDBWarehouseConfig(path=Path("sub/w.duckdb")), tmp_path)
    try:
        assert isinstance(wh, DuckDBWarehouse)
        assert wh.path == tmp_path / "sub" / "w.duckdb"
    finally:
        wh.close()
    assert (tmp_path / "sub" / "w.duckdb").is_file()


class _JupyterLikeConnection:
    """A DuckDB connection as in Jupyter without ipywidgets: any SET of the progress bar is
    refused, and the bar is ``bar_on`` (off there)."""

    def __init__(self, bar_on: bool) -> None:
        self.con = duckdb.connect(":memory:")
        self.bar_on = bar_on

    def execute(self, sql: str) -> duckdb.DuckDBPyConnection:
        if sql.startswith("SET enable_progress_bar"):
            raise duckdb.InvalidInputException("required package 'ipywidgets' is missing")
        return self.con.execute(f"SELECT {self.bar_on}")


def test_the_progress_bar_is_switched_off() -> None:
    con = duckdb.connect(":memory:")
    con.execute("SET enable_progress_bar = true")
    disable_progress_bar(con)
    assert con.execute("SELECT current_setting('enable_progress_bar')").fetchall() == [(False,)]
    assert con.execute("SELECT 1").fetchall() == [(1,)]  # the check left no pending result


def test_a_refused_switch_is_ignored_only_when_the_bar_is_already_off() -> None:
    disable_progress_bar(_JupyterLikeConnection(bar_on=False))  # type: ignore[arg-type]
    with pytest.raises(duckdb.InvalidInputException, match="ipywidgets"):
        disable_progress_bar(_JupyterLikeConnection(bar_on=True))  # type: ignore[arg-type]
