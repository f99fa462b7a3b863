"""Column measures of the data-quality report, computed by DuckDB over one table.

:func:`profile_table` takes a table already in a DuckDB connection (the ingestion's checked rows,
or a registered frame) and :class:`ColumnSpec` s saying, as SQL expressions, where each column's
value as given, typed value and invalid flag are. Counts are exact; every statistic is one
aggregate query, so the cost grows with the rows, not with Python loops. Only the distinct values
of low-cardinality text columns come back to Python, for the consistency checks
(:mod:`cible.quality.consistency`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import duckdb

from cible.quality.consistency import ConsistencyInput, find_inconsistencies
from cible.quality.results import (
    ColumnKind,
    ColumnQuality,
    DateIssues,
    Example,
    Finding,
    NumericOutliers,
    SourceQuality,
    ValueCount,
)
from cible.quality.standardize_core import Standardized

ROBUST_Z = 3.5
IQR_FENCE = 1.5
DATE_PATTERN_MAX_ROWS = 200_000  # date formats are listed for sources up to this size
NUMERIC_SHARE = 0.98  # a text column whose values are numbers this often is measured as numbers
MAX_AGE_YEARS = 120
MISSING_LIKE: tuple[str, ...] = (
    "n/a",
    "na",
    "n.a.",
    "#n/a",
    "null",
    "none",
    "nan",
    "nil",
    "-",
    "?",
)
"""Texts that stand for a missing value (compared lower-cased, after trimming)."""
_MISSING_LIKE = ", ".join("'" + t + "'" for t in MISSING_LIKE)
_PATTERN = (
    "left(regexp_replace(regexp_replace(regexp_replace({x}, '\\p{{Lu}}+', 'A', 'g'), "
    "'[\\p{{Ll}}\\p{{Lo}}\\p{{Lm}}]+', 'a', 'g'), '[0-9]', '9', 'g'), 40)"
)


@dataclass(frozen=True)
class ColumnSpec:
    """Where one column's values are, as SQL expressions over the profiled table.

    ``raw``: the value as given, as text (``NULL`` when missing); ``typed``: the typed value of a
    number, date or timestamp column (default: ``raw`` cast); ``invalid``: a reason text when the
    value could not be read, standardised or is not allowed, else ``NULL``; ``role``: the canonical
    field the column holds (``birth_date`` adds the age check); ``canonical``: the standardiser
    whose outputs ``canonical_values`` are the only canonical spellings (gender, categories);
    ``identifier``: an id column (no consistency check). A text column without a role whose
    values are nearly all numbers (:data:`NUMERIC_SHARE`) is also measured as numbers.
    """

    name: str
    raw: str
    kind: ColumnKind = "text"
    typed: str | None = None
    invalid: str | None = None
    personal: bool = False
    role: str | None = None
    canonical: Callable[[object], Standardized] | None = None
    canonical_values: frozenset[str] = field(default_factory=frozenset)
    identifier: bool = False


@dataclass(frozen=True)
class ProfileOptions:
    """``reference_date``: dates after it are in the future, ages are computed at it;
    ``top_n``: values/patterns listed per column; ``max_distinct``: text columns with more
    distinct values skip the consistency checks."""

    reference_date: dt.date
    top_n: int = 5
    max_distinct: int = 20_000


def profile_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    specs: list[ColumnSpec],
    options: ProfileOptions,
    *,
    source: str,
    kind: str,
    row: str = "__row",
) -> SourceQuality:
    """Measure every column of ``specs`` over ``table`` (``row``: the 1-based row expression)."""
    base = _base_counts(con, table, specs)
    n_rows = int(base[0])
    columns: list[ColumnQuality] = []
    findings: list[Finding] = []
    for i, spec in enumerate(specs):
        filled, invalid, distinct = (int(x) for x in base[1 + 3 * i : 4 + 3 * i])
        column = ColumnQuality(
            name=spec.name,
            kind=spec.kind,
            personal=spec.personal,
            n_rows=n_rows,
            n_missing=n_rows - filled,
            n_invalid=0,
            n_distinct=distinct,
        )
        column, found = _measure(con, table, spec, options, column, row)
        columns.append(_with_invalid(con, table, spec, column, invalid, options.top_n))
        findings += found
    return SourceQuality(source, kind, n_rows, tuple(columns), tuple(findings))


def _measure(
    con: duckdb.DuckDBPyConnection,
    table: str,
    spec: ColumnSpec,
    options: ProfileOptions,
    column: ColumnQuality,
    row: str,
) -> tuple[ColumnQuality, list[Finding]]:
    """Top values or patterns, outliers, dates and findings of one column."""
    filled = column.n_rows - column.n_missing
    findings: list[Finding] = []
    numeric = spec.kind == "number"
    if spec.kind == "text" and not spec.identifier:
        groups = _text_groups(con, table, spec, options)
        column = _replace(
            column,
            n_distinct=groups.distinct,
            n_missing_like=groups.missing_like,
            top_values=() if spec.personal else groups.top,
            top_patterns=groups.top if spec.personal else (),
        )
        numeric = spec.role is None and filled > 0 and groups.numeric >= NUMERIC_SHARE * filled
        if groups.counts is not None and not numeric:  # '-5' and '5' are not one spelling
            findings = find_inconsistencies(_consistency_input(spec, groups.counts))
    elif spec.kind in ("date", "timestamp") and filled and column.n_rows <= DATE_PATTERN_MAX_ROWS:
        # how the dates are written (mixed formats are the usual trap): digits as 9
        digits = f"translate({spec.raw}, '0123456789', '9999999999')"
        column = _replace(column, top_patterns=_top(con, table, digits, options.top_n))
    elif spec.kind in ("number", "bool") and filled:
        expr = _PATTERN.format(x=spec.raw) if spec.personal else spec.raw
        top = _top(con, table, expr, options.top_n)
        column = _replace(column, **{"top_patterns" if spec.personal else "top_values": top})
    if numeric:
        typed = spec.typed if spec.kind == "number" else f"TRY_CAST({spec.raw} AS DOUBLE)"
        column = _replace(column, numeric=_numeric(con, table, typed or spec.raw, spec, row))
    if spec.kind in ("date", "timestamp"):
        typed = spec.typed or f"TRY_CAST({spec.raw} AS DATE)"
        column = _replace(column, dates=_dates(con, table, typed, spec, options, row))
    return column, findings


def _consistency_input(spec: ColumnSpec, counts: list[tuple[str, int]]) -> ConsistencyInput:
    return ConsistencyInput(
        column=spec.name,
        counts=counts,
        personal=spec.personal,
        role=spec.role,
        canonical=spec.canonical,
        canonical_values=spec.canonical_values,
    )


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[Any, ...]:
    """The single row of an aggregate query."""
    return con.sql(sql).fetchall()[0]


def _replace(column: ColumnQuality, **changes: object) -> ColumnQuality:
    return replace(column, **changes)  # type: ignore[arg-type]  # checked by the dataclass


def _base_counts(
    con: duckdb.DuckDBPyConnection, table: str, specs: list[ColumnSpec]
) -> tuple[Any, ...]:
    """One scan: rows, then per column the filled values, invalid values and distinct values
    (but for text columns other than identifiers: they are counted from their groups)."""
    parts = ["count(*)"]
    for s in specs:
        parts += [
            f"count({s.raw})",
            f"count({s.invalid})" if s.invalid else "0",
            "0" if s.kind == "text" and not s.identifier else f"count(DISTINCT {s.typed or s.raw})",
        ]
    return _one(con, f"SELECT {', '.join(parts)} FROM {table}")


@dataclass(frozen=True)
class _Groups:
    """What the distinct values of a text column say: how many there are, the rows that read as
    numbers or as a missing-value text, the top values (patterns for personal data) and, when few
    enough and not an identifier, every value with its rows (for the consistency checks)."""

    distinct: int
    numeric: int
    missing_like: int
    top: tuple[ValueCount, ...]
    counts: list[tuple[str, int]] | None


def _text_groups(
    con: duckdb.DuckDBPyConnection, table: str, spec: ColumnSpec, options: ProfileOptions
) -> _Groups:
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE __groups AS SELECT {spec.raw} AS v, count(*) AS c "
        f"FROM {table} WHERE {spec.raw} IS NOT NULL GROUP BY 1"
    )
    try:
        distinct, numeric, missing_like = _one(
            con,
            "SELECT count(*), "
            "coalesce(sum(c) FILTER (WHERE TRY_CAST(v AS DOUBLE) IS NOT NULL), 0), "
            f"coalesce(sum(c) FILTER (WHERE lower(v) IN ({_MISSING_LIKE})), 0) FROM __groups",
        )
        expr = _PATTERN.format(x="v") if spec.personal else "v"
        top = con.sql(
            f"SELECT {expr} AS p, sum(c) AS n FROM __groups GROUP BY 1 ORDER BY n DESC, p "
            f"LIMIT {int(options.top_n)}"
        ).fetchall()
        counts = None
        if 0 < distinct <= options.max_distinct:
            counts = [(str(v), int(c)) for v, c in con.sql("SELECT v, c FROM __groups").fetchall()]
    finally:
        con.execute("DROP TABLE IF EXISTS __groups")
    return _Groups(
        distinct=int(distinct),
        numeric=int(numeric),
        missing_like=int(missing_like),
        top=tuple(ValueCount(str(v), int(c)) for v, c in top),
        counts=counts,
    )


def _top(con: duckdb.DuckDBPyConnection, table: str, expr: str, n: int) -> tuple[ValueCount, ...]:
    rows = con.sql(
        f"SELECT {expr} AS v, count(*) AS c FROM {table} WHERE {expr} IS NOT NULL "
        f"GROUP BY 1 ORDER BY c DESC, v LIMIT {int(n)}"
    ).fetchall()
    return tuple(ValueCount(str(v), int(c)) for v, c in rows)


def _with_invalid(
    con: duckdb.DuckDBPyConnection,
    table: str,
    spec: ColumnSpec,
    column: ColumnQuality,
    n_invalid: int,
    top_n: int,
) -> ColumnQuality:
    if not n_invalid or spec.invalid is None:
        return column
    reason = spec.invalid
    if spec.personal:  # reasons may quote the value: mask it
        reason = f"regexp_replace({reason}, '''.*''', '''…''')"
    return _replace(column, n_invalid=n_invalid, invalid_reasons=_top(con, table, reason, top_n))


def _numeric(
    con: duckdb.DuckDBPyConnection, table: str, x: str, spec: ColumnSpec, row: str
) -> NumericOutliers | None:
    # the values once, narrow: every statistic below reads two columns, not the source's
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE __num AS SELECT {row} AS r, CAST({x} AS DOUBLE) AS x "
        f"FROM {table} WHERE {x} IS NOT NULL"
    )
    try:
        return _outliers(con, spec)
    finally:
        con.execute("DROP TABLE IF EXISTS __num")


def _outliers(con: duckdb.DuckDBPyConnection, spec: ColumnSpec) -> NumericOutliers | None:
    # quartiles, then the MAD around the median, in one statement (two passes)
    n, q1, med, q3, mad = _one(
        con,
        "WITH q AS (SELECT count(x) AS n, quantile_cont(x, 0.25) AS q1, median(x) AS med, "
        "quantile_cont(x, 0.75) AS q3 FROM __num) SELECT any_value(n), any_value(q1), "
        "any_value(med), any_value(q3), median(abs(x - med)) FROM __num, q",
    )
    if not n:
        return None
    q1, med, q3 = float(q1), float(med), float(q3)
    mad = float(mad) if mad is not None else 0.0
    lo, hi = q1 - IQR_FENCE * (q3 - q1), q3 + IQR_FENCE * (q3 - q1)
    z = f"abs(x - {med!r}) / {1.4826 * mad!r} > {ROBUST_Z}" if mad > 0 else "FALSE"
    fence = f"(x < {lo!r} OR x > {hi!r})"
    counts = _one(
        con, f"SELECT count(*) FILTER (WHERE {z}), count(*) FILTER (WHERE {fence}) FROM __num"
    )
    examples = con.sql(
        f"SELECT r, x FROM __num WHERE {z} OR {fence} ORDER BY abs(x - {med!r}) DESC, r LIMIT 5"
    ).fetchall()
    return NumericOutliers(
        n_values=int(n),
        median=med,
        mad=mad,
        q1=q1,
        q3=q3,
        robust_z=int(counts[0]),
        iqr=int(counts[1]),
        examples=tuple(
            Example(int(r), None if spec.personal else _number_text(v), "far from the median")
            for r, v in examples
        ),
    )


def _number_text(v: object) -> str:
    number = float(v)  # type: ignore[arg-type]
    return str(int(number)) if number.is_integer() else f"{number:g}"


def _dates(
    con: duckdb.DuckDBPyConnection,
    table: str,
    typed: str,
    spec: ColumnSpec,
    options: ProfileOptions,
    row: str,
) -> DateIssues:
    ref = options.reference_date
    birth = spec.role == "birth_date"
    oldest = _years_before(ref, MAX_AGE_YEARS)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE __dates AS SELECT {row} AS r, d, "
        f"CASE WHEN d > DATE '{ref.isoformat()}' THEN 'in the future' "
        "WHEN d < DATE '1900-01-01' THEN 'before 1900' "
        + (f"WHEN d < DATE '{oldest.isoformat()}' THEN 'age over 120' " if birth else "")
        + f"END AS p FROM (SELECT *, CAST({typed} AS DATE) AS d FROM {table}) WHERE d IS NOT NULL"
    )
    try:
        counts = _one(
            con,
            "SELECT count(*) FILTER (WHERE p = 'in the future'), "
            "count(*) FILTER (WHERE p = 'before 1900'), count(*) FILTER (WHERE p = 'age over 120'), "
            "CAST(min(d) AS VARCHAR), CAST(max(d) AS VARCHAR) FROM __dates",
        )
        examples = con.sql(
            "SELECT r, CAST(d AS VARCHAR), p FROM __dates WHERE p IS NOT NULL ORDER BY d, r LIMIT 5"
        ).fetchall()
    finally:
        con.execute("DROP TABLE IF EXISTS __dates")
    return DateIssues(
        reference=ref.isoformat(),
        future=int(counts[0]),
        before_1900=int(counts[1]),
        over_120=int(counts[2]) if birth else None,
        earliest=None if spec.personal else counts[3],
        latest=None if spec.personal else counts[4],
        examples=tuple(
            Example(int(r), None if spec.personal else str(v), str(p)) for r, v, p in examples
        ),
    )


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)
