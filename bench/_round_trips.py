"""What one batch costs the database, for ``bench/realtime.py``'s JSON line: the statements of
one ``apply_events`` of a batch of live events and, on PostgreSQL, its round trips (counted by
``tests/unit/store/trace.py``). Both figures are independent of the machine's load."""

from __future__ import annotations

from datetime import datetime
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
