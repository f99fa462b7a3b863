"""The online profile store on Redis (Feast's online-store pattern): a copy of each profile and
membership kept beside the SQL store for fast reads, written after the SQL commit.

Keys (``prefix`` configurable, default ``cible:``):

==================================  ==========================================================
``{prefix}profile:{customer_id}``   hash: ``customer_id``, ``features``, ``aggregates``,
                                    ``history`` (JSON), ``segment_id``, ``segment_name``,
                                    ``model_version``, ``updated_at`` (``""`` for none)
``{prefix}members:{segment_id}``    set of the customer ids currently in the segment
==================================  ==========================================================

SQL stays the source of truth: :meth:`OnlineStore.sync` reads the profiles of the changed
customers from SQL in ONE query and writes them in ONE pipeline (their previous segments read
in one round trip before); a customer without a profile row any more (merged into another) has
its key deleted. :meth:`OnlineStore.rebuild` repopulates everything from SQL. A Redis read that
misses falls back to SQL (the caller's choice: :class:`cible.services.live.LiveService`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from cible.exceptions import OptionalDependencyError
from cible.store import tables as t
from cible.store.db import mask_url, transaction
from cible.store.errors import StoreError
from cible.store.values import Profile

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from cible.store.profile_store import ProfileStore

DEFAULT_PREFIX = "cible:"
READ_CHUNK = 1000  # profiles per SQL query and Redis pipeline when rebuilding


@contextmanager
def _redis_errors(url: str, what: str) -> Iterator[None]:
    """A redis-py error becomes a StoreError naming the (masked) URL and the operation."""
    import redis

    try:
        yield
    except redis.RedisError as e:
        raise StoreError(f"online store {url}: {what} failed: {type(e).__name__}: {e}", url) from e


class OnlineStore:
    """Profiles and memberships in Redis under ``prefix``. Every Redis error is raised as a
    :class:`StoreError`; SQL stays the truth, so a failed write is repaired by writing the same
    customers again (the consumer re-syncs every customer of a redelivered batch) or by
    :meth:`rebuild`."""

    def __init__(self, client: Any, prefix: str = DEFAULT_PREFIX, url: str = "redis") -> None:
        self.client = client
        self.prefix = prefix
        self.url = url

    @classmethod
    def open(cls, url: str, prefix: str = DEFAULT_PREFIX) -> OnlineStore:
        """Connect to ``url`` (``redis://host:6379/0``); a StoreError when it cannot be reached."""
        try:
            import redis
        except ImportError as e:  # pragma: no cover - redis is in the extras
            raise OptionalDependencyError("redis", "redis", "the online profile store") from e
        masked = mask_url(url)
        client = redis.Redis.from_url(url)
        try:
            client.ping()
        except redis.RedisError as e:
            client.close()
            raise StoreError(
                f"online store {masked} cannot be reached: {type(e).__name__}: {e}", masked
            ) from e
        return cls(client, prefix, masked)

    def close(self) -> None:
        self.client.close()

    def profile_key(self, customer_id: str) -> str:
        return f"{self.prefix}profile:{customer_id}"

    def members_key(self, segment_id: int) -> str:
        return f"{self.prefix}members:{segment_id}"

    # -- writes ---------------------------------------------------------------------------
    def sync(self, store: ProfileStore, customer_ids: Sequence[str]) -> int:
        """Copy the SQL profiles of ``customer_ids`` to Redis (two round trips for the batch);
        ids without a profile row are deleted. Returns the profiles written."""
        ids = sorted(set(customer_ids))
        if not ids:
            return 0
        with transaction(store.engine, store.url, immediate=False) as conn:
            found = read_profiles(conn, ids)
        return self.write(found, [c for c in ids if c not in found])

    def write(self, profiles: dict[str, Profile], gone: Sequence[str] = ()) -> int:
        """Write ``profiles`` and delete ``gone``, with their segment sets, in one pipeline."""
        ids = [*profiles, *gone]
        if not ids:
            return 0
        before = self.client.pipeline(transaction=False)
        for cid in ids:
            before.hget(self.profile_key(cid), "segment_id")
        with _redis_errors(self.url, "reading the previous segments"):
            previous = before.execute()
        pipe = self.client.pipeline(transaction=False)
        for cid, old in zip(ids, previous, strict=True):
            profile = profiles.get(cid)
            new = None if profile is None or profile.segment_id is None else profile.segment_id
            if old not in (None, b"") and (new is None or int(old) != new):
                pipe.srem(self.members_key(int(old)), cid)
            if profile is None:
                pipe.delete(self.profile_key(cid))
                continue
            pipe.hset(self.profile_key(cid), mapping=encode(profile))
            if new is not None:
                pipe.sadd(self.members_key(new), cid)
        with _redis_errors(self.url, f"writing {len(ids):,} profiles"):
            pipe.execute()
        return len(profiles)

    def forget(self, customer_ids: Sequence[str]) -> int:
        """Delete the copies of ``customer_ids`` and their segment-set entries (erasure);
        returns how many profiles were there."""
        ids = sorted(set(customer_ids))
        if not ids:
            return 0
        with _redis_errors(self.url, "counting the profiles to delete"):
            present = int(self.client.exists(*[self.profile_key(c) for c in ids]))
        self.write({}, ids)
        return present

    def clear(self) -> int:
        """Delete every key under the prefix (SCAN, never KEYS); returns how many."""
        deleted = 0
        batch: list[bytes] = []
        with _redis_errors(self.url, f"clearing {self.prefix}*"):
            for key in self.client.scan_iter(match=f"{_glob_escape(self.prefix)}*", count=1000):
                batch.append(key)
                if len(batch) >= 1000:
                    deleted += int(self.client.delete(*batch))
                    batch = []
            if batch:
                deleted += int(self.client.delete(*batch))
        return deleted

    def rebuild(self, store: ProfileStore) -> int:
        """Clear the prefix and copy every SQL profile, :data:`READ_CHUNK` at a time."""
        self.clear()
        written = 0
        for ids in _profile_ids(store):
            with transaction(store.engine, store.url, immediate=False) as conn:
                written += self.write(read_profiles(conn, ids))
        return written

    # -- reads ----------------------------------------------------------------------------
    def read(self, customer_id: str) -> Profile | None:
        """The profile stored for ``customer_id`` (None: not in Redis)."""
        with _redis_errors(self.url, "reading a profile"):
            raw = self.client.hgetall(self.profile_key(customer_id))
        return decode(raw) if raw else None

    def members(self, segment_id: int) -> set[str]:
        with _redis_errors(self.url, "reading a segment's members"):
            found = self.client.smembers(self.members_key(segment_id))
        return {m.decode("utf-8") for m in found}


def _glob_escape(text: str) -> str:
    return "".join(f"\\{ch}" if ch in "*?[]\\" else ch for ch in text)


def _profile_ids(store: ProfileStore) -> Iterator[list[str]]:
    p = t.profiles.c
    after = ""
    while True:
        with transaction(store.engine, store.url, immediate=False) as conn:
            ids = list(
                conn.execute(
                    sa.select(p.customer_id)
                    .where(p.customer_id > after)
                    .order_by(p.customer_id)
                    .limit(READ_CHUNK)
                ).scalars()
            )
        if not ids:
            return
        yield ids
        after = ids[-1]


def _iso(value: datetime | None) -> str:
    return "" if value is None else value.isoformat()


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def encode(profile: Profile) -> dict[str, str]:
    """The Redis hash of ``profile`` (JSON for the nested fields, ``""`` for none)."""
    history = [
        {**h, "valid_from": _iso(h["valid_from"]), "valid_to": _iso(h["valid_to"])}
        for h in profile.history
    ]
    return {
        "customer_id": profile.customer_id,
        "features": json.dumps(profile.features),
        "aggregates": json.dumps(profile.aggregates),
        "history": json.dumps(history),
        "segment_id": "" if profile.segment_id is None else str(profile.segment_id),
        "segment_name": profile.segment_name or "",
        "model_version": "" if profile.model_version is None else str(profile.model_version),
        "updated_at": _iso(profile.updated_at),
    }


def decode(raw: dict[bytes, bytes]) -> Profile:
    """The :class:`Profile` of a Redis hash written by :func:`encode`."""
    f = {k.decode("utf-8"): v.decode("utf-8") for k, v in raw.items()}
    history = [
        {**h, "valid_from": _time(h["valid_from"]), "valid_to": _time(h["valid_to"])}
        for h in json.loads(f["history"])
    ]
    has_segment = f["segment_id"] != ""
    return Profile(
        customer_id=f["customer_id"],
        features=json.loads(f["features"]),
        aggregates=json.loads(f["aggregates"]),
        segment_id=int(f["segment_id"]) if has_segment else None,
        segment_name=f["segment_name"] if has_segment else None,
        model_version=int(f["model_version"]) if f["model_version"] else None,
        updated_at=_time(f["updated_at"]),
        history=history,
    )


def read_profiles(conn: Connection, customer_ids: Sequence[str]) -> dict[str, Profile]:
    """The SQL profiles of ``customer_ids`` (which have a profile row), ONE query: the rows
    :meth:`ProfileStore.get_profile` reads for one customer, for all of them."""
    from cible.store.customer_profiles import profile_from_rows

    p, m, h = (x.c for x in (t.profiles, t.memberships, t.membership_history))
    now_seg, was_seg = t.segments.alias("now_seg"), t.segments.alias("was_seg")
    query = (
        sa.select(
            p.customer_id.label("cid"),
            p.features,
            p.aggregates,
            p.updated_at,
            m.segment_id,
            m.model_version,
            now_seg.c.name.label("segment_name"),
            h.segment_id.label("h_segment"),
            h.model_version.label("h_version"),
            h.valid_from,
            h.valid_to,
            was_seg.c.name.label("h_name"),
        )
        .select_from(t.profiles)
        .outerjoin(t.memberships, m.customer_id == p.customer_id)
        .outerjoin(
            now_seg,
            sa.and_(
                now_seg.c.model_version == m.model_version, now_seg.c.segment_id == m.segment_id
            ),
        )
        .outerjoin(t.membership_history, h.customer_id == p.customer_id)
        .outerjoin(
            was_seg,
            sa.and_(
                was_seg.c.model_version == h.model_version, was_seg.c.segment_id == h.segment_id
            ),
        )
        .where(p.customer_id.in_(list(customer_ids)))
        .order_by(p.customer_id, h.valid_from, h.id)
    )
    grouped: dict[str, list[Any]] = {}
    for row in conn.execute(query):
        grouped.setdefault(row.cid, []).append(row)
    return {cid: profile_from_rows(rows) for cid, rows in grouped.items()}
