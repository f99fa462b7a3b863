"""The mapping of one source onto the canonical schema, as one DuckDB query.

The query is built in stages, each a CTE:

``src``      the raw rows (+ ``__row``, a content hash and the rank of identical rows)
``typed``    source columns declared in ``types`` converted (originals kept as ``__o_<col>``)
``canon``    every canonical field computed as ``f__<field>``, its input text as ``v__<field>``
``std``      standardised fields (:mod:`cible.ingest.standardize`): ``f__<field>`` from a lookup
             table of the distinct inputs, ``s__<field>`` the reason a value could not be read
``ruled``    ``set`` rules applied in order (the first matching rule wins for a field)
``judged``   ``__fail_<field>``: the first rule the field's value failed (:mod:`cible.ingest.failures`)
``checked``  ``__reason``: the first broken rule of the row, as a struct (column, value, rule, msg);
             values nulled by their failure, and ``f__raw_values``: the values as read that failed

Checks, in the order a row is judged: identical-row duplicates, declared column types,
unparseable values, values that cannot be standardised (``on_invalid: quarantine``), required
fields, allowed values, amount signs (events), ``quarantine`` rules, then duplicate keys
(``customer_id`` in a customers source, a mapped ``event_id``). An optional customer field whose
value cannot be typed or is not allowed does not quarantine the row unless its ``on_invalid`` says
``quarantine``: the value becomes NULL and is kept as read in ``raw_values``.

With standardised fields the query runs in two parts (``canon_sql``, then ``rest_sql`` once the
lookup tables are registered); without, ``sql`` is the whole query.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from cible.config import FieldMapping, OnInvalid, SourceConfig
from cible.ingest.failures import FieldChecks, field_checks, raw_values_sql
from cible.ingest.sql import ident, lit, lit_list, text
from cible.ingest.standardize import FieldStandardizer, std_stage
from cible.schemas.customers import CUSTOMER_FIELDS
from cible.schemas.events import EVENT_FIELDS
from cible.schemas.fields import RAW_VALUES, FieldSpec

_KIND_WORDS = {
    "float": "a number",
    "int": "a whole number",
    "timestamp": "a timestamp",
    "date": "a date",
    "bool": "a yes/no value",
    "string": "text",
    "json": "JSON",
}
_SQL_CAST = {"float": "DOUBLE", "int": "BIGINT", "timestamp": "TIMESTAMPTZ", "date": "DATE"}
_DEFAULT_TRUE = ["true", "1", "yes", "y", "oui", "t"]
_DEFAULT_FALSE = ["false", "0", "no", "n", "non", "f"]


@dataclass(frozen=True)
class MappingPlan:
    """The query and the canonical columns it produces."""

    sql: str
    specs: tuple[FieldSpec, ...]
    key_field: str | None
    canon_sql: str = ""
    rest_sql: str = ""
    standardizers: tuple[FieldStandardizer, ...] = ()
    checks: tuple[FieldChecks, ...] = ()


def specs_for(kind: str) -> tuple[FieldSpec, ...]:
    return CUSTOMER_FIELDS if kind == "customers" else EVENT_FIELDS


def _reason(col: str | None, val: str, rule: str, msg: str) -> str:
    c = lit(col) if col is not None else "NULL::VARCHAR"
    return (
        f"struct_pack(col := {c}, val := CAST({val} AS VARCHAR), rule := {lit(rule)}, msg := {msg})"
    )


def convert(expr: str, dtype: pa.DataType | None, kind: str, m: FieldMapping | None) -> str:
    """SQL converting ``expr`` (of Arrow type ``dtype``; ``None`` = unknown/text) to ``kind``."""
    is_text = dtype is None or pa.types.is_string(dtype) or pa.types.is_large_string(dtype)
    t = text(expr, dtype)
    if kind in ("string", "json"):
        return f"LOWER({t})" if m is not None and m.lower else t
    if kind in ("float", "int"):
        return f"TRY_CAST({t if is_text else expr} AS {_SQL_CAST[kind]})"
    if kind == "bool":
        if dtype is not None and pa.types.is_boolean(dtype):
            return expr
        true_v = m.true_values if m else _DEFAULT_TRUE
        false_v = m.false_values if m else _DEFAULT_FALSE
        low = f"LOWER({t})"
        return (
            f"CASE WHEN {low} IN ({', '.join(lit(v.lower()) for v in true_v)}) THEN TRUE "
            f"WHEN {low} IN ({', '.join(lit(v.lower()) for v in false_v)}) THEN FALSE END"
        )
    return _convert_time(expr, t, dtype, is_text, kind, m)


def _convert_time(
    expr: str, t: str, dtype: pa.DataType | None, is_text: bool, kind: str, m: FieldMapping | None
) -> str:
    tz = m.timezone if m else "UTC"
    formats = m.format if m else None
    if not is_text and dtype is not None:
        if pa.types.is_timestamp(dtype) and dtype.tz is not None:
            ts = f"CAST({expr} AS TIMESTAMPTZ)"
        elif pa.types.is_timestamp(dtype) or pa.types.is_date(dtype):
            ts = f"timezone({lit(tz)}, CAST({expr} AS TIMESTAMP))"
        else:
            ts = f"TRY_CAST({t} AS TIMESTAMPTZ)"
    elif formats:
        parsed = f"try_strptime({t}, {lit_list(formats)})"
        ts = (
            f"CAST({parsed} AS TIMESTAMPTZ)"
            if any("%z" in f for f in formats)
            else (f"timezone({lit(tz)}, {parsed})")
        )
    elif tz == "UTC":
        ts = f"TRY_CAST({t} AS TIMESTAMPTZ)"
    else:
        ts = (
            f"CASE WHEN regexp_matches({t}, '(Z|[+-][0-9]{{2}}:?[0-9]{{2}})$') "
            f"THEN TRY_CAST({t} AS TIMESTAMPTZ) ELSE timezone({lit(tz)}, TRY_CAST({t} AS TIMESTAMP)) END"
        )
    if kind == "date":
        if formats and is_text:
            return f"CAST(try_strptime({t}, {lit_list(formats)}) AS DATE)"
        if is_text:
            return f"TRY_CAST({t} AS DATE)"
        return f"CAST({expr} AS DATE)"
    return ts


def _field_sql(spec: FieldSpec, m: FieldMapping, types: dict[str, pa.DataType]) -> tuple[str, str]:
    """(value expression, input-text expression) of one mapped field."""
    if m.column is not None:
        col = ident(m.column)
        return convert(col, types.get(m.column), spec.kind, m), text(col, types.get(m.column))
    if m.expr is not None:
        e = f"({m.expr})"
        return convert(e, None, spec.kind, m), f"NULLIF(TRIM(CAST({e} AS VARCHAR)), '')"
    if m.value is not None:
        return convert(lit(m.value), None, spec.kind, m), lit(m.value)
    pairs = ", ".join(f"{lit(c)}, {ident(c)}" for c in m.columns or [])
    return f"CAST(json_object({pairs}) AS VARCHAR)", "NULL::VARCHAR"


def _typed_stage(source: SourceConfig, types: dict[str, pa.DataType]) -> tuple[str, list[str]]:
    replaces, originals, checks = [], [], []
    for col, kind in source.types.items():
        c = ident(col)
        conv = convert(c, types.get(col), kind, None)
        replaces.append(f"{conv} AS {c}")
        originals.append(f"{c} AS {ident('__o_' + col)}")
        o = ident("__o_" + col)
        checks.append(
            f"CASE WHEN {text(o, types.get(col))} IS NOT NULL AND {c} IS NULL THEN "
            + _reason(
                col,
                o,
                f"type:{kind}",
                f"'''' || CAST({o} AS VARCHAR) || ''' is not " + f"{_KIND_WORDS[kind]}'",
            )
            + " END"
        )
    select = "SELECT *" + (f" REPLACE ({', '.join(replaces)})" if replaces else "")
    select += "".join(", " + o for o in originals)
    return select + " FROM src", checks


def _rule_columns(when: str, columns: list[str]) -> list[str]:
    import re

    return [c for c in columns if re.search(rf"(?<![\w.]){re.escape(c)}(?!\w)", when)]


def build_plan(
    source: SourceConfig,
    schema: pa.Schema,
    standardizers: tuple[FieldStandardizer, ...] = (),
    on_invalid: OnInvalid = "null",
) -> MappingPlan:
    """The whole query for one source whose raw Arrow schema is ``schema`` (``on_invalid``: the
    project default, ``standardize.on_invalid``)."""
    specs = specs_for(source.kind)
    types = {f.name: f.type for f in schema if f.name != "__row"}
    src, ranked = _content_stages(list(types))
    typed_sql, checks_typed = _typed_stage(source, types)
    fields, quarantine_checks, checks = _field_stage(
        source, specs, types, {s.field: s for s in standardizers}, on_invalid
    )
    all_checks = (
        _duplicate_check(source)
        + checks_typed
        + quarantine_checks
        + _required_checks(source, specs)
        + _allowed_checks(source, specs, checks)
        + _semantic_checks(source)
        + _rule_checks(source, list(types))
    )
    reason = f"COALESCE({', '.join(all_checks)})" if all_checks else "NULL"
    key = _key_field(source)
    head = (
        f"WITH src0 AS MATERIALIZED ({src}), src AS ({ranked}), typed AS ({typed_sql}), "
        f"canon AS (SELECT typed.*, {', '.join(fields)} FROM typed)"
    )
    fails = "".join(", " + c.fail_sql() for c in checks)
    nulls = [n for c in checks if (n := c.null_sql()) is not None]
    star = f"* REPLACE ({', '.join(nulls)})" if nulls else "*"
    tail = (
        f"std AS ({std_stage(list(standardizers), 'canon')}), "
        f"ruled AS ({_ruled_stage(source, specs)}), "
        f"judged AS (SELECT *{fails} FROM ruled), "
        f"checked AS MATERIALIZED (SELECT {star}, {raw_values_sql(tuple(checks))} AS {ident('f__' + RAW_VALUES)}, "
        f"{reason} AS __reason FROM judged) " + _key_stage(key)
    )
    return MappingPlan(
        sql=f"{head}, {tail}",
        specs=specs,
        key_field=key,
        canon_sql=f"{head} SELECT * FROM canon",
        rest_sql=f"WITH canon AS (SELECT * FROM __canon), {tail}",
        standardizers=tuple(standardizers),
        checks=tuple(checks),
    )


def _content_stages(raw_cols: list[str]) -> tuple[str, str]:
    """The raw rows with a hash of their content, then ranked among identical rows (a row
    repeated nowhere has rank 1 and is its own first)."""
    content = (
        "md5(concat_ws(chr(31), "
        + ", ".join(f"coalesce(CAST({ident(c)} AS VARCHAR), '\\N')" for c in raw_cols)
        + "))"
    )
    src = f"SELECT *, {content} AS __content FROM __raw"
    # ranks over the repeated contents only, joined back: a window over every (wide) row sorts
    # the whole source (issue 24: most of the mapping's time)
    repeated = (
        "SELECT __row, row_number() OVER (PARTITION BY __content ORDER BY __row) AS __dup_rank, "
        "min(__row) OVER (PARTITION BY __content) AS __dup_first FROM src0 WHERE __content IN "
        "(SELECT __content FROM src0 GROUP BY __content HAVING count(*) > 1)"
    )
    ranked = (
        "SELECT src0.*, coalesce(__d.__dup_rank, 1) AS __dup_rank, "
        f"coalesce(__d.__dup_first, src0.__row) AS __dup_first FROM src0 LEFT JOIN ({repeated}) "
        "__d USING (__row)"
    )
    return src, ranked


def _field_stage(
    source: SourceConfig,
    specs: tuple[FieldSpec, ...],
    types: dict[str, pa.DataType],
    standardized: dict[str, FieldStandardizer],
    on_invalid: OnInvalid,
) -> tuple[list[str], list[str], list[FieldChecks]]:
    """Per canonical field: its typed and given columns, its quarantine checks, its checks."""
    fields: list[str] = []
    quarantine_checks: list[str] = []
    checks: list[FieldChecks] = []
    for spec in specs:
        if spec.name in ("source", RAW_VALUES):
            continue
        m = source.fields.get(spec.name)
        fname, vname = ident("f__" + spec.name), ident("v__" + spec.name)
        if m is None:
            fields.append(_unmapped_field(source, spec, fname))
            fields.append(f"NULL::VARCHAR AS {vname}")
            continue
        value, inp = _field_sql(spec, m, types)
        fields += [f"{value} AS {fname}", f"{inp} AS {vname}"]
        std = standardized.get(spec.name)
        fc = field_checks(
            spec,
            m,
            source_kind=source.kind,
            standardized=std.on_invalid if std is not None else None,
            on_invalid=on_invalid,
        )
        if fc is not None:
            checks.append(fc)
        if std is not None:
            if std.on_invalid == "quarantine":
                quarantine_checks.append(_std_check(spec.name, m))
        elif fc is not None and (typed := fc.rule(f"invalid:{spec.name}")) and typed.quarantines:
            quarantine_checks.append(_invalid_check(spec, m, fname, vname))
    return fields, quarantine_checks, checks


def _unmapped_field(source: SourceConfig, spec: FieldSpec, fname: str) -> str:
    """A field the source does not map: NULL, but ``event_id`` is a hash of the row's content."""
    if spec.name == "event_id":
        return f"md5({lit(source.name)} || ':' || __content || ':' || __dup_rank) AS {fname}"
    return f"CAST(NULL AS {spec.sql_type}) AS {fname}"


