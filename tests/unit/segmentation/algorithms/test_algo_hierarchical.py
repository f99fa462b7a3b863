"""AgglomerativeSegmenter and cut_tree_labels: planted blobs for every linkage, agreement with
scikit-learn, the sampled fit, the cut height, errors and the scikit-learn checks."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from numpy.typing import NDArray
from scipy.cluster.hierarchy import fcluster
from sklearn.cluster import AgglomerativeClustering
from sklearn.datasets import make_blobs
from sklearn.exceptions import NotFittedError
from sklearn.metrics import adjusted_rand_score
from sklearn.utils.estimator_checks import check_estimator
from threadpoolctl import threadpool_limits

from cible.segmentation.algorithms.hierarchical import AgglomerativeSegmenter, cut_tree_labels


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    """These fits are tiny: on a busy 2-core machine, starting BLAS / OpenMP threads costs far
    more than the work (a 600-row mixture: 0.5 s with 2 threads, 0.02 s with 1)."""
    with threadpool_limits(limits=1):
        yield


CENTERS = [[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]]
# Five leaves; the two first merges tie at height 1.
TIED_TREE = np.array(
    [[0, 1, 1.0, 2], [2, 3, 1.0, 2], [5, 6, 10.0, 4], [4, 7, 20.0, 5]], dtype=np.float64
)


def _blobs(n: int = 400, seed: int = 7) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    X, y = make_blobs(n_samples=n, centers=CENTERS, cluster_std=0.5, random_state=seed)
    return X, y


@pytest.mark.parametrize("linkage", ["ward", "complete", "average"])
def test_recovers_planted_blobs_like_sklearn(linkage: str) -> None:
    X, y = _blobs()
    model = AgglomerativeSegmenter(n_clusters=4, linkage=linkage).fit(X)  # type: ignore[arg-type]
    reference = AgglomerativeClustering(n_clusters=4, linkage=linkage).fit(X)  # type: ignore[arg-type]
    assert adjusted_rand_score(y, model.labels_) == 1.0
    assert adjusted_rand_score(reference.labels_, model.labels_) == 1.0
    assert model.n_clusters_ == 4
    assert model.labels_.dtype == np.int64
    assert model.linkage_matrix_.shape == (399, 4)
    np.testing.assert_array_equal(model.fit_sample_indices_, np.arange(400))
    for c in range(4):
        np.testing.assert_allclose(model.cluster_centers_[c], X[model.labels_ == c].mean(axis=0))
    np.testing.assert_array_equal(model.predict(X), model.labels_)


def test_cut_height_lies_between_the_last_merge_made_and_the_first_not_made() -> None:
    X, _ = _blobs()
    model = AgglomerativeSegmenter(n_clusters=4).fit(X)
    heights = model.linkage_matrix_[:, 2]
    assert heights[-4] < model.cut_height_ < heights[-3]
    assert model.cut_height_ == pytest.approx((heights[-4] + heights[-3]) / 2)
    assert model.cut_height_ == pytest.approx(52.4165837, rel=1e-6)


@pytest.mark.parametrize("linkage", ["ward", "complete", "average"])
def test_distance_threshold_matches_sklearn(linkage: str) -> None:
    X, _ = _blobs()
    by_k = AgglomerativeSegmenter(n_clusters=4, linkage=linkage).fit(X)  # type: ignore[arg-type]
    threshold = by_k.cut_height_
    model = AgglomerativeSegmenter(distance_threshold=threshold, linkage=linkage).fit(X)  # type: ignore[arg-type]
    reference = AgglomerativeClustering(
        n_clusters=None,
        distance_threshold=threshold,
        linkage=linkage,  # type: ignore[arg-type]
    ).fit(X)
    assert model.n_clusters_ == reference.n_clusters_ == 4
    assert model.cut_height_ == threshold
    np.testing.assert_array_equal(model.labels_, by_k.labels_)


def test_large_input_is_fitted_on_a_sample_and_the_rest_goes_to_the_nearest_centroid() -> None:
    X, y = _blobs(600, seed=8)
    model = AgglomerativeSegmenter(n_clusters=4, max_fit_samples=200, random_state=0).fit(X)
    again = AgglomerativeSegmenter(n_clusters=4, max_fit_samples=200, random_state=0).fit(X)
    rows = model.fit_sample_indices_
    assert rows.shape == (200,)
    assert np.all(np.diff(rows) > 0)
    assert model.linkage_matrix_.shape == (199, 4)
    assert adjusted_rand_score(y, model.labels_) == 1.0
    np.testing.assert_array_equal(model.labels_, again.labels_)
    for c in range(4):
        np.testing.assert_allclose(
            model.cluster_centers_[c], X[rows][model.labels_[rows] == c].mean(axis=0)
        )
    others = np.setdiff1d(np.arange(600), rows)
    np.testing.assert_array_equal(model.predict(X[others]), model.labels_[others])


def test_cut_tree_labels_gives_exactly_k_clusters_even_with_tied_heights() -> None:
    assert cut_tree_labels(TIED_TREE, 1).tolist() == [0, 0, 0, 0, 0]
    assert cut_tree_labels(TIED_TREE, 2).tolist() == [0, 0, 0, 0, 1]
    assert cut_tree_labels(TIED_TREE, 3).tolist() == [0, 0, 1, 1, 2]
    assert cut_tree_labels(TIED_TREE, 4).tolist() == [0, 0, 1, 2, 3]
    assert cut_tree_labels(TIED_TREE, 5).tolist() == [0, 1, 2, 3, 4]
    # scipy's maxclust gives only 3 clusters when asked for 4 on this tree.
    assert len(np.unique(fcluster(TIED_TREE, 4, criterion="maxclust"))) == 3
    with pytest.raises(ValueError, match=r"n_clusters must be in 1..5, got 6"):
        cut_tree_labels(TIED_TREE, 6)


def test_errors() -> None:
    X, _ = _blobs(20)
    with pytest.raises(ValueError, match="exactly one of n_clusters and distance_threshold"):
        AgglomerativeSegmenter().fit(X)
    with pytest.raises(ValueError, match="exactly one of n_clusters and distance_threshold"):
        AgglomerativeSegmenter(n_clusters=2, distance_threshold=1.0).fit(X)
    with pytest.raises(ValueError, match="n_clusters must be None or an integer >= 1, got 0"):
        AgglomerativeSegmenter(n_clusters=0).fit(X)
    with pytest.raises(ValueError, match="distance_threshold must be None or a finite number"):
        AgglomerativeSegmenter(distance_threshold=-1.0).fit(X)
    with pytest.raises(ValueError, match="linkage must be one of ward, complete, average"):
        AgglomerativeSegmenter(n_clusters=2, linkage="single").fit(X)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_fit_samples must be an integer >= 2"):
        AgglomerativeSegmenter(n_clusters=2, max_fit_samples=1).fit(X)
    with pytest.raises(ValueError, match=r"n_samples=10 \(rows the tree is built on\)"):
        AgglomerativeSegmenter(n_clusters=12, max_fit_samples=10).fit(X)
    with pytest.raises(NotFittedError):
        AgglomerativeSegmenter(n_clusters=2).predict(X)


def test_input_is_not_modified() -> None:
    X, _ = _blobs(100)
    before = X.copy()
    AgglomerativeSegmenter(n_clusters=3, max_fit_samples=50).fit(X).predict(X)
    np.testing.assert_array_equal(X, before)


# check_array_api_input is skipped by scikit-learn itself unless SCIPY_ARRAY_API=1 is set before
# scipy is imported; array-API inputs are not supported.
SKIPPED_BY_SKLEARN = {"check_array_api_input"}


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.SkipTestWarning")
def test_passes_sklearn_check_estimator() -> None:
    # n_clusters is given because exactly one of n_clusters / distance_threshold is required.
    results = check_estimator(AgglomerativeSegmenter(n_clusters=3), on_fail=None)
    failed = {r["check_name"]: str(r["exception"]) for r in results if r["status"] == "failed"}
    skipped = {r["check_name"] for r in results if r["status"] == "skipped"}
    assert failed == {}
    assert skipped <= SKIPPED_BY_SKLEARN
    assert len(results) > 40


def test_recut_equals_a_fresh_fit_at_each_k() -> None:
    from sklearn.datasets import make_blobs

    X, _ = make_blobs(n_samples=400, centers=5, random_state=3)
    base = AgglomerativeSegmenter(n_clusters=2, max_fit_samples=300, random_state=1).fit(X)
    for k in (3, 5, 7):
        fresh = AgglomerativeSegmenter(n_clusters=k, max_fit_samples=300, random_state=1).fit(X)
        cut = base.recut(k, X)
        assert cut.n_clusters_ == k
        np.testing.assert_array_equal(cut.labels_, fresh.labels_)
        np.testing.assert_allclose(cut.cluster_centers_, fresh.cluster_centers_)
        assert cut.cut_height_ == fresh.cut_height_
    assert base.n_clusters_ == 2  # the original is untouched
