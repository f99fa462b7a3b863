"""``cible erase --customer ID``: the right to erasure (GDPR art. 17) over everything cible
keeps: the profile store (every table, export state and contacts included; running services
are told on PostgreSQL's change feed to drop their cached copies, and on SQLite their cache
expires within ``CIBLE_PROFILE_CACHE_TTL_S``), the warehouse (events, customer records, identity
links), the Redis online copy when one is given, and the files of the run (the quarantine file
and the CSV / Parquet outputs: rows that mention the customer or one of its merged records).

The receipt (``erasure_receipts/<receipt id>.json`` in the run folder) holds no personal data:
a random receipt id, the time, and how many rows went from each place; the customer id is
neither written nor hashed. Other text files of the run that still mention the id (reports)
are listed by name so an operator can regenerate them."""

from __future__ import annotations

import csv
import re
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cible.config import CibleConfig
from cible.exceptions import NotFoundError
from cible.services.outputs import write_json
from cible.services.publish import open_run_warehouse
from cible.store import ProfileStore
from cible.store import exports as state
from cible.warehouse import Warehouse

if TYPE_CHECKING:
    from cible.store.online import OnlineStore


def erase_customer(
    customer_id: str,
    out_dir: Path,
    store_url: str,
    config: CibleConfig | None = None,
    online: OnlineStore | None = None,
) -> tuple[dict[str, Any], Path]:
    """Erase ``customer_id`` everywhere (see the module); the receipt and its path. ``config``
    (the run's cible.yaml) names its warehouse; the default is the run's DuckDB file.
    ``online``: the Redis copy of the store, whose profile keys and segment-set entries of the
    customer go too (``online.profiles`` in the receipt)."""
    places: dict[str, int] = {}
    with ProfileStore.open(store_url) as store:
        ids = set(state.aliases_of(store.engine, customer_id))
        wh = open_run_warehouse(out_dir, config)
        try:
            ids |= _identity_records(wh, customer_id)
            places.update(_erase_warehouse(wh, ids))
        finally:
            wh.close()
        places.update({f"store.{k}": n for k, n in state.erase_customer(store.engine, ids).items()})
    if online is not None:
        places["online.profiles"] = online.forget(sorted(ids))
    pattern = _pattern(ids)
    for path in _run_files(out_dir):
        name = path.relative_to(out_dir).as_posix()
        if path.suffix == ".csv":
            places[f"file.{name}"] = _erase_csv(path, pattern)
        elif path.suffix == ".parquet":
            places[f"file.{name}"] = _erase_parquet(path, pattern)
    mentioning = [
        p.name
        for p in sorted(out_dir.iterdir())
        if p.suffix in (".json", ".html")
        and pattern.search(p.read_text(encoding="utf-8", errors="replace"))
    ]
    deleted = sum(places.values())
    if deleted == 0:
        raise NotFoundError(
            f"customer {customer_id!r}: nothing to erase in the store, warehouse or run files"
        )
    receipt_id = secrets.token_hex(8)
    receipt = {
        "receipt_id": receipt_id,
        "erased_at": datetime.now(UTC).isoformat(),
        "rows_deleted": deleted,
        "places": {k: n for k, n in places.items() if n},
        "files_still_mentioning": mentioning,
    }
    path = out_dir / "erasure_receipts" / f"{receipt_id}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, receipt)
    return receipt, path


def _run_files(out_dir: Path) -> list[Path]:
    """The files of the run and of its ``activation/`` folder (file exports)."""
    folders = [out_dir, out_dir / "activation"]
    return sorted(p for d in folders if d.is_dir() for p in d.iterdir() if p.is_file())


def _pattern(ids: set[str]) -> re.Pattern[str]:
    """Any of ``ids`` as a whole token (``C1`` does not match ``C10``)."""
    alternatives = "|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z0-9_-])(?:{alternatives})(?![A-Za-z0-9_-])")


def _quote(values: set[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in sorted(values))


def _identity_records(wh: Warehouse, customer_id: str) -> set[str]:
    if "customer_identity" not in _tables(wh):
        return set()
    table = wh.fetch_arrow(
        f"SELECT record_id FROM customer_identity WHERE surviving_id IN ({_quote({customer_id})})"
    )
    return set(table["record_id"].to_pylist())


def _tables(wh: Warehouse) -> set[str]:
    names = wh.fetch_arrow("SELECT table_name FROM information_schema.tables")["table_name"]
    return set(names.to_pylist())


def _erase_warehouse(wh: Warehouse, ids: set[str]) -> dict[str, int]:
    present = _tables(wh)
    out: dict[str, int] = {}
    targets = {
        "events": ("customer_id", "original_customer_id"),
        "customers": ("customer_id", "original_customer_id"),
        "customer_identity": ("record_id", "surviving_id"),
    }
    with wh.transaction():
        for table, columns in targets.items():
            if table not in present:
                continue
            have = set(wh.fetch_arrow(f"SELECT * FROM {table} LIMIT 0").column_names)
            where = " OR ".join(f"{c} IN ({_quote(ids)})" for c in columns if c in have)
            out[f"warehouse.{table}"] = int(
                wh.scalar(f"SELECT count(*) FROM {table} WHERE {where}")
            )
            wh.execute(f"DELETE FROM {table} WHERE {where}")
    return out


def _erase_csv(path: Path, pattern: re.Pattern[str]) -> int:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        return 0
    kept = [rows[0], *(r for r in rows[1:] if not any(pattern.search(c) for c in r))]
    removed = len(rows) - len(kept)
    if removed:
        tmp = path.with_name(f".{path.name}.tmp")
        with tmp.open("w", encoding="utf-8", newline="") as f:
            csv.writer(f, quoting=csv.QUOTE_ALL).writerows(kept)
        tmp.replace(path)
    return removed


def _erase_parquet(path: Path, pattern: re.Pattern[str]) -> int:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    hit = [False] * table.num_rows
    for name in table.column_names:  # Python's regex: Arrow's RE2 has no look-behind
        col = table[name]
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            for i, v in enumerate(col.to_pylist()):
                hit[i] = hit[i] or (v is not None and pattern.search(v) is not None)
    removed = sum(hit)
    if removed:
        tmp = path.with_name(f".{path.name}.tmp")
        pq.write_table(table.filter(pc.invert(pa.array(hit))), tmp)
        tmp.replace(path)
    return removed
