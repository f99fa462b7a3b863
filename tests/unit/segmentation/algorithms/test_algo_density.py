"""AutoDBSCAN and HDBSCANSegmenter: planted moons and blobs with outliers, the eps knee, the
prediction rules for new rows, errors and the scikit-learn checks."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from numpy.typing import NDArray
from sklearn.cluster import DBSCAN
from sklearn.datasets import make_blobs, make_moons
from sklearn.exceptions import NotFittedError
from sklearn.metrics import adjusted_rand_score
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_estimator
from threadpoolctl import threadpool_limits

from cible.segmentation.algorithms.density import AutoDBSCAN, HDBSCANSegmenter
from cible.segmentation.algorithms.knee import knee_point


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    """These fits are tiny: on a busy 2-core machine, starting BLAS / OpenMP threads costs far
    more than the work (a 600-row mixture: 0.5 s with 2 threads, 0.02 s with 1)."""
    with threadpool_limits(limits=1):
        yield


OUTLIERS = np.array([[12.0, 12.0], [-8.0, -8.0], [12.0, -8.0], [-8.0, 12.0]])


def _moons() -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    X, y = make_moons(n_samples=600, noise=0.05, random_state=0)
    return StandardScaler().fit_transform(X), y


def _blobs_with_outliers() -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    X, y = make_blobs(
        n_samples=[150, 150, 150],
        centers=[[0.0, 0.0], [6.0, 0.0], [0.0, 6.0]],
        cluster_std=0.6,
        random_state=3,
    )
    return np.vstack([X, OUTLIERS]), np.concatenate([y, [-1, -1, -1, -1]])


# --- AutoDBSCAN ---------------------------------------------------------------------------------


def test_dbscan_separates_the_moons_that_kmeans_cannot() -> None:
    X, y = _moons()
    model = AutoDBSCAN(min_samples=10).fit(X)
    assert model.n_clusters_ == 2
    assert adjusted_rand_score(y, model.labels_) >= 0.98  # measured 0.980 (6 rows are noise)
    assert int((model.labels_ == -1).sum()) == 6
    assert model.eps_ == pytest.approx(0.16890528, rel=1e-6)
    assert adjusted_rand_score(y, model.predict(X)) >= 0.98


def test_dbscan_eps_is_the_knee_of_the_k_distance_curve() -> None:
    X, _ = _blobs_with_outliers()
    model = AutoDBSCAN(min_samples=8).fit(X)
    curve = model.k_distances_
    assert curve.shape == (454,)
    assert np.all(np.diff(curve) >= 0)
    assert model.eps_ == curve[knee_point(curve)]
    # k counts the row itself, as DBSCAN's min_samples does.
    by_hand = NearestNeighbors(n_neighbors=8).fit(X).kneighbors(X)[0][:, -1]
    np.testing.assert_allclose(curve, np.sort(by_hand))
    # Same clustering as scikit-learn's DBSCAN with that eps.
    reference = DBSCAN(eps=model.eps_, min_samples=8).fit(X)
    np.testing.assert_array_equal(model.labels_, reference.labels_)
    np.testing.assert_array_equal(model.core_sample_indices_, reference.core_sample_indices_)
    np.testing.assert_array_equal(model.components_, X[reference.core_sample_indices_])


def test_dbscan_flags_planted_outliers_as_noise() -> None:
    X, y = _blobs_with_outliers()
    model = AutoDBSCAN(min_samples=8).fit(X)
    assert model.n_clusters_ == 3
    assert model.labels_[-4:].tolist() == [-1, -1, -1, -1]
    assert adjusted_rand_score(y, model.labels_) >= 0.98  # measured 0.990
    assert model.labels_.dtype == np.int64


def test_dbscan_knee_sample_draws_rows_but_searches_neighbours_in_all() -> None:
    X, _ = _blobs_with_outliers()
    full = np.sort(NearestNeighbors(n_neighbors=8).fit(X).kneighbors(X)[0][:, -1])
    a = AutoDBSCAN(min_samples=8, knee_sample=100, random_state=4).fit(X)
    b = AutoDBSCAN(min_samples=8, knee_sample=100, random_state=4).fit(X)
    assert a.k_distances_.shape == (100,)
    assert np.isin(a.k_distances_, full).all()
    np.testing.assert_array_equal(a.k_distances_, b.k_distances_)
    np.testing.assert_array_equal(a.labels_, b.labels_)


def test_dbscan_given_eps_is_used() -> None:
    X, _ = _blobs_with_outliers()
    model = AutoDBSCAN(eps=0.5, min_samples=8).fit(X)
    assert model.eps_ == 0.5
    np.testing.assert_array_equal(model.labels_, DBSCAN(eps=0.5, min_samples=8).fit(X).labels_)


def test_dbscan_predict_joins_the_nearest_core_sample_within_eps() -> None:
    X, _ = _blobs_with_outliers()
    model = AutoDBSCAN(min_samples=8).fit(X)
    core = model.core_sample_indices_
    np.testing.assert_array_equal(model.predict(X[core]), model.labels_[core])
    first = X[core[0]]
    new = np.array([first + np.array([0.9 * model.eps_, 0.0]), [30.0, 30.0]])
    assert model.predict(new).tolist() == [model.labels_[core[0]], -1]


def test_dbscan_all_noise_predicts_noise() -> None:
    X = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]])
    model = AutoDBSCAN(eps=1.0, min_samples=2).fit(X)
    assert model.n_clusters_ == 0
    assert model.components_.shape == (0, 2)
    assert model.predict(X).tolist() == [-1, -1, -1, -1]


def test_dbscan_errors() -> None:
    X, _ = _blobs_with_outliers()
    with pytest.raises(ValueError, match="eps must be None or a finite number > 0, got 0"):
        AutoDBSCAN(eps=0).fit(X)
    with pytest.raises(ValueError, match=r"min_samples must be an integer >= 1, got 2\.5"):
        AutoDBSCAN(min_samples=2.5).fit(X)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="knee_sample must be an integer >= 2, got 1"):
        AutoDBSCAN(knee_sample=1).fit(X)
    with pytest.raises(ValueError, match="n_samples=5 should be >= min_samples=10"):
        AutoDBSCAN().fit(X[:5])
    with pytest.raises(NotFittedError):
        AutoDBSCAN().predict(X)


# --- HDBSCANSegmenter ---------------------------------------------------------------------------


def test_hdbscan_separates_the_moons() -> None:
    X, y = _moons()
    model = HDBSCANSegmenter().fit(X)
    assert model.min_cluster_size_ == 10  # max(10, 600 // 100)
    assert model.n_clusters_ == 2
    assert adjusted_rand_score(y, model.labels_) == 1.0
    np.testing.assert_array_equal(model.predict(X), model.labels_)


def test_hdbscan_flags_planted_outliers_and_gives_probabilities() -> None:
    X, y = _blobs_with_outliers()
    model = HDBSCANSegmenter().fit(X)
    assert model.n_clusters_ == 3
    assert adjusted_rand_score(y, model.labels_) == 1.0
    assert model.labels_[-4:].tolist() == [-1, -1, -1, -1]
    assert model.probabilities_.shape == (454,)
    assert model.probabilities_[-4:].tolist() == [0.0, 0.0, 0.0, 0.0]
    assert model.probabilities_.max() == 1.0
    assert model.cluster_radius_.shape == (3,)


def test_hdbscan_default_min_cluster_size_is_one_percent() -> None:
    X = np.random.RandomState(0).rand(3000, 2)
    assert HDBSCANSegmenter().fit(X).min_cluster_size_ == 30
    assert HDBSCANSegmenter(min_cluster_size=7).fit(X[:100]).min_cluster_size_ == 7


def test_hdbscan_predict_rule() -> None:
    X, _ = _blobs_with_outliers()
    model = HDBSCANSegmenter().fit(X)
    members = np.flatnonzero(model.labels_ == 1)
    # Radius of cluster 1: 95th percentile of each member's distance to its nearest fellow.
    fellows = NearestNeighbors(n_neighbors=2).fit(X[members]).kneighbors(X[members])[0][:, 1]
    assert model.cluster_radius_[1] == pytest.approx(np.percentile(fellows, 95))
    anchor = X[members[0]]
    radius = model.cluster_radius_[1]
    new = np.array([anchor + np.array([0.0, 0.5 * radius]), [30.0, 30.0]])
    assert model.predict(new).tolist() == [1, -1]
    np.testing.assert_array_equal(model.predict(X[members]), np.ones(len(members)))


def test_hdbscan_errors() -> None:
    X, _ = _blobs_with_outliers()
    with pytest.raises(ValueError, match="min_cluster_size must be None or an integer >= 2"):
        HDBSCANSegmenter(min_cluster_size=1).fit(X)
    with pytest.raises(ValueError, match="min_samples must be None or an integer >= 1"):
        HDBSCANSegmenter(min_samples=0).fit(X)
    with pytest.raises(ValueError, match="cluster_selection_method must be 'eom' or 'leaf'"):
        HDBSCANSegmenter(cluster_selection_method="best").fit(X)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"min_samples=50 .* should be <= n_samples=20"):
        HDBSCANSegmenter(min_cluster_size=50).fit(X[:20])
    with pytest.raises(NotFittedError):
        HDBSCANSegmenter().predict(X)


def test_inputs_are_not_modified() -> None:
    X, _ = _blobs_with_outliers()
    before = X.copy()
    AutoDBSCAN(min_samples=8).fit(X).predict(X)
    HDBSCANSegmenter().fit(X).predict(X)
    np.testing.assert_array_equal(X, before)


# check_array_api_input is skipped by scikit-learn itself unless SCIPY_ARRAY_API=1 is set before
# scipy is imported; array-API inputs are not supported. Nothing else needs excluding: the
# scikit-learn clustering check accepts -1 (noise) as a label.
SKIPPED_BY_SKLEARN = {"check_array_api_input"}


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.SkipTestWarning")
@pytest.mark.parametrize("estimator", [AutoDBSCAN(), HDBSCANSegmenter()], ids=["dbscan", "hdbscan"])
def test_passes_sklearn_check_estimator(estimator: AutoDBSCAN | HDBSCANSegmenter) -> None:
    results = check_estimator(estimator, on_fail=None)
    failed = {r["check_name"]: str(r["exception"]) for r in results if r["status"] == "failed"}
    skipped = {r["check_name"] for r in results if r["status"] == "skipped"}
    assert failed == {}
    assert skipped <= SKIPPED_BY_SKLEARN
    assert len(results) > 40
