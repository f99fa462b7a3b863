"""Throughput of ProfileStore.apply_events: batches of live events -> aggregates -> re-score ->
memberships + outbox, one transaction per batch, on SQLite and PostgreSQL.

    PYTHONPATH=src python bench/store_apply.py [--events 50000] [--customers 5000] [--batch 500]

Ends with one JSON line per store: {"bench": "store_apply", "store": ..., "events_per_s": ...}.
"""

from __future__ import annotations

import argparse
import io
import random
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import joblib
import numpy as np
import pandas as pd

from _emit import emit  # bench/ is the script folder on sys.path
from cible.config import FEATURE_NAMES
from cible.store import LiveEvent, ProfileStore

AS_OF = datetime(2024, 6, 1, tzinfo=UTC)
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


class NearestCentroid:
    """A k-means-like scorer: prospects 0, else the nearest of 4 centroids on log features."""

    feature_names = FEATURE_NAMES

    def __init__(self) -> None:
        self.segment_names = {0: "Prospects", 1: "A", 2: "B", 3: "C", 4: "D"}
        self.centroids = np.random.default_rng(0).normal(size=(4, len(FEATURE_NAMES)))

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        x = np.log1p(np.abs(features[list(FEATURE_NAMES)].fillna(0).to_numpy()))
        d = ((x[:, None, :] - self.centroids[None, :, :]) ** 2).sum(axis=2)
        labels = d.argmin(axis=1) + 1
        return np.where(features["frequency"].to_numpy() > 0, labels, 0)

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        joblib.dump(self, buf)
        return buf.getvalue()


def make_events(n: int, customers: int, seed: int) -> list[LiveEvent]:
    rng = random.Random(seed)
    kinds = ["page_view"] * 6 + ["purchase"] * 2 + ["email_open", "refund"]
    out = []
    for i in range(n):
        kind = rng.choice(kinds)
        amount = None
        if kind in ("purchase", "refund"):
            amount = Decimal(rng.randint(100, 20000)) / 100 * (-1 if kind == "refund" else 1)
        out.append(
            LiveEvent(
                event_id=f"ev-{seed}-{i}",
                customer_id=f"c{rng.randrange(customers):06d}",
                event_type=kind,
                timestamp=AS_OF - timedelta(seconds=rng.randint(1, 200 * 86400)),
                amount=amount,
                order_id=f"o{rng.randrange(10**6)}" if kind == "purchase" else None,
            )
        )
    return out


def measure(
    store: ProfileStore, events: list[LiveEvent], batch: int, model: object
) -> dict[str, float]:
    store.publish(model)  # type: ignore[arg-type]
    warm = events[:batch]
    store.apply_events(warm, as_of=AS_OF)
    rest = events[batch:]
    changes = 0
    t0 = time.perf_counter()
    for start in range(0, len(rest), batch):
        changes += len(store.apply_events(rest[start : start + batch], as_of=AS_OF).changes)
    seconds = time.perf_counter() - t0
    return {
        "events": len(rest),
        "seconds": seconds,
        "events_per_s": len(rest) / seconds,
        "changes": changes,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--customers", type=int, default=5_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument(
        "--model", type=Path, help="a run's segment_model.joblib instead of the toy scorer"
    )
    args = parser.parse_args()
    model: object = NearestCentroid()
    if args.model is not None:
        from cible.segmentation.model_artifact import SegmentModel

        model = SegmentModel.load(args.model)
    events = make_events(args.events, args.customers, 1)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        store = ProfileStore.open(f"sqlite:///{tmp}/bench.db")
        try:
            results["sqlite"] = measure(store, events, args.batch, model)
        finally:
            store.close()
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    store = ProfileStore.open(PG, schema=schema)
    try:
        results["postgresql"] = measure(store, events, args.batch, model)
    finally:
        with store.engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        store.close()
    for name, r in results.items():
        print(
            f"{name}: {r['events']:,} events in {r['seconds']:.1f} s = {r['events_per_s']:,.0f}/s"
        )
    for name, r in results.items():
        emit(
            "store_apply",
            store=name,
            batch=args.batch,
            customers=args.customers,
            model="segment_model" if args.model else "nearest_centroid",
            **r,
        )


if __name__ == "__main__":
    main()
