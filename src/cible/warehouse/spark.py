"""Spark backend: canonical tables as Parquet files under a directory, queried by Apache Spark.

* Shared SQL is translated by :class:`cible.warehouse.sparksql.SparkDialect` (SQLGlot, ``spark``).
  Queries run in Spark and come back as Arrow (``DataFrame.toArrow``).
* Each table is a directory ``<path>/<table>/`` holding Parquet *parts* (one directory each) and
  ``_table.json``, which names the columns, the primary key, the NOT NULL columns and the parts
  of the current version. A write adds a part (``INSERT``) or replaces all parts by one
  (``UPDATE``, ``DELETE``, ``ON CONFLICT``, see :mod:`cible.warehouse.sparkdml`); parts are never
  changed in place, and ``_table.json`` is replaced atomically, so a reader never sees half a
  write. ``ALTER TABLE ADD COLUMN`` only changes the columns (Parquet parts without the column
  read as NULL).
* Keys and NOT NULL columns are enforced on every write: a duplicate key or an empty required
  value fails the statement, as on DuckDB and PostgreSQL.
* :meth:`transaction` keeps the new versions in memory and writes every ``_table.json`` at the
  end; a rollback forgets them and deletes the parts written meanwhile. One process writes a
  warehouse at a time.
* Every table is a temporary view of the Spark session of the warehouse (its own session, see
  :mod:`cible.warehouse.sparksession`), so shared SQL names tables as on the other engines.

``pyspark`` is the optional extra ``spark``, imported only when a Spark warehouse is opened.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlglot import exp

from cible.exceptions import WarehouseError
from cible.warehouse.base import Dialect, Warehouse
from cible.warehouse.sparkdml import (
    TableDefinition,
    conflict_action,
    delete_query,
    table_definition,
    update_query,
)
from cible.warehouse.sparksession import spark_session
from cible.warehouse.sparksql import SparkDialect, spark_sql

_META = "_table.json"


@dataclass(frozen=True)
class TableFiles:
    """One table: its definition and the Parquet parts of its current version."""

    definition: TableDefinition
    parts: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.definition.name

    def to_json(self) -> str:
        d = self.definition
        return json.dumps(
            {
                "name": d.name,
                "columns": d.columns,
                "key": d.key,
                "required": d.required,
                "parts": self.parts,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> TableFiles:
        m = json.loads(text)
        d = TableDefinition(
            m["name"], tuple((c, t) for c, t in m["columns"]), tuple(m["key"]), tuple(m["required"])
        )
        return cls(d, tuple(m["parts"]))


def _plain_arrow(table: pa.Table) -> pa.Table:
    """Spark's Arrow as the other backends give it: ``string`` (not ``large_string``) and UTC
    timestamps in microseconds."""
    fields = []
    for f in table.schema:
        t = f.type
        if pa.types.is_large_string(t):
            t = pa.string()
        elif pa.types.is_timestamp(t):
            t = pa.timestamp("us", tz="UTC" if t.tz else None)
        fields.append(pa.field(f.name, t, f.nullable))
    schema = pa.schema(fields)
    return table if schema == table.schema else table.cast(schema)


class SparkWarehouse(Warehouse):
    """Warehouse of Parquet tables under ``path``, computed by Spark on ``master``."""

    def __init__(
        self,
        path: Path | str,
        *,
        master: str = "local[2]",
        conf: Mapping[str, str] | None = None,
    ) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.master = master
        self._spark: Any = spark_session(master, conf)
        self._sql = SparkDialect()
        self.dialect: Dialect = self._sql
        self._tables: dict[str, TableFiles] = {}
        self._in_transaction = False
        self._dirty: set[str] = set()
        self._written: list[Path] = []
        self._superseded: list[Path] = []
        for meta in sorted(self.path.glob(f"*/{_META}")):
            table = TableFiles.from_json(meta.read_text(encoding="utf-8"))
            self._tables[table.name] = table
            self._expose(table)
        self.ensure_schema()

    # -- files ---------------------------------------------------------------------------------
    def _frame(self, table: TableFiles) -> Any:
        schema = self._spark.createDataFrame([], table.definition.ddl()).schema
        if not table.parts:
            return self._spark.createDataFrame([], schema)
        paths = [str(self.path / table.name / p) for p in table.parts]
        return self._spark.read.schema(schema).parquet(*paths)

    def _expose(self, table: TableFiles) -> None:
        self._frame(table).createOrReplaceTempView(table.name)

    def _table(self, name: str) -> TableFiles:
        table = self._tables.get(name)
        if table is None:
            raise WarehouseError(f"Spark warehouse {self.path}: no table {name!r}")
        return table

    def _write_part(self, name: str, frame: Any) -> str:
        part = f"part-{uuid.uuid4().hex[:16]}"
        target = self.path / name / part
        self._written.append(target)
        try:
            frame.write.parquet(str(target))
        except Exception as e:
            raise WarehouseError(f"Spark could not write table {name}: {e}") from e
        return part

    def _save(self, table: TableFiles) -> None:
        meta = self.path / table.name / _META
        meta.parent.mkdir(parents=True, exist_ok=True)
        tmp = meta.with_suffix(".tmp")
        tmp.write_text(table.to_json(), encoding="utf-8")
        os.replace(tmp, meta)

    def _set(self, table: TableFiles, superseded: tuple[str, ...] = ()) -> None:
        self._tables[table.name] = table
        self._expose(table)
        self._superseded.extend(self.path / table.name / p for p in superseded)
        if self._in_transaction:
            self._dirty.add(table.name)
        else:
            self._commit({table.name})

    def _commit(self, names: set[str]) -> None:
        for name in sorted(names):
            self._save(self._tables[name])
        for old in self._superseded:
            shutil.rmtree(old, ignore_errors=True)
        self._superseded.clear()
        self._written.clear()

    # -- checks --------------------------------------------------------------------------------
    def _check(self, table: TableFiles, rows: Any, others: Any | None) -> None:
        """Refuse ``rows`` (a frame) when a required or key column is empty, or a key repeats
        within them or (``others``) with the rows already in the table."""
        from pyspark.sql import functions as F

        d = table.definition
        required = list(dict.fromkeys([*d.key, *d.required]))
        if required:
            empty = rows.select(
                [F.sum(F.col(f"`{c}`").isNull().cast("long")).alias(c) for c in required]
            ).collect()[0]
            for c in required:
                if empty[c]:
                    raise WarehouseError(
                        f"table {d.name}: column {c} cannot be empty (NOT NULL); "
                        f"{empty[c]:,} row(s) have no value"
                    )
        if not d.key:
            return
        keys = rows.select(*[f"`{k}`" for k in d.key])
        if others is not None:
            keys = keys.unionByName(
                others.join(keys, list(d.key), "left_semi").select(*keys.columns)
            )
        repeated = keys.groupBy(*keys.columns).count().filter("count > 1").limit(1).collect()
        if repeated:
            value = ", ".join(repr(repeated[0][k]) for k in d.key)
            raise WarehouseError(f"table {d.name}: duplicate key ({', '.join(d.key)}) = ({value})")

    # -- statements ----------------------------------------------------------------------------
    def execute(self, sql: str) -> None:
        for tree in self._sql.statements(sql):
            tree = tree.copy()
            if isinstance(tree, exp.Create) and str(tree.args.get("kind")).upper() == "TABLE":
                self._create(tree)
            elif isinstance(tree, exp.Alter):
                self._alter(tree)
            elif isinstance(tree, exp.Insert):
                self._insert(tree)
            elif isinstance(tree, exp.Update):
                self._rewrite(tree.this.name, update_query(tree, self._columns(tree.this.name)))
            elif isinstance(tree, exp.Delete):
                self._rewrite(tree.this.name, delete_query(tree))
            else:
                raise WarehouseError(
                    f"the Spark warehouse does not run {type(tree).__name__} statements: "
                    f"{tree.sql()[:200]}"
                )

    def _columns(self, name: str) -> list[str]:
        return [c for c, _ in self._table(name).definition.columns]

    def _create(self, tree: exp.Create) -> None:
        definition = table_definition(tree)
        if definition.name in self._tables:
            if tree.args.get("exists"):
                return
            raise WarehouseError(f"table {definition.name} already exists")
        self._set(TableFiles(definition))

    def _alter(self, tree: exp.Alter) -> None:
        table = self._table(tree.this.name)
        columns = list(table.definition.columns)
        for action in tree.args.get("actions") or []:
            if not isinstance(action, exp.ColumnDef):
                raise WarehouseError(f"the Spark warehouse only adds columns: {action.sql()}")
            if any(c == action.name for c, _ in columns):
                if action.args.get("exists"):
                    continue
                raise WarehouseError(f"table {table.name} has a column {action.name} already")
            columns.append((action.name, action.args["kind"].sql(dialect="spark")))
        definition = replace(table.definition, columns=tuple(columns))
        self._set(replace(table, definition=definition))

    def _insert(self, tree: exp.Insert) -> None:
        from pyspark.sql import functions as F

        target = tree.this
        named = target.expressions if isinstance(target, exp.Schema) else []
        name = target.this.name if isinstance(target, exp.Schema) else target.name
        table = self._table(name)
        listed = [c.name for c in named] or self._columns(name)
        try:
            source = self._spark.sql(spark_sql(tree.expression.copy()))
        except Exception as e:
            raise WarehouseError(f"Spark query failed: {e}") from e
        if len(source.columns) != len(listed):
            raise WarehouseError(
                f"INSERT INTO {name}: {len(listed)} column(s) named, {len(source.columns)} given"
            )
        source = source.toDF(*[f"__c{i}" for i in range(len(listed))])
        existing = self._frame(table)
        types = dict(table.definition.columns)
        rows = source.select(
            *[
                (F.col(f"__c{listed.index(c)}") if c in listed else F.lit(None))
                .cast(types[c])
                .alias(c)
                for c in self._columns(name)
            ]
        )
        conflict = conflict_action(tree)
        if conflict is None:
            self._append(table, rows, existing)
            return
        action, keys = conflict
        keys = keys or table.definition.key
        if action == "nothing":
            self._append(
                table, rows.join(existing.select(*keys), list(keys), "left_anti"), existing
            )
            return
        kept = existing.join(rows.select(*keys), list(keys), "left_anti")
        self._replace_all(table, kept.unionByName(rows))

    def _append(self, table: TableFiles, rows: Any, existing: Any) -> None:
        part = self._write_part(table.name, rows)
        written = self._spark.read.parquet(str(self.path / table.name / part))
        try:
            self._check(table, written, existing if table.parts else None)
        except WarehouseError:
            shutil.rmtree(self.path / table.name / part, ignore_errors=True)
            raise
        self._set(replace(table, parts=(*table.parts, part)))

    def _replace_all(self, table: TableFiles, content: Any) -> None:
        part = self._write_part(table.name, content)
        written = self._spark.read.parquet(str(self.path / table.name / part))
        try:
            self._check(table, written, None)
        except WarehouseError:
            shutil.rmtree(self.path / table.name / part, ignore_errors=True)
            raise
        self._set(replace(table, parts=(part,)), superseded=table.parts)

    def _rewrite(self, name: str, query: str) -> None:
        table = self._table(name)
        try:
            content = self._spark.sql(query)
        except Exception as e:
            raise WarehouseError(f"Spark statement failed on {name}: {e}") from e
        self._replace_all(table, content)

    # -- reading -------------------------------------------------------------------------------
    def fetch_arrow(self, sql: str) -> pa.Table:
        trees = self._sql.statements(sql)
        if len(trees) != 1:
            raise WarehouseError(f"fetch_arrow runs one query, got {len(trees)} statements")
        try:
            return _plain_arrow(self._spark.sql(self._sql.translate(sql)).toArrow())
        except WarehouseError:
            raise
        except Exception as e:
            raise WarehouseError(f"Spark query failed: {e}") from e

    def frame(self, sql: str) -> Any:
        """A Spark DataFrame of a shared-dialect query, for steps that stay in Spark."""
        return self._spark.sql(self._sql.translate(sql))

    @property
    def session(self) -> Any:
        """The Spark session of this warehouse (its temporary views are the tables)."""
        return self._spark

    def register(self, name: str, table: pa.Table) -> None:
        try:
            frame = self._spark.createDataFrame(table)
        except Exception as e:
            raise WarehouseError(f"cannot load {table.num_rows:,} rows into {name}: {e}") from e
        frame.createOrReplaceTempView(name)

    def unregister(self, name: str) -> None:
        self._spark.catalog.dropTempView(name)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._in_transaction:
            yield
            return
        before = dict(self._tables)
        self._in_transaction = True
        self._written.clear()
        self._superseded.clear()
        try:
            yield
        except BaseException:
            self._rollback(before)
            raise
        finally:
            self._in_transaction = False
        dirty, self._dirty = self._dirty, set()
        self._commit(dirty)

    def _rollback(self, before: dict[str, TableFiles]) -> None:
        for name in set(self._tables) - set(before):
            self._spark.catalog.dropTempView(name)
        self._tables = before
        for table in before.values():
            self._expose(table)
        for part in self._written:
            shutil.rmtree(part, ignore_errors=True)
        self._written.clear()
        self._superseded.clear()
        self._dirty.clear()

    def close(self) -> None:
        """Drop this warehouse's views; the process's Spark session stays up for the next one
        (:func:`cible.warehouse.sparksession.stop_spark` stops it)."""
        for name in list(self._tables):
            self._spark.catalog.dropTempView(name)

    def __enter__(self) -> SparkWarehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