def _invalid_check(spec: FieldSpec, m: FieldMapping, fname: str, vname: str) -> str:
    fmt = f" in format {' or '.join(m.format)}" if m.format else ""
    msg = f"'''' || {vname} || ''' is not {_KIND_WORDS[spec.kind]}{fmt}'"
    return (
        f"CASE WHEN {vname} IS NOT NULL AND {fname} IS NULL THEN "
        + _reason(_origin(spec.name, m), vname, f"invalid:{spec.name}", msg)
        + " END"
    )


def _required_checks(source: SourceConfig, specs: tuple[FieldSpec, ...]) -> list[str]:
    return [
        f"CASE WHEN {ident('f__' + s.name)} IS NULL THEN "
        + _reason(
            _origin(s.name, source.fields.get(s.name)),
            "NULL",
            f"required:{s.name}",
            lit(f"{s.name} is required but missing"),
        )
        + " END"
        for s in specs
        if s.required and s.name != "source"
    ]


def _allowed_checks(
    source: SourceConfig, specs: tuple[FieldSpec, ...], checks: list[FieldChecks]
) -> list[str]:
    """Values outside a field's allowed list quarantine the row, unless its check only flags."""
    soft_allowed = {
        c.field for c in checks if (a := c.rule(f"allowed:{c.field}")) and not a.quarantines
    }
    return [
        f"CASE WHEN {ident('f__' + s.name)} IS NOT NULL AND {ident('f__' + s.name)} NOT IN "
        f"({', '.join(lit(a) for a in s.allowed)}) THEN "
        + _reason(
            _origin(s.name, source.fields.get(s.name)),
            ident("f__" + s.name),
            f"allowed:{s.name}",
            f"'''' || {ident('f__' + s.name)} || ''' is not one of " + ", ".join(s.allowed) + "'",
        )
        + " END"
        for s in specs
        if s.allowed and s.name not in soft_allowed
    ]


