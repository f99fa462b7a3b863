"""apply_events in one transaction: claim event ids, fold them into the per-day and per-order
rows in bulk, recompute the touched customers' aggregates in SQL, re-score them in one predict
call and record the membership changes (current, history, outbox)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.engine import Connection

from cible.store import tables as t
from cible.store.aggregates import to_micros
from cible.store.db import cached, greatest, least, upsert_rows
from cible.store.values import LiveEvent


@dataclass
class DayRow:
    events: int
    refunded: int
    first_ts: datetime
    last_ts: datetime


@dataclass
class OrderRow:
    first_ts: datetime
    amount: int


@dataclass
class Deltas:
    """The claimed events of a batch, folded per (customer, day) and (customer, order, day)."""

    days: dict[tuple[str, date], DayRow] = field(default_factory=dict)
    orders: dict[tuple[str, str, date], OrderRow] = field(default_factory=dict)
    last_event: dict[str, tuple[datetime, str]] = field(default_factory=dict)

    def add(self, e: LiveEvent) -> None:
        day = e.timestamp.date()
        refund = to_micros(e.amount) if e.event_type == "refund" else 0
        row = self.days.get((e.customer_id, day))
        if row is None:
            self.days[(e.customer_id, day)] = DayRow(1, refund, e.timestamp, e.timestamp)
        else:
            row.events += 1
            row.refunded += refund
            row.first_ts = min(row.first_ts, e.timestamp)
            row.last_ts = max(row.last_ts, e.timestamp)
        if e.event_type == "purchase":
            key = (e.customer_id, e.order_id if e.order_id is not None else e.event_id, day)
            order = self.orders.get(key)
            if order is None:
                self.orders[key] = OrderRow(e.timestamp, to_micros(e.amount))
            else:
                order.first_ts = min(order.first_ts, e.timestamp)
                order.amount += to_micros(e.amount)
        last = self.last_event.get(e.customer_id)
        if last is None or (e.timestamp, e.event_id) > last:
            self.last_event[e.customer_id] = (e.timestamp, e.event_id)


def resolve_aliases(conn: Connection, events: Sequence[LiveEvent]) -> list[LiveEvent]:
    """Events with merged-away customer ids rewritten to their surviving (golden) id."""
    ids = sorted({e.customer_id for e in events})
    rows = conn.execute(
        sa.select(t.customer_aliases.c.record_id, t.customer_aliases.c.customer_id).where(
            t.customer_aliases.c.record_id.in_(ids)
        )
    ).all()
    alias = {r: c for r, c in rows}
    if not alias:
        return list(events)
    return [
        e.model_copy(update={"customer_id": alias[e.customer_id]}) if e.customer_id in alias else e
        for e in events
    ]


def resolve_and_claim(
    conn: Connection, events: Sequence[LiveEvent], now: datetime
) -> list[LiveEvent]:
    """:func:`resolve_aliases` then :func:`claim`: the new events of the batch, their customer
    ids resolved. On PostgreSQL ONE statement (one round trip): the rows joined to
    ``customer_aliases`` inside the INSERT ... ON CONFLICT DO NOTHING RETURNING of the claim
    (:func:`_claim_resolved`); SQLite runs the two (calls within the process)."""
    if conn.dialect.name != "postgresql":
        return claim(conn, resolve_aliases(conn, events), now)
    unique: dict[str, LiveEvent] = {}
    for e in events:
        unique.setdefault(e.event_id, e)
    if not unique:
        return []
    text = json.dumps(
        [{"event_id": k, "customer_id": unique[k].customer_id} for k in sorted(unique)],
        separators=(",", ":"),
    )
    stmt = cached(conn, "claim_resolved", _claim_resolved)
    claimed: dict[str, str] = {k: c for k, c in conn.execute(stmt, {"claims": text, "now": now})}
    return [
        e if claimed[k] == e.customer_id else e.model_copy(update={"customer_id": claimed[k]})
        for k, e in unique.items()
        if k in claimed
    ]


def _claim_resolved() -> Any:
    """``INSERT INTO processed_events SELECT event_id, coalesce(alias, customer_id), now FROM
    json rows LEFT JOIN customer_aliases ORDER BY event_id ON CONFLICT DO NOTHING RETURNING
    event_id, customer_id`` (in event id order, as :func:`claim`: two consumers never
    deadlock)."""
    rows = (
        sa.func.json_to_recordset(sa.cast(sa.bindparam("claims", type_=sa.Text), pg.JSON))
        .table_valued(sa.column("event_id", sa.Text), sa.column("customer_id", sa.Text))
        .render_derived(with_types=True)
        .alias("r")
    )
    a, pe = t.customer_aliases.c, t.processed_events
    source = (
        sa.select(
            rows.c.event_id,
            sa.func.coalesce(a.customer_id, rows.c.customer_id),
            sa.bindparam("now", type_=t.UTCDateTime()),
        )
        .select_from(rows.outerjoin(t.customer_aliases, a.record_id == rows.c.customer_id))
        .order_by(rows.c.event_id)
    )
    return (
        pg.insert(pe)
        .from_select(["event_id", "customer_id", "processed_at"], source)
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(pe.c.event_id, pe.c.customer_id)
    )


def claim(conn: Connection, events: Sequence[LiveEvent], now: datetime) -> list[LiveEvent]:
    """The events of the batch not processed before (first occurrence of each id), their ids
    recorded in ``processed_events``: INSERT ... ON CONFLICT DO NOTHING RETURNING, so two
    consumers never both claim an id."""
    unique: dict[str, LiveEvent] = {}
    for e in events:
        unique.setdefault(e.event_id, e)
    if not unique:
        return []
    params = [
        {"event_id": k, "customer_id": unique[k].customer_id, "processed_at": now}
        for k in sorted(unique)
    ]
    claimed = set(
        upsert_rows(
            conn,
            t.processed_events,
            params,
            lambda ins: ins.on_conflict_do_nothing(index_elements=["event_id"]),
            returning=t.processed_events.c.event_id,
        )
    )
    return [e for k, e in unique.items() if k in claimed]


def lock_profiles(conn: Connection, customer_ids: Sequence[str]) -> None:
    """Create the missing profile rows and lock them all in ONE statement: INSERT ... ON
    CONFLICT DO UPDATE takes the row lock of every existing row (PostgreSQL), in id order so
    that two consumers never deadlock; SQLite holds the database write lock already."""
    upsert_rows(
        conn,
        t.profiles,
        [{"customer_id": c} for c in sorted(customer_ids)],
        lambda ins: ins.on_conflict_do_update(
            index_elements=["customer_id"], set_={"customer_id": ins.excluded.customer_id}
        ),
        cache="lock_profiles",
    )


def write_deltas(conn: Connection, deltas: Deltas) -> None:
    """Add the batch's rows to ``daily_events`` and ``orders`` (bulk upserts, in key order)."""
    d = t.daily_events.c

    def add_days(ins: Any) -> Any:
        ex = ins.excluded
        return ins.on_conflict_do_update(
            index_elements=["customer_id", "day"],
            set_={
                "events": d.events + ex.events,
                "refunded_micros": d.refunded_micros + ex.refunded_micros,
                "first_ts": least(conn, d.first_ts, ex.first_ts),
                "last_ts": greatest(conn, d.last_ts, ex.last_ts),
            },
        )

    o = t.orders.c

    def add_orders(ins: Any) -> Any:
        ex = ins.excluded
        return ins.on_conflict_do_update(
            index_elements=["customer_id", "order_id", "day"],
            set_={
                "first_ts": least(conn, o.first_ts, ex.first_ts),
                "amount_micros": o.amount_micros + ex.amount_micros,
            },
        )

    days = [_day_params(k, v) for k, v in sorted(deltas.days.items())]
    upsert_rows(conn, t.daily_events, days, add_days, cache="add_days")
    if deltas.orders:
        upsert_rows(
            conn,
            t.orders,
            [
                {
                    "customer_id": cid,
                    "order_id": oid,
                    "day": day,
                    "first_ts": row.first_ts,
                    "amount_micros": row.amount,
                }
                for (cid, oid, day), row in sorted(deltas.orders.items())
            ],
            add_orders,
            cache="add_orders",
        )


def _day_params(key: tuple[str, date], row: DayRow) -> dict[str, Any]:
    return {
        "customer_id": key[0],
        "day": key[1],
        "events": row.events,
        "refunded_micros": row.refunded,
        "first_ts": row.first_ts,
        "last_ts": row.last_ts,
    }
