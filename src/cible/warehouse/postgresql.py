"""PostgreSQL backend: the warehouse in a schema of a PostgreSQL database (ADBC driver).

* Shared SQL (DuckDB's dialect, see :mod:`cible.warehouse.base`) is translated by SQLGlot into
  PostgreSQL's; the translation of each distinct statement is kept on the instance (the feature
  queries run many times). :class:`PostgreSQLDialect` teaches SQLGlot the one shared construct
  it does not translate by itself (``epoch_us``) and refuses, before the server sees it, any
  construct SQLGlot cannot express in PostgreSQL.
* Arrow in and out: results arrive through ADBC's binary ``COPY``, and :meth:`register` loads
  an Arrow table into a temporary table with ``COPY`` (``adbc_ingest``), never row by row.
  ``numeric`` results (PostgreSQL sums of integers, ``div``) become Arrow decimals.
* Timestamps are ``TIMESTAMPTZ`` and the session runs in UTC, as the DuckDB backend does.
* Tables live in the configured schema (created when absent), so that several warehouses, e.g.
  one per test run, share one database.

The driver (``adbc-driver-postgresql``) is the optional extra ``postgresql``, imported only when
a PostgreSQL warehouse is opened.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError

from cible.exceptions import OptionalDependencyError, WarehouseError
from cible.warehouse.base import Dialect, Warehouse

if TYPE_CHECKING:
    from adbc_driver_postgresql.dbapi import Connection

_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_PASSWORD = re.compile(r"(://[^:/@]*:)[^@]*@")


def _epoch_micros(node: exp.Expression) -> exp.Expression:
    """DuckDB's ``epoch_us(ts)`` as exact PostgreSQL: ``extract`` gives a ``numeric``."""
    if isinstance(node, exp.Anonymous) and str(node.this).lower() == "epoch_us":
        (ts,) = node.expressions
        seconds = exp.Extract(this=exp.var("EPOCH"), expression=ts.copy())
        micros = exp.Mul(this=seconds, expression=exp.Literal.number(1_000_000))
        return exp.Cast(this=micros, to=exp.DataType.build("BIGINT"))
    return node


class PostgreSQLDialect(Dialect):
    """Shared SQL -> PostgreSQL, by SQLGlot, one translation per distinct statement."""

    name = "postgresql"

    def __init__(self) -> None:
        self._translated: dict[str, list[str]] = {}

    def statements(self, sql: str) -> list[str]:
        """The PostgreSQL statements of ``sql`` (shared dialect), cached per text."""
        cached = self._translated.get(sql)
        if cached is None:
            try:
                trees = sqlglot.parse(sql, read="duckdb")
                cached = [
                    tree.transform(_epoch_micros).sql(
                        dialect="postgres", unsupported_level=ErrorLevel.RAISE
                    )
                    for tree in trees
                    if tree is not None
                ]
            except SqlglotError as e:
                raise WarehouseError(
                    f"cannot translate this statement to PostgreSQL: {e}\n{sql.strip()[:500]}"
                ) from e
            self._translated[sql] = cached
        return cached

    def translate(self, sql: str) -> str:
        return ";\n".join(self.statements(sql))


def _connect(url: str) -> tuple[Connection, type[Exception]]:
    """An autocommit ADBC connection to ``url`` and the driver's base error class."""
    try:
        import adbc_driver_postgresql.dbapi as pg
    except ImportError as e:
        raise OptionalDependencyError(
            "adbc-driver-postgresql", "postgresql", "The PostgreSQL warehouse"
        ) from e
    try:
        return pg.connect(url, autocommit=True), pg.Error
    except pg.Error as e:
        shown = _PASSWORD.sub(r"\1***@", url)
        raise WarehouseError(f"cannot connect to the PostgreSQL warehouse {shown}: {e}") from e


def _numeric_type(field: pa.Field) -> pa.DataType | None:
    """The Arrow decimal of a PostgreSQL ``numeric`` column (sent as text), else ``None``."""
    meta = field.metadata or {}
    if meta.get(b"POSTGRESQL:type") != b"numeric":
        return None
    typmod = int(meta.get(b"POSTGRESQL:typmod", b"-1"))
    if typmod >= 4:  # numeric(p, s) is stored as ((p << 16) | s) + 4
        precision, scale = (typmod - 4) >> 16, (typmod - 4) & 0xFFFF
        if precision <= 38:
            return pa.decimal128(precision, scale)
        return pa.decimal256(precision, scale) if precision <= 76 else pa.float64()
    return None


