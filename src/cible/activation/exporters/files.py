"""CSV and Parquet files of an export (written to a temporary name, then renamed: a reader
never sees half a file)."""

from __future__ import annotations

import csv
import os
from pathlib import Path

from cible.activation.exporters.records import ExportBatch


def _columns(batch: ExportBatch) -> list[str]:
    seen: dict[str, None] = {"id": None, "change": None}
    for r in batch.records:
        seen.update(dict.fromkeys(r))
    return list(seen)


def write_csv(batch: ExportBatch, path: Path) -> int:
    """The records as CSV (header ``id,change,<fields>``); records written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=_columns(batch), extrasaction="raise")
        writer.writeheader()
        writer.writerows(batch.records)
    os.replace(tmp, path)
    return len(batch.records)


def write_parquet(batch: ExportBatch, path: Path) -> int:
    """The records as Parquet (one column per key, nulls where a record lacks it)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = _columns(batch)
    data = {c: [r.get(c) for r in batch.records] for c in columns}
    table = (
        pa.table(data)
        if batch.records
        else pa.table({c: pa.array([], pa.string()) for c in columns})
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)
    return len(batch.records)
