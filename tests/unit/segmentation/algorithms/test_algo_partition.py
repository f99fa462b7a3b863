"""KMeansSegmenter: planted blobs, the mini-batch switch, reproducibility, scikit-learn checks."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from numpy.typing import NDArray
from sklearn.base import clone
from sklearn.datasets import make_blobs
from sklearn.exceptions import NotFittedError
from sklearn.metrics import adjusted_rand_score
from sklearn.utils.estimator_checks import check_estimator
from threadpoolctl import threadpool_limits

from cible.segmentation.algorithms.partition import KMeansSegmenter


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    """These fits are tiny: on a busy 2-core machine, starting BLAS / OpenMP threads costs far
    more than the work (a 600-row mixture: 0.5 s with 2 threads, 0.02 s with 1)."""
    with threadpool_limits(limits=1):
        yield


CENTERS = [[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]]


def _blobs(n: int = 400) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    X, y = make_blobs(n_samples=n, centers=CENTERS, cluster_std=0.5, random_state=7)
    return X, y


def test_recovers_four_planted_blobs() -> None:
    X, y = _blobs()
    model = KMeansSegmenter(n_clusters=4, n_init=3).fit(X)
    assert adjusted_rand_score(y, model.labels_) == 1.0
    assert model.n_clusters_ == 4
    assert not model.uses_mini_batch_
    assert model.labels_.dtype == np.int64
    assert sorted(np.unique(model.labels_).tolist()) == [0, 1, 2, 3]
    assert model.cluster_centers_.shape == (4, 2)
    expected = sum(
        float(((X[model.labels_ == c] - model.cluster_centers_[c]) ** 2).sum()) for c in range(4)
    )
    assert model.inertia_ == pytest.approx(expected)
    np.testing.assert_array_equal(model.predict(X), model.labels_)
    # Planted centres are found within a few hundredths.
    found = model.cluster_centers_[np.argsort(model.cluster_centers_ @ [1.0, 100.0])]
    np.testing.assert_allclose(found, CENTERS, atol=0.1)


def test_mini_batch_recovers_the_blobs_too() -> None:
    X, y = _blobs(2000)
    model = KMeansSegmenter(n_clusters=4, n_init=3, mini_batch=True).fit(X)
    assert model.uses_mini_batch_
    assert adjusted_rand_score(y, model.labels_) == 1.0
    assert adjusted_rand_score(y, model.predict(X)) == 1.0


@pytest.mark.parametrize(
    ("mini_batch", "threshold", "expected"),
    [("auto", 399, True), ("auto", 400, False), (True, 10_000, True), (False, 10, False)],
)
def test_mini_batch_switch(mini_batch: bool | str, threshold: int, expected: bool) -> None:
    X, _ = _blobs(400)
    model = KMeansSegmenter(
        n_clusters=4, n_init=1, mini_batch=mini_batch, mini_batch_threshold=threshold
    ).fit(X)
    assert model.uses_mini_batch_ is expected
    assert type(model.model_).__name__ == ("MiniBatchKMeans" if expected else "KMeans")


def test_same_random_state_same_labels_and_input_unchanged() -> None:
    X, _ = make_blobs(n_samples=300, centers=5, cluster_std=3.0, random_state=1)
    before = X.copy()
    a = KMeansSegmenter(n_clusters=5, n_init=2, random_state=11).fit(X)
    b = KMeansSegmenter(n_clusters=5, n_init=2, random_state=11).fit(X)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    np.testing.assert_array_equal(X, before)


def test_bad_params_and_too_few_samples() -> None:
    X, _ = _blobs(20)
    with pytest.raises(ValueError, match="n_clusters must be an integer >= 1, got 0"):
        KMeansSegmenter(n_clusters=0).fit(X)
    with pytest.raises(ValueError, match="n_clusters must be an integer >= 1, got True"):
        KMeansSegmenter(n_clusters=True).fit(X)
    with pytest.raises(ValueError, match="n_init must be an integer >= 1, got 0"):
        KMeansSegmenter(n_init=0).fit(X)
    with pytest.raises(ValueError, match="mini_batch must be True, False or 'auto', got 'yes'"):
        KMeansSegmenter(mini_batch="yes").fit(X)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="mini_batch_threshold must be an integer >= 1"):
        KMeansSegmenter(mini_batch_threshold=0).fit(X)
    with pytest.raises(ValueError, match="n_samples=20 should be >= n_clusters=30"):
        KMeansSegmenter(n_clusters=30).fit(X)


def test_predict_checks_fitted_and_feature_count() -> None:
    est = KMeansSegmenter(n_clusters=2)
    with pytest.raises(NotFittedError):
        est.predict(np.zeros((3, 2)))
    X, _ = _blobs(40)
    assert est.fit(X) is est
    with pytest.raises(ValueError, match="X has 3 features, but KMeansSegmenter is expecting 2"):
        est.predict(np.zeros((3, 3)))
    assert clone(est).get_params() == est.get_params()


# check_array_api_input is skipped by scikit-learn itself unless SCIPY_ARRAY_API=1 is set before
# scipy is imported; array-API inputs are not supported.
SKIPPED_BY_SKLEARN = {"check_array_api_input"}


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.SkipTestWarning")
def test_passes_sklearn_check_estimator() -> None:
    results = check_estimator(KMeansSegmenter(n_init=2), on_fail=None)
    failed = {r["check_name"]: str(r["exception"]) for r in results if r["status"] == "failed"}
    skipped = {r["check_name"] for r in results if r["status"] == "skipped"}
    assert failed == {}
    assert skipped <= SKIPPED_BY_SKLEARN
    assert len(results) > 40
