"""Identity stitching: fold a customer id into another (an anonymous id into the user id it was
identified as, a CRM merge) inside the caller's transaction.

Everything the store keeps per customer moves to the survivor: the per-day and per-order rows
(added to the survivor's, as :func:`cible.store.apply.write_deltas` adds a batch), the processed
event ids, the customer record and consents when the survivor has none, the aliases pointing at
the merged id. The merged id becomes an alias of the survivor (later events sent with it land on
the survivor), its profile row and current membership are dropped (a ``segment.exited``
notification goes to the outbox for the segment it leaves) and its open history entry closed. The caller re-scores the survivors (:meth:`ProfileStore.stitch_identities`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cible.store import tables as t
from cible.store.apply import DayRow, Deltas, OrderRow, write_deltas
from cible.store.customers import write_aliases, write_consents, write_rows
from cible.store.db import upsert_rows


@dataclass(frozen=True)
class StitchPlan:
    """The merges to make (merged id -> survivor) and the pairs refused, with the reason."""

    merges: dict[str, str]
    refused: dict[str, str]


def plan(conn: Connection, pairs: Sequence[tuple[str, str]]) -> StitchPlan:
    """Resolve ``(merged, survivor)`` pairs against the stored aliases: a survivor that was
    itself merged is replaced by its own survivor; a pair whose two ids already are one
    customer is a no-op; an id already merged into ANOTHER customer is refused (an anonymous
    id identified as two users keeps its first one, as Segment's identity graph does)."""
    ids = sorted({i for p in pairs for i in p})
    a = t.customer_aliases.c
    alias: dict[str, str] = dict(
        conn.execute(sa.select(a.record_id, a.customer_id).where(a.record_id.in_(ids))).all()
    )
    merges: dict[str, str] = {}
    refused: dict[str, str] = {}
    for merged, survivor in pairs:
        target: str = alias.get(survivor, survivor)
        target = merges.get(target, target)
        current = alias.get(merged, merges.get(merged))
        if merged == target or current == target:
            continue
        if current is not None:
            refused[merged] = f"already merged into another customer; {target!r} not applied"
            continue
        for k, v in merges.items():  # a survivor merged by this very plan follows it
            if v == merged:
                merges[k] = target
        merges[merged] = target
    return StitchPlan(merges, refused)


def merge_customers(conn: Connection, merges: dict[str, str], now: datetime) -> list[str]:
    """Fold each merged id into its survivor (see the module docstring); returns the
    survivors, ascending."""
    if not merges:
        return []
    merged = sorted(merges)
    _move_activity(conn, merges, merged)
    _move_records(conn, merges, merged)
    write_aliases(conn, list(merges.items()))
    a = t.customer_aliases.c
    for old, new in merges.items():
        conn.execute(
            sa.update(t.customer_aliases).where(a.customer_id == old).values(customer_id=new)
        )
    _exit_segments(conn, merged, now)
    h = t.membership_history.c
    conn.execute(
        sa.update(t.membership_history)
        .where(h.customer_id.in_(merged), h.valid_to.is_(None))
        .values(valid_to=now)
    )
    for table in (t.memberships, t.profiles, t.audience_members):
        conn.execute(sa.delete(table).where(table.c.customer_id.in_(merged)))
    return sorted(set(merges.values()))


def _exit_segments(conn: Connection, merged: list[str], now: datetime) -> None:
    """One ``segment.exited`` outbox row for each merged id that was in a segment: the id
    leaves it as its membership is dropped (the survivor's re-score then announces where the
    customer is now). Sent by the outbox relay like every membership notification."""
    m, s = t.memberships.c, t.segments.c
    named = t.memberships.outerjoin(
        t.segments, (s.model_version == m.model_version) & (s.segment_id == m.segment_id)
    )
    held = conn.execute(
        sa.select(m.customer_id, m.segment_id, m.model_version, s.name)
        .select_from(named)
        .where(m.customer_id.in_(merged))
        .order_by(m.customer_id)
    ).all()
    upsert_rows(
        conn,
        t.notifications,
        [
            {
                "kind": "segment.exited",
                "customer_id": r.customer_id,
                "segment_id": int(r.segment_id),
                "segment_name": r.name if r.name is not None else f"Segment {r.segment_id}",
                "previous_segment_id": int(r.segment_id),
                "model_version": int(r.model_version),
                "at": now,
                "event_id": None,
                "sent_at": None,
            }
            for r in held
        ],
    )


def _move_activity(conn: Connection, merges: dict[str, str], merged: list[str]) -> None:
    """The merged ids' day and order rows added to their survivors', then deleted."""
    d, o = t.daily_events.c, t.orders.c
    deltas = Deltas()
    for r in conn.execute(sa.select(t.daily_events).where(d.customer_id.in_(merged))):
        key = (merges[r.customer_id], r.day)
        row = deltas.days.get(key)
        if row is None:
            deltas.days[key] = DayRow(r.events, r.refunded_micros, r.first_ts, r.last_ts)
        else:
            row.events += r.events
            row.refunded += r.refunded_micros
            row.first_ts, row.last_ts = min(row.first_ts, r.first_ts), max(row.last_ts, r.last_ts)
    for r in conn.execute(sa.select(t.orders).where(o.customer_id.in_(merged))):
        okey = (merges[r.customer_id], r.order_id, r.day)
        order = deltas.orders.get(okey)
        if order is None:
            deltas.orders[okey] = OrderRow(r.first_ts, r.amount_micros)
        else:
            order.first_ts = min(order.first_ts, r.first_ts)
            order.amount += r.amount_micros
    write_deltas(conn, deltas)
    for table in (t.daily_events, t.orders):
        conn.execute(sa.delete(table).where(table.c.customer_id.in_(merged)))
    p = t.processed_events.c
    for old, new in merges.items():
        conn.execute(
            sa.update(t.processed_events).where(p.customer_id == old).values(customer_id=new)
        )


def _move_records(conn: Connection, merges: dict[str, str], merged: list[str]) -> None:
    """A merged id's customer record and consents go to a survivor that has none (the
    survivor's own always win), then the merged id's are deleted."""
    c, k = t.customers.c, t.consents.c
    survivors = sorted(set(merges.values()))
    has_record = set(
        conn.execute(sa.select(c.customer_id).where(c.customer_id.in_(survivors))).scalars()
    )
    rows: dict[str, dict[str, Any]] = {}
    for r in conn.execute(sa.select(t.customers).where(c.customer_id.in_(merged))).mappings():
        target = merges[r["customer_id"]]
        if target not in has_record and target not in rows:
            record = dict(r["record"], customer_id=target)
            rows[target] = {**dict(r), "customer_id": target, "record": record}
    write_rows(conn, list(rows.values()))
    held = set(
        conn.execute(sa.select(k.customer_id, k.channel).where(k.customer_id.in_(survivors))).all()
    )
    moved = [
        {**dict(r), "customer_id": merges[r["customer_id"]]}
        for r in conn.execute(sa.select(t.consents).where(k.customer_id.in_(merged))).mappings()
        if (merges[r["customer_id"]], r["channel"]) not in held
    ]
    write_consents(conn, moved)
    for table in (t.customers, t.consents):
        conn.execute(sa.delete(table).where(table.c.customer_id.in_(merged)))


def records(conn: Connection, customer_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The stored customer records (JSON bodies) of ``customer_ids`` (aliases resolved), keyed
    by the id asked for."""
    a, c = t.customer_aliases.c, t.customers.c
    ids = sorted(set(customer_ids))
    alias = dict(
        conn.execute(sa.select(a.record_id, a.customer_id).where(a.record_id.in_(ids))).all()
    )
    wanted = {alias.get(i, i) for i in ids}
    found = dict(
        conn.execute(sa.select(c.customer_id, c.record).where(c.customer_id.in_(wanted))).all()
    )
    return {i: dict(found[alias.get(i, i)]) for i in ids if alias.get(i, i) in found}
