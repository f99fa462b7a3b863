"""Shared SQL as Spark SQL: the dialect of the Spark warehouse (:mod:`cible.warehouse.spark`).

SQLGlot reads the shared dialect (DuckDB's) and writes Spark's. Two shared constructs are taught
here because SQLGlot's own translation would change their value: ``epoch(ts)`` (fractional
seconds; SQLGlot writes ``unix_timestamp``, whole seconds) becomes ``unix_micros(ts) / 1e6``, and
``epoch_us(ts)`` becomes ``unix_micros(ts)``. A construct SQLGlot cannot express in Spark is
refused before Spark sees it.

Spark has no ``UPDATE``, ``DELETE`` or ``INSERT ... ON CONFLICT`` on Parquet files; the backend
runs those statements itself (it rewrites the table's files, see the backend). This module gives
it the parsed statement (:meth:`SparkDialect.statements`) and the Spark SQL of its parts
(:func:`spark_sql`).
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError

from cible.exceptions import WarehouseError
from cible.warehouse.base import Dialect


def _exact_epochs(node: exp.Expression) -> exp.Expression:
    """``epoch`` / ``epoch_us`` with microsecond precision (``unix_micros``)."""
    if isinstance(node, exp.TimeToUnix):
        micros = exp.Anonymous(this="unix_micros", expressions=[node.this.copy()])
        return exp.Paren(this=exp.Div(this=micros, expression=exp.Literal.number("1e6")))
    if isinstance(node, exp.Anonymous) and str(node.this).lower() == "epoch_us":
        (ts,) = node.expressions
        return exp.Anonymous(this="unix_micros", expressions=[ts.copy()])
    return node


def spark_sql(node: exp.Expression) -> str:
    """A parsed shared-dialect expression (or statement) as Spark SQL."""
    try:
        return node.transform(_exact_epochs).sql(
            dialect="spark", unsupported_level=ErrorLevel.RAISE
        )
    except SqlglotError as e:
        raise WarehouseError(f"cannot translate this SQL to Spark: {e}\n{node.sql()[:500]}") from e


class SparkDialect(Dialect):
    """Shared SQL -> Spark SQL by SQLGlot, one parse per distinct statement."""

    name = "spark"

    def __init__(self) -> None:
        self._parsed: dict[str, list[exp.Expression]] = {}
        self._translated: dict[str, str] = {}

    def statements(self, sql: str) -> list[exp.Expression]:
        """The parsed statements of ``sql`` (shared dialect), cached per text; callers copy a
        tree before changing it."""
        cached = self._parsed.get(sql)
        if cached is None:
            try:
                cached = [
                    t for t in sqlglot.parse(sql, read="duckdb") if isinstance(t, exp.Expression)
                ]
            except SqlglotError as e:
                raise WarehouseError(
                    f"cannot parse this statement for Spark: {e}\n{sql.strip()[:500]}"
                ) from e
            self._parsed[sql] = cached
        return cached

    def translate(self, sql: str) -> str:
        cached = self._translated.get(sql)
        if cached is None:
            cached = ";\n".join(spark_sql(t.copy()) for t in self.statements(sql))
            self._translated[sql] = cached
        return cached
