"""The selection on mixed rows: numeric features plus categorical ones coded as integers.

When the prepared matrix holds categorical columns (ordinal codes, their positions in
``categorical``), :mod:`cible.segmentation.selection`:

- scores the silhouette of every candidate on Gower's distance of the score sample
  (:func:`score_distances`), the distance that treats a code as a category and not as a number;
  Davies-Bouldin and Calinski-Harabasz, defined on Euclidean centroids, are computed on the
  numeric columns only (NaN when there are none);
- fits the algorithms made for mixed rows (k-prototypes, Gower k-medoids) on every column, and the
  numeric algorithms (k-means, mixtures, hierarchical, density) on the numeric columns only
  (:class:`NumericColumns`: a category code is not a magnitude they could average).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, ClusterMixin, clone
from sklearn.metrics import pairwise_distances
from sklearn.utils.validation import check_is_fitted

from cible.config.segmentation import MIXED_ALGORITHMS
from cible.segmentation.gower import gower_distances, gower_ranges


def score_distances(
    X: NDArray[np.float64], score_idx: NDArray[np.intp], categorical: Sequence[int]
) -> NDArray[np.float64]:
    """Pairwise distances of the score sample: Euclidean on numeric rows, Gower (ranges of all
    of ``X``) when some columns are categorical."""
    if not categorical:
        return np.asarray(pairwise_distances(X[score_idx]), dtype=np.float64)
    ranges = gower_ranges(X, list(categorical))
    return gower_distances(X[score_idx], categorical=list(categorical), ranges=ranges)


def is_mixed(algorithm: str) -> bool:
    """Whether ``algorithm`` clusters categorical codes as categories."""
    return algorithm in MIXED_ALGORITHMS


def numeric_part(X: NDArray[np.float64], categorical: Sequence[int]) -> NDArray[np.float64]:
    """``X`` without its categorical columns."""
    return np.delete(X, list(categorical), axis=1).astype(np.float64) if categorical else X


class NumericColumns(ClusterMixin, BaseEstimator):
    """A numeric clustering estimator fitted on the columns of ``X`` that are not categorical.

    ``fit`` fits a clone of ``estimator`` on the numeric columns; ``predict`` labels rows from
    theirs. Fitted attributes: ``estimator_`` (the fitted clone), ``labels_``, ``n_clusters_``.
    """

    def __init__(self, estimator: Any = None, categorical: Sequence[int] = ()) -> None:
        self.estimator = estimator
        self.categorical = categorical

    def fit(self, X: ArrayLike, y: Any = None) -> NumericColumns:
        data = np.asarray(X, dtype=np.float64)
        return self._fitted(clone(self.estimator).fit(numeric_part(data, self.categorical)))

    def _fitted(self, estimator: Any) -> NumericColumns:
        self.estimator_ = estimator
        self.labels_ = np.asarray(estimator.labels_, dtype=np.int64)
        self.n_clusters_ = int(getattr(estimator, "n_clusters_", len(np.unique(self.labels_))))
        return self

    @classmethod
    def wrap(cls, fitted: Any, categorical: Sequence[int]) -> NumericColumns:
        """A wrapper around an estimator already fitted on the numeric columns."""
        return cls(fitted, tuple(categorical))._fitted(fitted)

    def predict(self, X: ArrayLike) -> NDArray[np.int64]:
        check_is_fitted(self, "estimator_")
        data = numeric_part(np.asarray(X, dtype=np.float64), self.categorical)
        return np.asarray(self.estimator_.predict(data), dtype=np.int64)


def inner(estimator: Any) -> Any:
    """The estimator a :class:`NumericColumns` wraps (itself otherwise)."""
    return estimator.estimator_ if isinstance(estimator, NumericColumns) else estimator
