"""The profile store facade: one object over an engine, each call one transaction."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from cible.store import (
    active_model,
    apply,
    bulk,
    centroid_state,
    customers,
    db,
    keys,
    live_audiences,
    memberships,
    stitch,
)
from cible.store import changes as changes_feed
from cible.store import customer_profiles as profiles
from cible.store import tables as t
from cible.store.aggregates import as_of_midnight, live_as_of
from cible.store.db import make_engine, mask_url, upgrade
from cible.store.errors import StoreError
from cible.store.live_audiences import AudienceNotification
from cible.store.model import ScoringModel
from cible.store.values import (
    ApplyResult,
    CustomerRecord,
    LiveEvent,
    MembershipChange,
    Notification,
    Profile,
    SegmentInfo,
    StitchResult,
)


def _now() -> datetime:
    return datetime.now(UTC)


class ProfileStore:
    """Customers, incremental aggregates, features, published models and memberships."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url
        self._models = active_model.ActiveModel()  # the active version, cached per key
        self._online: centroid_state.Online | None = None  # enable_online_centroids

    @classmethod
    def open(cls, url: str, *, migrate: bool = True, schema: str | None = None) -> ProfileStore:
        """Open ``url`` (``sqlite:///path`` or ``postgresql+psycopg://...``); ``migrate`` runs
        the Alembic migrations up to head; ``schema`` (PostgreSQL) is created and used."""
        masked = mask_url(url)
        engine = make_engine(url, schema)
        try:
            if migrate:
                upgrade(engine)
            else:
                with engine.connect() as conn:
                    conn.execute(sa.text("SELECT 1"))
        except sa.exc.SQLAlchemyError as e:
            engine.dispose()
            raise StoreError(
                f"profile store {masked} cannot be opened{' and migrated' if migrate else ''}: "
                f"{e.__class__.__name__}: {getattr(e, 'orig', e)}",
                masked,
            ) from e
        return cls(engine, masked)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> ProfileStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self, *, pipeline: bool = False) -> AbstractContextManager[Connection]:
        """A write transaction (SQLite: BEGIN IMMEDIATE; ``pipeline``: :func:`db.pipelined`)."""
        return db.transaction(self.engine, self.url, immediate=True, pipeline=pipeline)

    def _read(self) -> AbstractContextManager[Connection]:
        """One transaction; a driver error becomes a StoreError naming the (masked) URL."""
        return db.transaction(self.engine, self.url, immediate=False)

    def health(self) -> dict[str, Any]:
        with self._read() as conn:
            version = conn.execute(sa.select(sa.func.max(t.segment_models.c.version))).scalar()
        return {"database": "ok", "model_version": version}

    # -- events ---------------------------------------------------------------------------
    def apply_events(
        self, events: Sequence[LiveEvent], *, as_of: datetime | None = None
    ) -> ApplyResult:
        """Apply a batch in ONE transaction: new event ids only, aggregates, features,
        re-score, memberships, outbox. ``as_of`` None: the UTC midnight after now."""
        now = _now()
        at = as_of_midnight(as_of) if as_of is not None else live_as_of(now)
        if not events:
            return ApplyResult(applied=0, duplicates=0)
        result, statements_s, commit_s = self._apply_once(events, at, now)
        return replace(result, statements_ms=statements_s * 1e3, commit_ms=commit_s * 1e3)

    @db.reconnecting  # a connection not pinged (db.PING_IDLE_S) may be found dead here
    def _apply_once(
        self, events: Sequence[LiveEvent], at: datetime, now: datetime
    ) -> tuple[ApplyResult, float, float]:
        start = time.perf_counter()
        with self._write(pipeline=True) as conn:
            result = self._apply(conn, events, at, now)
            statements = time.perf_counter()
        return result, statements - start, time.perf_counter() - statements

    def _apply(
        self, conn: Connection, events: Sequence[LiveEvent], at: datetime, now: datetime
    ) -> ApplyResult:
        claimed = apply.resolve_and_claim(conn, events, now)
        if not claimed:
            return ApplyResult(applied=0, duplicates=len(events))
        deltas = apply.Deltas()
        for e in claimed:
            deltas.add(e)
        touched = sorted(deltas.last_event)
        apply.lock_profiles(conn, touched)
        apply.write_deltas(conn, deltas)
        causes = {c: deltas.last_event[c][1] for c in touched}
        changes, notes = self._rescore(conn, touched, causes, at, now)
        return ApplyResult(
            applied=len(claimed),
            duplicates=len(events) - len(claimed),
            changes=changes,
            applied_event_ids=tuple(e.event_id for e in claimed),
            notifications=tuple(notes),
            touched=tuple(touched),
        )

    def enable_online_centroids(self, max_shift_per_day: float, updater: Any) -> None:
        """Score and move the active k-means centroids with every batch from now on, with
        ``updater`` (``lifecycle.online_centroids.OnlineCentroids``): :mod:`.centroid_state`."""
        with self._read() as conn:
            current = self._current(conn)
        self._online = centroid_state.enable(current, max_shift_per_day, updater)

    def _rescore(
        self,
        conn: Connection,
        touched: Sequence[str],
        causes: Mapping[str, str],
        at: datetime,
        now: datetime,
    ) -> tuple[list[MembershipChange], list[Notification]]:
        """Recompute the features of ``touched`` (profile rows locked) at ``at``, score them
        with the current model, record the membership changes (caused by ``causes``) and their
        outbox rows, and announce the change; what apply_events and stitching share."""
        changes_feed.announce(conn, touched)  # delivered at the commit: queued first
        fresh = profiles.refresh(conn, touched, at, now)
        feats = fresh.features
        changes: list[MembershipChange] = []
        notes: list[Notification] = []
        active = self._models.get(conn, scoring=self._online is None, key=fresh.model_key)
        if active is not None:
            version, names = active.version, active.names
            scores = centroid_state.score(
                conn, version, active.model, feats, now, self._online, active.scoring
            )
            changes = memberships.record(
                conn,
                scores,
                version=version,
                names=names,
                at=now,
                causes=causes,
                outbox=False,
                before=fresh.memberships,
            )
            notes = memberships.write_outbox(conn, changes, names)
        return changes, notes

    def stitch_identities(
        self, pairs: Sequence[tuple[str, str]], *, as_of: datetime | None = None
    ) -> StitchResult:
        """Fold each ``(merged id, survivor id)`` (an anonymousId and the userId it was
        identified as) into one customer in ONE transaction (see :mod:`cible.store.stitch`),
        then re-score the survivors as apply_events does."""
        now = _now()
        at = as_of_midnight(as_of) if as_of is not None else live_as_of(now)
        if not pairs:
            return StitchResult({}, {})
        with self._write() as conn:
            planned = stitch.plan(conn, pairs)
            survivors = stitch.merge_customers(conn, planned.merges, now)
            changes: list[MembershipChange] = []
            if survivors:
                apply.lock_profiles(conn, survivors)
                changes, _ = self._rescore(conn, survivors, {}, at, now)
                changes_feed.announce(conn, sorted(planned.merges))
        return StitchResult(planned.merges, planned.refused, changes)

    def customer_records(self, customer_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The stored records of ``customer_ids`` (aliases resolved), by the id asked for."""
        with self._read() as conn:
            return stitch.records(conn, customer_ids)

    def upsert_customers(self, records: Sequence[CustomerRecord]) -> int:
        if not records:
            return 0
        with self._write() as conn:
            changes_feed.announce(conn, sorted({r.customer_id for r in records}))
            return customers.upsert(conn, records, _now())

    # -- reads ----------------------------------------------------------------------------
    @db.reconnecting
    def get_profile(self, customer_id: str) -> Profile | None:
        """The profile of ``customer_id`` (or of the golden id it was merged into): ONE query,
        one row per history entry (see :func:`_profile_query`)."""
        with self._read() as conn:
            rows = conn.execute(profiles.profile_query(customer_id)).all()
        if not rows or (rows[0].pid is None and not rows[0].known):
            return None
        return profiles.profile_from_rows(rows)

    def listen_profile_changes(
        self, on_change: Callable[[list[str]], None], on_reset: Callable[[], None]
    ) -> changes_feed.ChangeListener | None:
        """On PostgreSQL, a started listener calling ``on_change(customer ids)`` after each
        commit that changed profiles (any process); None on SQLite (no such channel)."""
        if self.engine.dialect.name != "postgresql":
            return None
        return changes_feed.ChangeListener(self.engine, on_change, on_reset).start()

    def memberships(self) -> dict[str, int]:
        """Every customer's current segment id (bulk read, for publish reports and tests)."""
        m = t.memberships.c
        with self._read() as conn:
            return {c: int(s) for c, s in conn.execute(sa.select(m.customer_id, m.segment_id))}

    def list_segments(self) -> list[SegmentInfo]:
        with self._read() as conn:
            version = conn.execute(sa.select(sa.func.max(t.segment_models.c.version))).scalar()
            if version is None:
                return []
            m = t.memberships.c
            sizes: dict[int, int] = dict(
                conn.execute(
                    sa.select(m.segment_id, sa.func.count())
                    .where(m.model_version == version)
                    .group_by(m.segment_id)
                ).all()
            )
            rows = conn.execute(
                sa.select(t.segments.c.segment_id, t.segments.c.name)
                .where(t.segments.c.model_version == version)
                .order_by(t.segments.c.segment_id)
            ).all()
        return [SegmentInfo(int(s), n, int(sizes.get(s, 0)), int(version)) for s, n in rows]

    def segment_members(
        self, segment_id: int, *, cursor: str | None = None, limit: int = 100
    ) -> tuple[list[str], str | None]:
        """Customer ids of ``segment_id`` in id order, ``limit`` per page; the next cursor."""
        if limit < 1:
            raise ValueError(f"limit {limit} refused: give 1 or more")
        after = _decode_cursor(cursor) if cursor else None
        m = t.memberships.c
        query = sa.select(m.customer_id).where(m.segment_id == segment_id)
        if after is not None:
            query = query.where(m.customer_id > after)
        with self._read() as conn:
            ids = list(conn.execute(query.order_by(m.customer_id).limit(limit + 1)).scalars())
        if len(ids) > limit:
            return ids[:limit], _encode_cursor(ids[limit - 1])
        return ids, None

    # -- models ---------------------------------------------------------------------------
    def publish(
        self,
        model: ScoringModel,
        *,
        profiles: Any = None,
        memberships: Mapping[str, int] | None = None,
        cible_version: str = "",
    ) -> int:
        """Store ``model`` as a new version and give every profiled customer its membership:
        ``memberships`` (customer id -> segment id) when given, else the model's predict over
        the stored features. ``profiles`` is accepted for the contract and unused: profiles
        come from the stored aggregates (see :mod:`cible.store.bulk`). Returns the version."""
        with self._write() as conn:
            changes_feed.announce_all(conn)
            return bulk.publish(conn, model, memberships=memberships, cible_version=cible_version)

    def load_history(self, **rows: Any) -> dict[str, int]:
        """Bulk load of a batch run (see :func:`cible.store.bulk.load_history`), one transaction."""
        with self._write() as conn:
            changes_feed.announce_all(conn)
            return bulk.load_history(conn, **rows)

    def refresh_profiles(self, as_of: datetime, customer_ids: Sequence[str] = ()) -> int:
        """Recompute the stored features of every customer (or of ``customer_ids``) at
        ``as_of``; returns how many."""
        with self._write() as conn:
            changes_feed.announce_all(conn)
            return bulk.refresh_all(conn, as_of, customer_ids)

    def current_model(self) -> ScoringModel | None:
        with self._read() as conn:
            current = self._current(conn)
        return current[1] if current else None

    def _current(self, conn: Connection) -> tuple[int, ScoringModel, dict[int, str]] | None:
        active = self._models.get(conn)
        return None if active is None else (active.version, active.model, dict(active.names))

    # -- notifications --------------------------------------------------------------------
    def pending_notifications(self, limit: int = 1000) -> list[Notification]:
        n = t.notifications.c
        with self._read() as conn:
            rows = conn.execute(
                sa.select(t.notifications).where(n.sent_at.is_(None)).order_by(n.id).limit(limit)
            ).all()
        return [
            Notification(
                id=int(r.id),
                kind=r.kind,
                customer_id=r.customer_id,
                segment_id=int(r.segment_id),
                segment_name=r.segment_name,
                model_version=int(r.model_version),
                at=r.at,
                event_id=r.event_id,
                previous_segment_id=r.previous_segment_id,
            )
            for r in rows
        ]

    @db.reconnecting
    def mark_notified(self, ids: Sequence[int]) -> None:
        if not ids:
            return
        n = t.notifications.c
        with self._write(pipeline=True) as conn:
            for part in customers.chunks(sorted(set(ids))):
                conn.execute(
                    sa.update(t.notifications)
                    .where(n.id.in_(part), n.sent_at.is_(None))
                    .values(sent_at=_now())
                )

    # -- live audiences -------------------------------------------------------------------
    @db.reconnecting
    def update_audiences(
        self,
        customer_ids: Sequence[str],
        audiences_of: Callable[[Profile], Sequence[str]],
        channels: Mapping[str, Sequence[str]],
        now: datetime,
    ) -> list[AudienceNotification]:
        """In ONE transaction: read the profiles of ``customer_ids`` (aliases resolved, one
        query per 5,000, rows locked), ask ``audiences_of(profile)`` which audiences each is in
        now, diff with the stored members, write the new state and one outbox row per channel
        (``channels``: audience -> its channels) of each audience entered or left. Idempotent:
        the same profiles at the same ``now`` write nothing the second time."""
        if not customer_ids:
            return []
        with self._write() as conn:
            ids = live_audiences.resolve(conn, customer_ids)
            found = live_audiences.profiles(conn, ids)
            wanted = {c: list(audiences_of(found[c])) if c in found else [] for c in ids}
            return live_audiences.update(conn, wanted, channels, now)

    def audience_members(self) -> dict[str, frozenset[str]]:
        """Every audience's members as the stream path last computed them."""
        with self._read() as conn:
            return live_audiences.members(conn)

    def pending_audience_notifications(self, limit: int = 1000) -> list[AudienceNotification]:
        with self._read() as conn:
            return live_audiences.pending(conn, limit)

    @db.reconnecting
    def mark_audience_notified(self, ids: Sequence[int]) -> None:
        if ids:
            with self._write() as conn:
                live_audiences.mark_sent(conn, ids, _now())

    # -- API keys -------------------------------------------------------------------------
    def create_api_key(self, scopes: Sequence[str], *, name: str = "") -> str:
        """A new key with ``scopes`` (read, write, admin); the plaintext is returned once."""
        with self._write() as conn:
            return keys.create(conn, scopes, name, _now())

    def verify_api_key(self, key: str) -> frozenset[str] | None:
        with self._read() as conn:
            return keys.verify(conn, key)

    def revoke_api_key(self, key: str) -> bool:
        with self._write() as conn:
            return keys.revoke(conn, key)

    def revoke_api_key_prefix(self, prefix: str) -> bool:
        with self._write() as conn:
            return keys.revoke_prefix(conn, prefix)

    def list_api_keys(self) -> list[keys.KeyInfo]:
        with self._read() as conn:
            return keys.list_keys(conn)


def _encode_cursor(customer_id: str) -> str:
    return base64.urlsafe_b64encode(customer_id.encode("utf-8")).decode("ascii")


def _decode_cursor(cursor: str) -> str:
    try:
        after = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("utf-8")
        if "\x00" in after:  # PostgreSQL text cannot hold it: a crafted cursor, not ours
            raise ValueError("NUL character")
        return after
    except (ValueError, UnicodeError) as e:
        raise ValueError(f"cursor {cursor!r} is not one this store returned") from e
