"""Recompute the aggregates and features of customers at an as_of, in SQL over the per-day and
per-order rows (one grouped query each, for a batch of customers), and store them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cible.store import tables as t
from cible.store.aggregates import Aggregates, features_at

Features = dict[str, float | None]


def aggregates_for(
    conn: Connection, customer_ids: Sequence[str], as_of: datetime
) -> dict[str, Aggregates]:
    """The :class:`Aggregates` of each of ``customer_ids`` over the days before ``as_of``."""
    day = as_of.date()
    o = t.orders.c
    per_order = (
        sa.select(
            o.customer_id,
            sa.func.min(o.first_ts).label("ts"),
            sa.func.sum(o.amount_micros).label("amount"),
        )
        .where(o.customer_id.in_(customer_ids), o.day < day)
        .group_by(o.customer_id, o.order_id)
        .subquery()
    )
    order_rows = conn.execute(
        sa.select(
            per_order.c.customer_id,
            sa.func.count(),
            sa.func.sum(per_order.c.amount),
            sa.func.min(per_order.c.ts).label("first_o"),
            sa.func.max(per_order.c.ts).label("last_o"),
        ).group_by(per_order.c.customer_id)
    ).all()
    d = t.daily_events.c

    def window(n: int) -> sa.ColumnElement[int]:
        since = day - timedelta(days=n)
        return sa.func.sum(sa.case((d.day >= since, d.events), else_=0))

    day_rows = conn.execute(
        sa.select(
            d.customer_id,
            sa.func.min(d.first_ts).label("first_ts"),
            window(30),
            window(90),
            sa.func.sum(d.refunded_micros),
        )
        .where(d.customer_id.in_(customer_ids), d.day < day)
        .group_by(d.customer_id)
    ).all()
    created = dict(
        conn.execute(
            sa.select(t.customers.c.customer_id, t.customers.c.created_at).where(
                t.customers.c.customer_id.in_(customer_ids), t.customers.c.created_at < as_of
            )
        ).all()
    )
    orders = {r[0]: r for r in order_rows}
    days = {r[0]: r for r in day_rows}
    out = {}
    for cid in customer_ids:
        orow, drow = orders.get(cid), days.get(cid)
        out[cid] = Aggregates(
            frequency=int(orow[1]) if orow else 0,
            gross_micros=int(orow[2]) if orow else 0,
            refunded_micros=int(drow[4] or 0) if drow else 0,
            first_order=orow[3] if orow else None,
            last_order=orow[4] if orow else None,
            first_event=drow[1] if drow else None,
            created_at=created.get(cid),
            events_30d=int(drow[2] or 0) if drow else 0,
            events_90d=int(drow[3] or 0) if drow else 0,
        )
    return out


def refresh(
    conn: Connection, customer_ids: Sequence[str], as_of: datetime, now: datetime
) -> dict[str, Features]:
    """Recompute and store the profiles of ``customer_ids`` at ``as_of``; their features."""
    aggs = aggregates_for(conn, customer_ids, as_of)
    feats = {cid: features_at(agg, as_of) for cid, agg in aggs.items()}
    if aggs:
        c = t.profiles.c
        stmt = (
            sa.update(t.profiles)
            .where(c.customer_id == sa.bindparam("cid"))
            .values(
                as_of=sa.bindparam("as_of"),
                features=sa.bindparam("features"),
                aggregates=sa.bindparam("aggregates"),
                updated_at=sa.bindparam("updated_at"),
            )
        )
        conn.execute(
            stmt,
            [
                {
                    "cid": cid,
                    "as_of": as_of,
                    "features": feats[cid],
                    "aggregates": agg.to_json(),
                    "updated_at": now,
                }
                for cid, agg in aggs.items()
            ],
        )
    return feats
