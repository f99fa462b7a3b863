"""Values that could not be standardised, typed or allowed: what happens to them, and their counts.

Ingestion never erases a value without a trace. For every mapped field, the value as read
(``v__<field>``) fails one of at most two rules, judged in this order:

``standardize:<field>``  its standardiser could not read it (``s__<field>`` is the reason)
``invalid:<field>``      no standardiser and it does not convert to the field's type
``allowed:<field>``      it is not one of the field's allowed values (``gender``, ``event_type``)

What a failure does (its *action*) depends on the field:

* a standardised field: its ``on_invalid`` (``quarantine`` the row, ``null`` the value, ``keep``);
* an **optional customer field** that cannot be typed or is not allowed: ``on_invalid: quarantine``
  quarantines the row; otherwise the value becomes NULL (``keep`` cannot keep an untyped value,
  and a kept value outside the allowed values still quarantines the row);
* a required field, or any field of an events source: the row is quarantined, as always.

Whatever the action, the value as read goes into the record's ``raw_values`` (a JSON object
``{field: value}``), and each field's non-missing, failed and lost values are counted
(:class:`FieldFailures`; *lost*: failed and then NULL or quarantined) for the warnings and the
lost-values gate (:mod:`cible.services.quality`).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from cible.config import FieldMapping, OnInvalid
from cible.ingest.sql import ident, lit
from cible.schemas.fields import FieldSpec


@dataclass(frozen=True)
class FailureRule:
    """One way a field's value can fail: the rule, its SQL condition and its action."""

    rule: str
    condition: str
    action: OnInvalid

    @property
    def quarantines(self) -> bool:
        return self.action == "quarantine"


@dataclass(frozen=True)
class FieldChecks:
    """The failure rules of one mapped field (``column``: the source column, else the field)."""

    field: str
    column: str
    rules: tuple[FailureRule, ...]

    @property
    def fail(self) -> str:
        """The column holding the first rule the row's value failed (NULL: none)."""
        return ident("__fail_" + self.field)

    def fail_sql(self) -> str:
        whens = " ".join(f"WHEN {r.condition} THEN {lit(r.rule)}" for r in self.rules)
        return f"CASE {whens} END AS {self.fail}"

    def rule(self, name: str) -> FailureRule | None:
        return next((r for r in self.rules if r.rule == name), None)

    def null_sql(self) -> str | None:
        """``f__<field>`` nulled where a value outside the allowed values is nulled (the other
        failures already left it NULL), or ``None`` when nothing needs it."""
        allowed = self.rule(f"allowed:{self.field}")
        if allowed is None or allowed.action != "null":
            return None
        f = ident("f__" + self.field)
        return f"CASE WHEN {self.fail} = {lit(allowed.rule)} THEN NULL ELSE {f} END AS {f}"

    def raw_entry(self) -> str:
        v = ident("v__" + self.field)
        return (
            f"CASE WHEN {self.fail} IS NOT NULL AND {v} IS NOT NULL "
            f"THEN [struct_pack(k := {lit(self.field)}, v := {v})] ELSE [] END"
        )


def field_checks(
    spec: FieldSpec,
    m: FieldMapping,
    *,
    source_kind: str,
    standardized: OnInvalid | None,
    on_invalid: OnInvalid,
) -> FieldChecks | None:
    """The failure rules of mapped field ``spec`` (``standardized``: the ``on_invalid`` of its
    standardiser, ``None`` without one; ``on_invalid``: the project default)."""
    if spec.kind == "json":
        return None
    name = spec.name
    f, v = ident("f__" + name), ident("v__" + name)
    soft = source_kind == "customers" and not spec.required
    resolved = m.on_invalid or on_invalid
    rules: list[FailureRule] = []
    if standardized is not None:
        rules.append(
            FailureRule(f"standardize:{name}", f"{ident('s__' + name)} IS NOT NULL", standardized)
        )
    elif spec.kind != "string":
        action: OnInvalid = "null" if soft and resolved != "quarantine" else "quarantine"
        rules.append(FailureRule(f"invalid:{name}", f"{v} IS NOT NULL AND {f} IS NULL", action))
    if spec.allowed:
        allowed = ", ".join(lit(a) for a in spec.allowed)
        action = "null" if soft and resolved == "null" else "quarantine"
        rules.append(
            FailureRule(f"allowed:{name}", f"{f} IS NOT NULL AND {f} NOT IN ({allowed})", action)
        )
    if not rules:
        return None
    column = m.column if m.column is not None else name
    return FieldChecks(name, column, tuple(rules))


