"""A live event stream drawn from a generated world, and its batch recompute.

The events of a world (generated with its own seed, ingested by cible's own ingest) are renamed
(``L`` before every customer and event id, so they never collide with the customers of the world
whose segmentation is published), cut to the first ``limit`` in time order, and kept in a DuckDB
warehouse: the same events give the messages of the stream and the batch features
(:func:`cible.features.build_features`) that every streamed profile must equal.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd

PREFIX = "L"
EVENT_COLUMNS = (
    "event_id",
    "customer_id",
    "event_type",
    "timestamp",
    "order_id",
    "amount",
    "currency",
    "quantity",
    "product_id",
    "category",
    "channel",
    "device",
    "location",
)
# what a producer gets wrong: each is refused by LiveEvent.parse with a field and a reason
MALFORMED = (
    b"{not json",
    b"[1, 2, 3]",
    b'{"customer_id": "LX", "event_type": "purchase", "timestamp": "2026-01-01T00:00:00+00:00"}',
    b'{"event_id": "bad-type-%d", "customer_id": "LX", "event_type": "pageview??", "timestamp": "2026-01-01T00:00:00+00:00"}',
    b'{"event_id": "naive-%d", "customer_id": "LX", "event_type": "login", "timestamp": "2026-01-01T00:00:00"}',
    b'{"event_id": "no-customer-%d", "event_type": "login", "timestamp": "2026-01-01T00:00:00+00:00"}',
)


@dataclass(frozen=True)
class LiveWorld:
    messages: list[bytes]  # the valid events, in time order
    as_of: date  # the day after the last streamed event
    features: pd.DataFrame  # batch features of exactly those events at as_of

    @property
    def as_of_datetime(self) -> datetime:
        return datetime(self.as_of.year, self.as_of.month, self.as_of.day, tzinfo=UTC)


def _message(row: dict[str, object]) -> bytes:
    out: dict[str, object] = {"source": "live"}
    for column in EVENT_COLUMNS:
        value = row[column]
        if value is None or (isinstance(value, float) and value != value):
            continue
        if isinstance(value, datetime):
            value = value.astimezone(UTC).isoformat()
        out[column] = value
    return json.dumps(out, separators=(",", ":")).encode()


def live_world(folder: Path, *, customers: int, seed: int, limit: int) -> LiveWorld:
    """Generate, ingest, rename and cut; returns the messages and their batch features."""
    from cible.config import load_config
    from cible.features import build_features
    from cible.services.demo import write_demo_config
    from cible.services.ingest import ingest
    from cible.synth import generate_world
    from cible.warehouse import open_warehouse

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "warehouse.duckdb").unlink(missing_ok=True)  # from an earlier call
    generate_world(customers, seed, folder / "data")
    config = load_config(write_demo_config(folder))
    wh = open_warehouse(config.warehouse, folder)
    try:
        ingest(config, wh, folder)
        wh.execute("DELETE FROM customers")  # the stream carries events only
        wh.execute(
            f"CREATE TEMP TABLE keep AS SELECT event_id FROM events ORDER BY timestamp, event_id LIMIT {limit}"
        )
        wh.execute("DELETE FROM events WHERE event_id NOT IN (SELECT event_id FROM keep)")
        wh.execute(
            f"UPDATE events SET customer_id = '{PREFIX}' || customer_id, event_id = '{PREFIX}' || event_id"
        )
        table = wh.fetch_arrow(
            f"SELECT {', '.join(EVENT_COLUMNS)} FROM events ORDER BY timestamp, event_id"
        )
        last = wh.last_event_time()
        assert last is not None
        as_of = (last.astimezone(UTC) + timedelta(days=1)).date()
        features = build_features(wh, as_of)
    finally:
        wh.close()
    return LiveWorld([_message(r) for r in table.to_pylist()], as_of, features)


def with_malformed(messages: list[bytes], count: int, seed: int) -> tuple[list[bytes], list[bytes]]:
    """``messages`` with ``count`` malformed ones planted at seeded random places."""
    rng = random.Random(seed)
    planted = []
    for i in range(count):
        template = MALFORMED[i % len(MALFORMED)]
        planted.append(
            template.replace(b"%d", str(i).encode()) if b"%d" in template else template + b" " * i
        )
    out = list(messages)
    for body in planted:
        out.insert(rng.randrange(len(out) + 1), body)
    return out, planted


def publish_world(
    folder: Path,
    store_url: str,
    *,
    schema: str | None = None,
    customers: int = 1000,
    seed: int = 42,
) -> int:
    """Run the batch pipeline on a generated world (``cible demo``) and publish its segmentation,
    with its customers' profiles, to the store at ``store_url``; returns the model version."""
    from cible.services.demo import run_demo
    from cible.services.publish import publish_run

    if not (folder / "segment_model.joblib").exists():
        run_demo(folder, customers=customers, seed=seed)
    return publish_run(folder, store_url, schema=schema).version
