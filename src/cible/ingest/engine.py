"""Map one read source onto the canonical schema: accepted rows and quarantined rows.

Every row read ends in exactly one of the two tables (``read == accepted + quarantined``); a row
that breaks several rules is quarantined once, with the first rule it broke.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from cible.config import SourceConfig
from cible.exceptions import ConfigError, MissingColumnError
from cible.ingest.mapping import build_plan
from cible.ingest.readers import ROW, RawSource
from cible.ingest.sql import ident
from cible.schemas.customers import CUSTOMERS_SCHEMA
from cible.schemas.events import EVENTS_SCHEMA

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


@dataclass(frozen=True)
class SourceResult:
    """The outcome of mapping one source."""

    name: str
    kind: str
    path: Path
    format: str
    accepted: pa.Table
    quarantine: pa.Table
    encoding: str | None = None
    delimiter: str | None = None
    rule_counts: dict[str, int] = field(default_factory=dict)

    @property
    def read(self) -> int:
        return self.accepted.num_rows + self.quarantine.num_rows


def check_columns(source: SourceConfig, raw: RawSource) -> None:
    """Every column the mapping names must be in the file (an error listing what is there)."""
    present = set(raw.table.column_names) - {ROW}
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


def map_source(source: SourceConfig, raw: RawSource) -> SourceResult:
    """Run the mapping query of ``source`` over ``raw``."""
    check_columns(source, raw)
    plan = build_plan(source, raw.table.schema)
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET enable_progress_bar = false")
        con.register("__raw", raw.table)
        try:
            con.execute(f"CREATE TEMP TABLE __checked AS {plan.sql}")
        except duckdb.Error as e:
            probe = plan.sql.split(", canon AS")[0] + " SELECT * FROM typed"
            con.execute(f"CREATE TEMP VIEW __typed_probe AS {probe}")
            raise _explain_bad_sql(con, source, e) from e
        schema = CUSTOMERS_SCHEMA if source.kind == "customers" else EVENTS_SCHEMA
        cols = ", ".join(
            (
                f"{_literal(source.name)} AS source"
                if f.name == "source"
                else f"{ident('f__' + f.name)} AS {ident(f.name)}"
            )
            for f in schema
        )
        accepted = con.sql(
            f"SELECT {cols} FROM __checked WHERE __reason IS NULL ORDER BY __row"
        ).to_arrow_table()
        accepted = accepted.cast(schema)
        quarantine = _quarantine(con, source, raw)
        counts = dict(
            con.sql(
                "SELECT __reason.rule, count(*) FROM __checked WHERE __reason IS NOT NULL GROUP BY 1"
            ).fetchall()
        )
    finally:
        con.close()
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
    )


def _literal(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _quarantine(con: duckdb.DuckDBPyConnection, source: SourceConfig, raw: RawSource) -> pa.Table:
    raw_cols = [c for c in raw.table.column_names if c != ROW]
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
