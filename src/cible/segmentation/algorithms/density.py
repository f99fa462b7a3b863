"""Density-based clustering: DBSCAN with ``eps`` from the k-distance knee, and HDBSCAN.

Both label low-density rows as noise (``-1``) and both can label new rows (:meth:`predict`), so
that a model fitted on a sample can assign every customer:

* :class:`AutoDBSCAN`: a new row joins the cluster of its nearest core sample when it is within
  ``eps_`` of it (it would then be a border point of that cluster), otherwise it is noise.
* :class:`HDBSCANSegmenter`: a new row joins the cluster of its nearest clustered training row when
  it is no farther from it than that cluster's *radius* (the 95th percentile of the distances
  between each member and its nearest fellow member), otherwise it is noise.

Neighbour searches use brute force from 6 features up: space-partitioning trees stop paying off
in that dimension (measured on 20,000 standardised rows with 15 features: a kd-tree took 2.8 s
for DBSCAN's radius queries, brute force 0.6 s).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import DBSCAN, HDBSCAN
from sklearn.neighbors import NearestNeighbors
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from cible.segmentation.algorithms.knee import knee_point
from cible.segmentation.algorithms.partition import _is_int

# Trees for neighbour searches below this many features, brute force from it up.
_BRUTE_MIN_FEATURES = 6
# eps must be > 0 for DBSCAN; a knee at distance 0 (duplicated rows) is raised to this.
_MIN_EPS = 1e-12
# HDBSCAN prediction radius: this percentile of the within-cluster nearest-neighbour distances.
_RADIUS_PERCENTILE = 95.0
# Default HDBSCAN min_cluster_size: max(_MIN_CLUSTER_FLOOR, n_samples // _MIN_CLUSTER_DIVISOR).
_MIN_CLUSTER_FLOOR = 10
_MIN_CLUSTER_DIVISOR = 100


def _neighbors_algorithm(n_features: int) -> Literal["auto", "brute"]:
    return "brute" if n_features >= _BRUTE_MIN_FEATURES else "auto"


class AutoDBSCAN(ClusterMixin, BaseEstimator):
    """DBSCAN whose ``eps`` is, unless given, the knee of the sorted k-distance curve.

    Parameters
    ----------
    eps:
        Neighbourhood radius; ``None`` takes it from the knee (:func:`knee_point`) of the sorted
        distances of a sample of rows to their ``min_samples``-th nearest neighbour (raised to
        1e-12 when that is 0, as with heavily duplicated rows: DBSCAN needs ``eps > 0``).
    min_samples:
        Rows (the row itself included, as in :class:`~sklearn.cluster.DBSCAN`) within ``eps``
        that make a row a core sample. It is also the k of the k-distance curve, so that a row is
        a core sample exactly when its k-distance is at most ``eps_``.
    knee_sample:
        The k-distance curve is computed for a seeded sample of ``min(n_samples, knee_sample)``
        rows; their neighbours are searched among all rows, so each value is that row's true
        k-distance (sampling thins the curve, it does not shift it to larger distances).
    random_state:
        Seeds the sample; the clustering itself is deterministic.

    Fitted attributes
    -----------------
    labels_: cluster of each training row, ``0..n_clusters_-1``, or ``-1`` for noise (int64).
    n_clusters_: number of clusters, noise excluded.
    eps_: the radius used.
    k_distances_: the sorted (ascending) k-distances of the sample, for the k-distance chart;
        empty when ``eps`` is given and there are fewer rows than ``min_samples``.
    core_sample_indices_: indices of the core samples (int64).
    components_: ``(n_core, n_features)`` the core samples.
    n_features_in_: the number of features seen in ``fit``.

    :meth:`predict` gives a new row the cluster of its nearest core sample if it lies within
    ``eps_`` of it, else ``-1``. On training rows this reproduces ``labels_`` except for border
    rows within ``eps_`` of core samples of two clusters, which DBSCAN gives to the first cluster
    that reaches them and :meth:`predict` to the nearest.
    """

    def __init__(
        self,
        eps: float | None = None,
        min_samples: int = 10,
        knee_sample: int = 20_000,
        random_state: int | np.random.RandomState | None = 0,
    ) -> None:
        self.eps = eps
        self.min_samples = min_samples
        self.knee_sample = knee_sample
        self.random_state = random_state

    def fit(self, X: ArrayLike, y: Any = None) -> AutoDBSCAN:
        """Choose ``eps`` (unless given) and run DBSCAN; returns ``self``."""
        self._check_params()
        data: NDArray[np.float64] = validate_data(self, X, reset=True, dtype=np.float64)
        n_samples, n_features = data.shape
        algorithm = _neighbors_algorithm(n_features)
        if n_samples < self.min_samples:
            if self.eps is None:
                raise ValueError(
                    f"n_samples={n_samples} should be >= min_samples={self.min_samples} to "
                    "choose eps from the k-distance curve; pass eps or lower min_samples"
                )
            self.k_distances_: NDArray[np.float64] = np.empty(0, dtype=np.float64)
        else:
            self.k_distances_ = self._k_distances(data, algorithm)
        if self.eps is None:
            self.eps_ = max(float(self.k_distances_[knee_point(self.k_distances_)]), _MIN_EPS)
        else:
            self.eps_ = float(self.eps)

        model = DBSCAN(eps=self.eps_, min_samples=self.min_samples, algorithm=algorithm)
        model.fit(data)
        self.labels_: NDArray[np.int64] = np.asarray(model.labels_, dtype=np.int64)
        self.n_clusters_ = int(self.labels_.max()) + 1  # 0 when every row is noise
        self.core_sample_indices_: NDArray[np.int64] = np.asarray(
            model.core_sample_indices_, dtype=np.int64
        )
        self.components_: NDArray[np.float64] = data[self.core_sample_indices_].copy()
        self._core_labels = self.labels_[self.core_sample_indices_]
        self._core_index: NearestNeighbors | None = None
        if len(self.core_sample_indices_):
            self._core_index = NearestNeighbors(n_neighbors=1, algorithm=algorithm)
            self._core_index.fit(self.components_)
        return self

    def predict(self, X: ArrayLike) -> NDArray[np.int64]:
        """Cluster of the nearest core sample if within ``eps_``, else ``-1``."""
        check_is_fitted(self, "labels_")
        data = validate_data(self, X, reset=False, dtype=np.float64)
        labels = np.full(data.shape[0], -1, dtype=np.int64)
        if self._core_index is None or data.shape[0] == 0:
            return labels
        distance, index = self._core_index.kneighbors(data, n_neighbors=1)
        near = distance[:, 0] <= self.eps_
        labels[near] = self._core_labels[index[near, 0]]
        return labels

    def _k_distances(self, data: NDArray[np.float64], algorithm: str) -> NDArray[np.float64]:
        """Sorted distances of sampled rows to their ``min_samples``-th neighbour among all rows."""
        rng = check_random_state(self.random_state)
        n_samples = data.shape[0]
        if n_samples <= self.knee_sample:
            queries = data
        else:
            rows = np.sort(rng.choice(n_samples, size=self.knee_sample, replace=False))
            queries = data[rows]
        index = NearestNeighbors(n_neighbors=self.min_samples, algorithm=algorithm).fit(data)
        # Querying with the rows themselves keeps each row as its own first neighbour (distance
        # 0), matching DBSCAN's min_samples, which counts the row itself.
        distances, _ = index.kneighbors(queries)
        return np.sort(distances[:, -1])

    def _check_params(self) -> None:
        if self.eps is not None and not (
            isinstance(self.eps, int | float | np.number)
            and not isinstance(self.eps, bool | np.bool_)
            and np.isfinite(self.eps)
            and self.eps > 0
        ):
            raise ValueError(f"eps must be None or a finite number > 0, got {self.eps!r}")
        if not _is_int(self.min_samples) or self.min_samples < 1:
            raise ValueError(f"min_samples must be an integer >= 1, got {self.min_samples!r}")
        if not _is_int(self.knee_sample) or self.knee_sample < 2:
            raise ValueError(f"knee_sample must be an integer >= 2, got {self.knee_sample!r}")


class HDBSCANSegmenter(ClusterMixin, BaseEstimator):
    """:class:`~sklearn.cluster.HDBSCAN` with a default cluster size and a rule for new rows.

    Parameters
    ----------
    min_cluster_size:
        Smallest group of rows that counts as a cluster; ``None`` uses
        ``max(10, n_samples // 100)`` (1 % of the rows), capped at ``n_samples``.
    min_samples:
        Neighbours defining a row's core distance (``None``: ``min_cluster_size``, as in
        scikit-learn). Larger values make the clustering more conservative (more noise).
    cluster_selection_method:
        ``"eom"`` (excess of mass: the most persistent clusters) or ``"leaf"`` (the leaves of the
        condensed tree: many small homogeneous clusters).

    Fitted attributes
    -----------------
    labels_: cluster of each training row, ``0..n_clusters_-1``, or ``-1`` for noise (int64).
    n_clusters_: number of clusters, noise excluded.
    probabilities_: strength of each row's membership in its cluster, in ``[0, 1]`` (0 for
        noise).
    min_cluster_size_: the ``min_cluster_size`` used.
    cluster_radius_: ``(n_clusters_,)`` the prediction radius of each cluster: the 95th
        percentile of the distances between each member and its nearest fellow member.
    model_: the fitted :class:`~sklearn.cluster.HDBSCAN`.
    n_features_in_: the number of features seen in ``fit``.

    :meth:`predict` (HDBSCAN itself has none) gives a new row the label of its nearest clustered
    (non-noise) training row if the distance to it is at most that cluster's ``cluster_radius_``,
    else ``-1``. On training rows it returns ``labels_`` for every clustered row (its nearest
    clustered row is itself); a training noise row may join a cluster it lies close to.
    """

    def __init__(
        self,
        min_cluster_size: int | None = None,
        min_samples: int | None = None,
        cluster_selection_method: Literal["eom", "leaf"] = "eom",
    ) -> None:
        self.min_cluster_size = min_cluster_size
        self.min_samples = min_samples
        self.cluster_selection_method = cluster_selection_method

    def fit(self, X: ArrayLike, y: Any = None) -> HDBSCANSegmenter:
        """Run HDBSCAN and index the clustered rows for :meth:`predict`; returns ``self``."""
        self._check_params()
        data: NDArray[np.float64] = validate_data(
            self, X, reset=True, dtype=np.float64, ensure_min_samples=2
        )
        n_samples, n_features = data.shape
        if self.min_cluster_size is None:
            size = min(max(_MIN_CLUSTER_FLOOR, n_samples // _MIN_CLUSTER_DIVISOR), n_samples)
        else:
            size = int(self.min_cluster_size)
        neighbours = size if self.min_samples is None else int(self.min_samples)
        if neighbours > n_samples:
            raise ValueError(
                f"min_samples={neighbours} (defaults to min_cluster_size) should be <= "
                f"n_samples={n_samples}"
            )
        model = HDBSCAN(
            min_cluster_size=size,
            min_samples=self.min_samples,
            cluster_selection_method=self.cluster_selection_method,
            copy=True,
        )
        model.fit(data)
        labels = np.asarray(model.labels_, dtype=np.int64)
        labels[labels < 0] = -1  # -2 / -3 (infinite / missing values) cannot occur after validation
        self.model_ = model
        self.min_cluster_size_ = size
        self.labels_: NDArray[np.int64] = labels
        self.n_clusters_ = int(labels.max()) + 1
        self.probabilities_: NDArray[np.float64] = np.asarray(model.probabilities_, np.float64)

        clustered = labels >= 0
        algorithm = _neighbors_algorithm(n_features)
        self.cluster_radius_: NDArray[np.float64] = np.array(
            [_nearest_fellow_radius(data[labels == c], algorithm) for c in range(self.n_clusters_)],
            dtype=np.float64,
        )
        self._clustered_labels = labels[clustered]
        self._clustered_index: NearestNeighbors | None = None
        if clustered.any():
            self._clustered_index = NearestNeighbors(n_neighbors=1, algorithm=algorithm)
            self._clustered_index.fit(data[clustered])
        return self

    def predict(self, X: ArrayLike) -> NDArray[np.int64]:
        """Label of the nearest clustered training row if within its cluster's radius, else -1."""
        check_is_fitted(self, "labels_")
        data = validate_data(self, X, reset=False, dtype=np.float64)
        labels = np.full(data.shape[0], -1, dtype=np.int64)
        if self._clustered_index is None or data.shape[0] == 0:
            return labels
        distance, index = self._clustered_index.kneighbors(data, n_neighbors=1)
        nearest = self._clustered_labels[index[:, 0]]
        near = distance[:, 0] <= self.cluster_radius_[nearest]
        labels[near] = nearest[near]
        return labels

    def _check_params(self) -> None:
        if self.min_cluster_size is not None and (
            not _is_int(self.min_cluster_size) or self.min_cluster_size < 2
        ):
            raise ValueError(
                f"min_cluster_size must be None or an integer >= 2, got {self.min_cluster_size!r}"
            )
        if self.min_samples is not None and (not _is_int(self.min_samples) or self.min_samples < 1):
            raise ValueError(
                f"min_samples must be None or an integer >= 1, got {self.min_samples!r}"
            )
        if self.cluster_selection_method not in ("eom", "leaf"):
            raise ValueError(
                "cluster_selection_method must be 'eom' or 'leaf', "
                f"got {self.cluster_selection_method!r}"
            )


def _nearest_fellow_radius(members: NDArray[np.float64], algorithm: str) -> float:
    """The 95th percentile of the distances from each member to its nearest other member."""
    if len(members) < 2:
        return 0.0
    index = NearestNeighbors(n_neighbors=2, algorithm=algorithm).fit(members)
    distances, _ = index.kneighbors(members)  # column 0 is the member itself
    return float(np.percentile(distances[:, 1], _RADIUS_PERCENTILE))
