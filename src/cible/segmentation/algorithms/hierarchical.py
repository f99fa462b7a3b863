"""Agglomerative (hierarchical) clustering that scales by fitting on a sample.

The merge tree costs O(n²) memory (the condensed distance matrix: 400 MB for 10,000 rows), so
above ``max_fit_samples`` rows the tree is built on a seeded sample and every other row goes to the
nearest cluster centroid (the mean of the sampled members). New rows (:meth:`predict`) are assigned
the same way. Nearest-centroid assignment suits Ward's linkage, whose clusters are compact; with
``complete`` or ``average`` linkage and elongated clusters it is an approximation.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.cluster.hierarchy import linkage as scipy_linkage
from sklearn.base import BaseEstimator, ClusterMixin, clone
from sklearn.metrics import pairwise_distances_argmin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from cible.segmentation.algorithms.partition import _is_int

LINKAGES: tuple[str, ...] = ("ward", "complete", "average")


class AgglomerativeSegmenter(ClusterMixin, BaseEstimator):
    """Agglomerative clustering cut at ``n_clusters`` clusters or at a ``distance_threshold``.

    Parameters
    ----------
    n_clusters:
        The number of clusters to cut the tree into. Exactly one of ``n_clusters`` and
        ``distance_threshold`` must be given.
    distance_threshold:
        Merges at or above this linkage distance are not made (as in
        :class:`~sklearn.cluster.AgglomerativeClustering`); the number of clusters follows.
    linkage:
        ``"ward"`` (minimum increase of within-cluster variance), ``"complete"`` (maximum
        distance) or ``"average"`` (mean distance), Euclidean distances throughout.
    max_fit_samples:
        The tree is built on a seeded sample of at most this many rows; the other rows go to the
        nearest centroid.
    random_state:
        Seeds the sample; the tree itself is deterministic.

    Fitted attributes
    -----------------
    labels_: cluster of each training row, in ``0..n_clusters_-1`` (int64). Sampled rows get their
        cluster in the tree, the others the nearest centroid. Clusters are numbered in the order
        in which they first appear in the (sorted) fit sample.
    n_clusters_: the number of clusters.
    cluster_centers_: ``(n_clusters_, n_features)`` mean of each cluster's sampled rows.
    linkage_matrix_: the ``(m - 1, 4)`` merge tree of the ``m`` fitted rows in scipy's format
        (:func:`scipy.cluster.hierarchy.linkage`), for a dendrogram.
    cut_height_: a height that cuts ``linkage_matrix_`` into ``n_clusters_`` clusters: the
        ``distance_threshold``, or midway between the last merge made and the first one not made
        (the root height when ``n_clusters_ == 1``).
    fit_sample_indices_: indices of the rows the tree was built on (all rows when not sampled).
    n_features_in_: the number of features seen in ``fit``.
    """

    def __init__(
        self,
        n_clusters: int | None = None,
        distance_threshold: float | None = None,
        linkage: Literal["ward", "complete", "average"] = "ward",
        max_fit_samples: int = 10_000,
        random_state: int | np.random.RandomState | None = 0,
    ) -> None:
        self.n_clusters = n_clusters
        self.distance_threshold = distance_threshold
        self.linkage = linkage
        self.max_fit_samples = max_fit_samples
        self.random_state = random_state

    def fit(self, X: ArrayLike, y: Any = None) -> AgglomerativeSegmenter:
        """Build the tree on (a sample of) ``X``, cut it and assign every row; returns ``self``."""
        self._check_params()
        data: NDArray[np.float64] = validate_data(
            self, X, reset=True, dtype=np.float64, ensure_min_samples=2
        )
        n_samples = data.shape[0]
        if n_samples > self.max_fit_samples:
            rng = check_random_state(self.random_state)
            rows = np.sort(rng.choice(n_samples, size=self.max_fit_samples, replace=False))
        else:
            rows = np.arange(n_samples)
        fit_data = data[rows]
        n_fit = fit_data.shape[0]
        if self.n_clusters is not None and self.n_clusters > n_fit:
            raise ValueError(
                f"n_samples={n_fit} (rows the tree is built on) should be >= "
                f"n_clusters={self.n_clusters}"
            )

        tree = np.asarray(scipy_linkage(fit_data, method=self.linkage, metric="euclidean"))
        return self._cut(data, rows, tree)

    def recut(self, n_clusters: int, X: ArrayLike) -> AgglomerativeSegmenter:
        """A fitted copy cut at ``n_clusters``, reusing this tree (no new O(n²) build).

        ``X`` must be the data this estimator was fitted on (the tree's rows are taken from it).
        Choosing k over a range then costs one tree instead of one per k.
        """
        check_is_fitted(self, "linkage_matrix_")
        data = validate_data(self, X, reset=False, dtype=np.float64)
        new = clone(self).set_params(n_clusters=n_clusters, distance_threshold=None)
        new._check_params()
        new.n_features_in_ = self.n_features_in_
        n_fit = self.linkage_matrix_.shape[0] + 1
        if n_clusters > n_fit:
            raise ValueError(f"n_clusters={n_clusters} exceeds the {n_fit} rows of the tree")
        return new._cut(data, self.fit_sample_indices_, self.linkage_matrix_)

    def _cut(
        self, data: NDArray[np.float64], rows: NDArray[np.int64], tree: NDArray[np.float64]
    ) -> AgglomerativeSegmenter:
        """Cut ``tree`` (built on ``data[rows]``) and assign every row of ``data``."""
        fit_data = data[rows]
        n_fit = fit_data.shape[0]
        n_samples = data.shape[0]
        heights = tree[:, 2]
        if self.n_clusters is not None:
            n_clusters = int(self.n_clusters)
            merges = n_fit - n_clusters
            below = float(heights[merges - 1]) if merges > 0 else 0.0
            above = float(heights[merges]) if merges < n_fit - 1 else below
            self.cut_height_ = (below + above) / 2.0
        else:
            assert self.distance_threshold is not None  # exactly one is given (_check_params)
            threshold = float(self.distance_threshold)
            n_clusters = n_fit - int(np.count_nonzero(heights < threshold))
            self.cut_height_ = threshold
        fit_labels = cut_tree_labels(tree, n_clusters)
        counts = np.bincount(fit_labels, minlength=n_clusters).astype(np.float64)
        sums = np.zeros((n_clusters, data.shape[1]), dtype=np.float64)
        np.add.at(sums, fit_labels, fit_data)
        self.cluster_centers_: NDArray[np.float64] = sums / counts[:, None]
        if n_fit == n_samples:
            labels = fit_labels
        else:
            labels = self._nearest_center(data)
            labels[rows] = fit_labels
        self.labels_: NDArray[np.int64] = labels
        self.n_clusters_ = n_clusters
        self.linkage_matrix_: NDArray[np.float64] = tree
        self.fit_sample_indices_: NDArray[np.int64] = rows.astype(np.int64)
        return self

    def predict(self, X: ArrayLike) -> NDArray[np.int64]:
        """The nearest cluster centroid for each row of ``X``."""
        check_is_fitted(self, "cluster_centers_")
        data = validate_data(self, X, reset=False, dtype=np.float64)
        return self._nearest_center(data)

    def _nearest_center(self, data: NDArray[np.float64]) -> NDArray[np.int64]:
        return np.asarray(pairwise_distances_argmin(data, self.cluster_centers_), dtype=np.int64)

    def _check_params(self) -> None:
        if (self.n_clusters is None) == (self.distance_threshold is None):
            raise ValueError(
                "exactly one of n_clusters and distance_threshold must be given, got "
                f"n_clusters={self.n_clusters!r}, distance_threshold={self.distance_threshold!r}"
            )
        if self.n_clusters is not None and (not _is_int(self.n_clusters) or self.n_clusters < 1):
            raise ValueError(f"n_clusters must be None or an integer >= 1, got {self.n_clusters!r}")
        if self.distance_threshold is not None and not (
            isinstance(self.distance_threshold, int | float | np.number)
            and not isinstance(self.distance_threshold, bool | np.bool_)
            and np.isfinite(self.distance_threshold)
            and self.distance_threshold >= 0
        ):
            raise ValueError(
                "distance_threshold must be None or a finite number >= 0, "
                f"got {self.distance_threshold!r}"
            )
        if self.linkage not in LINKAGES:
            raise ValueError(f"linkage must be one of {', '.join(LINKAGES)}, got {self.linkage!r}")
        if not _is_int(self.max_fit_samples) or self.max_fit_samples < 2:
            raise ValueError(
                f"max_fit_samples must be an integer >= 2, got {self.max_fit_samples!r}"
            )


def cut_tree_labels(tree: NDArray[np.float64], n_clusters: int) -> NDArray[np.int64]:
    """Flat clusters of a scipy merge tree after its first ``n - n_clusters`` merges.

    ``tree`` must list merges by non-decreasing height (true of ward, complete and average
    linkage). Exactly ``n_clusters`` clusters come out, even when merge heights tie (unlike
    ``fcluster(..., criterion="maxclust")``); they are numbered by first appearance in the rows.
    """
    n_leaves = tree.shape[0] + 1
    if not 1 <= n_clusters <= n_leaves:
        raise ValueError(f"n_clusters must be in 1..{n_leaves}, got {n_clusters}")
    merges = n_leaves - n_clusters
    parent = np.arange(2 * n_leaves - 1)
    children = tree[:merges, :2].astype(np.intp)
    new_nodes = n_leaves + np.arange(merges)
    parent[children[:, 0]] = new_nodes
    parent[children[:, 1]] = new_nodes
    # Pointer jumping: every node ends up pointing at the root of its subtree (a fixed point).
    while True:
        jumped = parent[parent]
        if np.array_equal(jumped, parent):
            break
        parent = jumped
    _, first_row, cluster = np.unique(parent[:n_leaves], return_index=True, return_inverse=True)
    rank = np.empty(len(first_row), dtype=np.int64)
    rank[np.argsort(first_row)] = np.arange(len(first_row))
    labels: NDArray[np.int64] = rank[cluster.ravel()]
    return labels
