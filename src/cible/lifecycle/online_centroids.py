"""Online centroid updates from the stream, with guard rails.

:class:`OnlineCentroids` moves each centroid towards the customers assigned to it, by the
mini-batch k-means rule (Sculley 2010, scikit-learn's ``MiniBatchKMeans``): a centre that has
absorbed ``n`` customers moves by ``1 / (n + 1)`` towards the next one, so after a batch it is the
running mean of everything it absorbed (the order inside a batch does not matter).

Guard rail: within one UTC day no centroid may move further than ``max_shift_per_day`` from where
it stood at the start of that day (Euclidean distance in the caller's feature space: give
standardised features). A batch that would move one further is **refused as a whole** (nothing
changes), the model **freezes** (later batches are refused too) and the result carries an alert
naming the centroid and its shift, until :meth:`OnlineCentroids.unfreeze`. A shift exactly at the
limit is allowed. Default 0.25 (a quarter of a standard deviation per day).

``cible consume --online-centroids`` uses it on a k-means model (:mod:`cible.store.centroid_state`): each
batch is scored by the current centroids, then absorbed; the state (:meth:`to_state`) is kept in
the store in the batch's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cible.exceptions import LifecycleError

DEFAULT_MAX_SHIFT_PER_DAY = 0.25


@dataclass(frozen=True)
class OnlineUpdate:
    """What one batch did: customers per centroid, each centroid's shift since the start of the
    day (the tentative one when refused), whether it was applied, the alert if any."""

    assigned: tuple[int, ...]
    shift_today: tuple[float, ...]
    applied: bool
    frozen: bool
    alert: str | None = None


class OnlineCentroids:
    """Centroids (k x d) updated by batches of rows (n x d); see the module docstring."""

    def __init__(
        self,
        centroids: NDArray[np.float64],
        counts: NDArray[np.int64] | None = None,
        *,
        max_shift_per_day: float = DEFAULT_MAX_SHIFT_PER_DAY,
    ) -> None:
        c = np.array(centroids, dtype=np.float64)
        if c.ndim != 2 or not c.size:
            raise LifecycleError(f"centroids must be a non-empty k x d array, got shape {c.shape}")
        n = np.zeros(len(c), dtype=np.int64) if counts is None else np.array(counts, np.int64)
        if n.shape != (len(c),) or (n < 0).any():
            raise LifecycleError("counts must give one count >= 0 per centroid")
        if max_shift_per_day <= 0:
            raise LifecycleError(f"max_shift_per_day={max_shift_per_day}: give a distance > 0")
        self.centroids_ = c
        self.counts_ = n
        self.max_shift_per_day = float(max_shift_per_day)
        self.frozen_ = False
        self._day: date | None = None
        self._day_start = c.copy()

    def assign(self, rows: NDArray[np.float64]) -> NDArray[np.int64]:
        """Index of the nearest centroid of each row."""
        x = self._rows(rows)
        d = ((x[:, None, :] - self.centroids_[None, :, :]) ** 2).sum(axis=2)
        return np.asarray(d.argmin(axis=1), dtype=np.int64)

    def _rows(self, rows: NDArray[np.float64]) -> NDArray[np.float64]:
        x = np.asarray(rows, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.centroids_.shape[1]:
            raise LifecycleError(
                f"rows must be n x {self.centroids_.shape[1]} (the centroids' features), "
                f"got shape {x.shape}"
            )
        if not np.isfinite(x).all():
            raise LifecycleError("rows contain NaN or infinite values: impute before updating")
        return x

    def update(self, rows: NDArray[np.float64], day: date) -> OnlineUpdate:
        """Absorb one batch seen on UTC ``day`` (refused when frozen or beyond the guard)."""
        x = self._rows(rows)
        if self._day is None or day > self._day:
            self._day, self._day_start = day, self.centroids_.copy()
        elif day < self._day:
            raise LifecycleError(f"batch of {day} after one of {self._day}: days must not go back")
        labels = self.assign(x)
        k = len(self.centroids_)
        assigned = np.bincount(labels, minlength=k)
        sums = np.zeros_like(self.centroids_)
        np.add.at(sums, labels, x)
        total = self.counts_ + assigned
        moved = assigned > 0
        new = self.centroids_.copy()
        new[moved] = (self.centroids_[moved] * self.counts_[moved, None] + sums[moved]) / total[
            moved, None
        ]
        shift = np.sqrt(((new - self._day_start) ** 2).sum(axis=1))
        counts, shifts = tuple(int(a) for a in assigned), tuple(float(s) for s in shift)
        if self.frozen_:
            return OnlineUpdate(counts, shifts, False, True, "frozen: updates refused")
        worst = int(shift.argmax())
        if shift[worst] > self.max_shift_per_day:
            self.frozen_ = True
            alert = (
                f"centroid {worst} would move {shift[worst]:.3f} on {day} (limit "
                f"{self.max_shift_per_day}): batch refused, online updates frozen"
            )
            return OnlineUpdate(counts, shifts, False, True, alert)
        self.centroids_, self.counts_ = new, total
        return OnlineUpdate(counts, shifts, True, False)

    def unfreeze(self) -> None:
        """Accept updates again (after someone looked at the alert)."""
        self.frozen_ = False

    def to_state(self) -> dict[str, Any]:
        """Everything needed to carry on later (JSON-ready): the store keeps it per version."""
        return {
            "centroids": self.centroids_.tolist(),
            "counts": self.counts_.tolist(),
            "max_shift_per_day": self.max_shift_per_day,
            "frozen": self.frozen_,
            "day": None if self._day is None else self._day.isoformat(),
            "day_start": self._day_start.tolist(),
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> OnlineCentroids:
        """The object :meth:`to_state` described (same centroids, counts, day and guard)."""
        online = cls(
            np.asarray(state["centroids"], dtype=np.float64),
            np.asarray(state["counts"], dtype=np.int64),
            max_shift_per_day=float(state["max_shift_per_day"]),
        )
        online.frozen_ = bool(state["frozen"])
        online._day = None if state["day"] is None else date.fromisoformat(state["day"])
        online._day_start = np.asarray(state["day_start"], dtype=np.float64)
        return online
