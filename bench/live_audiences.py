"""``cible consume`` with and without live audiences (the example plan), SQLite store.

    python bench/live_audiences.py [--events 20000] [--rounds 2]

Setup: a generated world (1,000 customers) is run through the batch pipeline and its segmentation
published in a SQLite store; the live events come from another generated world (ids prefixed
``L``, every one a purchase, refund, page view... of its own customers). For each round and each
configuration, a fresh copy of the store is drained from the in-process bus by the loop of
``cible consume`` (batches of 500): parse, apply with re-scoring, commit, then (with audiences)
the rules of ``examples/audiences.yaml`` evaluated on every customer of the batch and the diff
committed, ack, relay both outboxes to the bus. The configurations alternate within a round; the
best round of each is kept. The baseline is the same consumer without ``--audiences`` in the
same run. One JSON line per configuration is the last thing printed::

    {"bench": "live_audiences", "store": "sqlite", "audiences": true, "events": N, "events_per_s": ..., "baseline_events_per_s": ..., "audience_notifications": ...}
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from _emit import emit  # bench/ is the script folder on sys.path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.integration.stream_world: the live world of the tests

from tests.integration.stream_world import live_world, publish_world  # noqa: E402

from cible.services.audiences import load_plan  # noqa: E402
from cible.services.consume import bus_notifier  # noqa: E402
from cible.services.live_audiences import LiveAudiences  # noqa: E402
from cible.store import ProfileStore  # noqa: E402
from cible.stream import InProcessBus, run_consumer  # noqa: E402


def drain(
    store_db: Path, bodies: list[bytes], as_of: datetime, live: LiveAudiences | None
) -> tuple[float, int]:
    """Events per second of one drain, and the audience notifications it sent."""
    bus = InProcessBus()
    for b in bodies:
        bus.put(b)
    sent = [0]

    def on_batch(report: object) -> None:
        sent[0] += getattr(report, "audience_notified", 0)
        if bus.acked >= len(bodies):
            stop.set()

    stop = threading.Event()
    with ProfileStore.open(f"sqlite:///{store_db}") as store:
        start = time.perf_counter()
        run_consumer(
            bus,
            store,
            batch_size=500,
            max_wait_s=0.0,
            notify=bus_notifier(bus),
            as_of=as_of,
            stop=stop,
            on_batch=on_batch,
            audiences=live,
            idle_exit_s=0.5,
        )
        elapsed = time.perf_counter() - start
    return len(bodies) / elapsed, sent[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        publish_world(folder / "batch", f"sqlite:///{folder / 'base.db'}")
        world = live_world(folder / "live", customers=1000, seed=9, limit=args.events)
        as_of = datetime.combine(world.as_of, datetime.min.time(), tzinfo=UTC)
        live = LiveAudiences(load_plan(ROOT / "examples" / "audiences.yaml"))
        best: dict[bool, tuple[float, int]] = {}
        for r in range(args.rounds):
            for with_audiences in (False, True):
                db = folder / f"run{r}{with_audiences}.db"
                shutil.copy(folder / "base.db", db)
                rate, notes = drain(db, world.messages, as_of, live if with_audiences else None)
                print(
                    f"round {r} audiences={with_audiences}: {rate:,.0f} events/s, {notes} audience notifications"
                )
                if rate > best.get(with_audiences, (0.0, 0))[0]:
                    best[with_audiences] = (rate, notes)
    base = best[False][0]
    for with_audiences in (False, True):
        rate, notes = best[with_audiences]
        emit(
            "live_audiences",
            store="sqlite",
            audiences=with_audiences,
            events=len(world.messages),
            events_per_s=round(rate, 1),
            baseline_events_per_s=round(base, 1),
            ratio_to_baseline=round(rate / base, 3),
            audience_notifications=notes,
        )


if __name__ == "__main__":
    main()
