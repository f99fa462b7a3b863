"""Staging: every source read chunk by chunk into a DuckDB database that spills to disk.

Memory stays bounded by the chunk (``ingest.chunk_rows``) and DuckDB's ``memory_limit``
(``warehouse.memory_limit``; DuckDB spills to its temporary directory beyond it), not by the
size of the file:

1. the chunks of :func:`~cible.ingest.chunked.read_chunks` are appended to tables of the source's
   own schema in the staging database (a run of chunks with the same column types is one table;
   a JSON Lines file whose column types change between chunks gets one table per run);
2. ``__raw`` is a view over them with each column at one type (a column that is a whole number in
   one chunk and a decimal in another is ``DOUBLE``, any other disagreement is text), the columns
   in order of first appearance and ``__row`` last, as the whole-file reader gives them;
3. the mapping query (:func:`~cible.ingest.engine.map_rows`) runs over ``__raw`` once, in
   DuckDB, so the checks that compare rows (identical rows, repeated keys) see the whole file
   however it was chunked; accepted rows stay in the staging database
   (:class:`~cible.ingest.engine.StagedRows`) until they are loaded; the quarantine (the damage
   only) is read into memory.

The database is in memory up to the limit (no write-ahead log nor checkpoint for rows that live
only as long as the run); its spill files go to a temporary directory removed when
:class:`Staging` closes.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from cible.config import SourceConfig, StandardizeConfig
from cible.exceptions import EmptySourceError, MemoryLimitError
from cible.ingest.chunked import read_chunks
from cible.ingest.engine import QualityOptions, SourceResult, map_rows
from cible.ingest.readers import ROW, MalformedRow, RawSource
from cible.ingest.sql import ident, lit


@dataclass(frozen=True)
class StagedSource:
    """A source read into the staging database (see :class:`~cible.ingest.engine.RawMeta`)."""

    path: Path
    format: str
    schema: pa.Schema
    malformed: list[MalformedRow] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None
    fallback_encoding: str | None = None
    fallback_lines: int = 0
    n_read: int = 0


def _common_type(types: list[str]) -> str:
    known = sorted({t for t in types if t != '"NULL"' and t != "NULL"})
    if not known:
        return "VARCHAR"
    if len(known) == 1:
        return known[0]
    return "DOUBLE" if set(known) <= {"BIGINT", "DOUBLE"} else "VARCHAR"


class _Segments:
    """Runs of chunks with the same column types, each appended to one table."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.tables: list[tuple[str, dict[str, str]]] = []
        self.order: dict[str, None] = {}

    def append(self, table: pa.Table) -> None:
        self.con.register("__chunk", table)
        try:
            rel = self.con.sql("SELECT * FROM __chunk")
            types = {c: str(t) for c, t in zip(rel.columns, rel.types, strict=True)}
            if self.tables and self.tables[-1][1] == types:
                self.con.execute(f"INSERT INTO {self.tables[-1][0]} SELECT * FROM __chunk")
            else:
                name = f"__raw_{len(self.tables)}"
                self.con.execute(f"CREATE TABLE {name} AS SELECT * FROM __chunk")
                self.tables.append((name, types))
            self.order.update(dict.fromkeys(c for c in table.column_names if c != ROW))
        finally:
            self.con.unregister("__chunk")

    def view(self) -> None:
        """``__raw``: every segment, each column at its common type, ``__row`` last."""
        columns = [*self.order, ROW]
        common = {c: _common_type([t[c] for _, t in self.tables if c in t]) for c in columns}
        common[ROW] = "BIGINT"
        parts = []
        for name, types in self.tables:
            cols = ", ".join(
                (
                    ident(c)
                    if types.get(c) == common[c]
                    else f"CAST({ident(c) if c in types else 'NULL'} AS {common[c]}) AS {ident(c)}"
                )
                for c in columns
            )
            parts.append(f"SELECT {cols} FROM {name}")
        self.con.execute(f"CREATE VIEW __raw AS {' UNION ALL '.join(parts)}")


class Staging:
    """The staging database of one run (a context manager: the files go when it closes)."""

    def __init__(self, memory_limit: str, chunk_rows: int, directory: Path | None = None) -> None:
        self.memory_limit = memory_limit
        self.chunk_rows = chunk_rows
        self._dir = Path(tempfile.mkdtemp(prefix="cible-staging-", dir=directory))
        # in memory, but spilled to the temporary directory beyond the limit: no write-ahead log
        # nor checkpoint for rows that live only as long as the run
        self.con = duckdb.connect(":memory:")
        self.con.execute(f"SET memory_limit = {lit(memory_limit)}")
        self.con.execute(f"SET temp_directory = {lit(str(self._dir / 'spill'))}")
        self.con.execute("SET preserve_insertion_order = false")
        self._schemas = 0

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()
        shutil.rmtree(self._dir, ignore_errors=True)

    def out_of_memory(self, e: Exception, doing: str) -> MemoryLimitError:
        return MemoryLimitError(
            f"{doing}: DuckDB ran out of memory within warehouse.memory_limit = "
            f"{self.memory_limit} (ingest.chunk_rows = {self.chunk_rows:,}); raise "
            f"warehouse.memory_limit or lower ingest.chunk_rows ({e})"
        )

    def map(
        self,
        source: SourceConfig,
        path: Path,
        standardize: StandardizeConfig | None = None,
        quality: QualityOptions | None = None,
        on_bytes: Callable[[int], None] | None = None,
        on_rows: Callable[[int], None] | None = None,
    ) -> SourceResult:
        """Read ``source`` from ``path`` into its own schema and map it there; ``on_bytes`` gets
        the bytes read since its last call, ``on_rows`` the records read so far."""
        self._schemas += 1
        schema = f"source_{self._schemas}"
        self.con.execute(f"CREATE SCHEMA {schema}")
        self.con.execute(f"SET schema = {lit(schema)}")
        try:
            staged = self._stage(source, path, on_bytes, on_rows)
            return map_rows(self.con, source, staged, standardize, quality, staged=True)
        except duckdb.OutOfMemoryException as e:
            raise self.out_of_memory(e, f"source '{source.name}' ({path})") from e

    def _stage(
        self,
        source: SourceConfig,
        path: Path,
        on_bytes: Callable[[int], None] | None,
        on_rows: Callable[[int], None] | None,
    ) -> StagedSource:
        segments = _Segments(self.con)
        malformed: list[MalformedRow] = []
        first: RawSource | None = None
        n_read = 0
        for chunk in read_chunks(path, source, self.chunk_rows, on_bytes):
            first = first or chunk
            if chunk.table.num_rows or not segments.tables:
                segments.append(chunk.table)
            malformed += chunk.malformed
            n_read += chunk.n_read
            if on_rows is not None:
                on_rows(n_read)
        if first is None or n_read == 0:
            raise EmptySourceError(f"source '{source.name}': {path} has no data rows (header only)")
        segments.view()
        schema = self.con.sql("SELECT * FROM __raw LIMIT 0").to_arrow_table().schema
        return StagedSource(
            path,
            first.format,
            schema,
            malformed,
            first.encoding,
            first.delimiter,
            first.fallback_encoding,
            first.fallback_lines,
            n_read,
        )
