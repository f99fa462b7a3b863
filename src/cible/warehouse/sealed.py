"""A sealed DuckDB: a private in-memory database that can only answer queries over what was put in.

:class:`SealedDuckDB` is the compute engine of :class:`cible.predict.pointintime.PointInTimeView`
(DuckDB whatever the warehouse backend). Tables are copied in from Arrow with :meth:`load`; then
:meth:`seal` turns off every way out of the database before the first query:

* it is a fresh in-memory database of its own, not a connection to the warehouse: no other catalog
  exists in it, whatever a query names;
* ``enable_external_access = false``: no file, URL or database can be read (``read_parquet``,
  ``read_csv``, ``'file.duckdb'``, ``ATTACH``, extension installs all fail);
* ``python_enable_replacements = false``: a query cannot reach a Python variable by its name;
* ``lock_configuration = true``: no ``SET`` can undo the above;
* :meth:`fetch_arrow` runs exactly one ``SELECT`` statement (``FROM``, ``VALUES``, ``DESCRIBE``
  and ``SHOW`` included) and refuses anything else, so the copies cannot be changed either.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from cible.exceptions import WarehouseError
from cible.warehouse.duckdb import disable_progress_bar

_SOURCE = "__sealed_load"


class SealedDuckDB:
    """Private in-memory DuckDB: :meth:`load` tables, :meth:`seal`, then query it read-only."""

    def __init__(self, *, memory_limit: str | None = None) -> None:
        self._con = duckdb.connect(":memory:")
        self._con.execute("SET TimeZone = 'UTC'")  # as the DuckDB warehouse: same month buckets
        disable_progress_bar(self._con)
        if memory_limit:
            self._con.execute(f"SET memory_limit = '{memory_limit}'")
        self.sealed = False
        self.tables: list[str] = []

    def load(self, name: str, table: pa.Table) -> None:
        """Copy ``table`` into a new table ``name`` (refused once sealed)."""
        if self.sealed:
            raise WarehouseError(f"cannot load table {name!r}: the database is sealed")
        if not name.isidentifier() or name in self.tables:
            raise WarehouseError(f"table name {name!r} is not a new plain identifier")
        self._con.register(_SOURCE, table)
        try:
            self._con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM {_SOURCE}')
        finally:
            self._con.unregister(_SOURCE)
        self.tables.append(name)

    def seal(self) -> None:
        """No external access, no Python variables, configuration locked: only the loaded tables
        remain reachable."""
        for setting in (
            "SET python_enable_replacements = false",
            "SET enable_external_access = false",
            "SET lock_configuration = true",
        ):
            self._con.execute(setting)
        self.sealed = True

    def fetch_arrow(self, sql: str) -> pa.Table:
        """The result of one ``SELECT`` statement; any other statement is refused."""
        if not self.sealed:
            raise WarehouseError("the database is not sealed yet: call seal() before querying")
        try:
            statements = self._con.extract_statements(sql)
        except duckdb.Error as e:
            raise WarehouseError(f"point-in-time query failed: {e}") from e
        kinds = [s.type.name for s in statements]
        if kinds != ["SELECT"]:
            raise WarehouseError(
                f"a point-in-time view is read-only: it runs one SELECT statement, got {kinds}"
            )
        try:
            return self._con.sql(sql).to_arrow_table()
        except duckdb.Error as e:
            raise WarehouseError(f"point-in-time query failed: {e}") from e

    def close(self) -> None:
        self._con.close()
