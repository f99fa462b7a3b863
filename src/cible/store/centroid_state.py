"""Online centroid updates from the stream (``cible consume --online-centroids``), in the
transaction of :meth:`cible.store.ProfileStore.apply_events`.

For a k-means model (an estimator with ``cluster_centers_``), each batch of re-scored customers is

1. **scored with the current centroids** of the active version: the published ones at first, then
   those the stream has moved (:func:`with_centroids` gives the published model with them);
2. **absorbed** by the updater the caller gives (:class:`cible.lifecycle.online_centroids.
   OnlineCentroids`, handed over by the service layer: the store imports no domain package;
   anything with its constructor, ``from_state``, ``to_state``, ``centroids_``,
   ``max_shift_per_day`` and ``update(rows, day)``) (mini-batch k-means
   rule, the day's guard rail: a batch that would move a centroid further than
   ``max_shift_per_day`` from where it stood that morning is refused and updates freeze, with an
   alert logged on ``cible.online`` naming the centroid, its shift and the day; no customer data);
3. the new state is written to ``centroid_state`` (one row per model version, locked for the
   transaction on PostgreSQL: two consumers take turns) in the same transaction as the events,
   so a crash loses no update and a redelivered batch (already claimed) moves nothing twice.

The starting counts are the training members of each centroid (``labels_`` of the fitted
estimator): a centroid that stood for 5,000 customers moves 1/5,001 of the way to the next one.
A newly published version starts from its own centroids. ``cible refresh``'s re-score uses the
moved centroids too (:func:`scoring_model`), so a batch re-score does not undo the stream's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cible.exceptions import LifecycleError
from cible.store import memberships
from cible.store import tables as t
from cible.store.db import upsert_rows
from cible.store.memberships import Features

log = logging.getLogger("cible.online")


@dataclass(frozen=True)
class Online:
    """The running consumer's choice: the guard and the updater class."""

    max_shift_per_day: float
    updater: Any


def enable(current: tuple[int, Any, Any] | None, max_shift: float, updater: Any) -> Online:
    """The :class:`Online` settings, once the active model (``current``) is checked."""
    if current is None:
        raise LifecycleError("online centroid updates need a published model: cible publish")
    check_centroid_model(current[1], current[0])
    if max_shift <= 0:
        raise LifecycleError(f"max shift per day {max_shift}: give a distance > 0")
    return Online(float(max_shift), updater)


def score(
    conn: Connection,
    version: int,
    model: Any,
    features: dict[str, Features],
    now: datetime,
    online: Online | None,
    scoring: Any = None,
) -> dict[str, int]:
    """The batch's segment ids: by the moved centroids when the stream moved any (``scoring``,
    the model with them, when the caller has it: :mod:`.active_model`), and, with ``online``,
    the batch absorbed (a newly published non-k-means version stops the consumer)."""
    if online is None:
        if scoring is None:
            scoring = scoring_model(conn, model, version)
        return memberships.score(scoring, features)
    check_centroid_model(model, version)
    return score_online(
        conn,
        model,
        version,
        features,
        max_shift=online.max_shift_per_day,
        day=now.astimezone(UTC).date(),
        updater=online.updater,
    )


def check_centroid_model(model: Any, version: int) -> None:
    """A LifecycleError unless ``model`` scores by nearest centroid (k-means)."""
    estimator = getattr(model, "estimator", None)
    if estimator is None or not hasattr(estimator, "cluster_centers_"):
        algorithm = getattr(model, "algorithm", "") or type(estimator).__name__
        raise LifecycleError(
            f"online centroid updates need a k-means model; version {version} is {algorithm}: "
            "publish a k-means segmentation or run cible consume without --online-centroids"
        )


def with_centroids(model: Any, centroids: np.ndarray) -> Any:
    """A copy of ``model`` scoring with ``centroids`` (the estimator copied, the rest shared)."""
    import copy

    moved = copy.copy(model)
    moved.estimator = copy.deepcopy(model.estimator)
    moved.estimator.cluster_centers_ = np.asarray(
        centroids, dtype=moved.estimator.cluster_centers_.dtype
    )
    return moved


def _initial(model: Any, max_shift: float, updater: Any) -> Any:
    centres = np.asarray(model.estimator.cluster_centers_, dtype=np.float64)
    labels = getattr(model.estimator, "labels_", None)
    counts = (
        np.bincount(np.asarray(labels, dtype=np.int64), minlength=len(centres))
        if labels is not None
        else np.zeros(len(centres), dtype=np.int64)
    )
    return updater(centres, counts, max_shift_per_day=max_shift)


def load(conn: Connection, model: Any, version: int, max_shift: float, updater: Any) -> Any:
    """The version's online state, its row locked until the transaction ends (created from
    the published centroids on first use)."""
    start = _initial(model, max_shift, updater)
    upsert_rows(
        conn,
        t.centroid_state,
        [
            {
                "model_version": version,
                "state": start.to_state(),
                "batches": 0,
                "alert": None,
                "updated_at": datetime.now().astimezone(),
            }
        ],
        lambda ins: ins.on_conflict_do_nothing(index_elements=["model_version"]),
    )
    c = t.centroid_state.c
    query = sa.select(c.state).where(c.model_version == version)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    online = updater.from_state(conn.execute(query).scalar_one())
    online.max_shift_per_day = float(max_shift)  # the running consumer's guard
    return online


def save(conn: Connection, version: int, online: Any, update: Any) -> None:
    c = t.centroid_state.c
    values: dict[str, Any] = {"state": online.to_state(), "updated_at": datetime.now().astimezone()}
    if update.applied:
        values["batches"] = c.batches + 1
    if update.alert is not None:
        values["alert"] = update.alert
    conn.execute(sa.update(t.centroid_state).where(c.model_version == version).values(**values))


def score_online(
    conn: Connection,
    model: Any,
    version: int,
    features: dict[str, Features],
    *,
    max_shift: float,
    day: date,
    updater: Any,
) -> dict[str, int]:
    """Segment ids of the batch by the current centroids, then the batch absorbed (module
    docstring); prospects (no purchase) are scored and absorb nothing."""
    online = load(conn, model, version, max_shift, updater)
    scores = memberships.score(with_centroids(model, online.centroids_), features)
    buyers = {c: f for c, f in features.items() if float(f.get("frequency") or 0) > 0}
    if buyers:
        frame = memberships.frame(buyers)
        update = online.update(model._prepare(frame[list(model.features)]), day)
        save(conn, version, online, update)
        if update.alert is not None and update.frozen and not update.applied:
            log.warning("online centroids of version %s: %s", version, update.alert)
    return scores


def scoring_model(conn: Connection, model: Any, version: int) -> Any:
    """``model`` with the centroids the stream moved, when it moved any; else ``model``."""
    c = t.centroid_state.c
    state = conn.execute(sa.select(c.state).where(c.model_version == version)).scalar()
    if state is None:
        return model
    return with_centroids(model, np.asarray(state["centroids"], dtype=np.float64))


def current_state(conn: Connection, version: int) -> dict[str, Any] | None:
    """The stored state, batch count and last alert of ``version`` (None: never updated)."""
    c = t.centroid_state.c
    row = conn.execute(
        sa.select(c.state, c.batches, c.alert, c.updated_at).where(c.model_version == version)
    ).one_or_none()
    if row is None:
        return None
    return {
        "state": row.state,
        "batches": int(row.batches),
        "alert": row.alert,
        "updated_at": row.updated_at,
    }
