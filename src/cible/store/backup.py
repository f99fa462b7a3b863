"""Export and import of a whole profile store as one JSON Lines file (``cible store export`` /
``cible store import``): a backup, and the way to move a store between SQLite and PostgreSQL.

The file holds, line by line: a header ``{"format": "cible-store", "version": 1, "revision":
<the Alembic revision>, "tables": {table: [columns]}}``; one line per row ``{"t": table, "r":
[values in the header's column order]}``, tables in foreign-key order; and a last line ``{"end":
{table: rows}}`` (a file cut short has none and is refused). Values are written by column type:
timestamps as ISO 8601 UTC, dates as ISO dates, binary (model artifacts) as base64, JSON columns
as JSON, the rest as they are; so rows read back are equal, value for value, on either backend.

An import needs a store migrated to the same revision and with every table empty (a backup
is never merged into live data); it runs in one transaction, then moves PostgreSQL's id
sequences past the imported ids. The file holds personal data and API-key hashes: keep it
like the database itself (see docs/security.md).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection, Engine

from cible.store import tables as t
from cible.store.errors import StoreError

FORMAT, VERSION = "cible-store", 1
BATCH = 1000


def _encode(column: sa.Column[Any], value: Any) -> Any:
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, t.UTCDateTime | sa.DateTime):
        return value.isoformat()
    if isinstance(kind, sa.Date):
        return value.isoformat()
    if isinstance(kind, sa.LargeBinary):
        return base64.b64encode(value).decode("ascii")
    return value


def _decode(column: sa.Column[Any], value: Any) -> Any:
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, t.UTCDateTime | sa.DateTime):
        return datetime.fromisoformat(value)
    if isinstance(kind, sa.Date):
        return date.fromisoformat(value)
    if isinstance(kind, sa.LargeBinary):
        return base64.b64decode(value)
    return value


def revision(conn: Connection) -> str | None:
    """The Alembic revision the store's database is at."""
    return MigrationContext.configure(conn).get_current_revision()


def _tables() -> list[sa.Table]:
    return list(t.metadata.sorted_tables)


def export_store(engine: Engine, out: IO[str]) -> dict[str, int]:
    """Write every table of the store at ``engine`` to ``out``; the rows written per table."""
    counts: dict[str, int] = {}
    with engine.connect() as conn, conn.begin():  # one snapshot (REPEATABLE READ on PostgreSQL)
        header = {
            "format": FORMAT,
            "version": VERSION,
            "revision": revision(conn),
            "tables": {tb.name: [c.name for c in tb.columns] for tb in _tables()},
        }
        out.write(json.dumps(header) + "\n")
        for table in _tables():
            columns = list(table.columns)
            order = list(table.primary_key.columns) or columns
            rows = conn.execute(sa.select(*columns).order_by(*order))
            n = 0
            for row in rows:
                values = [_encode(c, v) for c, v in zip(columns, row, strict=True)]
                out.write(json.dumps({"t": table.name, "r": values}, ensure_ascii=False) + "\n")
                n += 1
            counts[table.name] = n
    out.write(json.dumps({"end": counts}) + "\n")
    return counts


def _lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            try:
                yield number, json.loads(line)
            except ValueError as e:
                raise StoreError(f"{path}: line {number} is not JSON ({e})", str(path)) from e


def _check_header(path: Path, header: dict[str, Any], conn: Connection) -> None:
    if header.get("format") != FORMAT or header.get("version") != VERSION:
        raise StoreError(f"{path}: not a cible store export (line 1: {header!r:.80})", str(path))
    wanted = {tb.name: [c.name for c in tb.columns] for tb in _tables()}
    if header.get("tables") != wanted or header.get("revision") != revision(conn):
        raise StoreError(
            f"{path}: exported at revision {header.get('revision')}, the target store is at "
            f"{revision(conn)}: migrate both to the same revision first",
            str(path),
        )
    filled = [tb.name for tb in _tables() if conn.execute(sa.select(tb).limit(1)).first()]
    if filled:
        raise StoreError(
            f"the target store is not empty (tables {filled}): import into a new store",
            str(path),
        )


def import_store(engine: Engine, path: Path) -> dict[str, int]:
    """Load the export at ``path`` into the empty store at ``engine``; the rows per table."""
    by_name = {tb.name: tb for tb in _tables()}
    counts = dict.fromkeys(by_name, 0)
    pending: tuple[sa.Table | None, list[dict[str, Any]]] = (None, [])
    end: dict[str, int] | None = None
    with engine.connect() as conn, conn.begin():
        lines = _lines(path)
        first = next(lines, None)
        if first is None:
            raise StoreError(f"{path}: empty file", str(path))
        _check_header(path, first[1], conn)
        for number, line in lines:
            if "end" in line:
                end = line["end"]
                continue
            table = by_name.get(line.get("t", ""))
            if table is None or end is not None:
                raise StoreError(f"{path}: line {number}: unexpected {line!r:.80}", str(path))
            if pending[0] is not table or len(pending[1]) >= BATCH:
                _flush(conn, *pending)
                pending = (table, [])
            row = zip(table.columns, line["r"], strict=True)
            pending[1].append({c.name: _decode(c, v) for c, v in row})
            counts[table.name] += 1
        _flush(conn, *pending)
        if end != counts:
            raise StoreError(
                f"{path}: incomplete export (end line {end}, rows read {counts})", str(path)
            )
        _advance_sequences(conn)
    return counts


def _flush(conn: Connection, table: sa.Table | None, rows: list[dict[str, Any]]) -> None:
    if table is not None and rows:
        conn.execute(sa.insert(table), rows)


def _advance_sequences(conn: Connection) -> None:
    """On PostgreSQL, each serial id's sequence set past the largest imported id."""
    if conn.dialect.name != "postgresql":
        return
    for table in _tables():
        for column in table.primary_key.columns:
            if column.autoincrement is True or (
                column.autoincrement == "auto" and len(table.primary_key.columns) == 1
            ):
                if not isinstance(column.type, sa.Integer):
                    continue
                conn.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence(:t, :c), "
                        f'coalesce((SELECT max("{column.name}") FROM "{table.name}"), 0) + 1, '
                        "false) WHERE pg_get_serial_sequence(:t, :c) IS NOT NULL"
                    ),
                    {"t": table.name, "c": column.name},
                )
