"""The warehouse seam: where canonical customers and events live and where features are computed.

Shared logic (table layout, idempotent loading, the feature query) lives here; a backend supplies
a handful of hooks: run a statement, fetch an Arrow table, load an Arrow table as a relation, and
its SQL dialect. Callers only see :class:`Warehouse`; ``open_warehouse`` binds the backend late,
from configuration, so a Spark backend can be added without touching them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from cible.config import WarehouseConfig
from cible.schemas.customers import CUSTOMER_FIELDS
from cible.schemas.events import EVENT_FIELDS
from cible.schemas.fields import FieldSpec


@dataclass(frozen=True)
class Dialect:
    """The few SQL spellings that differ between engines."""

    name: str

    def days_between(self, start: str, end: str) -> str:
        """Fractional days from ``start`` to ``end`` (timestamps)."""
        return f"(epoch({end}) - epoch({start})) / 86400.0"

    def timestamp_literal(self, value: datetime) -> str:
        return f"TIMESTAMPTZ '{value.isoformat()}'"

    def minus_days(self, ts: str, days: int) -> str:
        return f"({ts} - INTERVAL {int(days)} DAY)"

    def epoch_micros(self, ts: str) -> str:
        """Whole microseconds from 1970-01-01 UTC to timestamp ``ts`` (a BIGINT)."""
        return f"epoch_us({ts})"


@dataclass(frozen=True)
class LoadCounts:
    inserted: int
    already_present: int


def _ddl(name: str, specs: tuple[FieldSpec, ...], key: tuple[str, ...]) -> str:
    cols = ", ".join(f'"{s.name}" {s.sql_type}{" NOT NULL" if s.required else ""}' for s in specs)
    return f"CREATE TABLE IF NOT EXISTS {name} ({cols}, PRIMARY KEY ({', '.join(key)}))"


class Warehouse(ABC):
    """A store of canonical customers and events."""

    dialect: Dialect

    # -- backend hooks -------------------------------------------------------------------------
    @abstractmethod
    def execute(self, sql: str) -> None:
        """Run a statement that returns nothing."""

    @abstractmethod
    def fetch_arrow(self, sql: str) -> pa.Table:
        """Run a query and return its result as Arrow."""

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

    def scalar(self, sql: str) -> Any:
        t = self.fetch_arrow(sql)
        return t.column(0)[0].as_py() if t.num_rows else None

    def count(self, table: str) -> int:
        return int(self.scalar(f"SELECT count(*) FROM {table}") or 0)

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
            cols = ", ".join(f'"{c}"' for c in data.column_names)
            verb = "INSERT OR REPLACE INTO" if replace else "INSERT INTO"
            where = "" if replace else f" WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {cond})"
            self.execute(f"{verb} {table} ({cols}) SELECT {cols} FROM {name} d{where}")
        finally:
            self.unregister(name)
        return LoadCounts(inserted=new, already_present=data.num_rows - new)

    def append_events(self, data: pa.Table) -> LoadCounts:
        """Insert the events whose ``event_id`` is new; a re-ingested file adds nothing."""
        return self._load_new("events", data, ("event_id",), replace=False)

    def upsert_customers(self, data: pa.Table) -> LoadCounts:
        """Insert or replace customers by ``(source, customer_id)``."""
        return self._load_new("customers", data, ("source", "customer_id"), replace=True)

    def last_event_time(self) -> datetime | None:
        value = self.scalar("SELECT max(timestamp) FROM events")
        return value if isinstance(value, datetime) else None


def open_warehouse(config: WarehouseConfig, base_dir: Path) -> Warehouse:
    """The backend named in ``config``, bound late so that callers never import a driver."""
    if config.backend == "duckdb":
        from cible.warehouse.duckdb import DuckDBWarehouse

        path = config.path if config.path.is_absolute() else base_dir / config.path
        return DuckDBWarehouse(path, memory_limit=config.memory_limit)
    raise ValueError(f"unknown warehouse backend {config.backend!r}")  # pragma: no cover
