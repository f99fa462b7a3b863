"""k-prototypes (Huang, 1998): k-means for rows that mix numeric and categorical columns.

The dissimilarity of a row to a prototype is the squared Euclidean distance on the numeric columns
plus ``gamma`` times the number of categorical columns where the row differs from the prototype's
mode (simple matching). A prototype is the mean of its members' numeric columns and the mode of
each categorical column.

This implementation (numpy only) uses batch updates, as Lloyd's k-means does, rather than Huang's
row-by-row updates: assign every row to its nearest prototype, recompute every prototype, repeat
until no row moves. Both steps never increase the cost, so the loop ends. Seeding picks
prototypes among the rows k-means++-style with the mixed dissimilarity; an empty cluster takes
the row farthest from its prototype. The best of ``n_init`` seeded runs (lowest cost) is kept.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from cible.segmentation.algorithms.partition import _is_int

# gamma defaults to this share of the mean standard deviation of the numeric columns (Huang).
_GAMMA_SHARE = 0.5

Floats = NDArray[np.float64]
Codes = NDArray[np.int64]


class KPrototypes(ClusterMixin, BaseEstimator):
    """k-prototypes clustering of mixed numeric / categorical rows.

    Parameters
    ----------
    n_clusters:
        The number of clusters (at most the number of samples).
    categorical:
        The categorical columns: integer positions for an array, column names for a DataFrame.
        Their values are category codes (integers, strings, any hashable); the other columns must
        be numeric (already scaled: the numeric part of the cost is not standardised here).
    gamma:
        Weight of one categorical mismatch, in units of squared numeric distance; ``None`` uses
        half the mean standard deviation of the numeric columns (Huang's suggestion), or 1 when
        there are no numeric columns or they are all constant.
    n_init:
        Seeded runs; the one with the lowest cost is kept.
    max_iter:
        Maximum assignment / update rounds per run.
    random_state:
        Seeds the seeding of every run: the same value gives the same labels.

    Fitted attributes
    -----------------
    labels_: cluster of each training row, in ``0..n_clusters_-1`` (int64).
    n_clusters_: equal to ``n_clusters``.
    cluster_centroids_: ``(n_clusters_, n_numeric)`` means of the numeric columns.
    cluster_modes_: ``(n_clusters_, n_categorical)`` object array of the modes, as the original
        category values (ties go to the category seen first in the training rows).
    cost_: total dissimilarity of the training rows to their prototype.
    n_iter_: update rounds of the kept run.
    gamma_: the ``gamma`` used.
    categorical_indices_: positions of the categorical columns; numeric_indices_: of the others.
    categories_: for each categorical column, the categories seen in ``fit`` (a pandas Index).
    n_features_in_ (and ``feature_names_in_`` for a DataFrame): the columns seen in ``fit``.

    :meth:`predict` assigns each row to its nearest prototype; a category not seen in ``fit``
    mismatches every mode.
    """

    def __init__(
        self,
        n_clusters: int = 8,
        categorical: Sequence[int | str] = (),
        gamma: float | None = None,
        n_init: int = 5,
        max_iter: int = 100,
        random_state: int | np.random.RandomState | None = 0,
    ) -> None:
        self.n_clusters = n_clusters
        self.categorical = categorical
        self.gamma = gamma
        self.n_init = n_init
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, X: ArrayLike | pd.DataFrame, y: Any = None) -> KPrototypes:
        """Run ``n_init`` seeded k-prototypes and keep the lowest cost; returns ``self``."""
        self._check_params()
        columns: list[Hashable] | None = list(X.columns) if isinstance(X, pd.DataFrame) else None
        data: NDArray[Any] = validate_data(self, X, reset=True, dtype=None)
        n_samples, n_features = data.shape
        cat_idx = _categorical_indices(list(self.categorical), columns, n_features)
        num_idx = tuple(i for i in range(n_features) if i not in cat_idx)
        self.categorical_indices_ = cat_idx
        self.numeric_indices_ = num_idx
        if n_samples < self.n_clusters:
            raise ValueError(
                f"n_samples={n_samples} should be >= n_clusters={self.n_clusters}: "
                "k-prototypes needs at least one row per cluster"
            )
        num = self._numeric(data)
        raw = data[:, list(cat_idx)]
        self.categories_: list[pd.Index] = [
            pd.Index(pd.unique(raw[:, j])) for j in range(len(cat_idx))
        ]
        codes = self._codes(raw)
        self.gamma_ = self._gamma(num)

        rng = check_random_state(self.random_state)
        n_categories = [len(c) for c in self.categories_]
        best: _Run | None = None
        for _ in range(self.n_init):
            run = _run(num, codes, self.n_clusters, self.gamma_, n_categories, self.max_iter, rng)
            if best is None or run.cost < best.cost:
                best = run
        assert best is not None  # n_init >= 1
        self.labels_: Codes = best.labels
        self.n_clusters_ = int(self.n_clusters)
        self.cluster_centroids_: Floats = best.centroids
        self._mode_codes = best.modes
        modes = np.empty(best.modes.shape, dtype=object)
        for j, categories in enumerate(self.categories_):
            modes[:, j] = categories.to_numpy(dtype=object)[best.modes[:, j]]
        self.cluster_modes_: NDArray[np.object_] = modes
        self.cost_ = float(best.cost)
        self.n_iter_ = best.n_iter
        return self

    def predict(self, X: ArrayLike | pd.DataFrame) -> Codes:
        """The nearest prototype for each row of ``X``."""
        check_is_fitted(self, "labels_")
        data: NDArray[Any] = validate_data(self, X, reset=False, dtype=None)
        num = self._numeric(data)
        codes = self._codes(data[:, list(self.categorical_indices_)])
        dist = _dissimilarity(num, codes, self.cluster_centroids_, self._mode_codes, self.gamma_)
        labels: Codes = np.argmin(dist, axis=1).astype(np.int64)
        return labels

    def _numeric(self, data: NDArray[Any]) -> Floats:
        part = data[:, list(self.numeric_indices_)]
        try:
            return np.asarray(part, dtype=np.float64)
        except ValueError as e:
            raise ValueError(
                f"the non-categorical columns {list(self.numeric_indices_)} must be numeric "
                f"(list the others in categorical=): {e}"
            ) from e

    def _codes(self, raw: NDArray[Any]) -> Codes:
        """Integer codes of the categorical columns; -1 for a category not seen in ``fit``."""
        missing = pd.isna(raw)
        if missing.any():
            col = self.categorical_indices_[int(np.argwhere(missing)[0, 1])]
            raise ValueError(
                f"categorical column {col} contains missing values; encode them as a category"
            )
        codes = np.empty(raw.shape, dtype=np.int64)
        for j, categories in enumerate(self.categories_):
            codes[:, j] = categories.get_indexer(pd.Index(raw[:, j], dtype=object))
        return codes

    def _gamma(self, num: Floats) -> float:
        if self.gamma is not None:
            return float(self.gamma)
        spread = float(num.std(axis=0).mean()) if num.shape[1] else 0.0
        return _GAMMA_SHARE * spread if spread > 0 else 1.0

    def _check_params(self) -> None:
        if not _is_int(self.n_clusters) or self.n_clusters < 1:
            raise ValueError(f"n_clusters must be an integer >= 1, got {self.n_clusters!r}")
        if isinstance(self.categorical, str | bytes) or not isinstance(self.categorical, Iterable):
            raise ValueError(
                "categorical must be a sequence of column positions or names, "
                f"got {self.categorical!r}"
            )
        if self.gamma is not None and not (
            isinstance(self.gamma, int | float | np.number)
            and not isinstance(self.gamma, bool | np.bool_)
            and np.isfinite(self.gamma)
            and self.gamma >= 0
        ):
            raise ValueError(f"gamma must be None or a finite number >= 0, got {self.gamma!r}")
        if not _is_int(self.n_init) or self.n_init < 1:
            raise ValueError(f"n_init must be an integer >= 1, got {self.n_init!r}")
        if not _is_int(self.max_iter) or self.max_iter < 1:
            raise ValueError(f"max_iter must be an integer >= 1, got {self.max_iter!r}")


def _categorical_indices(
    categorical: Sequence[int | str], columns: list[Hashable] | None, n_features: int
) -> tuple[int, ...]:
    """Sorted positions of the categorical columns: names for a DataFrame, else positions."""
    positions: list[int] = []
    for item in categorical:
        if columns is not None:
            if item not in columns:
                raise ValueError(f"categorical column {item!r} is not in X; columns: {columns}")
            positions.append(columns.index(item))
        elif not _is_int(item) or not 0 <= int(item) < n_features:
            raise ValueError(
                f"categorical entries must be column positions in 0..{n_features - 1} for an "
                f"array (names need a DataFrame), got {item!r}"
            )
        else:
            positions.append(int(item))
    if len(set(positions)) != len(positions):
        raise ValueError(f"categorical lists a column twice: {list(categorical)!r}")
    return tuple(sorted(positions))


class _Run:
    """The outcome of one seeded k-prototypes run."""

    def __init__(
        self, labels: Codes, centroids: Floats, modes: Codes, cost: float, n_iter: int
    ) -> None:
        self.labels = labels
        self.centroids = centroids
        self.modes = modes
        self.cost = cost
        self.n_iter = n_iter


def _run(
    num: Floats,
    codes: Codes,
    k: int,
    gamma: float,
    n_categories: list[int],
    max_iter: int,
    rng: np.random.RandomState,
) -> _Run:
    """Seed, then alternate prototype updates and assignments until no row moves."""
    centroids, modes = _seed(num, codes, k, gamma, rng)
    labels, dist = _assign(num, codes, centroids, modes, gamma)
    n_iter = 0
    while n_iter < max_iter:
        n_iter += 1
        centroids, modes = _prototypes(num, codes, labels, k, n_categories)
        new_labels, dist = _assign(num, codes, centroids, modes, gamma)
        if np.array_equal(new_labels, labels):
            break
        labels = new_labels
    # labels are the assignment to the final prototypes (which are their means / modes unless
    # max_iter stopped the loop early).
    cost = float(dist[np.arange(len(labels)), labels].sum())
    return _Run(labels, centroids, modes, cost, n_iter)


def _dissimilarity(
    num: Floats, codes: Codes, centroids: Floats, modes: Codes, gamma: float
) -> Floats:
    """``(n_rows, n_prototypes)`` squared Euclidean distance + gamma x categorical mismatches."""
    dist = np.empty((num.shape[0], centroids.shape[0]), dtype=np.float64)
    for c in range(centroids.shape[0]):
        dist[:, c] = ((num - centroids[c]) ** 2).sum(axis=1)
        if codes.shape[1]:
            dist[:, c] += gamma * (codes != modes[c]).sum(axis=1)
    return dist


def _seed(
    num: Floats, codes: Codes, k: int, gamma: float, rng: np.random.RandomState
) -> tuple[Floats, Codes]:
    """k prototypes drawn among the rows, each with probability proportional to its
    dissimilarity to the nearest prototype already drawn (k-means++ seeding)."""
    n_rows = num.shape[0]
    chosen = [int(rng.randint(n_rows))]
    closest = _dissimilarity(num, codes, num[chosen], codes[chosen], gamma)[:, 0]
    for _ in range(1, k):
        total = float(closest.sum())
        if total > 0:
            draw = rng.uniform(0.0, total)
            pick = min(int(np.searchsorted(np.cumsum(closest), draw, side="right")), n_rows - 1)
        else:  # every row coincides with a prototype already drawn
            pick = int(rng.randint(n_rows))
        chosen.append(pick)
        closest = np.minimum(
            closest, _dissimilarity(num, codes, num[[pick]], codes[[pick]], gamma)[:, 0]
        )
    return num[chosen].copy(), codes[chosen].copy()


def _assign(
    num: Floats, codes: Codes, centroids: Floats, modes: Codes, gamma: float
) -> tuple[Codes, Floats]:
    """Nearest prototype of each row (an empty cluster takes the farthest rows), and distances."""
    dist = _dissimilarity(num, codes, centroids, modes, gamma)
    labels = np.argmin(dist, axis=1).astype(np.int64)
    k = centroids.shape[0]
    counts = np.bincount(labels, minlength=k)
    empty = np.flatnonzero(counts == 0)
    if empty.size:
        own = dist[np.arange(len(labels)), labels]
        candidates = iter(np.argsort(-own, kind="stable"))
        for cluster in empty:
            row = next(r for r in candidates if counts[labels[r]] > 1)
            counts[labels[row]] -= 1
            labels[row] = cluster
            counts[cluster] = 1
    return labels, dist


def _prototypes(
    num: Floats, codes: Codes, labels: Codes, k: int, n_categories: list[int]
) -> tuple[Floats, Codes]:
    """Mean of the numeric columns and mode of the categorical ones, per cluster (none empty)."""
    counts = np.bincount(labels, minlength=k).astype(np.float64)
    centroids = np.empty((k, num.shape[1]), dtype=np.float64)
    for j in range(num.shape[1]):
        centroids[:, j] = np.bincount(labels, weights=num[:, j], minlength=k) / counts
    modes = np.empty((k, codes.shape[1]), dtype=np.int64)
    for j, size in enumerate(n_categories):
        table = np.bincount(labels * size + codes[:, j], minlength=k * size).reshape(k, size)
        modes[:, j] = table.argmax(axis=1)
    return centroids, modes
