"""k-medoids on Gower's distance: clusters of rows that mix numeric and categorical columns.

The distance is :func:`~cible.segmentation.gower.gower_distances` (numeric columns divided by
their range over the training rows, categorical columns compared for equality, missing values
left out of the pair's mean). Its full matrix costs O(n²) memory, so the medoids are searched on a
seeded sample of at most ``max_fit_samples`` rows (3,000 rows: a 72 MB matrix) and every row goes
to its nearest medoid.

The search alternates (Park and Jun, 2009): assign every sampled row to its nearest medoid, then
move each medoid to the member with the smallest sum of distances to the other members; repeat
until the medoids stop moving. Seeding draws medoids k-means++-style (probability proportional
to the distance to the nearest medoid already drawn). The best of ``n_init`` runs (lowest total
distance) is kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.utils import Tags, check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from cible.segmentation.algorithms.partition import _is_int
from cible.segmentation.gower import gower_distances, gower_ranges


class GowerKMedoids(ClusterMixin, BaseEstimator):
    """k-medoids clustering on Gower's distance (mixed numeric / categorical rows).

    Parameters
    ----------
    n_clusters:
        The number of clusters (at most the number of fitted rows).
    categorical:
        Positions of the categorical columns (their values are category codes, compared for
        equality); the other columns are numeric.
    max_fit_samples:
        The medoids are searched on a seeded sample of at most this many rows.
    n_init:
        Seeded runs; the one with the lowest total distance is kept.
    max_iter:
        Maximum assignment / update rounds per run.
    random_state:
        Seeds the sample and the seeding: the same value gives the same labels.

    Fitted attributes
    -----------------
    labels_: cluster of each training row (its nearest medoid), int64 in ``0..n_clusters_-1``.
    n_clusters_: equal to ``n_clusters``.
    cluster_medoids_: ``(n_clusters_, n_features)`` the medoid rows.
    medoid_indices_: their positions in the training rows.
    ranges_: the numeric ranges of the training rows that the distance divides by.
    inertia_: total Gower distance of the sampled rows to their medoid.
    fit_sample_indices_: the rows the medoids were searched on; n_iter_: rounds of the kept run.
    categorical_indices_: the sorted positions of the categorical columns.
    """

    def __init__(
        self,
        n_clusters: int = 8,
        categorical: Sequence[int] = (),
        max_fit_samples: int = 3_000,
        n_init: int = 4,
        max_iter: int = 100,
        random_state: int | np.random.RandomState | None = 0,
    ) -> None:
        self.n_clusters = n_clusters
        self.categorical = categorical
        self.max_fit_samples = max_fit_samples
        self.n_init = n_init
        self.max_iter = max_iter
        self.random_state = random_state

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    def fit(self, X: ArrayLike, y: Any = None) -> GowerKMedoids:
        """Search the medoids on a sample and assign every row; returns ``self``."""
        self._check_params()
        data = validate_data(self, X, ensure_all_finite="allow-nan", dtype=np.float64)
        n = data.shape[0]
        self.categorical_indices_ = _positions(self.categorical, data.shape[1])
        rng = check_random_state(self.random_state)
        if n > self.max_fit_samples:
            rows = np.sort(rng.choice(n, size=self.max_fit_samples, replace=False))
        else:
            rows = np.arange(n)
        if len(rows) < self.n_clusters:
            raise ValueError(
                f"n_samples={len(rows)} should be >= n_clusters={self.n_clusters}: k-medoids "
                "needs at least one row per cluster"
            )
        self.ranges_ = gower_ranges(data, self.categorical_indices_)
        D = gower_distances(data[rows], categorical=self.categorical_indices_, ranges=self.ranges_)
        best: tuple[float, NDArray[np.intp], int] | None = None
        for _ in range(self.n_init):
            medoids, cost, n_iter = _search(D, self.n_clusters, self.max_iter, rng)
            if best is None or cost < best[0]:
                best = (cost, medoids, n_iter)
        assert best is not None  # n_init >= 1
        self.inertia_ = float(best[0])
        self.n_iter_ = best[2]
        self.medoid_indices_ = rows[best[1]]
        self.fit_sample_indices_ = rows
        self.cluster_medoids_ = data[self.medoid_indices_].copy()
        self.n_clusters_ = int(self.n_clusters)
        self.labels_ = self._nearest(data)
        return self

    def predict(self, X: ArrayLike) -> NDArray[np.int64]:
        """The nearest medoid of each row of ``X`` (Gower, with the training ranges)."""
        check_is_fitted(self, "cluster_medoids_")
        data = validate_data(self, X, ensure_all_finite="allow-nan", dtype=np.float64, reset=False)
        return self._nearest(data)

    def _nearest(self, data: NDArray[np.float64]) -> NDArray[np.int64]:
        D = gower_distances(
            data, self.cluster_medoids_, categorical=self.categorical_indices_, ranges=self.ranges_
        )
        return np.argmin(D, axis=1).astype(np.int64)

    def _check_params(self) -> None:
        for name in ("n_clusters", "max_fit_samples", "n_init", "max_iter"):
            value = getattr(self, name)
            if not _is_int(value) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        if isinstance(self.categorical, str | bytes) or not isinstance(self.categorical, Iterable):
            raise ValueError(
                f"categorical must be a sequence of column positions, got {self.categorical!r}"
            )


def _positions(categorical: Sequence[int], n_features: int) -> list[int]:
    out = []
    for item in categorical:
        if not _is_int(item) or not 0 <= int(item) < n_features:
            raise ValueError(
                f"categorical entries must be column positions in 0..{n_features - 1}, got {item!r}"
            )
        out.append(int(item))
    return sorted(set(out))


def _search(
    D: NDArray[np.float64], k: int, max_iter: int, rng: np.random.RandomState
) -> tuple[NDArray[np.intp], float, int]:
    """One seeded alternating k-medoids run on the square distances ``D``."""
    medoids = _seed(D, k, rng)
    n_iter = 0
    while n_iter < max_iter:
        n_iter += 1
        labels = np.argmin(D[:, medoids], axis=1)
        moved = medoids.copy()
        for c in range(k):
            members = np.flatnonzero(labels == c)
            if members.size:  # a medoid tied with another one may lose every member
                moved[c] = members[np.argmin(D[np.ix_(members, members)].sum(axis=1))]
        if np.array_equal(moved, medoids):
            break
        medoids = moved
    cost = float(D[:, medoids].min(axis=1).sum())
    return medoids, cost, n_iter


def _seed(D: NDArray[np.float64], k: int, rng: np.random.RandomState) -> NDArray[np.intp]:
    n = D.shape[0]
    chosen = [int(rng.randint(n))]
    closest = D[:, chosen[0]].copy()
    for _ in range(1, k):
        total = float(closest.sum())
        if total > 0:
            pick = int(np.searchsorted(np.cumsum(closest), rng.uniform(0.0, total), side="right"))
            pick = min(pick, n - 1)
        else:  # every row coincides with a medoid already drawn
            pick = int(rng.choice(np.setdiff1d(np.arange(n), chosen)))
        chosen.append(pick)
        closest = np.minimum(closest, D[:, pick])
    return np.asarray(chosen, dtype=np.intp)
