"""Clusterboot stability: planted blobs are stable, uniform noise is not; exact Jaccard cases."""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pytest
from numpy.typing import NDArray
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs

from cible.segmentation.validation.stability import _best_jaccards, bootstrap_stability


def _kmeans(k: int, n_init: int = 3) -> Callable[[NDArray[np.float64]], NDArray[np.int64]]:
    def fit_predict(Z: NDArray[np.float64]) -> NDArray[np.int64]:
        return KMeans(n_clusters=k, n_init=n_init, random_state=0).fit_predict(Z)

    return fit_predict


def test_well_separated_blobs_are_stable() -> None:
    X, y = make_blobs(n_samples=300, centers=4, n_features=3, cluster_std=0.6, random_state=3)
    calls: list[int] = []

    def fit_predict(Z: NDArray[np.float64]) -> NDArray[np.int64]:
        calls.append(len(Z))
        return KMeans(n_clusters=4, n_init=3, random_state=0).fit_predict(Z)

    result = bootstrap_stability(X, y, fit_predict, n_boot=20, random_state=0)
    assert calls == [300] * 20  # exactly n_boot refits, n rows each
    assert result.jaccards.shape == (20, 4)
    assert all(v > 0.95 for v in result.mean_jaccard.values())
    assert result.recovered == {0: 1.0, 1: 1.0, 2: 1.0, 3: 1.0}
    assert result.mean_ari > 0.95
    assert {result.stability_class(s) for s in result.segments} == {"stable"}


def test_uniform_noise_is_much_less_stable() -> None:
    X = np.random.default_rng(0).uniform(size=(300, 2))
    labels = KMeans(n_clusters=5, n_init=3, random_state=0).fit_predict(X)
    fit_predict = _kmeans(5, n_init=1)
    result = bootstrap_stability(X, labels, fit_predict, n_boot=20, random_state=0)
    mean = float(np.mean(list(result.mean_jaccard.values())))
    assert mean < 0.8
    assert result.mean_ari < 0.8


def test_best_jaccard_by_hand() -> None:
    original = np.array([0, 0, 0, 1, 1, -1])
    # segment 0 = {0,1,2}, 1 = {3,4}; cluster 5 = {0,1}, cluster 7 = {2,3,4}
    np.testing.assert_allclose(
        _best_jaccards(original, np.array([5, 5, 7, 7, 7, -1]), np.array([0, 1])),
        [2 / 3, 2 / 3],
    )
    # refit noise is no cluster: segment 0 lost entirely, segment 1 = cluster 7 exactly
    np.testing.assert_allclose(
        _best_jaccards(original, np.array([-1, -1, -1, 7, 7, -1]), np.array([0, 1])),
        [0.0, 1.0],
    )
    # a segment absent from the resample is NaN
    out = _best_jaccards(np.array([0, 0]), np.array([1, 1]), np.array([0, 3]))
    assert out[0] == 1.0 and np.isnan(out[1])


def test_perfect_and_failed_refits() -> None:
    X = np.linspace(0.0, 1.0, 50).reshape(-1, 1)
    labels = (X[:, 0] > 0.5).astype(np.int64)
    perfect = bootstrap_stability(
        X, labels, lambda Z: (Z[:, 0] > 0.5).astype(int), n_boot=5, random_state=2
    )
    assert perfect.mean_jaccard == {0: 1.0, 1: 1.0}
    assert perfect.aris == (1.0,) * 5
    failed = bootstrap_stability(X, labels, lambda Z: np.full(len(Z), -1), n_boot=5)
    assert failed.mean_jaccard == {0: 0.0, 1: 0.0}
    assert failed.recovered == {0: 0.0, 1: 0.0}
    assert failed.stability_class(0) == "unstable"


def test_subsampled_resamples_and_absent_segments() -> None:
    X = np.arange(1000.0).reshape(-1, 1)
    labels = np.where(X[:, 0] < 500, 0, 1)
    labels[0] = 2  # a one-customer segment, absent from most resamples
    labels[1] = -1  # noise is not a segment
    sizes: list[int] = []

    def fit_predict(Z: NDArray[np.float64]) -> NDArray[np.int64]:
        sizes.append(len(Z))
        return np.where(Z[:, 0] < 500, 0, 1)

    result = bootstrap_stability(X, labels, fit_predict, n_boot=10, sample=40, random_state=0)
    assert sizes == [40] * 10
    assert result.resample_size == 40
    assert result.segments == (0, 1, 2)
    assert np.isnan(result.jaccards[:, 2]).all()
    assert np.isnan(result.mean_jaccard[2])
    assert result.mean_jaccard[0] == 1.0 and result.mean_jaccard[1] == 1.0
    data = result.to_dict()
    json.dumps(data, allow_nan=False)
    assert data["segments"][2]["mean_jaccard"] is None
    assert data["segments"][2]["stability"] == "unstable"


def test_same_seed_same_result_and_inputs_untouched() -> None:
    X, y = make_blobs(n_samples=120, centers=3, cluster_std=2.5, random_state=1)
    X0, y0 = X.copy(), y.copy()
    fp = _kmeans(3, n_init=1)
    a = bootstrap_stability(X, y, fp, n_boot=4, random_state=5)
    b = bootstrap_stability(X, y, fp, n_boot=4, random_state=5)
    np.testing.assert_array_equal(a.jaccards, b.jaccards)
    assert a.aris == b.aris
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)


def test_bad_arguments() -> None:
    X = np.zeros((10, 2))
    with pytest.raises(ValueError, match="n_boot must be >= 1"):
        bootstrap_stability(X, np.zeros(10), lambda Z: np.zeros(len(Z)), n_boot=0)
    with pytest.raises(ValueError, match="one label per row"):
        bootstrap_stability(X, np.zeros(10), lambda Z: np.zeros(3), n_boot=1)
