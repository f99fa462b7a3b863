"""The registry of published segment models: list, show and roll back versions.

Reads ``segment_models`` (one row per published version: artifact, sha256, feature names, segment
names, cible version, time), ``segments`` (id, name and size of each segment at publication) and
the current ``memberships`` (how many customers each version scores now).

The **active** version is the one every reader of the store uses: the highest version number
(:meth:`cible.store.ProfileStore.current_model`, ``list_segments``, ``health``). A **rollback**
to version ``k`` therefore re-publishes ``k``: its stored artifact bytes (digest checked) become
a new version ``n + 1`` and every profiled customer is re-scored with it over the features stored
now, with history rows for those whose segment changes (as any publish). Nothing is deleted: the
rolled-back-from versions stay listed, and the new version reports ``same_artifact_as = k``
(found by equal sha256, so no column is needed for it) and carries the metadata of ``k`` with
``rolled_back_from = k``.

``segment_models.metadata`` (migration ``0003_lifecycle``, JSON, ``None`` for versions published
before it or by :meth:`ProfileStore.publish` alone) holds what ``cible publish`` recorded of the
run: parameters, metrics, feature schema, reference histograms, training window, code version and
the stable-id match (:mod:`cible.services.publish_lifecycle`).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from cible.store import bulk, centroid_state, db, memberships
from cible.store import tables as t
from cible.store.errors import StoreError
from cible.store.model import ScoringModel, load_model


@dataclass(frozen=True)
class SegmentRow:
    segment_id: int
    name: str
    size_at_publish: int
    current_members: int


@dataclass(frozen=True)
class VersionInfo:
    """One published version."""

    version: int
    sha256: str
    features: tuple[str, ...]
    cible_version: str
    created_at: datetime
    active: bool
    same_artifact_as: int | None
    current_members: int
    segments: tuple[SegmentRow, ...] = ()
    metadata: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "sha256": self.sha256,
            "features": list(self.features),
            "cible_version": self.cible_version,
            "created_at": self.created_at.isoformat(),
            "active": self.active,
            "same_artifact_as": self.same_artifact_as,
            "current_members": self.current_members,
            "segments": [s.__dict__ for s in self.segments],
            "metadata": self.metadata,
        }


def active_version(conn: Connection) -> int | None:
    """The version the store scores with (the highest), ``None`` before the first publish."""
    value = conn.execute(sa.select(sa.func.max(t.segment_models.c.version))).scalar()
    return None if value is None else int(value)


def _members(conn: Connection) -> dict[tuple[int, int], int]:
    m = t.memberships.c
    rows = conn.execute(
        sa.select(m.model_version, m.segment_id, sa.func.count()).group_by(
            m.model_version, m.segment_id
        )
    ).all()
    return {(int(v), int(s)): int(n) for v, s, n in rows}


def list_versions(conn: Connection) -> list[VersionInfo]:
    """Every version, oldest first (segments included)."""
    sm = t.segment_models.c
    rows = conn.execute(
        sa.select(
            sm.version, sm.sha256, sm.features, sm.cible_version, sm.created_at, sm["metadata"]
        ).order_by(sm.version)
    ).all()
    if not rows:
        return []
    members = _members(conn)
    s = t.segments.c
    segs: dict[int, list[SegmentRow]] = {}
    for v, sid, name, size in conn.execute(
        sa.select(s.model_version, s.segment_id, s.name, s.size).order_by(
            s.model_version, s.segment_id
        )
    ):
        segs.setdefault(int(v), []).append(
            SegmentRow(int(sid), str(name), int(size), members.get((int(v), int(sid)), 0))
        )
    top = max(int(r.version) for r in rows)
    first_with: dict[str, int] = {}
    out = []
    for r in rows:
        version = int(r.version)
        earlier = first_with.setdefault(r.sha256, version)
        out.append(
            VersionInfo(
                version=version,
                sha256=r.sha256,
                features=tuple(r.features),
                cible_version=r.cible_version,
                created_at=r.created_at,
                active=version == top,
                same_artifact_as=earlier if earlier != version else None,
                current_members=sum(n for (v, _), n in members.items() if v == version),
                segments=tuple(segs.get(version, [])),
                metadata=r._mapping["metadata"],
            )
        )
    return out


def show_version(conn: Connection, version: int) -> VersionInfo:
    for info in list_versions(conn):
        if info.version == version:
            return info
    raise StoreError(f"segment model version {version} does not exist: {_known(conn)}")


def _known(conn: Connection) -> str:
    versions = list(
        conn.execute(
            sa.select(t.segment_models.c.version).order_by(t.segment_models.c.version)
        ).scalars()
    )
    return (
        f"versions {versions[0]}..{versions[-1]} are published" if versions else "none is published"
    )


class _Stored:
    """A loaded model that hands back its stored bytes unchanged (so the re-published artifact
    has the same sha256 as the version rolled back to)."""

    def __init__(self, model: ScoringModel, data: bytes, names: Mapping[int, str]) -> None:
        self._model = model
        self._data = data
        self.segment_names = dict(names)
        self.feature_names = tuple(model.feature_names)

    def predict(self, features: Any) -> Any:
        return self._model.predict(features)

    def to_bytes(self) -> bytes:
        return self._data


def rollback(conn: Connection, version: int) -> int:
    """Re-publish ``version`` as the new active version (module docstring); returns the new
    version number. Refused when ``version`` is already the active one."""
    sm = t.segment_models.c
    row = conn.execute(
        sa.select(sm.artifact, sm.sha256, sm.names, sm.cible_version, sm["metadata"]).where(
            sm.version == version
        )
    ).one_or_none()
    if row is None:
        raise StoreError(
            f"cannot roll back to version {version}: it does not exist ({_known(conn)})"
        )
    if active_version(conn) == version:
        raise StoreError(f"version {version} is already the active version: nothing to roll back")
    model = load_model(row.artifact, row.sha256, version)
    names = {int(k): str(v) for k, v in row.names.items()}
    stored: ScoringModel = _Stored(model, row.artifact, names)
    new = bulk.publish(conn, stored, memberships=None, cible_version=row.cible_version)
    if row._mapping["metadata"] is not None:
        set_metadata(conn, new, {**row._mapping["metadata"], "rolled_back_from": version})
    return new


def set_metadata(conn: Connection, version: int, metadata: Mapping[str, Any]) -> None:
    """Record the registry metadata of ``version`` (replacing any); refused for an unknown
    version."""
    sm = t.segment_models.c
    done = conn.execute(
        sa.update(t.segment_models).where(sm.version == version).values(metadata=dict(metadata))
    ).rowcount
    if not done:
        raise StoreError(f"cannot record metadata of version {version}: {_known(conn)}")


def segment_ids_ever(conn: Connection) -> set[int]:
    """Every segment id any version has used (a fresh id is none of these)."""
    return {int(v) for v in conn.execute(sa.select(t.segments.c.segment_id).distinct()).scalars()}


def rescore_active(conn: Connection, as_of: datetime) -> tuple[int, int]:
    """Recompute every stored profile at ``as_of`` and re-score it with the ACTIVE version (no
    new version): memberships, history rows and outbox rows of the customers whose segment
    changes. Idempotent: a second call with the same ``as_of`` changes nothing. Returns
    (customers scored, customers whose segment changed)."""
    version = active_version(conn)
    if version is None:
        raise StoreError("nothing to re-score: no segment model is published (cible publish)")
    bulk.refresh_all(conn, as_of)
    sm = t.segment_models.c
    row = conn.execute(
        sa.select(sm.artifact, sm.sha256, sm.names).where(sm.version == version)
    ).one()
    model = centroid_state.scoring_model(
        conn, load_model(row.artifact, row.sha256, version), version
    )
    names = {int(k): str(v) for k, v in row.names.items()}
    p = t.profiles.c
    rows = conn.execute(
        sa.select(p.customer_id, p.features).where(p.features.is_not(None)).order_by(p.customer_id)
    ).all()  # read before writing: no cursor stays open under the writes
    scored = changed = 0
    now = datetime.now(as_of.tzinfo)
    for start in range(0, len(rows), bulk.CHUNK):
        batch = rows[start : start + bulk.CHUNK]
        segments = memberships.score(model, {r[0]: r[1] for r in batch})
        scored += len(segments)
        changed += len(memberships.record(conn, segments, version=version, names=names, at=now))
    return scored, changed


class VersionRegistry:
    """The registry over an open store's engine, each call one transaction (a rollback a write
    transaction: ``BEGIN IMMEDIATE`` on SQLite, like every write of the store)."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url

    def _transaction(self, *, immediate: bool) -> AbstractContextManager[Connection]:
        """One transaction; a driver error becomes a StoreError naming the (masked) URL."""
        return db.transaction(self.engine, self.url, immediate=immediate)

    def list(self) -> list[VersionInfo]:
        with self._transaction(immediate=False) as conn:
            return list_versions(conn)

    def show(self, version: int) -> VersionInfo:
        with self._transaction(immediate=False) as conn:
            return show_version(conn, version)

    def rollback(self, version: int) -> int:
        with self._transaction(immediate=True) as conn:
            return rollback(conn, version)

    def set_metadata(self, version: int, metadata: Mapping[str, Any]) -> None:
        with self._transaction(immediate=True) as conn:
            set_metadata(conn, version, metadata)

    def segment_ids_ever(self) -> set[int]:
        with self._transaction(immediate=False) as conn:
            return segment_ids_ever(conn)

    def rescore(self, as_of: datetime) -> tuple[int, int]:
        with self._transaction(immediate=True) as conn:
            return rescore_active(conn, as_of)
