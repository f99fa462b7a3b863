"""Readers that yield a file in chunks of at most about ``chunk_rows`` records, so that no more
than one chunk is ever held in memory.

Every chunk is a :class:`~cible.ingest.readers.RawSource` whose ``__row`` numbers and malformed
records are those the whole-file reader (:func:`~cible.ingest.readers.read_source`) gives: the
concatenation of the chunks *is* the file read whole.

* **CSV**: the text is decoded block by block (:mod:`cible.ingest.textstream`) and each chunk is
  scanned by :func:`~cible.ingest.csvscan.read_body` with ``stop`` at its ``chunk_rows``-th line:
  the lines after it (``max_record_lines`` of them) are only read to close a quoted value still
  open, and the next chunk starts at the first line no record took. A quoted field spanning a
  chunk border is therefore one record, and a quote that never closes damages one line, as in
  the whole file.
* **JSON Lines**: each line is a record on its own; chunks of ``chunk_rows`` lines.
* **Parquet**: record batches of ``chunk_rows`` rows.
* **Excel**, and text files :func:`~cible.ingest.textstream.plan_decoding` cannot stream (an
  explicit ``encoding``, UTF-16, classic Mac line ends), are read whole as one chunk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from cible.config import SourceConfig
from cible.exceptions import EmptySourceError, SourceFormatError, SourceNotFoundError
from cible.ingest.csvscan import Lines, read_body
from cible.ingest.readers import (
    RawSource,
    _clean_names,
    _with_rows,
    csv_header,
    csv_rows,
    jsonl_rows,
    read_source,
    resolve_format,
    whitespace_as_tabs,
)
from cible.ingest.textstream import DecodePlan, TextBlock, decoded_blocks, plan_decoding

OnBytes = Callable[[int], None]


def read_chunks(
    path: Path, source: SourceConfig, chunk_rows: int, on_bytes: OnBytes | None = None
) -> Iterator[RawSource]:
    """The chunks of ``path``; ``on_bytes`` is called with the bytes of the file read so far
    since the previous call (for a progress bar in bytes)."""
    if not path.is_file():
        raise SourceNotFoundError(f"source '{source.name}': file not found: {path}")
    size = path.stat().st_size
    if size == 0:
        raise EmptySourceError(f"source '{source.name}': {path} is empty (0 bytes)")
    fmt = resolve_format(path, source.format)
    if fmt == "parquet":  # binary: no text decoding to plan (scanning it cost 1.5 s on 3.6 MB)
        yield from _parquet_chunks(path, chunk_rows, on_bytes)
        return
    plan = plan_decoding(path, source.encoding, source.fallback_encoding)
    if fmt not in ("csv", "jsonl") or plan is None:
        raw = read_source(path, source)
        if on_bytes is not None:
            on_bytes(size)
        yield raw
        return
    block = min(1 << 24, max(1 << 12, chunk_rows * 128))
    blocks = decoded_blocks(path, plan, block, on_bytes)
    if fmt == "csv":
        yield from _csv_chunks(path, source, plan, blocks, chunk_rows)
    else:
        yield from _jsonl_chunks(path, plan, blocks, chunk_rows)


def _parquet_chunks(path: Path, chunk_rows: int, on_bytes: OnBytes | None) -> Iterator[RawSource]:
    try:
        file = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as e:
        raise SourceFormatError(f"{path}: not a readable Parquet file: {e}") from e
    size, total, row0 = path.stat().st_size, max(file.metadata.num_rows, 1), 0
    for batch in file.iter_batches(batch_size=chunk_rows):
        table = _clean_names(pa.Table.from_batches([batch]), path)
        rows = np.arange(row0 + 1, row0 + table.num_rows + 1)
        yield RawSource(path, "parquet", _with_rows(table, rows))
        row0 += table.num_rows
        if on_bytes is not None:
            on_bytes(size * table.num_rows // total)


def _jsonl_chunks(
    path: Path, plan: DecodePlan, blocks: Iterator[TextBlock], chunk_rows: int
) -> Iterator[RawSource]:
    for block in blocks:
        nl = np.flatnonzero(np.frombuffer(block.data, dtype=np.uint8) == 10)
        starts = np.concatenate([[0], nl + 1])
        n_lines = len(nl) if block.data.endswith(b"\n") else len(nl) + 1
        for i in range(0, max(n_lines, 1), chunk_rows):
            stop = len(block.data) if i + chunk_rows >= n_lines else int(starts[i + chunk_rows])
            table, malformed = jsonl_rows(
                block.data[int(starts[i]) : stop], block.first_line + i, block.undecodable, path
            )
            yield RawSource(
                path,
                "jsonl",
                table,
                malformed,
                plan.label,
                None,
                plan.fallback_encoding,
                plan.fallback_lines,
            )


def _csv_chunks(
    path: Path,
    source: SourceConfig,
    plan: DecodePlan,
    blocks: Iterator[TextBlock],
    chunk_rows: int,
) -> Iterator[RawSource]:
    """See the module docstring: ``buf`` holds the lines not yet read into a record, its first
    line being the file's line ``line0``."""
    buf, line0, row0, eof = b"", 0, 0, False
    undecodable: dict[int, str] = {}
    header: tuple[int, list[str], str] | None = None
    lookahead = source.max_record_lines
    while True:
        wanted = chunk_rows + lookahead + (200 if header is None else 0)
        n_lines = buf.count(b"\n")
        while not eof and n_lines < wanted:
            block = next(blocks, None)
            if block is None:
                eof = True
                break
            buf += whitespace_as_tabs(block.data, source)
            n_lines += block.data.count(b"\n")
            undecodable.update(block.undecodable)
        lines = Lines.of(buf)
        if header is None:
            header = csv_header(buf, lines, source, path)
            first = header[0]
        else:
            first = -1
        _, names, delimiter = header
        stop = min(len(lines), first + 1 + chunk_rows)
        local = {i - line0: why for i, why in undecodable.items()}
        scan = read_body(buf, lines, first, names, delimiter, source.max_record_lines, local, stop)
        table, malformed = csv_rows(scan, row0, line0)
        row0 += table.num_rows + len(malformed)
        yield RawSource(
            path,
            "csv",
            table,
            malformed,
            plan.label,
            delimiter,
            plan.fallback_encoding,
            plan.fallback_lines,
        )
        if scan.next_line >= len(lines):
            if eof:
                return
            buf = b""
        else:
            buf = buf[int(lines.start[scan.next_line]) :]
        line0 += scan.next_line
        undecodable = {i: why for i, why in undecodable.items() if i >= line0}
