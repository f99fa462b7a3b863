"""The warehouse seam: where canonical customers and events live and where features are computed.

Shared logic (table layout, idempotent loading, re-keying events to surviving customer ids) lives
here, written once in the *shared dialect*: DuckDB's SQL as SQLGlot reads it (the choice Splink
made). A backend supplies a handful of hooks: run a statement, fetch an Arrow table, load an Arrow
table as a relation, transactions, and its :class:`Dialect`, which translates shared SQL into the
engine's own. Every statement and query sent through a backend is translated there, so feature,
prediction and identity code never spell an engine-specific construct.

Code that only reads (features, labels, CLV summaries) takes a :class:`WarehouseReader`: the few
read calls it makes. A :class:`Warehouse` is one; so is the point-in-time view of
:mod:`cible.predict.pointintime`, which can do nothing else. :class:`ArrowReader` writes the read
helpers once over ``fetch_arrow`` for both.

:func:`open_warehouse` picks the backend from the ``engine`` of the configuration through
:func:`backends` (engine -> opener) and binds it late: the driver of an engine is imported only
when that engine is opened.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cible.exceptions import IdentityResolutionError
from cible.schemas.customers import CUSTOMER_FIELDS
from cible.schemas.events import EVENT_FIELDS
from cible.schemas.fields import FieldSpec

if TYPE_CHECKING:
    from cible.config import DuckDBWarehouseConfig, PostgreSQLWarehouseConfig

    AnyWarehouseConfig = DuckDBWarehouseConfig | PostgreSQLWarehouseConfig


class Dialect(ABC):
    """How one engine speaks SQL: the translation of shared SQL into it.

    The phrase builders below write *shared* SQL (the dialect SQLGlot reads as ``duckdb``), so
    that callers never pick a spelling per engine; :meth:`translate` turns a whole statement into
    the engine's SQL. A backend teaches SQLGlot, in its own module, the few shared constructs
    SQLGlot does not translate by itself (see :mod:`cible.warehouse.postgresql`).
    """

    name: str

    @abstractmethod
    def translate(self, sql: str) -> str:
        """``sql`` (shared dialect) as this engine's SQL."""

    # -- shared phrases ------------------------------------------------------------------------
    def days_between(self, start: str, end: str) -> str:
        """Fractional days from ``start`` to ``end`` (timestamps)."""
        return f"(epoch({end}) - epoch({start})) / 86400.0"

    def timestamp_literal(self, value: datetime) -> str:
        return f"TIMESTAMPTZ '{value.isoformat()}'"

    def minus_days(self, ts: str, days: int) -> str:
        return f"({ts} - INTERVAL {int(days)} DAY)"

    def add_column(self, table: str, column: str, sql_type: str) -> str:
        """Add a nullable column unless the table has it already."""
        return f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {sql_type}"

    def epoch_micros(self, ts: str) -> str:
        """Whole microseconds from 1970-01-01 UTC to timestamp ``ts`` (a BIGINT)."""
        return f"epoch_us({ts})"


@dataclass(frozen=True)
class LoadCounts:
    inserted: int
    already_present: int


ORIGINAL_CUSTOMER_ID = "original_customer_id"
IDENTITY_TABLE = "customer_identity"


def _id_map_table(id_map: pa.Table | pd.DataFrame) -> pa.Table:
    """``record_id``, ``surviving_id`` as strings; each record id once, no empty id."""
    columns = ("record_id", "surviving_id")
    names = list(id_map.columns) if isinstance(id_map, pd.DataFrame) else id_map.column_names
    missing = [c for c in columns if c not in names]
    if missing:
        raise IdentityResolutionError(
            f"id_map has no column(s) {missing}; it needs record_id and surviving_id"
        )
    if isinstance(id_map, pd.DataFrame):
        id_map = pa.Table.from_pandas(id_map[list(columns)], preserve_index=False)
    table = id_map.select(list(columns)).cast(pa.schema([(c, pa.string()) for c in columns]))
    if table.num_rows and any(table.column(c).null_count for c in columns):
        raise IdentityResolutionError("id_map: record_id and surviving_id cannot be empty")
    if pc.count_distinct(table.column("record_id")).as_py() != table.num_rows:
        raise IdentityResolutionError("id_map: a record_id is mapped more than once")
    return table


def _ddl(name: str, specs: tuple[FieldSpec, ...], key: tuple[str, ...]) -> str:
    cols = ", ".join(f'"{s.name}" {s.sql_type}{" NOT NULL" if s.required else ""}' for s in specs)
    return f"CREATE TABLE IF NOT EXISTS {name} ({cols}, PRIMARY KEY ({', '.join(key)}))"


@runtime_checkable
class WarehouseReader(Protocol):
    """What read-only code may call: queries in the shared dialect, answered as Arrow."""

    dialect: Dialect

    def fetch_arrow(self, sql: str) -> pa.Table:
        """Run a query and return its result as Arrow."""
        ...

    def scalar(self, sql: str) -> Any:
        """The first value of the first row (``None`` without row)."""
        ...

    def count(self, table: str) -> int:
        """Rows of ``table``."""
        ...

    def last_event_time(self) -> datetime | None:
        """The latest event timestamp, ``None`` without event."""
        ...

    def resolved_customers_sql(self) -> str:
        """A relation like ``customers`` with merged-away records under their surviving id."""
        ...


