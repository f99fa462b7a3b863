"""Engines of the profile store: SQLite (WAL, busy timeout, ``BEGIN IMMEDIATE`` for writes) and
PostgreSQL through psycopg 3 (an optional schema on the search_path); Alembic migrations.

Round trips on PostgreSQL (each one a wait on the server, a few milliseconds on a loaded
machine): a pooled connection is pinged on checkout only when it sat idle for ``PING_IDLE_S``
or more (:func:`_ping_when_idle`), and :func:`pipelined` puts a transaction in psycopg's
pipeline mode, where a statement whose rows nobody reads is sent without waiting for its
answer (:func:`_sync_when_rows_are_read`)."""

from __future__ import annotations

import functools
import json
import re
import time
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from importlib.resources import files
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from cible.store.errors import StoreError

SQLITE_BUSY_MS = 30_000
# a connection used less than this ago is handed out without a ping (HikariCP's
# aliveBypassWindowMs does the same with 500 ms); one idle longer is pinged first
PING_IDLE_S = 1.0
DISCARD_ROWS = "cible_discard_rows"  # execution option: nobody reads this statement's rows
_PIPELINE = "cible_pipeline"  # connection-record info key: the open psycopg pipeline
_STATEMENTS = "cible_statements"  # connection-record info key: the statements of cached()
_SCHEMA = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def mask_url(url: str) -> str:
    """``url`` with any password replaced by ``***``."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)


def make_engine(url: str, schema: str | None) -> Engine:
    """An engine for ``url``; ``schema`` (PostgreSQL) is created if needed and searched first."""
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as e:
        raise StoreError(
            f"store URL {mask_url(url)!r} is not a database URL: use sqlite:///path/store.db "
            "or postgresql+psycopg://host:5432/db",
            mask_url(url),
        ) from e
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if schema is not None:
            raise StoreError("schema= is for PostgreSQL only; SQLite has one schema per file")
        return _sqlite_engine(parsed)
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return _postgresql_engine(parsed, schema)
    raise StoreError(
        f"store URL {mask_url(url)!r}: backend {backend!r} is not supported (sqlite, postgresql)",
        mask_url(url),
    )


def _sqlite_engine(url: sa.URL) -> Engine:
    engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_MS / 1000})

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi: Any, _record: Any) -> None:
        dbapi.isolation_level = None  # SQLAlchemy emits BEGIN itself, below
        cursor = dbapi.cursor()
        if url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _postgresql_engine(url: sa.URL, schema: str | None) -> Engine:
    if schema is not None and not _SCHEMA.match(schema):
        raise StoreError(
            f"schema {schema!r} is not a plain SQL identifier ([A-Za-z_][A-Za-z0-9_]*)"
        )
    engine = sa.create_engine(url, pool_size=8, max_overflow=8)
    _ping_when_idle(engine)
    sa.event.listen(engine, "after_cursor_execute", _sync_when_rows_are_read)
    if schema is not None:

        @sa.event.listens_for(engine, "connect")
        def _on_connect(dbapi: Any, _record: Any) -> None:
            with dbapi.cursor() as cursor:
                cursor.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
                cursor.execute(f'SET search_path TO "{schema}"')
            dbapi.commit()

    return engine


def _ping_when_idle(engine: Engine) -> None:
    """``pool_pre_ping`` for connections idle ``PING_IDLE_S`` or more only: the ping is one
    round trip per transaction, as long as a whole live batch's statements on a busy
    stream. A connection that fails its ping is replaced (DisconnectionError: the pool
    retries with a fresh one); one that died within the window fails its transaction, which
    :func:`reconnecting` runs once more on a fresh connection (the pool drops every connection
    older than a disconnect it saw); the other callers get the StoreError."""

    @sa.event.listens_for(engine, "connect")
    def _fresh(_dbapi: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @sa.event.listens_for(engine, "checkin")
    def _idle(_dbapi: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _check(dbapi: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is not None and time.monotonic() - since < PING_IDLE_S:
            return
        try:
            alive = engine.dialect.do_ping(dbapi)
        except Exception as e:  # the driver's own error: the connection is dead
            raise sa.exc.DisconnectionError(f"ping failed: {type(e).__name__}") from e
        if not alive:
            raise sa.exc.DisconnectionError("ping failed")


@contextmanager
def pipelined(conn: Connection) -> Iterator[None]:
    """The rest of ``conn``'s transaction in psycopg's pipeline mode (PostgreSQL; nothing on
    SQLite, whose statements are calls within the process): a write whose result nobody reads
    (an INSERT, UPDATE or DELETE without RETURNING, or a statement executed with the
    ``DISCARD_ROWS`` execution option) is queued, and sent with the next statement whose rows
    are read, or with the pipeline's last sync, in one round trip (psycopg syncs the BEGIN it
    sends before the first statement). An error of a queued write surfaces at that next sync
    (the transaction fails and rolls back as before; the message names the statement that
    synced, the server's detail the one that failed)."""
    if conn.dialect.name != "postgresql":
        yield
        return
    driver: Any = conn.connection.driver_connection
    dbapi_error = conn.dialect.loaded_dbapi.Error
    info = conn.info  # the record's: after an invalidation, conn.info would reconnect
    try:
        with driver.pipeline() as pipeline:
            info[_PIPELINE] = pipeline
            try:
                yield
            finally:
                info.pop(_PIPELINE, None)
    except dbapi_error as e:  # entering or leaving the pipeline, outside SQLAlchemy's calls
        dead = bool(driver.broken or driver.closed)
        if dead:
            conn.invalidate(e)  # unusable: never back to the pool
        raise sa.exc.OperationalError("pipeline sync", None, e, connection_invalidated=dead) from e


def _sync_when_rows_are_read(
    conn: Connection,
    _cursor: Any,
    _statement: str,
    _params: Any,
    context: Any,
    _executemany: bool,
) -> None:
    """In a :func:`pipelined` transaction, sync after a statement whose rows are read, so
    that SQLAlchemy finds them when it builds the result (it reads the cursor's description
    right after this hook)."""
    pipeline = conn.info.get(_PIPELINE)
    if pipeline is None:
        return
    if context.execution_options.get(DISCARD_ROWS, False):
        return
    compiled = context.compiled
    crud = context.isinsert or context.isupdate or context.isdelete
    if crud and not (compiled is not None and compiled.effective_returning):
        return
    pipeline.sync()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run the migrations shipped in :mod:`cible.store.migrations` up to ``revision``."""
    _migrate(engine, "upgrade", revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Undo the migrations down to ``revision`` (``base``: no table left but Alembic's)."""
    _migrate(engine, "downgrade", revision)


def _migrate(engine: Engine, direction: str, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(files("cible.store") / "migrations"))
    with engine.connect().execution_options(immediate=True) as conn:
        config.attributes["connection"] = conn
        getattr(command, direction)(config, revision)
        conn.commit()


def insert_for(conn: Connection, table: sa.Table) -> Any:
    """The dialect's INSERT (with ``on_conflict_do_*`` and ``excluded``)."""
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def least(conn: Connection, a: Any, b: Any) -> Any:
    return sa.func.least(a, b) if conn.dialect.name == "postgresql" else sa.func.min(a, b)


def greatest(conn: Connection, a: Any, b: Any) -> Any:
    return sa.func.greatest(a, b) if conn.dialect.name == "postgresql" else sa.func.max(a, b)


Conflict = Callable[[Any], Any]


def upsert_rows(
    conn: Connection,
    table: sa.Table,
    rows: Sequence[Mapping[str, Any]],
    conflict: Conflict | None = None,
    returning: sa.Column[Any] | None = None,
    *,
    cache: str | None = None,
) -> list[Any]:
    """INSERT ``rows`` into ``table``; ``conflict(insert)`` adds the ON CONFLICT clause (it may
    use ``insert.excluded``). PostgreSQL gets ONE statement with ONE parameter whatever the
    number of rows: ``INSERT ... SELECT cols FROM json_populate_recordset(NULL::table, :rows)``,
    the rows as one JSON text that the server casts to the table's own column types (the
    encoder is C; psycopg adapts a list per column element by element in Python, and a
    multi-row VALUES list costs it a client-side parse of thousands of placeholders). Rows that
    JSON cannot carry exactly (NaN, infinity) go as one ``unnest(:array)`` per column instead.
    SQLite gets the driver's executemany (multi-row VALUES when something is returned).
    ``cache``: a name for this call site, whose ``conflict`` builds the same clause on every
    call: the PostgreSQL statement is built once per pooled connection (:func:`cached`) and
    only the JSON text changes (building it cost more CPU than a live batch's predict).
    Returns the ``returning`` column of the inserted/updated rows (empty without it)."""
    if not rows:
        return []
    if conn.dialect.name != "postgresql":  # sqlite3's executemany loops in C
        stmt = insert_for(conn, table)
        stmt = conflict(stmt) if conflict else stmt
        if returning is None:
            conn.execute(stmt, list(rows))
            return []
        return list(conn.execute(stmt.returning(returning), list(rows)).scalars().all())
    columns = list(rows[0])
    text = _json_text(columns, rows)
    if text is None:
        source = sa.select(*[_unnest(table.c[c], [r[c] for r in rows]) for c in columns])
        stmt, params = _upsert(table, columns, source, conflict, returning), {}
    else:

        def build() -> Any:
            return _upsert(table, columns, _json_source(table, columns), conflict, returning)

        key = (table.name, tuple(columns), returning is not None)
        stmt = cached(conn, (cache, *key), build) if cache else build()
        params = {"rows_json": text}
    if returning is not None:
        return list(conn.execute(stmt, params).scalars().all())
    conn.execute(stmt, params)
    return []


def cached(conn: Connection, key: Hashable, build: Callable[[], Any]) -> Any:
    """The statement ``build()`` gave for ``key`` on this pooled connection (kept in the
    connection record's ``info``, so nothing module-wide; SQLAlchemy's compiled cache then
    hits on the same object)."""
    statements = conn.info.setdefault(_STATEMENTS, {})
    stmt = statements.get(key)
    if stmt is None:
        stmt = statements[key] = build()
    return stmt


def _upsert(
    table: sa.Table,
    columns: Sequence[str],
    source: Any,
    conflict: Conflict | None,
    returning: sa.Column[Any] | None,
) -> Any:
    ins = postgresql.insert(table).from_select(list(columns), source)
    stmt = conflict(ins) if conflict else ins
    return stmt.returning(returning) if returning is not None else stmt


def _json_default(value: Any) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetimes are refused by the store: give a time zone")
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a column value")


def _json_text(columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> str | None:
    """The rows as one JSON array of objects; None when a value has no exact JSON form (NaN,
    infinity)."""
    try:
        return json.dumps(
            [{c: r[c] for c in columns} for r in rows],
            default=_json_default,
            allow_nan=False,
            separators=(",", ":"),
        )
    except (ValueError, TypeError):
        return None


def _json_source(table: sa.Table, columns: Sequence[str]) -> Any:
    """``SELECT cols FROM json_populate_recordset(NULL::table, :rows_json)``."""
    param = sa.bindparam("rows_json", type_=sa.Text)
    record = sa.func.json_populate_recordset(
        sa.literal_column(f"NULL::{table.name}"), sa.cast(param, postgresql.JSON)
    )
    source = record.table_valued(*columns).alias("rows")
    return sa.select(*[source.c[c] for c in columns])


def _unnest(column: sa.Column[Any], values: list[Any]) -> Any:
    """``unnest(:array)`` of one column's values; JSON goes as text[] cast back per element
    (psycopg adapts a text array several times faster than a json array)."""
    if isinstance(column.type, sa.JSON):
        texts = [None if v is None else json.dumps(v, separators=(",", ":")) for v in values]
        param = sa.bindparam(f"rows_{column.name}", value=texts, type_=postgresql.ARRAY(sa.Text))
        return sa.cast(sa.func.unnest(param), column.type)
    param = sa.bindparam(f"rows_{column.name}", value=values, type_=postgresql.ARRAY(column.type))
    return sa.func.unnest(param)


@contextmanager
def transaction(
    engine: Engine, url: str, *, immediate: bool, pipeline: bool = False
) -> Iterator[Connection]:
    """One transaction (``immediate``: SQLite's BEGIN IMMEDIATE, the write lock at once;
    ``pipeline``: :func:`pipelined`); a driver error becomes a StoreError naming the (masked)
    URL."""
    try:
        connection = engine.connect()
        if immediate:
            connection = connection.execution_options(immediate=True)
        # the pipeline inside the transaction: ended (its last sync) before the COMMIT, and
        # before the ROLLBACK on an error, which then runs on a connection out of pipeline mode
        with connection as conn, conn.begin(), _maybe_pipelined(conn, pipeline):
            yield conn
    except sa.exc.SQLAlchemyError as e:
        raise StoreError(
            f"profile store {url}: {e.__class__.__name__}: {getattr(e, 'orig', e)}", url
        ) from e


T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


def reconnecting(method: F) -> F:
    """``method`` (one transaction, idempotent) under :func:`once_more_if_disconnected`."""

    @functools.wraps(method)
    def run(*args: Any, **kwargs: Any) -> Any:
        return once_more_if_disconnected(lambda: method(*args, **kwargs))

    return cast(F, run)


def once_more_if_disconnected(run: Callable[[], T]) -> T:
    """``run()`` (one transaction), run once more when it failed on a connection the server
    or the network had closed (a connection used within ``PING_IDLE_S`` is not pinged: a
    server restart is found by the transaction; the pool dropped that connection, the second
    run gets a fresh one). Safe for a transaction that rolled back: it changed nothing."""
    try:
        return run()
    except StoreError as e:
        cause = e.__cause__
        if not (isinstance(cause, sa.exc.DBAPIError) and cause.connection_invalidated):
            raise
    return run()


@contextmanager
def _maybe_pipelined(conn: Connection, enabled: bool) -> Iterator[None]:
    if not enabled:
        yield
        return
    with pipelined(conn):
        yield
