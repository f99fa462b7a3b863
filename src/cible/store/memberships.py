"""Score customers with the published model and record membership changes: the current row,
a history row (the previous one closed) and, for live changes, one outbox row each."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cible.store import tables as t
from cible.store.db import upsert_rows
from cible.store.model import ScoringModel
from cible.store.values import MembershipChange, Notification

Features = dict[str, float | None]


def frame(features: Mapping[str, Features]) -> Any:
    """The features as a float DataFrame indexed by customer_id (one row per customer)."""
    import pandas as pd

    ids = list(features)
    out = pd.DataFrame.from_records([features[c] for c in ids], index=ids).astype("float64")
    out.index.name = "customer_id"
    return out


def score(model: ScoringModel, features: Mapping[str, Features]) -> dict[str, int]:
    """Segment id of each customer: ONE predict call over the whole batch."""
    if not features:
        return {}
    labels = model.predict(frame(features))
    return {cid: int(label) for cid, label in zip(list(features), labels, strict=True)}


def current(conn: Connection, customer_ids: Sequence[str]) -> dict[str, tuple[int, int]]:
    """customer id -> (segment id, model version) of the current memberships."""
    m = t.memberships.c
    rows = conn.execute(
        sa.select(m.customer_id, m.segment_id, m.model_version).where(
            m.customer_id.in_(customer_ids)
        )
    ).all()
    return {r[0]: (int(r[1]), int(r[2])) for r in rows}


def record(
    conn: Connection,
    segments: Mapping[str, int],
    *,
    version: int,
    names: Mapping[int, str],
    at: datetime,
    causes: Mapping[str, str] | None = None,
    outbox: bool = True,
    before: Mapping[str, tuple[int, int]] | None = None,
) -> list[MembershipChange]:
    """Write the memberships of ``segments`` under model ``version``; history rows and (with
    ``outbox``) notifications for the customers whose segment changed. ``causes``: customer
    id -> the event id that caused the update; ``before``: the current memberships of (at
    least) every customer of ``segments`` when the caller read them in this transaction
    (a customer not in it has none), else they are read here."""
    ids = sorted(segments)
    if before is None:
        before = current(conn, ids)
    changed = [c for c in ids if before.get(c, (None, None))[0] != segments[c]]
    moved = [c for c in ids if c not in changed and before[c][1] != version]
    causes = causes or {}
    changes = [
        MembershipChange(
            customer_id=c,
            previous_segment_id=before[c][0] if c in before else None,
            segment_id=segments[c],
            segment_name=names.get(segments[c], f"Segment {segments[c]}"),
            model_version=version,
            at=at,
            event_id=causes.get(c),
        )
        for c in changed
    ]
    if changed:
        _upsert_current(conn, changes)
        _write_history(conn, changes)
    if moved:
        c = t.memberships.c
        conn.execute(
            sa.update(t.memberships).where(c.customer_id.in_(moved)).values(model_version=version)
        )
    if outbox:
        write_outbox(conn, changes, names)
    return changes


def write_outbox(
    conn: Connection, changes: Sequence[MembershipChange], names: Mapping[int, str]
) -> list[Notification]:
    """The outbox rows of ``changes``, inserted; returned with their ids (ascending: the ids
    are drawn in row order), so that the caller can send them without reading them back."""
    rows = [row for ch in changes for row in _notifications(ch, names)]
    if not rows:
        return []
    ids = sorted(
        upsert_rows(conn, t.notifications, rows, returning=t.notifications.c.id, cache="outbox")
    )
    return [
        Notification(
            id=int(i),
            kind=r["kind"],
            customer_id=r["customer_id"],
            segment_id=int(r["segment_id"]),
            segment_name=r["segment_name"],
            model_version=int(r["model_version"]),
            at=r["at"],
            event_id=r["event_id"],
            previous_segment_id=r["previous_segment_id"],
        )
        for i, r in zip(ids, rows, strict=True)
    ]


def _upsert_current(conn: Connection, changes: Sequence[MembershipChange]) -> None:
    def replace(ins: Any) -> Any:
        return ins.on_conflict_do_update(
            index_elements=["customer_id"],
            set_={c: ins.excluded[c] for c in ("segment_id", "model_version", "valid_from")},
        )

    upsert_rows(
        conn,
        t.memberships,
        [
            {
                "customer_id": ch.customer_id,
                "segment_id": ch.segment_id,
                "model_version": ch.model_version,
                "valid_from": ch.at,
            }
            for ch in changes
        ],
        replace,
        cache="current_membership",
    )


def _write_history(conn: Connection, changes: Sequence[MembershipChange]) -> None:
    h = t.membership_history.c
    previous = [ch.customer_id for ch in changes if ch.previous_segment_id is not None]
    at = changes[0].at
    for start in range(0, len(previous), 5000):
        conn.execute(
            sa.update(t.membership_history)
            .where(h.customer_id.in_(previous[start : start + 5000]), h.valid_to.is_(None))
            .values(valid_to=at)
        )
    upsert_rows(
        conn,
        t.membership_history,
        [
            {
                "customer_id": ch.customer_id,
                "segment_id": ch.segment_id,
                "model_version": ch.model_version,
                "valid_from": ch.at,
                "valid_to": None,
                "event_id": ch.event_id,
            }
            for ch in changes
        ],
        cache="history",
    )


def _notifications(ch: MembershipChange, names: Mapping[int, str]) -> list[dict[str, Any]]:
    """The outbox rows of one change: ``segment.exited`` of the segment left (when there was
    one), then ``segment.entered`` of the new one, in that order (ids increase)."""
    common = {
        "customer_id": ch.customer_id,
        "model_version": ch.model_version,
        "at": ch.at,
        "event_id": ch.event_id,
        "sent_at": None,
    }
    entered = {
        "kind": "segment.entered",
        "segment_id": ch.segment_id,
        "segment_name": ch.segment_name,
        "previous_segment_id": ch.previous_segment_id,
        **common,
    }
    if ch.previous_segment_id is None:
        return [entered]
    left = ch.previous_segment_id
    exited = {
        "kind": "segment.exited",
        "segment_id": left,
        "segment_name": names.get(left, f"Segment {left}"),
        "previous_segment_id": left,
        **common,
    }
    return [exited, entered]