def _rule_checks(source: SourceConfig, raw_cols: list[str]) -> list[str]:
    """The user's ``rules:`` that quarantine, each naming the columns its condition reads."""
    out = []
    for r in source.rules:
        if r.quarantine is None:
            continue
        cols = _rule_columns(r.when, raw_cols)
        col = ", ".join(cols) if cols else None
        val = (
            " || ', ' || ".join(
                f"coalesce(CAST({ident('__o_' + c if c in source.types else c)} "
                "AS VARCHAR), 'NULL')"
                for c in cols
            )
            if cols
            else "NULL"
        )
        out.append(
            f"CASE WHEN coalesce(({r.when}), FALSE) THEN "
            + _reason(col, val, r.name, lit(r.quarantine))
            + " END"
        )
    return out


def _duplicate_check(source: SourceConfig) -> list[str]:
    if source.on_duplicate_rows != "quarantine":
        return []
    return [
        "CASE WHEN __dup_rank > 1 THEN "
        + _reason(None, "NULL", "duplicate_row", "'identical to row ' || __dup_first")
        + " END"
    ]


def _key_field(source: SourceConfig) -> str | None:
    if source.kind == "customers":
        return "customer_id"
    return "event_id" if "event_id" in source.fields else None


def _std_check(field: str, m: FieldMapping) -> str:
    v, why = ident("v__" + field), ident("s__" + field)
    msg = f"'''' || {v} || ''': ' || {why}"
    return (
        f"CASE WHEN {why} IS NOT NULL THEN "
        + _reason(_origin(field, m), v, f"standardize:{field}", msg)
        + " END"
    )


