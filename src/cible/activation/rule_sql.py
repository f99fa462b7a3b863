"""Compile an audience rule to SQL for a warehouse engine, through SQLGlot's expression tree.

The query selects ``customer_id`` from a *profile relation*: one row per customer, one column per
field (numbers as DOUBLE, text as VARCHAR, timestamps as UTC ``TIMESTAMP`` without a zone, NULL
for a missing value). On SQLite timestamps are the text ``YYYY-MM-DD HH:MM:SS.ffffff`` that
SQLAlchemy writes, so they are compared as text literals of that shape (SQLite's ``DATETIME()``
would drop the microseconds).

Every comparison is wrapped in ``COALESCE(..., FALSE)``: a comparison with NULL is false, and
``NOT`` of it true, exactly as :func:`cible.activation.evaluate.evaluate` (two-valued logic).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlglot import exp

from cible.activation.rules import (
    And,
    Between,
    Compare,
    InList,
    Missing,
    Not,
    Or,
    Rule,
    Scalar,
    WithinDays,
)

SqlDialect = Literal["duckdb", "postgres", "sqlite"]
DIALECTS: tuple[SqlDialect, ...] = ("duckdb", "postgres", "sqlite")
_CMP: dict[str, type[exp.Expression]] = {
    "=": exp.EQ,
    "!=": exp.NEQ,
    "<": exp.LT,
    "<=": exp.LTE,
    ">": exp.GT,
    ">=": exp.GTE,
}


def rule_sql(
    rule: Rule,
    relation: str,
    now: datetime,
    dialect: SqlDialect = "duckdb",
    key: str = "customer_id",
) -> str:
    """``SELECT key FROM relation WHERE <rule>`` in ``dialect``, at ``now``."""
    query = (
        exp.select(exp.column(key, quoted=True))
        .from_(exp.to_table(relation))
        .where(condition(rule, now, dialect))
        .order_by(exp.column(key, quoted=True))
    )
    return query.sql(dialect=dialect)


def condition(rule: Rule, now: datetime, dialect: SqlDialect) -> exp.Expression:
    """The boolean SQL expression of ``rule`` (never NULL)."""
    if isinstance(rule, And | Or):
        parts = [condition(r, now, dialect) for r in rule.items]
        joined = exp.and_(*parts) if isinstance(rule, And) else exp.or_(*parts)
        return exp.Paren(this=joined)
    if isinstance(rule, Not):
        return exp.Not(this=exp.Paren(this=condition(rule.item, now, dialect)))
    column = exp.column(rule.field, quoted=True)
    if isinstance(rule, Missing):
        test: exp.Expression = exp.Is(this=column, expression=exp.null())
        return test if rule.missing else exp.Not(this=test)
    if isinstance(rule, Compare):
        test = _CMP[rule.op](this=column, expression=_literal(rule.value, dialect))
    elif isinstance(rule, InList):
        test = exp.In(this=column, expressions=[_literal(v, dialect) for v in rule.values])
    elif isinstance(rule, Between):
        test = exp.Between(
            this=column, low=_literal(rule.low, dialect), high=_literal(rule.high, dialect)
        )
    else:
        assert isinstance(rule, WithinDays)
        end = now.astimezone(UTC)
        start = end - timedelta(days=rule.days)
        test = exp.And(
            this=exp.GTE(this=column, expression=_literal(start, dialect)),
            expression=exp.LTE(this=column, expression=_literal(end, dialect)),
        )
    return exp.Coalesce(this=exp.Paren(this=test), expressions=[exp.false()])


def _literal(value: Scalar, dialect: SqlDialect) -> exp.Expression:
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, datetime):
        text = sql_timestamp(value)
        if dialect == "sqlite":
            return exp.Literal.string(text)
        return exp.cast(exp.Literal.string(text), exp.DataType.Type.TIMESTAMP)
    return exp.cast(exp.Literal.number(repr(float(value))), exp.DataType.Type.DOUBLE)


def sql_timestamp(value: datetime) -> str:
    """``value`` as the UTC text ``YYYY-MM-DD HH:MM:SS.ffffff`` of the profile relation."""
    utc = value.astimezone(UTC) if value.tzinfo else value
    return utc.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
