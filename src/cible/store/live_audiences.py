"""Live audiences: who is in which audience as the stream path last computed it
(``audience_members``) and the outbox of ``audience.entered`` / ``audience.exited``
(``audience_notifications``, one row per channel the audience is mapped to).

The rules themselves are not evaluated here (the store imports no domain package): the caller
gives, for each customer, the audiences the customer belongs to now (``cible.activation``'s
waterfall over the profile this module reads); this module diffs that with the stored state and
writes the new state and the outbox rows in the caller's transaction. The diff makes it
idempotent: the same answer twice writes nothing the second time."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cible.store import tables as t
from cible.store.customers import chunks
from cible.store.db import upsert_rows
from cible.store.values import Profile

AudienceKind = Literal["audience.entered", "audience.exited"]


@dataclass(frozen=True)
class AudienceNotification:
    """One row of the audience outbox: ``customer_id`` entered (or left) ``audience``, for
    ``channel`` (one of the audience's channels)."""

    id: int
    kind: AudienceKind
    customer_id: str
    audience: str
    channel: str
    at: datetime

    def to_json(self) -> bytes:
        body = {
            "id": self.id,
            "kind": self.kind,
            "customer_id": self.customer_id,
            "audience": self.audience,
            "channel": self.channel,
            "at": self.at.isoformat(),
        }
        return json.dumps(body, separators=(",", ":")).encode("utf-8")


def resolve(conn: Connection, customer_ids: Sequence[str]) -> list[str]:
    """The ids, merged-away ones rewritten to their golden id, deduplicated and sorted."""
    a = t.customer_aliases.c
    alias: dict[str, str] = {}
    for part in chunks(sorted(set(customer_ids))):
        rows = conn.execute(sa.select(a.record_id, a.customer_id).where(a.record_id.in_(part)))
        alias.update((str(r), str(c)) for r, c in rows)
    return sorted({alias.get(c, c) for c in customer_ids})


def profiles(conn: Connection, customer_ids: Sequence[str]) -> dict[str, Profile]:
    """The stored profiles of ``customer_ids`` (features, aggregates, current segment and its
    name; no history), one query per 5,000 ids, the profile rows locked (FOR UPDATE on
    PostgreSQL, in id order; SQLite holds the write lock). Customers without a profile row are
    absent."""
    p, m, s = t.profiles.c, t.memberships.c, t.segments.c
    out: dict[str, Profile] = {}
    for part in chunks(sorted(set(customer_ids))):
        query = (
            sa.select(
                p.customer_id,
                p.features,
                p.aggregates,
                p.updated_at,
                m.segment_id,
                m.model_version,
                s.name,
            )
            .select_from(t.profiles)
            .outerjoin(t.memberships, m.customer_id == p.customer_id)
            .outerjoin(
                t.segments,
                sa.and_(s.model_version == m.model_version, s.segment_id == m.segment_id),
            )
            .where(p.customer_id.in_(part))
            .order_by(p.customer_id)
            .with_for_update(of=t.profiles)
        )
        for r in conn.execute(query):
            seg = r.segment_id is not None
            out[r.customer_id] = Profile(
                customer_id=r.customer_id,
                features=dict(r.features) if r.features else {},
                aggregates=dict(r.aggregates) if r.aggregates else {},
                segment_id=int(r.segment_id) if seg else None,
                segment_name=r.name if seg else None,
                model_version=int(r.model_version) if seg else None,
                updated_at=r.updated_at,
            )
    return out


def current(conn: Connection, customer_ids: Sequence[str]) -> dict[str, set[str]]:
    """The stored audiences of each of ``customer_ids`` (absent: in none)."""
    c = t.audience_members.c
    out: dict[str, set[str]] = {}
    for part in chunks(sorted(set(customer_ids))):
        for cid, name in conn.execute(
            sa.select(c.customer_id, c.audience).where(c.customer_id.in_(part))
        ):
            out.setdefault(cid, set()).add(name)
    return out


def update(
    conn: Connection,
    wanted: Mapping[str, Sequence[str]],
    channels: Mapping[str, Sequence[str]],
    at: datetime,
) -> list[AudienceNotification]:
    """Make the stored audiences of each customer of ``wanted`` equal to ``wanted[customer]``:
    delete the memberships left, insert the ones entered (``since`` = ``at``), and write one
    outbox row per channel of each audience left (first) or entered. Returns the rows written,
    with their ids, in id order."""
    before = current(conn, list(wanted))
    exited = [(c, a) for c in sorted(wanted) for a in sorted(before.get(c, set()) - set(wanted[c]))]
    entered = [
        (c, a) for c in sorted(wanted) for a in sorted(set(wanted[c]) - before.get(c, set()))
    ]
    m = t.audience_members.c
    for a in sorted({a for _, a in exited}):
        ids = [c for c, x in exited if x == a]
        for part in chunks(ids):
            conn.execute(
                sa.delete(t.audience_members).where(m.audience == a, m.customer_id.in_(part))
            )
    upsert_rows(
        conn,
        t.audience_members,
        [{"audience": a, "customer_id": c, "since": at} for c, a in entered],
    )
    rows: list[dict[str, Any]] = [
        {"kind": kind, "customer_id": c, "audience": a, "channel": ch, "at": at, "sent_at": None}
        for kind, pairs in (("audience.exited", exited), ("audience.entered", entered))
        for c, a in pairs
        for ch in channels.get(a, ())
    ]
    if not rows:
        return []
    ids = sorted(
        upsert_rows(conn, t.audience_notifications, rows, returning=t.audience_notifications.c.id)
    )
    return [_note(int(i), r) for i, r in zip(ids, rows, strict=True)]


def members(conn: Connection) -> dict[str, frozenset[str]]:
    """Every audience's stored members."""
    c = t.audience_members.c
    out: dict[str, set[str]] = {}
    for name, cid in conn.execute(sa.select(c.audience, c.customer_id)):
        out.setdefault(name, set()).add(cid)
    return {k: frozenset(v) for k, v in out.items()}


def pending(conn: Connection, limit: int) -> list[AudienceNotification]:
    n = t.audience_notifications.c
    rows = conn.execute(
        sa.select(t.audience_notifications).where(n.sent_at.is_(None)).order_by(n.id).limit(limit)
    ).mappings()
    return [_note(int(r["id"]), dict(r)) for r in rows]


def mark_sent(conn: Connection, ids: Sequence[int], at: datetime) -> None:
    n = t.audience_notifications.c
    for part in chunks(sorted(set(ids))):
        conn.execute(
            sa.update(t.audience_notifications)
            .where(n.id.in_(part), n.sent_at.is_(None))
            .values(sent_at=at)
        )


def _note(i: int, r: Mapping[str, Any]) -> AudienceNotification:
    return AudienceNotification(
        id=i,
        kind=r["kind"],
        customer_id=r["customer_id"],
        audience=r["audience"],
        channel=r["channel"],
        at=r["at"],
    )
