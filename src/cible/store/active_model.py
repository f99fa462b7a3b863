"""The active segment model of a store, cached per process and checked in ONE query per batch
(in a live batch, columns of the query that reads the customers' aggregates).

Every batch of the stream is scored with the latest published version; when ``cible consume
--online-centroids`` has moved that version's centroids (``centroid_state``), with the moved ones
(:func:`cible.store.centroid_state.with_centroids`). Loading the artifact (joblib) and copying the
estimator with new centroids are far too slow for every batch, so :class:`ActiveModel` keeps the
last answer under a key read in one round trip::

    SELECT v.version, cs.batches, cs.updated_at
    FROM (SELECT max(version) AS version FROM segment_models) v
    LEFT JOIN centroid_state cs ON cs.model_version = v.version

The key changes whenever the answer may: a new version is published (any process), or a
consumer (any process) saved a new centroid state (``save`` sets ``updated_at`` every time and
adds one to ``batches`` whenever the centroids moved). The state itself is read only then.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cible.store import centroid_state
from cible.store import tables as t
from cible.store.model import ScoringModel, load_model


@dataclass(frozen=True)
class Active:
    """The active version: its published model, the one to score with, its segment names."""

    version: int
    model: ScoringModel
    names: Mapping[int, str]
    scoring: Any  # ``model``, a copy with the centroids the stream moved, or None: not asked
    key: tuple[Any, ...]


def key_query() -> Any:
    sm, cs = t.segment_models.c, t.centroid_state.c
    latest = sa.select(sa.func.max(sm.version).label("version")).subquery("v")
    return sa.select(latest.c.version, cs.batches, cs.updated_at).select_from(
        latest.outerjoin(t.centroid_state, cs.model_version == latest.c.version)
    )


class ActiveModel:
    """The cache (thread-safe); :meth:`get` costs one small query when nothing changed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entry: Active | None = None
        self._query = key_query()
        self.loads = 0  # artifacts loaded, for tests
        self.refreshes = 0  # centroid states read, for tests

    def get(
        self, conn: Connection, *, scoring: bool = True, key: tuple[Any, Any, Any] | None = None
    ) -> Active | None:
        """The active version (None: nothing published); ``scoring`` False skips the moved
        centroids (the online consumer reads and locks the state itself); ``key``: the key
        row (version, batches, updated_at) when the caller read it in the same transaction
        (:func:`cible.store.customer_profiles.read_state`), else it is read here."""
        if key is None:
            row = conn.execute(self._query).one()
            key = (row.version, row.batches, row.updated_at)
        if key[0] is None:
            return None
        version = int(key[0])
        key = (version, key[1], key[2])
        batches = key[1]
        with self._lock:
            entry = self._entry
        if entry is not None and entry.key == key and (entry.scoring is not None or not scoring):
            return entry
        if entry is None or entry.version != version:
            model, names = self._load(conn, version)
        else:
            model, names = entry.model, entry.names
        moved: Any = None
        if scoring:
            moved = model if batches is None else self._moved(conn, model, version)
        fresh = Active(version, model, names, moved, key)
        with self._lock:
            self._entry = fresh
        return fresh

    def _load(self, conn: Connection, version: int) -> tuple[ScoringModel, Mapping[int, str]]:
        sm = t.segment_models.c
        row = conn.execute(
            sa.select(sm.artifact, sm.sha256, sm.names).where(sm.version == version)
        ).one()
        self.loads += 1
        scorer = load_model(row.artifact, row.sha256, version)
        return scorer, {int(k): str(v) for k, v in row.names.items()}

    def _moved(self, conn: Connection, model: Any, version: int) -> Any:
        c = t.centroid_state.c
        state = conn.execute(sa.select(c.state).where(c.model_version == version)).scalar()
        self.refreshes += 1
        if state is None:  # deleted between the two reads: the published centroids
            return model
        return centroid_state.with_centroids(
            model, np.asarray(state["centroids"], dtype=np.float64)
        )