class ArrowReader(ABC):
    """The read helpers of :class:`WarehouseReader`, written once over :meth:`fetch_arrow`."""

    dialect: Dialect

    @abstractmethod
    def fetch_arrow(self, sql: str) -> pa.Table:
        """Run a query (shared dialect) and return its result as Arrow."""

    def scalar(self, sql: str) -> Any:
        t = self.fetch_arrow(sql)
        return t.column(0)[0].as_py() if t.num_rows else None

    def count(self, table: str) -> int:
        return int(self.scalar(f"SELECT count(*) FROM {table}") or 0)

    def resolved_customers_sql(self) -> str:
        """A relation like ``customers`` in which each merged-away record carries the id of its
        surviving customer (see :meth:`Warehouse.replace_identity`): features count a person
        once."""
        cols = ", ".join(f'c."{f.name}"' for f in CUSTOMER_FIELDS if f.name != "customer_id")
        return (
            f"(SELECT coalesce(i.surviving_id, c.customer_id) AS customer_id, {cols} "
            f"FROM customers c LEFT JOIN {IDENTITY_TABLE} i ON i.record_id = c.customer_id)"
        )

    def last_event_time(self) -> datetime | None:
        value = self.scalar("SELECT max(timestamp) FROM events")
        return value if isinstance(value, datetime) else None


def _insert_sql(
    table: str, source: str, columns: list[str], key: tuple[str, ...], replace: bool
) -> str:
    """Insert the rows of ``source`` into ``table``: new keys only, or (``replace``) new keys
    plus the rows of existing keys overwritten (``ON CONFLICT DO UPDATE``, the upsert spelling
    DuckDB and PostgreSQL share; the keys of one batch are unique, ingestion quarantines
    repeated ones)."""
    cols = ", ".join(f'"{c}"' for c in columns)
    insert = f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {source} d"
    if not replace:
        cond = " AND ".join(f"t.{k} = d.{k}" for k in key)
        return f"{insert} WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {cond})"
    updates = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in columns if c not in key)
    action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
    return f"{insert} ON CONFLICT ({', '.join(key)}) {action}"


