"""k-means with a fixed k: Lloyd's algorithm on moderate data, mini-batches on large data.

:class:`KMeansSegmenter` wraps :class:`~sklearn.cluster.KMeans` (k-means++ seeding, ``n_init``
restarts) or, above ``mini_batch_threshold`` rows, :class:`~sklearn.cluster.MiniBatchKMeans`, which
trades a slightly higher inertia for a run time that hardly grows with the number of rows.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.utils.validation import check_is_fitted, validate_data


class KMeansSegmenter(ClusterMixin, BaseEstimator):
    """k-means++ with ``n_clusters`` clusters, switching to mini-batch k-means on large inputs.

    Parameters
    ----------
    n_clusters:
        The number of clusters (at most the number of samples).
    n_init:
        k-means++ restarts; the run with the lowest inertia is kept.
    mini_batch:
        ``True`` always uses :class:`~sklearn.cluster.MiniBatchKMeans`, ``False`` never does,
        ``"auto"`` uses it when ``n_samples > mini_batch_threshold``.
    mini_batch_threshold:
        Number of samples above which ``mini_batch="auto"`` switches to mini-batches.
    random_state:
        Seeds the k-means++ seeding (and the mini-batches): the same value gives the same labels.

    Fitted attributes
    -----------------
    labels_: cluster of each training row, in ``0..n_clusters_-1`` (int64).
    n_clusters_: equal to ``n_clusters``.
    cluster_centers_: ``(n_clusters_, n_features)`` centres.
    inertia_: sum of squared distances of the training rows to their centre.
    uses_mini_batch_: whether mini-batch k-means was used.
    model_: the fitted :class:`~sklearn.cluster.KMeans` or :class:`~sklearn.cluster.MiniBatchKMeans`.
    n_features_in_: the number of features seen in ``fit``.
    """

    def __init__(
        self,
        n_clusters: int = 8,
        n_init: int = 10,
        mini_batch: bool | Literal["auto"] = "auto",
        mini_batch_threshold: int = 50_000,
        random_state: int | np.random.RandomState | None = 0,
    ) -> None:
        self.n_clusters = n_clusters
        self.n_init = n_init
        self.mini_batch = mini_batch
        self.mini_batch_threshold = mini_batch_threshold
        self.random_state = random_state

    def fit(self, X: ArrayLike, y: Any = None) -> KMeansSegmenter:
        """Fit k-means (or mini-batch k-means) on ``X``; returns ``self``."""
        self._check_params()
        data: NDArray[np.floating[Any]] = validate_data(
            self, X, reset=True, dtype=[np.float64, np.float32]
        )
        n_samples = data.shape[0]
        if n_samples < self.n_clusters:
            raise ValueError(
                f"n_samples={n_samples} should be >= n_clusters={self.n_clusters}: "
                "k-means needs at least one row per cluster"
            )
        if isinstance(self.mini_batch, str):  # "auto", checked above
            use_mini_batch = n_samples > self.mini_batch_threshold
        else:
            use_mini_batch = bool(self.mini_batch)
        model: KMeans | MiniBatchKMeans
        if use_mini_batch:
            model = MiniBatchKMeans(
                n_clusters=self.n_clusters,
                init="k-means++",
                n_init=self.n_init,
                random_state=self.random_state,
            )
        else:
            model = KMeans(
                n_clusters=self.n_clusters,
                init="k-means++",
                n_init=self.n_init,
                random_state=self.random_state,
            )
        model.fit(data)
        self.model_ = model
        self.uses_mini_batch_ = bool(use_mini_batch)
        self.n_clusters_ = int(self.n_clusters)
        self.labels_: NDArray[np.int64] = np.asarray(model.labels_, dtype=np.int64)
        self.cluster_centers_: NDArray[np.floating[Any]] = model.cluster_centers_
        self.inertia_ = float(model.inertia_)
        return self

    def predict(self, X: ArrayLike) -> NDArray[np.int64]:
        """The nearest centre for each row of ``X``."""
        check_is_fitted(self, "model_")
        data = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        labels: NDArray[np.int64] = np.asarray(self.model_.predict(data), dtype=np.int64)
        return labels

    def _check_params(self) -> None:
        if not _is_int(self.n_clusters) or self.n_clusters < 1:
            raise ValueError(f"n_clusters must be an integer >= 1, got {self.n_clusters!r}")
        if not _is_int(self.n_init) or self.n_init < 1:
            raise ValueError(f"n_init must be an integer >= 1, got {self.n_init!r}")
        if not (isinstance(self.mini_batch, bool | np.bool_) or self.mini_batch == "auto"):
            raise ValueError(f"mini_batch must be True, False or 'auto', got {self.mini_batch!r}")
        if not _is_int(self.mini_batch_threshold) or self.mini_batch_threshold < 1:
            raise ValueError(
                f"mini_batch_threshold must be an integer >= 1, got {self.mini_batch_threshold!r}"
            )


def _is_int(value: object) -> bool:
    """An integer that is not a bool (``True`` is not a valid number of clusters)."""
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)