def _unsized_numeric(text: pa.ChunkedArray) -> pa.ChunkedArray:
    """``numeric`` text without declared scale as ``decimal128(38, s)``, ``s`` the most digits
    after the point (0 for the sums of integers, as DuckDB returns them); float64 when the
    values need more than 38 digits (Arrow's cast would overflow silently)."""
    parts = pc.extract_regex(text, r"^-?(?P<whole>\d*)\.?(?P<fraction>\d*)$")
    whole = pc.max(pc.utf8_length(pc.struct_field(parts, [0]))).as_py() or 0
    scale = pc.max(pc.utf8_length(pc.struct_field(parts, [1]))).as_py() or 0
    if whole + scale <= 38 and pc.sum(pc.is_null(parts)).as_py() == text.null_count:
        return text.cast(pa.decimal128(38, scale))
    return text.cast(pa.float64())  # also NaN and infinities, which decimals cannot hold


def _plain_arrow(table: pa.Table) -> pa.Table:
    """The driver's metadata dropped; ``numeric`` columns (sent as text) as Arrow decimals."""
    fields, columns = [], []
    for field, column in zip(table.schema, table.columns, strict=True):
        if isinstance(field.type, pa.BaseExtensionType):
            text = pa.chunked_array([c.storage for c in column.chunks], field.type.storage_type)
            sized = _numeric_type(field)
            if sized is not None:
                try:
                    column = text.cast(sized)
                except pa.ArrowInvalid:  # 'NaN' is a numeric value no decimal holds
                    column = text.cast(pa.float64())
            elif (field.metadata or {}).get(b"POSTGRESQL:type") == b"numeric":
                column = _unsized_numeric(text)
            else:  # another type the driver does not map: its text form
                column = text
        fields.append(pa.field(field.name, column.type, field.nullable))
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=pa.schema(fields))


class PostgreSQLWarehouse(Warehouse):
    """Warehouse in schema ``schema`` of the PostgreSQL database at ``url`` (a libpq URL, e.g.
    ``postgresql://user@host:5432/db``)."""

    def __init__(self, url: str, *, schema: str = "public") -> None:
        if not _SCHEMA_NAME.match(schema):
            raise WarehouseError(
                f"PostgreSQL schema name {schema!r}: use lower-case letters, digits and _"
            )
        self.url = url
        self.schema = schema
        self._pg = PostgreSQLDialect()
        self.dialect: Dialect = self._pg
        self._con, self._driver_error = _connect(url)
        self._cur: Any = self._con.cursor()
        try:
            self._run("SET TimeZone = 'UTC'")
            self._run(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            self._run(f'SET search_path TO "{schema}"')
            self.ensure_schema()
        except BaseException:
            self.close()
            raise

    def _run(self, sql: str) -> None:
        """Run PostgreSQL (not shared) SQL."""
        try:
            self._cur.execute(sql)
        except self._driver_error as e:
            raise WarehouseError(f"PostgreSQL statement failed: {e}") from e

    def execute(self, sql: str) -> None:
        for statement in self._pg.statements(sql):
            self._run(statement)

    def fetch_arrow(self, sql: str) -> pa.Table:
        statements = self._pg.statements(sql)
        if len(statements) != 1:
            raise WarehouseError(f"fetch_arrow runs one query, got {len(statements)} statements")
        self._run(statements[0])
        try:
            table = self._cur.fetch_arrow_table()
        except self._driver_error as e:
            raise WarehouseError(f"PostgreSQL query failed: {e}") from e
        return _plain_arrow(table)

    def register(self, name: str, table: pa.Table) -> None:
        """``table`` copied (``COPY``) into temporary table ``name``, seen by this connection
        only and dropped by :meth:`unregister` or when the connection closes."""
        try:
            self._cur.adbc_ingest(name, table, mode="create", temporary=True)
        except self._driver_error as e:
            raise WarehouseError(f"cannot load {table.num_rows:,} rows into {name}: {e}") from e

    def unregister(self, name: str) -> None:
        self._run(f'DROP TABLE IF EXISTS pg_temp."{name}"')

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self._run("BEGIN")
        try:
            yield
        except BaseException:
            self._run("ROLLBACK")
            raise
        self._run("COMMIT")

    def drop_schema(self) -> None:
        """Drop the schema and every table in it (test clean-up; the warehouse is unusable
        afterwards)."""
        self._run(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')

    def close(self) -> None:
        for handle in (getattr(self, "_cur", None), getattr(self, "_con", None)):
            if handle is not None:  # closing twice or after a lost connection is harmless
                with contextlib.suppress(self._driver_error):
                    handle.close()
        self._cur = None

    def __enter__(self) -> PostgreSQLWarehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
