"""Gaussian mixture clustering, with the number of components chosen by BIC.

:class:`GMMSegmenter` fits one :class:`~sklearn.mixture.GaussianMixture` per candidate number of
components and keeps the one with the lowest Bayesian information criterion (BIC), which trades the
likelihood against the number of parameters. Unlike k-means, it gives soft memberships
(:meth:`GMMSegmenter.predict_proba`) and allows elliptical clusters of different sizes.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.mixture import GaussianMixture
from sklearn.utils.validation import check_is_fitted, validate_data

from cible.segmentation.algorithms.partition import _is_int

COVARIANCE_TYPES: tuple[str, ...] = ("full", "tied", "diag", "spherical")


class GMMSegmenter(ClusterMixin, BaseEstimator):
    """Gaussian mixture with ``n_components`` components, or the k in ``k_min..k_max`` of best BIC.

    Parameters
    ----------
    n_components:
        The number of components; ``None`` tries every k in ``k_min..k_max`` (values above the
        number of samples are skipped) and keeps the lowest BIC (ties go to the smaller k).
    k_min, k_max:
        The range searched when ``n_components`` is ``None`` (inclusive).
    covariance_type:
        ``"full"``, ``"tied"``, ``"diag"`` or ``"spherical"`` (see
        :class:`~sklearn.mixture.GaussianMixture`).
    random_state:
        Seeds the k-means initialisation of every mixture: the same value gives the same labels.
    n_init:
        Initialisations per mixture; the best likelihood is kept.

    Fitted attributes
    -----------------
    labels_: the component of highest posterior probability for each training row, in
        ``0..n_clusters_-1`` (int64); a component that is never the most probable one leaves its
        label unused.
    n_clusters_: the number of components of the chosen mixture.
    bic_: DataFrame with one row per k tried: ``k`` (int64), ``bic`` (float64, lower is better).
    model_: the chosen fitted :class:`~sklearn.mixture.GaussianMixture`.
    n_features_in_: the number of features seen in ``fit``.
    """

    def __init__(
        self,
        n_components: int | None = None,
        k_min: int = 2,
        k_max: int = 10,
        covariance_type: Literal["full", "tied", "diag", "spherical"] = "full",
        random_state: int | np.random.RandomState | None = 0,
        n_init: int = 1,
    ) -> None:
        self.n_components = n_components
        self.k_min = k_min
        self.k_max = k_max
        self.covariance_type = covariance_type
        self.random_state = random_state
        self.n_init = n_init

    def fit(self, X: ArrayLike, y: Any = None) -> GMMSegmenter:
        """Fit the mixture(s) and keep the lowest BIC; returns ``self``."""
        self._check_params()
        data: NDArray[np.floating[Any]] = validate_data(
            self, X, reset=True, dtype=[np.float64, np.float32]
        )
        n_samples = data.shape[0]
        if self.n_components is not None:
            if n_samples < self.n_components:
                raise ValueError(
                    f"n_samples={n_samples} should be >= n_components={self.n_components}"
                )
            ks = [int(self.n_components)]
        else:
            ks = [k for k in range(self.k_min, self.k_max + 1) if k <= n_samples]
            if not ks:
                raise ValueError(f"n_samples={n_samples} should be >= k_min={self.k_min}")

        rows: list[dict[str, float]] = []
        best: GaussianMixture | None = None
        best_bic = np.inf
        for k in ks:
            model = GaussianMixture(
                n_components=k,
                covariance_type=self.covariance_type,
                n_init=self.n_init,
                random_state=self.random_state,
            )
            model.fit(data)
            bic = float(model.bic(data))
            rows.append({"k": k, "bic": bic})
            if best is None or bic < best_bic:
                best, best_bic = model, bic

        assert best is not None  # ks is not empty
        self.bic_ = pd.DataFrame(rows, columns=["k", "bic"]).astype(
            {"k": "int64", "bic": "float64"}
        )
        self.model_ = best
        self.n_clusters_ = int(best.n_components)
        self.labels_: NDArray[np.int64] = np.asarray(best.predict(data), dtype=np.int64)
        return self

    def predict(self, X: ArrayLike) -> NDArray[np.int64]:
        """The component of highest posterior probability for each row of ``X``."""
        check_is_fitted(self, "model_")
        data = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        labels: NDArray[np.int64] = np.asarray(self.model_.predict(data), dtype=np.int64)
        return labels

    def predict_proba(self, X: ArrayLike) -> NDArray[np.float64]:
        """``(n_samples, n_clusters_)`` posterior probability of each component; rows sum to 1."""
        check_is_fitted(self, "model_")
        data = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        proba: NDArray[np.float64] = np.asarray(self.model_.predict_proba(data), np.float64)
        return proba

    def _check_params(self) -> None:
        if self.n_components is not None and (
            not _is_int(self.n_components) or self.n_components < 1
        ):
            raise ValueError(
                f"n_components must be None or an integer >= 1, got {self.n_components!r}"
            )
        if not _is_int(self.k_min) or self.k_min < 1:
            raise ValueError(f"k_min must be an integer >= 1, got {self.k_min!r}")
        if not _is_int(self.k_max) or self.k_max < self.k_min:
            raise ValueError(f"k_max must be an integer >= k_min={self.k_min}, got {self.k_max!r}")
        if self.covariance_type not in COVARIANCE_TYPES:
            raise ValueError(
                f"covariance_type must be one of {', '.join(COVARIANCE_TYPES)}, "
                f"got {self.covariance_type!r}"
            )
        if not _is_int(self.n_init) or self.n_init < 1:
            raise ValueError(f"n_init must be an integer >= 1, got {self.n_init!r}")
