"""The warehouse as it was just before a cutoff: the only door through which features are built.

:class:`PointInTimeView` is a read-only :class:`~cible.warehouse.base.WarehouseReader` over a
private copy: when it opens, it copies from the warehouse (through ``fetch_arrow``, whatever the
backend) into its own sealed in-memory DuckDB (:class:`~cible.warehouse.sealed.SealedDuckDB`)

* ``events``: the events with ``timestamp < cutoff`` (midnight UTC), every column or the ones
  asked for;
* ``customers``: the records created before the cutoff or with no creation date;
* ``customer_identity``: the merges of those records (the current resolution);

and answers every query there, and only there. Those three tables are the only relations in that
database; it holds no connection to the warehouse and cannot read files, URLs, other databases or
Python variables, and its configuration is locked. So however a query spells a table
(``main.events``, ``memory.main.events``, ``"events"``, a sub-query, a CTE, ``read_parquet`` of the
warehouse file, ``ATTACH``), it reads the filtered copy or fails: a feature query written for the
whole warehouse - such as :func:`cible.features.feature_sql` - cannot see a later event. Statements
other than one ``SELECT`` are refused.

The private engine is DuckDB whatever the warehouse backend: queries sent to the view are written
in DuckDB's dialect (:attr:`PointInTimeView.dialect`); only the three copy queries are written in
the warehouse's own dialect. The copy costs memory and time proportional to the events before the
cutoff (measured in docs/predict.md). The training entry point is
:func:`cible.predict.predict_features.point_in_time_features`: it closes the view when done and, asked
for features at a date after the cutoff, raises :class:`~cible.exceptions.LeakageError`.

Known limits: a customer record is a snapshot (the warehouse keeps the latest version of each
record), so customer attributes changed after the cutoff are seen as they are now; likewise the
identity resolution (which records are merged) is the current one. The features of cible are
computed from events only; ``created_at`` decides whether a record exists yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

import pyarrow as pa

from cible.warehouse.base import IDENTITY_TABLE, ArrowReader, Dialect, WarehouseReader
from cible.warehouse.duckdb import DuckDBDialect
from cible.warehouse.sealed import SealedDuckDB


def midnight_utc(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def point_in_time_sql(
    dialect: Dialect, cutoff: date, event_columns: Sequence[str] | None = None
) -> dict[str, str]:
    """The copy query of each table of the view, in the warehouse's ``dialect``: every column,
    or only ``event_columns`` of the events."""
    t = dialect.timestamp_literal(midnight_utc(cutoff))
    known = f"created_at IS NULL OR created_at < {t}"
    cols = ", ".join(f'"{c}"' for c in event_columns) if event_columns else "*"
    return {
        "events": f"SELECT {cols} FROM events WHERE timestamp < {t}",
        "customers": f"SELECT * FROM customers WHERE {known}",
        IDENTITY_TABLE: (
            f"SELECT * FROM {IDENTITY_TABLE} "
            f"WHERE record_id IN (SELECT customer_id FROM customers WHERE {known})"
        ),
    }


class PointInTimeView(ArrowReader):
    """Read-only copy of what ``warehouse`` knew before ``cutoff`` (midnight UTC), in a private
    sealed DuckDB (see the module docstring). It keeps no reference to ``warehouse``, which stays
    open and unchanged; :meth:`close` (or leaving a ``with`` block) frees the copy. A view of a
    view keeps the earlier cutoff.

    ``event_columns`` copies only those columns of the events (all by default): the copy of the
    events is most of the cost, and a query reading a column left out fails naming it."""

    dialect: Dialect = DuckDBDialect()  # the private engine, whatever the warehouse backend
    cutoff: date
    rows: dict[str, int]

    def __init__(
        self,
        warehouse: WarehouseReader,
        cutoff: date,
        *,
        event_columns: Sequence[str] | None = None,
    ) -> None:
        if isinstance(warehouse, PointInTimeView):
            cutoff = min(cutoff, warehouse.cutoff)
        self.cutoff = cutoff
        self.rows = {}
        self._engine = SealedDuckDB()
        try:
            for name, sql in point_in_time_sql(warehouse.dialect, cutoff, event_columns).items():
                table = warehouse.fetch_arrow(sql)
                self.rows[name] = table.num_rows
                self._engine.load(name, table)
                del table  # one Arrow copy alive at a time
            self._engine.seal()
        except BaseException:
            self._engine.close()
            raise

    def fetch_arrow(self, sql: str) -> pa.Table:
        """The result of one ``SELECT`` over the copy (DuckDB dialect); anything else is refused
        with :class:`~cible.exceptions.WarehouseError`."""
        return self._engine.fetch_arrow(sql)

    def close(self) -> None:
        """Free the copy; the warehouse it came from stays open."""
        self._engine.close()

    def __enter__(self) -> PointInTimeView:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