def _origin(field: str, m: FieldMapping | None) -> str:
    if m is None:
        return field
    return m.column if m.column is not None else field


def _ruled_stage(source: SourceConfig, specs: tuple[FieldSpec, ...]) -> str:
    by_field: dict[str, list[tuple[str, str]]] = {}
    for r in source.rules:
        for f, v in (r.set or {}).items():
            by_field.setdefault(f, []).append((r.when, v))
    if not by_field:
        return "SELECT * FROM std"
    kinds = {s.name: s for s in specs}
    repl = []
    for f, cases in by_field.items():
        whens = " ".join(
            f"WHEN coalesce(({w}), FALSE) THEN {convert(lit(v), None, kinds[f].kind, None)}"
            for w, v in cases
        )
        repl.append(f"CASE {whens} ELSE {ident('f__' + f)} END AS {ident('f__' + f)}")
    return f"SELECT * REPLACE ({', '.join(repl)}) FROM std"


def _semantic_checks(source: SourceConfig) -> list[str]:
    if source.kind != "events":
        return []
    origin = _origin("amount", source.fields.get("amount"))
    return [
        "CASE WHEN f__event_type = 'purchase' AND f__amount < 0 THEN "
        + _reason(
            origin,
            "f__amount",
            "amount_sign:purchase",
            "'a purchase must have amount >= 0, got ' || CAST(f__amount AS VARCHAR)",
        )
        + " END",
        "CASE WHEN f__event_type = 'refund' AND f__amount > 0 THEN "
        + _reason(
            origin,
            "f__amount",
            "amount_sign:refund",
            "'a refund must have amount <= 0, got ' || CAST(f__amount AS VARCHAR)",
        )
        + " END",
    ]


def _key_stage(key: str | None) -> str:
    """A row whose key an earlier row without a reason holds is a duplicate key (NULL keys
    count as one value): only the repeated keys are aggregated, then joined back."""
    if key is None:
        return "SELECT * FROM checked"
    f = ident("f__" + key)
    repeated = (
        f"SELECT {f} AS __key, min(__row) AS __key_first FROM checked WHERE __reason IS NULL "
        "GROUP BY 1 HAVING count(*) > 1"
    )
    return (
        "SELECT checked.* REPLACE (CASE WHEN __reason IS NULL AND __k.__key_first < __row THEN "
        + _reason(
            key,
            f,
            f"duplicate_key:{key}",
            f"'{key} ''' || {f} || ''' already seen at row ' || CAST(__k.__key_first AS VARCHAR)",
        )
        + f" ELSE __reason END AS __reason) FROM checked LEFT JOIN ({repeated}) __k "
        f"ON checked.{f} IS NOT DISTINCT FROM __k.__key"
    )
