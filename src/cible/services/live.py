"""Use cases of the live service: ingest, upsert, read profiles and segments, publish a run.

The REST routers (:mod:`cible.api`) parse and map; this module decides. It owns the in-process
caches (profiles and verified API keys), invalidated on every write that goes through it. Writes
made by another process (the stream consumer) are seen as soon as their commit is announced on
PostgreSQL (:meth:`LiveService.follow_store_changes`), after at most ``profile_cache_ttl_s``
otherwise (SQLite, or the feed down).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from cible.exceptions import ConflictError, InvalidInputError, NotFoundError
from cible.services.cache import TTLCache

if TYPE_CHECKING:
    from cible.config.service import ServiceSettings
    from cible.store import (
        ApplyResult,
        CustomerRecord,
        LiveEvent,
        MembershipChange,
        Profile,
        ProfileStore,
        SegmentInfo,
    )
    from cible.store.online import OnlineStore

log = logging.getLogger("cible.api")
EventStatus = Literal["applied", "duplicate", "rejected"]
RUN_FILES = (
    "segment_model.joblib",
    "run.json",
    "segments.parquet",
    "features.parquet",
)  # publish reads


@dataclass(frozen=True)
class EventOutcome:
    """What became of one event of a batch (``index`` is its position in the request)."""

    index: int
    event_id: str | None
    status: EventStatus
    field: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class BatchOutcome:
    results: list[EventOutcome]
    changes: list[MembershipChange] = field(default_factory=list)

    def count(self, status: EventStatus) -> int:
        return sum(1 for r in self.results if r.status == status)


def _same(profile: Profile) -> Profile:
    return profile


def _not_found(customer_id: str) -> NotFoundError:
    return NotFoundError(f"customer {customer_id!r} has no profile in the store")


def key_id(key: str) -> str:
    """What logs may say of a presented key: the store's public id inside
    ``cible_<id>_<secret>`` (as listed by the store), ``(malformed)`` for anything else."""
    parts = key.split("_", 2)
    if len(parts) == 3 and parts[0] == "cible" and 0 < len(parts[1]) <= 32 and parts[1].isalnum():
        return parts[1]
    return "(malformed)"


def key_digest(key: str) -> str:
    """The SHA-256 of an API key (hex): what caches and logs may hold, never the key itself."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class LiveService:
    """The service's use cases over one :class:`~cible.store.ProfileStore`."""

    def __init__(
        self,
        store: ProfileStore,
        *,
        profile_cache: TTLCache[str, Any] | None = None,
        key_cache: TTLCache[str, frozenset[str] | None] | None = None,
        batch_max: int = 1000,
        models_dir: Path | None = None,
        render: Callable[[Profile], Any] | None = None,
        publisher: Callable[[Path], int] | None = None,
        online: OnlineStore | None = None,
    ) -> None:
        self.store = store
        self.online = online  # the Redis copy of the profiles (read first, written after SQL)
        self.publisher = publisher
        # what the cache keeps: render(profile), e.g. the JSON bytes of the API's answer
        self.render: Callable[[Profile], Any] = render or _same
        # (an empty cache is falsy: `x or default` would throw the given one away)
        self.profiles: TTLCache[str, Any] = (
            profile_cache if profile_cache is not None else TTLCache(0, 0)
        )
        self.keys: TTLCache[str, frozenset[str] | None] = (
            key_cache if key_cache is not None else TTLCache(0, 0)
        )
        self.batch_max = batch_max
        self.models_dir = models_dir
        self._listener: Any = None

    def follow_store_changes(self) -> bool:
        """Drop cached profiles as soon as any process commits a change to them (PostgreSQL's
        LISTEN/NOTIFY, see :mod:`cible.store.changes`); the TTL still bounds staleness when the
        feed is down, and alone on SQLite. True when a feed was started."""
        if self._listener is None and self.profiles.enabled:
            self._listener = self.store.listen_profile_changes(
                self.profiles.invalidate, self.profiles.clear
            )
        return self._listener is not None

    def close(self) -> None:
        """Stop the change feed (the store is its owner's to close)."""
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    @classmethod
    def from_settings(
        cls,
        store: ProfileStore,
        settings: ServiceSettings,
        render: Callable[[Profile], Any] | None = None,
        publisher: Callable[[Path], int] | None = None,
        online: OnlineStore | None = None,
    ) -> LiveService:
        return cls(
            store,
            profile_cache=TTLCache(settings.profile_cache_size, settings.profile_cache_ttl_s),
            key_cache=TTLCache(10_000, settings.key_cache_ttl_s),
            batch_max=settings.batch_max,
            models_dir=settings.models_dir,
            render=render,
            publisher=publisher,
            online=online,
        )

    # -- health -------------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        """The store's health (raises StoreError when the database is unreachable)."""
        return dict(self.store.health())

    # -- auth ---------------------------------------------------------------------------------
    def verify_key(self, key: str) -> frozenset[str] | None:
        """The scopes of ``key`` (``None`` when unknown or revoked), cached by its digest."""
        digest = key_digest(key)
        hit, scopes = self.keys.get(digest)
        if hit:
            return scopes
        scopes = self.store.verify_api_key(key)
        self.keys.put(digest, scopes)
        return scopes

    # -- reads --------------------------------------------------------------------------------
    def peek_profile_view(self, customer_id: str) -> tuple[bool, Any]:
        """The cached ``render(profile)`` without touching the store: ``(hit, view)``; a hit
        on ``None`` is a customer known to have no profile (NotFoundError)."""
        hit, view = self.profiles.get(customer_id)
        if hit and view is None:
            raise _not_found(customer_id)
        return hit, view

    def profile_view(self, customer_id: str) -> Any:
        """``render(profile)``, from the cache, else the online store (Redis), else the SQL
        store (then cached)."""
        hit, view = self.peek_profile_view(customer_id)
        if hit:
            return view
        profile = self._online_profile(customer_id)
        if profile is None:
            profile = self.store.get_profile(customer_id)
        view = None if profile is None else self.render(profile)
        self.profiles.put(customer_id, view)
        if view is None:
            raise _not_found(customer_id)
        return view

    def _online_profile(self, customer_id: str) -> Profile | None:
        """The Redis copy (None: no online store, not there, or Redis failing: SQL answers)."""
        from cible.store import StoreError

        if self.online is None:
            return None
        try:
            return self.online.read(customer_id)
        except StoreError as e:
            log.warning("online store read failed, answered from SQL: %s", e)
            return None

    def list_segments(self) -> list[SegmentInfo]:
        return list(self.store.list_segments())

    def segment_members(
        self, segment_id: int, *, cursor: str | None, limit: int
    ) -> tuple[list[str], str | None]:
        known = {s.segment_id for s in self.store.list_segments()}
        if segment_id not in known:
            raise NotFoundError(
                f"segment {segment_id} is not a segment of the current model "
                f"(known: {sorted(known)})"
            )
        try:
            return self.store.segment_members(segment_id, cursor=cursor, limit=limit)
        except ValueError as e:  # a cursor this store did not return
            raise InvalidInputError("cursor", str(e)) from None

    # -- writes -------------------------------------------------------------------------------
    def ingest(self, event: LiveEvent) -> ApplyResult:
        result = self.store.apply_events([event])
        self.changed([event.customer_id, *result.touched])
        return result

    def ingest_batch(
        self, raw: Sequence[Mapping[str, Any]], parser: type[LiveEvent] | None = None
    ) -> BatchOutcome:
        """Parse each event on its own with ``parser`` (LiveEvent or a subclass: a bad one is
        rejected with its field and reason, the others go on), then apply the valid ones in one
        store transaction."""
        from cible.store import InvalidEvent, LiveEvent

        parse = (parser or LiveEvent).parse

        self._check_batch_size(len(raw), "events")
        outcomes: dict[int, EventOutcome] = {}
        valid: list[tuple[int, LiveEvent]] = []
        for i, obj in enumerate(raw):
            try:
                valid.append((i, parse(obj)))
            except InvalidEvent as e:
                event_id = obj.get("event_id") if isinstance(obj, Mapping) else None
                outcomes[i] = EventOutcome(
                    i,
                    event_id if isinstance(event_id, str) else None,
                    "rejected",
                    e.field,
                    e.reason,
                )
        changes: list[MembershipChange] = []
        if valid:
            result = self.store.apply_events([ev for _, ev in valid])
            changes = list(result.changes)
            fresh = set(result.applied_event_ids)  # a repeated id: its first occurrence only
            for i, ev in valid:
                status: EventStatus = "applied" if ev.event_id in fresh else "duplicate"
                fresh.discard(ev.event_id)
                outcomes[i] = EventOutcome(i, ev.event_id, status)
            self.changed({ev.customer_id for _, ev in valid} | set(result.touched))
        return BatchOutcome([outcomes[i] for i in range(len(raw))], changes)

    def upsert_customers(self, records: Sequence[CustomerRecord]) -> int:
        self._check_batch_size(len(records), "customers")
        written = self.store.upsert_customers(records)
        self.changed({r.customer_id for r in records})
        return written

    def changed(self, customer_ids: Iterable[str]) -> None:
        """After a SQL commit that changed ``customer_ids``: copy them to the online store
        (when there is one) and drop them from the profile cache."""
        ids = set(customer_ids)
        if self.online is not None and ids:
            self.online.sync(self.store, sorted(ids))
        self.profiles.invalidate(ids)

    def _check_batch_size(self, n: int, what: str) -> None:
        if n > self.batch_max:
            raise InvalidInputError(what, f"{n:,} {what} in one batch; at most {self.batch_max:,}")

    # -- models -------------------------------------------------------------------------------
    def publish_run(self, run_dir: str) -> int:
        """Publish the batch run in ``run_dir`` (relative to, and confined in, ``models_dir``)."""
        path = self.resolve_run_dir(run_dir)
        for needed in RUN_FILES:
            if not (path / needed).is_file():
                raise NotFoundError(
                    f"run directory {run_dir!r} is not a batch run: it has no {needed} "
                    "(write one with `cible run --out DIR`)"
                )
        if self.publisher is None:
            raise ConflictError("this service was built without a publisher")
        version = self.publisher(path)
        if self.online is not None:  # every membership may have changed
            self.online.rebuild(self.store)
        self.profiles.clear()
        return version

    def resolve_run_dir(self, run_dir: str) -> Path:
        if self.models_dir is None:
            raise ConflictError(
                "publishing through the API is disabled: set CIBLE_MODELS_DIR to the directory "
                "holding the batch runs (or use `cible publish --out DIR --store URL`)"
            )
        root = self.models_dir.resolve()
        try:
            path = (root / run_dir).resolve()
            is_dir = path.is_dir()
        except (OSError, ValueError) as e:  # a NUL byte, a name too long, a symlink loop
            raise InvalidInputError("run_dir", f"not a usable path ({type(e).__name__})") from None
        if path != root and root not in path.parents:
            raise ConflictError(
                f"run directory {run_dir!r} is outside CIBLE_MODELS_DIR; give a path relative to it"
            )
        if not is_dir:
            raise NotFoundError(f"run directory {run_dir!r} does not exist under CIBLE_MODELS_DIR")
        return path


def run_publisher(store_url: str, schema: str | None) -> Callable[[Path], int]:
    """Publishing a run folder to the store at ``store_url`` (``services.publish``), reading the
    run's own ``cible.yaml`` for its warehouse when the folder has one."""

    def publish(path: Path) -> int:
        from cible.config import load_config
        from cible.services.publish import publish_run

        config_path = path / "cible.yaml"
        config = load_config(config_path) if config_path.is_file() else None
        return publish_run(path, store_url, config=config, schema=schema).version

    return publish
