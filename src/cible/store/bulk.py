"""Bulk loads of a batch run into the store (``cible publish``) and model publication.

The loaders take rows already aggregated by the caller (in warehouse SQL): one per order and UTC
day, one per customer and UTC day, so a million events load as a few hundred thousand rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cible.store import customers, memberships, profiles
from cible.store import tables as t
from cible.store.aggregates import as_of_midnight
from cible.store.db import upsert_rows
from cible.store.model import ScoringModel, sha256

CHUNK = 5000


def publish(
    conn: Connection,
    model: ScoringModel,
    *,
    memberships: Mapping[str, int] | None,
    cible_version: str,
) -> int:
    """A new model version; every profiled customer's membership under it (history rows for
    those whose segment changes; no outbox rows: a publish is not a customer's action)."""
    import cible

    data = model.to_bytes()
    names = {int(k): str(v) for k, v in model.segment_names.items()}
    now = datetime.now(UTC)
    version_text = cible_version or str(getattr(model, "cible_version", "") or cible.__version__)
    version = conn.execute(
        sa.insert(t.segment_models)
        .values(
            artifact=data,
            sha256=sha256(data),
            features=list(model.feature_names),
            names={str(k): v for k, v in names.items()},
            cible_version=version_text,
            created_at=now,
        )
        .returning(t.segment_models.c.version)
    ).scalar_one()
    assigned = dict(memberships) if memberships is not None else _score_all(conn, model)
    ids = sorted(assigned)
    for start in range(0, len(ids), CHUNK):
        part = {c: int(assigned[c]) for c in ids[start : start + CHUNK]}
        _record(conn, part, version=version, names=names, at=now)
    sizes: dict[int, int] = {}
    for seg in assigned.values():
        sizes[int(seg)] = sizes.get(int(seg), 0) + 1
    rows = [
        {
            "model_version": version,
            "segment_id": s,
            "name": names.get(s, f"Segment {s}"),
            "size": sizes.get(s, 0),
        }
        for s in sorted(set(names) | set(sizes))
    ]
    conn.execute(sa.insert(t.segments), rows)
    return int(version)


def _record(
    conn: Connection,
    part: Mapping[str, int],
    *,
    version: int,
    names: Mapping[int, str],
    at: datetime,
) -> None:
    memberships.record(conn, part, version=version, names=names, at=at, outbox=False)


def _score_all(conn: Connection, model: ScoringModel) -> dict[str, int]:
    p = t.profiles.c
    out: dict[str, int] = {}
    result = conn.execute(
        sa.select(p.customer_id, p.features).where(p.features.is_not(None)).order_by(p.customer_id)
    )
    while batch := result.fetchmany(CHUNK):
        out.update(memberships.score(model, {r[0]: r[1] for r in batch}))
    return out


def _insert_many(conn: Connection, table: sa.Table, rows: Iterable[Mapping[str, Any]]) -> int:
    """Upsert ``rows`` into ``table`` by its primary key (a later row replaces an earlier)."""
    keys = [c.name for c in table.primary_key.columns]
    others = [c.name for c in table.columns if c.name not in keys]

    def replace(ins: Any) -> Any:
        if not others:
            return ins.on_conflict_do_nothing(index_elements=keys)
        return ins.on_conflict_do_update(
            index_elements=keys, set_={c: ins.excluded[c] for c in others}
        )

    total = 0
    batch: list[Mapping[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= CHUNK:
            upsert_rows(conn, table, batch, replace)
            total += len(batch)
            batch = []
    if batch:
        upsert_rows(conn, table, batch, replace)
        total += len(batch)
    return total


def load_history(
    conn: Connection,
    *,
    customer_rows: Iterable[Mapping[str, Any]] = (),
    alias_pairs: Sequence[tuple[str, str]] = (),
    consent_rows: Sequence[Mapping[str, Any]] = (),
    order_rows: Iterable[Mapping[str, Any]] = (),
    day_rows: Iterable[Mapping[str, Any]] = (),
    event_ids: Iterable[Mapping[str, Any]] = (),
) -> dict[str, int]:
    """Load a batch run's customers, aliases, consents, per-order and per-day rows and the ids
    of the events they hold (so a replay of those events through the stream counts nothing
    twice), in one transaction. Returns the row count per table."""
    now = datetime.now(UTC)
    counts = {
        "customers": _insert_many(
            conn, t.customers, ({**r, "updated_at": now} for r in customer_rows)
        ),
        "aliases": customers.write_aliases(conn, alias_pairs),
    }
    customers.write_consents(conn, consent_rows)
    counts["consents"] = len(consent_rows)
    counts["orders"] = _insert_many(conn, t.orders, order_rows)
    counts["daily_events"] = _insert_many(conn, t.daily_events, day_rows)
    counts["processed_events"] = _insert_many(
        conn, t.processed_events, ({**r, "processed_at": now} for r in event_ids)
    )
    return counts


def refresh_all(conn: Connection, as_of: datetime, customer_ids: Sequence[str] = ()) -> int:
    """Recompute the profile of every known customer (or of ``customer_ids``) at ``as_of``."""
    at = as_of_midnight(as_of)
    now = datetime.now(UTC)
    ids = list(customer_ids) or _all_ids(conn)
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        upsert_rows(
            conn,
            t.profiles,
            [{"customer_id": c} for c in part],
            lambda ins: ins.on_conflict_do_nothing(index_elements=["customer_id"]),
        )
        profiles.refresh(conn, part, at, now)
    return len(ids)


def _all_ids(conn: Connection) -> list[str]:
    union = sa.union(
        sa.select(t.customers.c.customer_id),
        sa.select(t.daily_events.c.customer_id).distinct(),
    ).subquery()
    return list(
        conn.execute(sa.select(union.c.customer_id).order_by(union.c.customer_id)).scalars()
    )
