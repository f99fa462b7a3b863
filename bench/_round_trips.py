"""What one batch costs the database, for ``bench/realtime.py``'s JSON line: the statements of
one ``apply_events`` of a batch of live events and, on PostgreSQL, its round trips (counted by
``tests/unit/store/trace.py``). Both figures are independent of the machine's load.

Run alone, it measures just that, on a published generated world, for each store::

    python bench/_round_trips.py [--events 500] [--stores sqlite postgresql]

and prints, as its last lines, one JSON object per store::

    {"bench": "round_trips", "store": "postgresql", "batch_events": 500, ..., "batch_round_trips": 7}

(7 here, 6 in ``bench/realtime.py``: alone, the batch runs on a connection idle for more than a
second, which the store pings first.)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any


def batch_cost(store: Any, bodies: list[bytes], as_of: datetime) -> dict[str, Any]:
    """Apply ``bodies`` (fresh events) as one batch under the trace; their counts."""
    from tests.unit.store.trace import traced

    from cible.store import LiveEvent

    events = [LiveEvent.parse(b) for b in bodies]
    with traced(store.engine) as trace:
        result = store.apply_events(events, as_of=as_of)
    return {
        "batch_events": len(events),
        "batch_customers": len({e.customer_id for e in events}),
        "batch_changes": len(result.changes),
        "batch_statements": len(trace.statements),
        "batch_round_trips": trace.round_trips if store.engine.dialect.name != "sqlite" else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="database cost of one batch of live events")
    parser.add_argument("--events", type=int, default=500, help="events in the batch")
    parser.add_argument("--stores", nargs="+", default=["sqlite", "postgresql"])
    args = parser.parse_args()
    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root))  # tests.*: the live world and the statement trace
    from tests.integration.stream_world import live_world, publish_world

    from _emit import emit
    from cible.store import ProfileStore
    from realtime import PG_URL, _drop_schema

    rows = []
    with tempfile.TemporaryDirectory(prefix="cible-round-trips-") as tmp:
        folder = Path(tmp)
        world = live_world(folder / "live", customers=1000, seed=7, limit=args.events)
        for kind in args.stores:
            schema = f"bench_{uuid.uuid4().hex[:12]}" if kind == "postgresql" else None
            url = PG_URL if kind == "postgresql" else f"sqlite:///{folder / 'store.db'}"
            publish_world(folder / f"published-{kind}", url, schema=schema)
            store = ProfileStore.open(url, schema=schema)
            try:
                rows.append((kind, batch_cost(store, world.messages, world.as_of_datetime)))
            finally:
                store.close()
                if schema:
                    _drop_schema(schema)
    for kind, cost in rows:
        emit("round_trips", store=kind, **cost)


if __name__ == "__main__":
    main()
