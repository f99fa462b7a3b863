"""DuckDB backend: the embedded default, one database file on disk.

The shared SQL of :mod:`cible.warehouse.base` is written in DuckDB's dialect, so this backend's
:class:`DuckDBDialect` passes it through unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb
import pyarrow as pa

from cible.cpu_threads import usable_cpus
from cible.exceptions import MemoryLimitError, WarehouseError
from cible.warehouse.base import Dialect, LoadCounts, Warehouse, _insert_sql


class DuckDBDialect(Dialect):
    """DuckDB reads the shared dialect as it is."""

    name = "duckdb"

    def translate(self, sql: str) -> str:
        return sql


def disable_progress_bar(con: duckdb.DuckDBPyConnection) -> None:
    """Turn DuckDB's progress bar off on ``con`` (it would print into logs and notebooks).

    In Jupyter without ipywidgets DuckDB starts with the bar off and refuses any change of the
    setting, even to false: that refusal is ignored when the bar is off already."""
    try:
        con.execute("SET enable_progress_bar = false")
    except duckdb.InvalidInputException:
        # fetchall: a partly fetched result would hold the connection (DuckDB 2)
        if con.execute("SELECT current_setting('enable_progress_bar')").fetchall() != [(False,)]:
            raise


class DuckDBWarehouse(Warehouse):
    """Warehouse in a DuckDB file (``:memory:`` for a throw-away one)."""

    dialect: Dialect = DuckDBDialect()

    def __init__(self, path: Path | str, *, memory_limit: str | None = None) -> None:
        self.path = Path(path) if str(path) != ":memory:" else None
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._con = duckdb.connect(str(path))
        except duckdb.Error as e:
            raise WarehouseError(f"cannot open the DuckDB warehouse {path}: {e}") from e
        self._con.execute("SET TimeZone = 'UTC'")
        disable_progress_bar(self._con)
        self._con.execute(f"SET threads = {usable_cpus()}")  # DuckDB counts the host's cores
        self.memory_limit = memory_limit
        if memory_limit:
            self._con.execute(f"SET memory_limit = '{memory_limit}'")
        self.ensure_schema()

    def execute(self, sql: str) -> None:
        try:
            self._con.execute(sql)
        except duckdb.OutOfMemoryException as e:
            raise MemoryLimitError(
                f"the DuckDB warehouse ran out of memory within warehouse.memory_limit = "
                f"{self.memory_limit or 'DuckDB default'}; raise warehouse.memory_limit ({e})"
            ) from e
        except duckdb.Error as e:
            raise WarehouseError(f"DuckDB statement failed: {e}") from e

    def fetch_arrow(self, sql: str) -> pa.Table:
        try:
            return self._con.sql(sql).to_arrow_table()
        except duckdb.Error as e:
            raise WarehouseError(f"DuckDB query failed: {e}") from e

    def _load_stream(
        self,
        table: str,
        rows: pa.RecordBatchReader,
        n_rows: int,
        key: tuple[str, ...],
        replace: bool,
    ) -> LoadCounts:
        """One ``INSERT`` scanning the whole stream (DuckDB reads Arrow streams); the new rows
        are the growth of the table."""
        before = int(self.scalar(f"SELECT count(*) FROM {table}") or 0)
        self._con.register("__load_stream", rows)
        try:
            self.execute(_insert_sql(table, "__load_stream", rows.schema.names, key, replace))
        finally:
            # after a failed statement the transaction is aborted and refuses even this: the
            # error that aborted it is the one to report
            with suppress(duckdb.Error):
                self._con.unregister("__load_stream")
        inserted = int(self.scalar(f"SELECT count(*) FROM {table}") or 0) - before
        return LoadCounts(inserted=inserted, already_present=n_rows - inserted)

    def register(self, name: str, table: pa.Table) -> None:
        self._con.register(name, table)

    def unregister(self, name: str) -> None:
        self._con.unregister(name)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self._con.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self._con.execute("ROLLBACK")
            raise
        self._con.execute("COMMIT")

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> DuckDBWarehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
