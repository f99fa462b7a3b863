"""Gower k-medoids: planted categorical groups, sampling, prediction, scikit-learn checks."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from numpy.typing import NDArray
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score
from sklearn.utils.estimator_checks import check_estimator
from threadpoolctl import threadpool_limits

from cible.segmentation.algorithms import ALGORITHMS
from cible.segmentation.algorithms.kprototypes import KPrototypes
from cible.segmentation.algorithms.medoids import GowerKMedoids
from cible.segmentation.gower import gower_distances


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    with threadpool_limits(limits=1):
        yield


def _regions(n: int = 150, noise: float = 1.0) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Three groups that differ only by a region code (column 2); two numeric noise columns
    drawn alike for every group."""
    rng = np.random.default_rng(7)
    truth = np.repeat([0, 1, 2], n)
    X = np.column_stack([rng.normal(0, noise, 3 * n), rng.normal(0, noise, 3 * n), truth * 1.0])
    return X, truth


def test_the_registry_names_it_gower() -> None:
    assert ALGORITHMS["gower"] is GowerKMedoids


def test_recovers_groups_that_differ_only_by_a_category_where_kmeans_cannot() -> None:
    X, truth = _regions()
    est = GowerKMedoids(n_clusters=3, categorical=[2], random_state=0).fit(X)
    assert adjusted_rand_score(truth, est.labels_) == 1.0
    assert sorted(est.cluster_medoids_[:, 2]) == [0.0, 1.0, 2.0]  # one medoid per region
    numeric_only = KMeans(3, n_init=4, random_state=0).fit(X[:, :2]).labels_
    assert adjusted_rand_score(truth, numeric_only) < 0.02
    # the medoids are rows; the labels are their nearest medoid
    assert np.array_equal(X[est.medoid_indices_], est.cluster_medoids_)
    D = gower_distances(X, est.cluster_medoids_, categorical=[2], ranges=est.ranges_)
    assert np.array_equal(est.labels_, D.argmin(axis=1))
    assert est.inertia_ == pytest.approx(D.min(axis=1).sum())


def test_k_prototypes_recovers_them_too_when_the_numeric_noise_is_weak() -> None:
    X, truth = _regions(noise=0.05)
    labels = KPrototypes(n_clusters=3, categorical=[2], random_state=0).fit(X).labels_
    assert adjusted_rand_score(truth, labels) == 1.0


def test_medoids_are_searched_on_a_sample_and_every_row_is_assigned() -> None:
    X, truth = _regions(n=400)
    est = GowerKMedoids(n_clusters=3, categorical=[2], max_fit_samples=300, random_state=1).fit(X)
    assert len(est.fit_sample_indices_) == 300
    assert set(est.medoid_indices_) <= set(est.fit_sample_indices_)
    assert len(est.labels_) == 1_200
    assert adjusted_rand_score(truth, est.labels_) == 1.0
    assert np.array_equal(est.predict(X), est.labels_)
    again = GowerKMedoids(n_clusters=3, categorical=[2], max_fit_samples=300, random_state=1)
    assert np.array_equal(again.fit(X).labels_, est.labels_)


def test_parameters_are_checked() -> None:
    X, _ = _regions(n=2)
    with pytest.raises(ValueError, match="n_samples=6 should be >= n_clusters=7"):
        GowerKMedoids(n_clusters=7, categorical=[2]).fit(X)
    with pytest.raises(ValueError, match="n_init must be an integer >= 1, got 0"):
        GowerKMedoids(n_clusters=2, n_init=0).fit(X)
    with pytest.raises(ValueError, match=r"column positions in 0\.\.2, got 5"):
        GowerKMedoids(n_clusters=2, categorical=[5]).fit(X)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.SkipTestWarning")
def test_passes_sklearn_check_estimator() -> None:
    results = check_estimator(GowerKMedoids(n_clusters=3, n_init=2), on_fail=None)
    failed = {r["check_name"]: str(r["exception"]) for r in results if r["status"] == "failed"}
    skipped = {r["check_name"] for r in results if r["status"] == "skipped"}
    assert failed == {}
    assert skipped <= {"check_array_api_input"}
    assert len(results) > 40
