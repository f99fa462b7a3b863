"""k-means with the number of clusters chosen automatically by the silhouette score.

:class:`AutoKMeans` fits one :class:`~sklearn.cluster.KMeans` per candidate k and keeps the one with
the best silhouette. The silhouette is quadratic in the number of rows, so it is computed on one
seeded random sample (the same rows for every k, so that the scores are comparable); inertia (for
the elbow chart) is computed on all rows by k-means itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

# Two silhouettes closer than this are a tie, which goes to the smaller k (the simpler model).
_TIE_TOLERANCE = 1e-12


class AutoKMeans(ClusterMixin, BaseEstimator):
    """k-means++ for every k in ``k_min..k_max``; keeps the k with the best sampled silhouette.

    Parameters
    ----------
    k_min, k_max:
        The range of k tried (inclusive). Values of k that are not smaller than the number of
        samples are skipped.
    silhouette_sample:
        The silhouette is computed on a seeded random sample of
        ``min(n_samples, silhouette_sample)`` rows, the same rows for every k.
    n_init:
        k-means++ restarts per k (passed to :class:`~sklearn.cluster.KMeans`).
    random_state:
        Seeds the silhouette sample and every k-means run: the same value gives the same labels.
    on_k:
        Called with each k once it is fitted and scored (progress reporting); no effect on the
        result.

    Fitted attributes
    -----------------
    n_clusters_: the chosen k.
    labels_: cluster of each training row, in ``0..n_clusters_-1``.
    cluster_centers_: ``(n_clusters_, n_features)`` centres of the chosen model.
    scores_: DataFrame with one row per k tried: ``k``, ``inertia``, ``silhouette`` (NaN when the
        silhouette is undefined on the sample, e.g. a single cluster in it).
    model_: the chosen fitted :class:`~sklearn.cluster.KMeans`.
    silhouette_: its sampled silhouette.
    n_features_in_: the number of features seen in ``fit``.

    The choice is the k with the highest silhouette; ties go to the smaller k. When no k has a
    defined silhouette (degenerate data), the smallest k tried is kept.

    The estimator passes :func:`sklearn.utils.estimator_checks.check_estimator`; the only check not
    run is ``check_array_api_input``, which scikit-learn itself skips unless ``SCIPY_ARRAY_API=1``
    (array-API inputs are not supported). Input validation uses ``validate_data``
    (scikit-learn >= 1.6).
    """

    def __init__(
        self,
        k_min: int = 2,
        k_max: int = 10,
        silhouette_sample: int = 5000,
        n_init: int = 10,
        random_state: int | np.random.RandomState | None = 0,
        on_k: Callable[[int], None] | None = None,
    ) -> None:
        self.k_min = k_min
        self.k_max = k_max
        self.silhouette_sample = silhouette_sample
        self.n_init = n_init
        self.random_state = random_state
        self.on_k = on_k

    def fit(self, X: ArrayLike, y: Any = None) -> AutoKMeans:
        """Fit every candidate k and keep the best; returns ``self``."""
        self._check_params()
        data: NDArray[np.float64] = validate_data(
            self, X, reset=True, dtype=[np.float64, np.float32]
        )
        n_samples = data.shape[0]
        ks = [k for k in range(self.k_min, self.k_max + 1) if k < n_samples]
        if not ks:
            raise ValueError(
                f"AutoKMeans needs more samples than k_min={self.k_min} (got n_samples={n_samples})"
            )
        rng = check_random_state(self.random_state)
        sample = _sample_rows(n_samples, self.silhouette_sample, rng)
        seed = int(rng.randint(np.iinfo(np.int32).max))

        rows: list[dict[str, float]] = []
        best: KMeans | None = None
        best_score = -np.inf
        for k in ks:
            model = KMeans(n_clusters=k, init="k-means++", n_init=self.n_init, random_state=seed)
            model.fit(data)
            score = _sampled_silhouette(data[sample], model.labels_[sample])
            rows.append({"k": k, "inertia": float(model.inertia_), "silhouette": score})
            if self.on_k is not None:
                self.on_k(k)
            if best is None or (not np.isnan(score) and score > best_score + _TIE_TOLERANCE):
                best, best_score = model, (score if not np.isnan(score) else -np.inf)

        assert best is not None  # ks is not empty
        self.scores_ = pd.DataFrame(rows, columns=["k", "inertia", "silhouette"]).astype(
            {"k": "int64", "inertia": "float64", "silhouette": "float64"}
        )
        self.model_ = best
        self.n_clusters_ = int(best.n_clusters)
        self.labels_: NDArray[np.int64] = best.labels_.astype(np.int64)
        self.cluster_centers_: NDArray[np.float64] = best.cluster_centers_
        self.silhouette_ = float(best_score) if np.isfinite(best_score) else float("nan")
        return self

    def predict(self, X: ArrayLike) -> NDArray[np.int64]:
        """The nearest centre of the chosen model for each row."""
        check_is_fitted(self, "model_")
        data = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        labels: NDArray[np.int64] = self.model_.predict(data).astype(np.int64)
        return labels

    def _check_params(self) -> None:
        if not isinstance(self.k_min, int | np.integer) or self.k_min < 2:
            raise ValueError(f"k_min must be an integer >= 2, got {self.k_min!r}")
        if not isinstance(self.k_max, int | np.integer) or self.k_max < self.k_min:
            raise ValueError(f"k_max must be an integer >= k_min={self.k_min}, got {self.k_max!r}")
        if not isinstance(self.silhouette_sample, int | np.integer) or self.silhouette_sample < 3:
            raise ValueError(
                f"silhouette_sample must be an integer >= 3, got {self.silhouette_sample!r}"
            )
        if not isinstance(self.n_init, int | np.integer) or self.n_init < 1:
            raise ValueError(f"n_init must be an integer >= 1, got {self.n_init!r}")


def _sample_rows(n_samples: int, size: int, rng: np.random.RandomState) -> NDArray[np.intp]:
    """Sorted indices of ``min(n_samples, size)`` rows drawn without replacement."""
    if n_samples <= size:
        return np.arange(n_samples)
    return np.sort(rng.choice(n_samples, size=size, replace=False))


def _sampled_silhouette(data: NDArray[np.float64], labels: NDArray[np.int32]) -> float:
    """Silhouette of ``labels`` on ``data``; NaN when undefined (< 2 or too many labels)."""
    n_labels = len(np.unique(labels))
    if n_labels < 2 or n_labels > len(labels) - 1:
        return float("nan")
    return float(silhouette_score(data, labels))
