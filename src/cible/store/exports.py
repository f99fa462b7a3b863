"""The activation state in the profile store: each export's members at its last successful
run (delta exports compare against them), the runs, the contacts per channel counted by the
frequency caps, the consents per channel; and the erasure of one customer from every table."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from cible.store import changes as changes_feed
from cible.store import tables as t


@dataclass(frozen=True)
class ExportRun:
    export_name: str
    channel: str
    mode: str
    at: datetime
    members: int
    entered: int
    left: int


def granted(engine: Engine, channel: str) -> frozenset[str]:
    """The customers whose latest consent for ``channel`` is granted."""
    c = t.consents.c
    with engine.connect() as conn:
        query = sa.select(c.customer_id).where(c.channel == channel, c.granted.is_(True))
        return frozenset(conn.execute(query).scalars())


def previous_members(engine: Engine, export_name: str) -> frozenset[str]:
    """Who was in ``export_name`` at its last successful run (empty before the first)."""
    m = t.export_members.c
    with engine.connect() as conn:
        query = sa.select(m.customer_id).where(m.export_name == export_name)
        return frozenset(conn.execute(query).scalars())


def contact_counts(engine: Engine, channel: str, since: datetime) -> dict[str, int]:
    """Contacts per customer on ``channel`` at or after ``since``."""
    c = t.contacts.c
    query = (
        sa.select(c.customer_id, sa.func.count())
        .where(c.channel == channel, c.at >= since)
        .group_by(c.customer_id)
    )
    with engine.connect() as conn:
        return {cid: int(n) for cid, n in conn.execute(query)}


def record_run(
    engine: Engine,
    run: ExportRun,
    added: Collection[str],
    removed: Collection[str],
    contacted: Collection[str],
) -> None:
    """After a successful delivery, in ONE write transaction: ``added`` join and ``removed``
    leave the export's members, the run is logged and each of ``contacted`` counts one contact
    on the run's channel."""
    m = t.export_members
    with engine.connect().execution_options(immediate=True) as conn, conn.begin():
        for part in _parts(sorted(removed)):
            conn.execute(
                m.delete().where(m.c.export_name == run.export_name, m.c.customer_id.in_(part))
            )
        if added:
            rows = [
                {"export_name": run.export_name, "customer_id": cid, "since": run.at}
                for cid in sorted(added)
            ]
            conn.execute(m.insert(), rows)
        if contacted:
            contact_rows = [
                {
                    "customer_id": cid,
                    "channel": run.channel,
                    "export_name": run.export_name,
                    "at": run.at,
                }
                for cid in sorted(contacted)
            ]
            conn.execute(t.contacts.insert(), contact_rows)
        conn.execute(t.export_runs.insert(), [run.__dict__])


def _parts(ids: list[str], size: int = 500) -> list[list[str]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def runs(engine: Engine, export_name: str) -> list[ExportRun]:
    r = t.export_runs.c
    query = sa.select(t.export_runs).where(r.export_name == export_name).order_by(r.id)
    with engine.connect() as conn:
        return [
            ExportRun(x.export_name, x.channel, x.mode, x.at, x.members, x.entered, x.left)
            for x in conn.execute(query)
        ]


# Every table that holds a customer id, with the column that holds it.
_CUSTOMER_COLUMNS = (
    (t.customers, "customer_id"),
    (t.customer_aliases, "customer_id"),
    (t.customer_aliases, "record_id"),
    (t.profiles, "customer_id"),
    (t.orders, "customer_id"),
    (t.daily_events, "customer_id"),
    (t.memberships, "customer_id"),
    (t.membership_history, "customer_id"),
    (t.processed_events, "customer_id"),
    (t.consents, "customer_id"),
    (t.notifications, "customer_id"),
    (t.export_members, "customer_id"),
    (t.contacts, "customer_id"),
    (t.audience_members, "customer_id"),
    (t.audience_notifications, "customer_id"),
)


def erase_customer(engine: Engine, customer_ids: Collection[str]) -> dict[str, int]:
    """Delete every row of ``customer_ids`` (a customer and its merged-away record ids) from
    every store table, in one transaction; rows deleted per table."""
    ids = list(customer_ids)
    out: dict[str, int] = {}
    with engine.connect().execution_options(immediate=True) as conn, conn.begin():
        for table, column in _CUSTOMER_COLUMNS:
            n = conn.execute(table.delete().where(table.c[column].in_(ids))).rowcount
            out[table.name] = out.get(table.name, 0) + int(n or 0)
        changes_feed.announce(conn, sorted(ids))  # running services drop their cached copies
    return out


def aliases_of(engine: Engine, customer_id: str) -> frozenset[str]:
    """The record ids merged into ``customer_id`` (and itself)."""
    a = t.customer_aliases.c
    with engine.connect() as conn:
        found = conn.execute(sa.select(a.record_id).where(a.customer_id == customer_id))
        return frozenset({customer_id, *found.scalars()})