class Warehouse(ArrowReader):
    """A store of canonical customers and events."""

    dialect: Dialect

    # -- backend hooks -------------------------------------------------------------------------
    @abstractmethod
    def execute(self, sql: str) -> None:
        """Run a statement (shared dialect) that returns nothing."""

    @abstractmethod
    def register(self, name: str, table: pa.Table) -> None:
        """Make an Arrow table queryable under ``name`` until :meth:`unregister`."""

    @abstractmethod
    def unregister(self, name: str) -> None:
        """Drop a relation made by :meth:`register`."""

    @abstractmethod
    def close(self) -> None:
        """Release the connection."""

    @abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """All or nothing: commit when the block ends, roll back if it raises."""

    # -- shared logic --------------------------------------------------------------------------
    def ensure_schema(self) -> None:
        self.execute(_ddl("customers", CUSTOMER_FIELDS, ("source", "customer_id")))
        self.execute(_ddl("events", EVENT_FIELDS, ("event_id",)))
        # a warehouse made by an older version gains the optional fields added since (raw_values)
        for table, specs in (("customers", CUSTOMER_FIELDS), ("events", EVENT_FIELDS)):
            present = set(self.fetch_arrow(f"SELECT * FROM {table} LIMIT 0").column_names)
            for spec in specs:
                if spec.name not in present and not spec.required:
                    self.execute(self.dialect.add_column(table, f'"{spec.name}"', spec.sql_type))
        self.execute(
            f"CREATE TABLE IF NOT EXISTS {IDENTITY_TABLE} "
            "(record_id VARCHAR PRIMARY KEY, surviving_id VARCHAR NOT NULL)"
        )

    def _load_new(
        self, table: str, data: pa.Table, key: tuple[str, ...], replace: bool
    ) -> LoadCounts:
        name = f"__load_{table}"
        self.register(name, data)
        try:
            cond = " AND ".join(f"t.{k} = d.{k}" for k in key)
            new = int(
                self.scalar(
                    f"SELECT count(*) FROM {name} d WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {cond})"
                )
                or 0
            )
            self.execute(_insert_sql(table, name, data.column_names, key, replace))
        finally:
            self.unregister(name)
        return LoadCounts(inserted=new, already_present=data.num_rows - new)

    def _load_stream(
        self,
        table: str,
        rows: pa.RecordBatchReader,
        n_rows: int,
        key: tuple[str, ...],
        replace: bool,
    ) -> LoadCounts:
        """Load a stream of ``n_rows`` rows batch by batch (a backend that can scan an Arrow
        stream in one statement overrides this)."""
        inserted = 0
        for batch in rows:
            inserted += self._load_new(table, pa.Table.from_batches([batch]), key, replace).inserted
        return LoadCounts(inserted=inserted, already_present=n_rows - inserted)

    def load_rows(
        self, kind: str, rows: pa.Table | pa.RecordBatchReader, n_rows: int
    ) -> LoadCounts:
        """Load canonical rows of a source of ``kind`` (customers are upserted, events appended
        when new), from a table or a stream of record batches of ``n_rows`` rows."""
        table, key, replace = (
            ("customers", ("source", "customer_id"), True)
            if kind == "customers"
            else ("events", ("event_id",), False)
        )
        if isinstance(rows, pa.Table):
            return self._load_new(table, rows, key, replace)
        return self._load_stream(table, rows, n_rows, key, replace)

    def append_events(self, data: pa.Table) -> LoadCounts:
        """Insert the events whose ``event_id`` is new; a re-ingested file adds nothing."""
        return self._load_new("events", data, ("event_id",), replace=False)

    def upsert_customers(self, data: pa.Table) -> LoadCounts:
        """Insert or replace customers by ``(source, customer_id)``."""
        return self._load_new("customers", data, ("source", "customer_id"), replace=True)

    # -- identity resolution -------------------------------------------------------------------
    def _ensure_original_ids(self) -> None:
        self.execute(self.dialect.add_column("events", ORIGINAL_CUSTOMER_ID, "VARCHAR"))

    def rekey_customers(self, id_map: pa.Table | pd.DataFrame) -> int:
        """Point every event at the surviving id of its customer, in one ``UPDATE``.

        ``id_map`` has ``record_id`` and ``surviving_id`` (the ``id_map`` of a golden result).
        ``events.original_customer_id`` (added on first use) keeps the ingested id of each
        re-keyed event and is NULL for the others. The map is applied to the original id, so
        calling again is harmless, re-keys events ingested since, and after an undo moves the
        detached record's events back. Customers absent from the map keep their id. Returns the
        number of events whose ``customer_id`` changed. Wrap it in :meth:`transaction` to make it
        part of a larger all-or-nothing step.
        """
        table = _id_map_table(id_map)
        self._ensure_original_ids()
        name = "__rekey_map"
        original = f"coalesce(events.{ORIGINAL_CUSTOMER_ID}, events.customer_id)"
        cond = f"m.record_id = {original} AND events.customer_id <> m.surviving_id"
        self.register(name, table)
        try:
            changed = int(self.scalar(f"SELECT count(*) FROM events, {name} m WHERE {cond}") or 0)
            if changed:
                self.execute(
                    f"UPDATE events SET customer_id = m.surviving_id, "
                    f"{ORIGINAL_CUSTOMER_ID} = CASE WHEN m.surviving_id = {original} "
                    f"THEN NULL ELSE {original} END FROM {name} m WHERE {cond}"
                )
        finally:
            self.unregister(name)
        return changed

    def restore_customer_ids(self, record_ids: Iterable[str] | None = None) -> int:
        """Give re-keyed events their original customer id back: those of ``record_ids`` (the
        original ids), or all when ``None``. Returns the number of events restored."""
        self._ensure_original_ids()
        cond = f"{ORIGINAL_CUSTOMER_ID} IS NOT NULL"
        name = "__restore_ids"
        if record_ids is not None:
            ids = pa.table({"record_id": pa.array([str(r) for r in record_ids], pa.string())})
            self.register(name, ids)
            cond += f" AND {ORIGINAL_CUSTOMER_ID} IN (SELECT record_id FROM {name})"
        try:
            restored = int(self.scalar(f"SELECT count(*) FROM events WHERE {cond}") or 0)
            if restored:
                self.execute(
                    f"UPDATE events SET customer_id = {ORIGINAL_CUSTOMER_ID}, "
                    f"{ORIGINAL_CUSTOMER_ID} = NULL WHERE {cond}"
                )
        finally:
            if record_ids is not None:
                self.unregister(name)
        return restored

    def replace_identity(self, id_map: pa.Table | pd.DataFrame) -> int:
        """Store which customer records were merged into which surviving id (replacing the
        previous resolution). Only merged-away records are kept; returns how many."""
        table = _id_map_table(id_map)
        name = "__identity_map"
        self.register(name, table)
        try:
            self.execute(f"DELETE FROM {IDENTITY_TABLE}")
            self.execute(
                f"INSERT INTO {IDENTITY_TABLE} SELECT record_id, surviving_id FROM {name} "
                "WHERE record_id <> surviving_id"
            )
        finally:
            self.unregister(name)
        return self.count(IDENTITY_TABLE)

    def clear_identity(self) -> int:
        """Forget every merge: events get their original ids back and no customer record is
        merged away any more. Returns the number of events restored."""
        if not self.count(IDENTITY_TABLE) and not self._has_original_ids():
            return 0
        restored = self.restore_customer_ids()
        self.execute(f"DELETE FROM {IDENTITY_TABLE}")
        return restored

    def _has_original_ids(self) -> bool:
        names = self.fetch_arrow("SELECT * FROM events LIMIT 0").column_names
        return ORIGINAL_CUSTOMER_ID in names
