"""Time golden records at scale: build, undo, event re-keying (pandas and DuckDB).

    python bench/golden_records.py --records 100000 [--dup-share 0.3] [--events 1000000] [--seed 0]

Records are synthetic canonical customers (random tokens, no real person); a share of them is
grouped into entities of 2 to 5 records, linked by a random spanning chain of matching pairs in the
shape of the matcher's result (plus as many non-matching pairs). Prints wall seconds per step.
Last lines: one JSON object per measured configuration, {"bench": "golden_records", ...} (bench/_emit.py).
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pyarrow as pa

from _emit import emit  # bench/ is the script folder on sys.path
from cible.identity import build_golden, rekey_events, undo_entity, undo_merge
from cible.schemas.events import EVENTS_SCHEMA
from cible.warehouse.duckdb import DuckDBWarehouse


def synthetic(
    n: int, dup_share: float, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(records, clusters, pairs) in the matcher's contract shape."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"R{i:08d}" for i in range(n)], dtype=object)
    entity = ids.copy()
    left: list[str] = []
    right: list[str] = []
    i, stop = 0, int(n * dup_share)
    while i < stop:
        size = int(rng.integers(2, 6))
        members = ids[i : i + size]
        entity[i : i + size] = members[0]
        left += members[:-1].tolist()
        right += members[1:].tolist()
        i += size
    tokens = np.array([f"t{k}" for k in range(5000)], dtype=object)

    def text(p_missing: float) -> np.ndarray:
        values = rng.choice(tokens, n).astype(object)
        values[rng.random(n) < p_missing] = None
        return values

    def consent() -> np.ndarray:
        return rng.choice(np.array([True, False, None], dtype=object), n)

    records = pd.DataFrame(
        {
            "customer_id": ids,
            "source": rng.choice(np.array(["crm", "web", "shop"], dtype=object), n),
            "email": text(0.2),
            "phone": text(0.4),
            "first_name": text(0.1),
            "last_name": text(0.1),
            "city": text(0.3),
            "postal_code": text(0.3),
            "country": rng.choice(np.array(["FR", "BE", None], dtype=object), n),
            "created_at": pd.to_datetime(rng.integers(1.5e9, 1.75e9, n), unit="s", utc=True),
            "consent_email": consent(),
            "consent_sms": consent(),
            "consent_push": consent(),
        }
    )
    clusters = pd.DataFrame({"record_id": ids, "entity_id": entity})
    clusters["cluster_size"] = clusters.groupby("entity_id")["record_id"].transform("size")
    m = len(left)
    decoys = rng.choice(ids, size=(m, 2))
    decoys = decoys[decoys[:, 0] < decoys[:, 1]]
    pairs = pd.DataFrame(
        {
            "record_id_l": np.concatenate([left, decoys[:, 0]]),
            "record_id_r": np.concatenate([right, decoys[:, 1]]),
            "score": np.concatenate([rng.uniform(0.8, 1.0, m), rng.uniform(0.0, 0.6, len(decoys))]),
            "is_match": np.concatenate([np.ones(m, bool), np.zeros(len(decoys), bool)]),
            "rule": ["fuzzy"] * (m + len(decoys)),
        }
    )
    return records, clusters, pairs


def events_table(customer_ids: np.ndarray, n: int, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    data = {f.name: pa.nulls(n, f.type) for f in EVENTS_SCHEMA}
    data.update(
        {
            "event_id": pa.array([f"E{i}" for i in range(n)]),
            "customer_id": pa.array(rng.choice(customer_ids, n).tolist()),
            "source": pa.array(["web"] * n),
            "event_type": pa.array(["page_view"] * n),
            "timestamp": pa.array(
                [datetime(2025, 1, 1, tzinfo=UTC)] * n, type=pa.timestamp("us", tz="UTC")
            ),
        }
    )
    return pa.table(data, schema=EVENTS_SCHEMA)


TIMINGS: dict[str, float] = {}  # label -> seconds, emitted as the last line


def timed(label: str, fn):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    out = fn()
    TIMINGS[label] = time.perf_counter() - t0
    print(f"{label:<42} {TIMINGS[label]:7.2f} s")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--dup-share", type=float, default=0.3)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    records, clusters, pairs = synthetic(args.records, args.dup_share, args.seed)
    print(
        f"{len(records):,} records, {clusters['entity_id'].nunique():,} entities, {len(pairs):,} pairs"
    )
    result = timed("build_golden", lambda: build_golden(records, clusters, pairs))
    print(f"  merge log rows: {len(result.merge_log):,}; summary: {result.summary()}")
    target = result.id_map.loc[result.id_map["merge_id"].notna(), "record_id"].iloc[0]
    entity = result.id_map.loc[result.id_map["record_id"] == target, "entity_id"].iloc[0]
    timed("undo_merge (one record)", lambda: undo_merge(result, records, target))
    timed("undo_entity (one entity)", lambda: undo_entity(result, records, entity))
    table = events_table(records["customer_id"].to_numpy(), args.events, args.seed)
    frame = table.select(["event_id", "customer_id"]).to_pandas()
    timed(
        f"rekey_events ({args.events:,} events, pandas)", lambda: rekey_events(frame, result.id_map)
    )
    with DuckDBWarehouse(":memory:") as wh:
        wh.append_events(table)
        n = timed("Warehouse.rekey_customers (DuckDB)", lambda: wh.rekey_customers(result.id_map))
        print(f"  events re-keyed: {n:,}")
        timed("Warehouse.restore_customer_ids (all)", wh.restore_customer_ids)
    emit("golden_records", records=len(records), events=args.events, seconds=dict(TIMINGS))


if __name__ == "__main__":
    main()
