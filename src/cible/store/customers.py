"""Customer records, aliases and consents (bulk upserts)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cible.store import tables as t
from cible.store.db import least, upsert_rows
from cible.store.values import CustomerRecord

CONSENT_CHANNELS = {"consent_email": "email", "consent_sms": "sms", "consent_push": "push"}
CHUNK = 5000


def chunks(rows: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def upsert(conn: Connection, records: Sequence[CustomerRecord], now: datetime) -> int:
    """Insert or replace the records (merged-away ids go to their surviving id; the earliest
    created_at of a customer's records is kept); consents follow the record."""
    ids = sorted({r.customer_id for r in records})
    alias = dict(
        conn.execute(
            sa.select(t.customer_aliases.c.record_id, t.customer_aliases.c.customer_id).where(
                t.customer_aliases.c.record_id.in_(ids)
            )
        ).all()
    )
    rows: dict[str, dict[str, Any]] = {}
    for r in records:
        cid = alias.get(r.customer_id, r.customer_id)
        body = r.model_dump(mode="json", exclude={"raw_values"})
        body["customer_id"] = cid
        row = {
            "customer_id": cid,
            "source": r.source,
            "created_at": r.created_at,
            "record": body,
            "updated_at": now,
        }
        old = rows.get(cid)
        if old and old["created_at"] and (not r.created_at or old["created_at"] < r.created_at):
            row["created_at"] = old["created_at"]
        rows[cid] = row
    write_rows(conn, list(rows.values()))
    write_consents(
        conn,
        [
            {
                "customer_id": alias.get(r.customer_id, r.customer_id),
                "channel": ch,
                "granted": bool(getattr(r, col)),
                "at": now,
                "source": r.source,
            }
            for r in records
            for col, ch in CONSENT_CHANNELS.items()
            if getattr(r, col) is not None
        ],
    )
    return len(rows)


def write_rows(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    if not rows:
        return
    c = t.customers.c

    def merge(ins: Any) -> Any:
        ex = ins.excluded
        return ins.on_conflict_do_update(
            index_elements=["customer_id"],
            set_={
                "source": ex.source,
                "record": ex.record,
                "updated_at": ex.updated_at,
                "created_at": sa.case(
                    (c.created_at.is_(None), ex.created_at),
                    (ex.created_at.is_(None), c.created_at),
                    else_=least(conn, c.created_at, ex.created_at),
                ),
            },
        )

    for part in chunks(rows):
        upsert_rows(conn, t.customers, part, merge)


def write_consents(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Upsert consent rows (customer_id, channel, granted, at, source); the last one wins."""
    latest = {(r["customer_id"], r["channel"]): r for r in rows}
    if not latest:
        return

    def replace(ins: Any) -> Any:
        return ins.on_conflict_do_update(
            index_elements=["customer_id", "channel"],
            set_={c: ins.excluded[c] for c in ("granted", "at", "source")},
        )

    for part in chunks([latest[k] for k in sorted(latest)]):
        upsert_rows(conn, t.consents, part, replace)


def write_aliases(conn: Connection, pairs: Sequence[tuple[str, str]]) -> int:
    """Record merged-away ids -> surviving ids (replacing an earlier mapping of the same id)."""
    rows = [{"record_id": r, "customer_id": s} for r, s in sorted(set(pairs)) if r != s]
    if not rows:
        return 0

    def replace(ins: Any) -> Any:
        return ins.on_conflict_do_update(
            index_elements=["record_id"], set_={"customer_id": ins.excluded.customer_id}
        )

    for part in chunks(rows):
        upsert_rows(conn, t.customer_aliases, part, replace)
    return len(rows)