def raw_values_sql(checks: tuple[FieldChecks, ...]) -> str:
    """The ``raw_values`` JSON text of a row: ``{field: value as read}`` of its failed fields,
    NULL when none failed."""
    if not checks:
        return "NULL::VARCHAR"
    entries = ", ".join(c.raw_entry() for c in checks)
    return f"NULLIF(CAST(to_json(map_from_entries(flatten([{entries}]))) AS VARCHAR), '{{}}')"


@dataclass(frozen=True)
class FieldFailures:
    """How many values of one mapped field were given, failed and were lost (shares of the
    non-missing values), on every parsed row of the source (before quarantine)."""

    field: str
    column: str
    values: int
    failed: int
    lost: int
    by_rule: dict[str, int]
    quarantined: int = 0  # of the lost: rows quarantined (the others were nulled)

    @property
    def failed_rate(self) -> float:
        return self.failed / self.values if self.values else 0.0

    @property
    def lost_rate(self) -> float:
        return self.lost / self.values if self.values else 0.0

    @property
    def rules(self) -> str:
        """The rules that failed, most frequent first: ``standardize:phone``."""
        ranked = sorted(self.by_rule.items(), key=lambda kv: (-kv[1], kv[0]))
        return ", ".join(rule for rule, n in ranked if n)

    def as_dict(self) -> dict[str, object]:
        return {
            "field": self.field,
            "column": self.column,
            "values": self.values,
            "failed": self.failed,
            "lost": self.lost,
            "quarantined": self.quarantined,
            "failed_rate": self.failed_rate,
            "lost_rate": self.lost_rate,
            "by_rule": dict(self.by_rule),
        }


def count_failures(
    con: duckdb.DuckDBPyConnection, table: str, checks: tuple[FieldChecks, ...]
) -> tuple[FieldFailures, ...]:
    """The counts of every field of ``checks`` over ``table`` (the checked rows, before
    quarantine), in one aggregate query."""
    if not checks:
        return ()
    aggs: list[str] = []
    for c in checks:
        f, v = ident("f__" + c.field), ident("v__" + c.field)
        quarantining = [lit(r.rule) for r in c.rules if r.quarantines]
        held = f"{c.fail} IN ({', '.join(quarantining)})" if quarantining else "FALSE"
        aggs += [
            f"count({v})",
            f"count({c.fail})",
            f"count(*) FILTER (WHERE {c.fail} IS NOT NULL AND ({f} IS NULL OR {held}))",
            f"count(*) FILTER (WHERE {held})",
        ]
        aggs += [f"count(*) FILTER (WHERE {c.fail} = {lit(r.rule)})" for r in c.rules]
    (row,) = con.sql(f"SELECT {', '.join(aggs)} FROM {table}").fetchall()  # one row: no GROUP BY
    counts = [int(x) for x in row]
    out: list[FieldFailures] = []
    i = 0
    for c in checks:
        values, failed, lost, quarantined = counts[i : i + 4]
        n = counts[i + 4 : i + 4 + len(c.rules)]
        by_rule = dict(zip((r.rule for r in c.rules), n, strict=True))
        i += 4 + len(c.rules)
        out.append(FieldFailures(c.field, c.column, values, failed, lost, by_rule, quarantined))
    return tuple(out)
