"""Statements Spark cannot run on Parquet, as queries giving a table's new content.

Parquet files are immutable and Spark SQL has no ``UPDATE``/``DELETE`` on them, so the Spark
warehouse rewrites a table: each statement of the shared dialect becomes one Spark ``SELECT``
whose result replaces the table's files (:mod:`cible.warehouse.spark` writes it).

* ``UPDATE t SET c = e [FROM m] WHERE cond``: without ``FROM``, ``CASE WHEN cond THEN e ELSE c``
  per assigned column; with ``FROM m`` a ``LEFT JOIN`` on ``cond`` marks the rows it matches
  (``m`` must match a row at most once, as the id maps of the seam do: their record ids are
  unique). A condition with a sub-query (Spark allows those only in filters) splits the table
  into the rows it selects and the others (``EXCEPT ALL``).
* ``DELETE FROM t [WHERE cond]``: the rows where ``cond`` is not true.
* ``CREATE TABLE`` gives the columns, the primary key and the NOT NULL columns
  (:func:`table_definition`), which the backend enforces on every write.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from cible.exceptions import WarehouseError
from cible.warehouse.sparksql import spark_sql

_HIT = "__cible_hit"


@dataclass(frozen=True)
class TableDefinition:
    name: str
    columns: tuple[tuple[str, str], ...]  # (name, Spark type)
    key: tuple[str, ...]
    required: tuple[str, ...]

    def ddl(self) -> str:
        return ", ".join(f"`{c}` {t}" for c, t in self.columns)


def table_definition(tree: exp.Create) -> TableDefinition:
    """The columns, key and NOT NULL columns of a ``CREATE TABLE (...)`` statement."""
    schema = tree.this
    if not isinstance(schema, exp.Schema):
        raise WarehouseError("the Spark warehouse creates tables from a column list only")
    columns: list[tuple[str, str]] = []
    key: list[str] = []
    required: list[str] = []
    for item in schema.expressions:
        if isinstance(item, exp.PrimaryKey):
            key.extend(e.name for e in item.expressions)
            continue
        if not isinstance(item, exp.ColumnDef) or item.args.get("kind") is None:
            raise WarehouseError(f"unsupported table element for Spark: {item.sql()}")
        columns.append((item.name, item.args["kind"].sql(dialect="spark")))
        for constraint in item.constraints:
            if isinstance(constraint.kind, exp.NotNullColumnConstraint):
                required.append(item.name)
            elif isinstance(constraint.kind, exp.PrimaryKeyColumnConstraint):
                key.append(item.name)
    return TableDefinition(schema.this.name, tuple(columns), tuple(key), tuple(required))


def _from(tree: exp.Expression) -> exp.Expression | None:
    return tree.args.get("from") or tree.args.get("from_")


def _condition(tree: exp.Expression) -> exp.Expression | None:
    where = tree.args.get("where")
    return where.this if where is not None else None


def _has_subquery(node: exp.Expression | None) -> bool:
    return node is not None and node.find(exp.Select) is not None


def update_query(tree: exp.Update, columns: list[str]) -> str:
    """The Spark query of the content of the table after ``tree`` (an ``UPDATE``)."""
    table = tree.this.name
    sets: dict[str, exp.Expression] = {}
    for assignment in tree.expressions:
        sets[assignment.this.name] = assignment.expression
    unknown = sorted(set(sets) - set(columns))
    if unknown:
        raise WarehouseError(f"UPDATE {table}: no column(s) {unknown}")
    cond = _condition(tree)
    source = _from(tree)
    if source is not None:
        other = source.this
        alias = other.alias_or_name
        on = spark_sql(cond.copy()) if cond is not None else "true"
        picks = ", ".join(
            f"CASE WHEN {alias}.{_HIT} THEN {spark_sql(sets[c].copy())} ELSE {table}.`{c}` END "
            f"AS `{c}`"
            if c in sets
            else f"{table}.`{c}`"
            for c in columns
        )
        inner = spark_sql(exp.Table(this=other.this.copy(), db=other.args.get("db")))
        return (
            f"SELECT {picks} FROM {table} LEFT JOIN (SELECT *, true AS {_HIT} FROM {inner}) "
            f"{alias} ON {on}"
        )
    if cond is None:
        picks = ", ".join(
            f"{spark_sql(sets[c].copy())} AS `{c}`" if c in sets else f"`{c}`" for c in columns
        )
        return f"SELECT {picks} FROM {table}"
    where = spark_sql(cond.copy())
    if not _has_subquery(cond):
        picks = ", ".join(
            f"CASE WHEN {where} THEN {spark_sql(sets[c].copy())} ELSE `{c}` END AS `{c}`"
            if c in sets
            else f"`{c}`"
            for c in columns
        )
        return f"SELECT {picks} FROM {table}"
    changed = ", ".join(
        f"{spark_sql(sets[c].copy())} AS `{c}`" if c in sets else f"`{c}`" for c in columns
    )
    return (
        f"SELECT {changed} FROM {table} WHERE {where} UNION ALL "
        f"(SELECT * FROM {table} EXCEPT ALL SELECT * FROM {table} WHERE {where})"
    )


def delete_query(tree: exp.Delete) -> str:
    """The Spark query of the rows a ``DELETE`` keeps."""
    table = tree.this.name
    cond = _condition(tree)
    if cond is None:
        return f"SELECT * FROM {table} WHERE false"
    where = spark_sql(cond.copy())
    if _has_subquery(cond):
        return f"SELECT * FROM {table} EXCEPT ALL SELECT * FROM {table} WHERE {where}"
    return f"SELECT * FROM {table} WHERE NOT coalesce({where}, false)"


def conflict_action(tree: exp.Insert) -> tuple[str, tuple[str, ...]] | None:
    """``("nothing" | "replace", keys)`` of an ``INSERT ... ON CONFLICT``, ``None`` without one.
    ``DO UPDATE`` must set every column it names from ``EXCLUDED`` (the upsert of the seam)."""
    conflict = tree.args.get("conflict")
    if conflict is None:
        return None
    keys = tuple(
        k.this.name if isinstance(k, exp.Ordered) else k.name
        for k in conflict.args.get("conflict_keys") or []
    )
    action = str(conflict.args.get("action") or "").upper()
    if "NOTHING" in action:
        return "nothing", keys
    for assignment in conflict.expressions:
        value = assignment.expression
        if not (
            isinstance(value, exp.Column)
            and value.table.upper() == "EXCLUDED"
            and value.name == assignment.this.name
        ):
            raise WarehouseError(
                "the Spark warehouse runs ON CONFLICT DO UPDATE only as `c = EXCLUDED.c` "
                f"(replace the row), got {assignment.sql()}"
            )
    return "replace", keys
