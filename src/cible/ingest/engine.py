"""Map one read source onto the canonical schema: accepted rows and quarantined rows.

Every row read ends in exactly one of the two tables (``read == accepted + quarantined``); a row
that breaks several rules is quarantined once, with the first rule it broke. A value that could
not be standardised or typed is kept as read in the record's ``raw_values`` and counted per field
(:class:`~cible.ingest.failures.FieldFailures`).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import duckdb
import pyarrow as pa

from cible.config import QualityConfig, SourceConfig, StandardizeConfig
from cible.exceptions import ConfigError, MissingColumnError
from cible.ingest.failures import FieldFailures, count_failures
from cible.ingest.mapping import MappingPlan, build_plan, specs_for
from cible.ingest.readers import ROW, MalformedRow, RawSource
from cible.ingest.source_measures import quality_columns
from cible.ingest.sql import ident
from cible.ingest.standardize import standardizers_for
from cible.quality.report_measures import ProfileOptions, profile_table
from cible.quality.results import SourceQuality
from cible.schemas.customers import CUSTOMERS_SCHEMA
from cible.schemas.events import EVENTS_SCHEMA
from cible.warehouse.duckdb import disable_progress_bar

QUARANTINE_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("file", pa.string()),
        ("row", pa.int64()),
        ("column", pa.string()),
        ("value", pa.string()),
        ("rule", pa.string()),
        ("message", pa.string()),
        ("record", pa.string()),
    ]
)


class RawMeta(Protocol):
    """What the mapping needs to know of a read source besides its rows (``__raw``):
    :class:`~cible.ingest.readers.RawSource` (rows in memory) or a staged source
    (:mod:`cible.ingest.staging`, rows in a DuckDB table)."""

    @property
    def path(self) -> Path: ...
    @property
    def format(self) -> str: ...
    @property
    def schema(self) -> pa.Schema: ...
    @property
    def malformed(self) -> list[MalformedRow]: ...
    @property
    def encoding(self) -> str | None: ...
    @property
    def delimiter(self) -> str | None: ...
    @property
    def fallback_encoding(self) -> str | None: ...
    @property
    def fallback_lines(self) -> int: ...


@dataclass(frozen=True)
class StagedRows:
    """Accepted rows left in the staging database: read them in batches with :meth:`batches`
    (``to_table`` reads them all, for small sources and tests)."""

    con: duckdb.DuckDBPyConnection
    sql: str
    num_rows: int
    schema: pa.Schema

    def batches(self, rows: int) -> pa.RecordBatchReader:
        """The rows, in source order, as a stream of record batches of at most ``rows`` rows."""
        reader = self.con.sql(self.sql).to_arrow_reader(rows)
        return pa.RecordBatchReader.from_batches(self.schema, (b.cast(self.schema) for b in reader))

    def to_table(self) -> pa.Table:
        return self.con.sql(self.sql).to_arrow_table().cast(self.schema)


@dataclass(frozen=True)
class SourceResult:
    """The outcome of mapping one source."""

    name: str
    kind: str
    path: Path
    format: str
    accepted: pa.Table | StagedRows
    quarantine: pa.Table
    encoding: str | None = None
    delimiter: str | None = None
    rule_counts: dict[str, int] = field(default_factory=dict)
    quality: SourceQuality | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    failures: tuple[FieldFailures, ...] = ()
    fallback_encoding: str | None = None
    fallback_lines: int = 0

    @property
    def read(self) -> int:
        return self.accepted.num_rows + self.quarantine.num_rows

    def accepted_table(self) -> pa.Table:
        """The accepted rows in memory (staged ones read whole)."""
        a = self.accepted
        return a if isinstance(a, pa.Table) else a.to_table()


def check_columns(source: SourceConfig, raw: RawMeta) -> None:
    """Every column the mapping names must be in the file (an error listing what is there)."""
    present = set(raw.schema.names) - {ROW}
    wanted: list[tuple[str, str]] = []
    for name, m in source.fields.items():
        if m.column is not None:
            wanted.append((m.column, f"field '{name}'"))
        for c in m.columns or []:
            wanted.append((c, f"field '{name}'"))
    wanted += [(c, "types") for c in source.types]
    missing = [(c, why) for c, why in wanted if c not in present]
    if missing:
        listing = ", ".join(f"'{c}' (for {why})" for c, why in missing)
        raise MissingColumnError(
            f"source '{source.name}' ({raw.path}): mapped column(s) {listing} not in the file; "
            f"columns found: {sorted(present)}"
        )


def _explain_bad_sql(
    con: duckdb.DuckDBPyConnection, source: SourceConfig, err: Exception
) -> ConfigError:
    """Find which configured expression broke the query, to name it in the message."""
    exprs = [(f"field '{n}' expr", m.expr) for n, m in source.fields.items() if m.expr]
    exprs += [(f"rule '{r.name}' when", r.when) for r in source.rules]
    for where, e in exprs:
        try:
            con.execute(f"SELECT ({e}) FROM __typed_probe LIMIT 0")
        except duckdb.Error as inner:
            return ConfigError(
                f"source '{source.name}': {where} {e!r} is not valid SQL here: {inner}"
            )
    return ConfigError(f"source '{source.name}': the mapping query failed: {err}")


@dataclass(frozen=True)
class QualityOptions:
    """Ask :func:`map_source` for the source's data-quality measures (see
    :mod:`cible.quality.report`): the ``quality`` section and the reference date."""

    config: QualityConfig
    reference_date: dt.date


def map_source(
    source: SourceConfig,
    raw: RawSource,
    standardize: StandardizeConfig | None = None,
    quality: QualityOptions | None = None,
) -> SourceResult:
    """Run the mapping query of ``source`` over ``raw`` (rows in memory, in a throw-away DuckDB).

    Fields are standardised as ``standardize`` says (default: :class:`StandardizeConfig()`, the
    canonical standardisers on); with ``quality`` the result carries the source's quality measures.
    """
    con = duckdb.connect()
    try:
        con.register("__raw", raw.table)
        return map_rows(con, source, raw, standardize, quality, staged=False)
    finally:
        con.close()


def map_rows(
    con: duckdb.DuckDBPyConnection,
    source: SourceConfig,
    raw: RawMeta,
    standardize: StandardizeConfig | None = None,
    quality: QualityOptions | None = None,
    *,
    staged: bool,
) -> SourceResult:
    """Map the rows ``__raw`` of ``con`` (see :func:`map_source`); ``staged``: leave the
    accepted rows in ``con`` (:class:`StagedRows`) instead of reading them into memory."""
    check_columns(source, raw)
    kinds = {s.name: s.kind for s in specs_for(source.kind)}
    defaults = standardize or StandardizeConfig()
    stds = standardizers_for(source, defaults, kinds)
    plan = build_plan(source, raw.schema, tuple(stds), defaults.on_invalid)
    seconds = _checked_rows(con, source, plan)
    t0 = time.perf_counter()
    profile = None
    if quality is not None:
        profile = _measure(con, source, raw, plan, quality)
        seconds["quality"] = time.perf_counter() - t0
    accepted = _accepted(con, source, staged)
    quarantine = _quarantine(con, source, raw)
    failures = count_failures(con, "__checked", plan.checks)
    counts = dict(
        con.sql(
            "SELECT __reason.rule, count(*) FROM __checked WHERE __reason IS NOT NULL GROUP BY 1"
        ).fetchall()
    )
    if raw.malformed:
        counts["malformed_row"] = len(raw.malformed)
    return SourceResult(
        source.name,
        source.kind,
        raw.path,
        raw.format,
        accepted,
        quarantine,
        raw.encoding,
        raw.delimiter,
        {str(k): int(v) for k, v in sorted(counts.items())},
        profile,
        seconds,
        failures,
        raw.fallback_encoding,
        raw.fallback_lines,
    )


def _checked_rows(
    con: duckdb.DuckDBPyConnection, source: SourceConfig, plan: MappingPlan
) -> dict[str, float]:
    """Run the mapping query into ``__checked``; return the seconds of mapping and standardising.

    A query DuckDB refuses is explained by the first typed column it cannot read."""
    con.execute("SET TimeZone = 'UTC'")
    disable_progress_bar(con)
    t0 = time.perf_counter()
    try:
        std_seconds = _run_plan(con, plan)
    except duckdb.OutOfMemoryException:
        raise
    except duckdb.Error as e:
        probe = plan.sql.split(", canon AS")[0] + " SELECT * FROM typed"
        con.execute(f"CREATE TEMP VIEW __typed_probe AS {probe}")
        raise _explain_bad_sql(con, source, e) from e
    return {"map": time.perf_counter() - t0, "standardize": std_seconds}


def _measure(
    con: duckdb.DuckDBPyConnection,
    source: SourceConfig,
    raw: RawMeta,
    plan: MappingPlan,
    quality: QualityOptions,
) -> SourceQuality:
    """The data-quality measures of the checked rows."""
    personal = frozenset(quality.config.personal_columns)
    return profile_table(
        con,
        "__checked",
        quality_columns(source, plan, raw.schema, personal),
        ProfileOptions(quality.reference_date, quality.config.top_values),
        source=source.name,
        kind=source.kind,
    )


def _accepted(
    con: duckdb.DuckDBPyConnection, source: SourceConfig, staged: bool
) -> pa.Table | StagedRows:
    """The rows without a quarantine reason, in the canonical schema, in source order."""
    schema = CUSTOMERS_SCHEMA if source.kind == "customers" else EVENTS_SCHEMA
    cols = ", ".join(
        (
            f"{_literal(source.name)} AS source"
            if f.name == "source"
            else f"{ident('f__' + f.name)} AS {ident(f.name)}"
        )
        for f in schema
    )
    if not staged:
        sql = f"SELECT {cols} FROM __checked WHERE __reason IS NULL ORDER BY __row"
        return con.sql(sql).to_arrow_table().cast(schema)
    # the staging database holds one schema per source: name this one, for later reads
    ((where,),) = con.sql("SELECT current_schema()").fetchall()
    table = f"{ident(str(where))}.__checked"
    ((n,),) = con.sql(f"SELECT count(*) FROM {table} WHERE __reason IS NULL").fetchall()
    sql = f"SELECT {cols} FROM {table} WHERE __reason IS NULL ORDER BY __row"
    return StagedRows(con, sql, int(n), schema)


def _run_plan(con: duckdb.DuckDBPyConnection, plan: MappingPlan) -> float:
    """The mapping query; with standardisers, in two parts around the lookup tables.

    Returns the seconds spent standardising (distinct values, Python, lookup tables)."""
    if not plan.standardizers:
        con.execute(f"CREATE TABLE __checked AS {plan.sql}")
        return 0.0
    con.execute(f"CREATE TABLE __canon AS {plan.canon_sql}")
    t0 = time.perf_counter()
    for std in plan.standardizers:
        keys = con.sql(std.distinct_sql("__canon")).to_arrow_table()
        con.register(std.table, std.lookup(keys))
    seconds = time.perf_counter() - t0
    con.execute(f"CREATE TABLE __checked AS {plan.rest_sql}")
    return seconds


def _literal(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _quarantine(con: duckdb.DuckDBPyConnection, source: SourceConfig, raw: RawMeta) -> pa.Table:
    raw_cols = [c for c in raw.schema.names if c != ROW]
    record = (
        "CAST(json_object("
        + ", ".join(
            f"{_literal(c)}, {ident('__o_' + c) if c in source.types else ident(c)}"
            for c in raw_cols
        )
        + ") AS VARCHAR)"
    )
    fname = raw.path.name
    rows = con.sql(
        f"SELECT {_literal(source.name)} AS source, {_literal(str(raw.path))} AS file, __row AS row, "
        "__reason.col AS column, __reason.val AS value, __reason.rule AS rule, "
        f"{_literal(fname)} || ' row ' || format('{{:,}}', __row) || "
        "coalesce(' column ''' || __reason.col || '''', '') || ': ' || __reason.msg AS message, "
        f"{record} AS record FROM __checked WHERE __reason IS NOT NULL ORDER BY __row"
    ).to_arrow_table()
    rows = rows.cast(QUARANTINE_SCHEMA)
    if not raw.malformed:
        return rows
    bad = pa.table(
        {
            "source": [source.name] * len(raw.malformed),
            "file": [str(raw.path)] * len(raw.malformed),
            "row": [m.row for m in raw.malformed],
            "column": [None] * len(raw.malformed),
            "value": [m.text for m in raw.malformed],
            "rule": ["malformed_row"] * len(raw.malformed),
            "message": [f"{fname} row {m.row:,}: {m.message}" for m in raw.malformed],
            "record": [None] * len(raw.malformed),
        },
        schema=QUARANTINE_SCHEMA,
    )
    return pa.concat_tables([rows, bad]).sort_by("row")
