"""AutoKMeans: automatic k on planted blobs, reproducibility and scikit-learn conventions."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray
from sklearn.base import clone
from sklearn.datasets import make_blobs
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.metrics import adjusted_rand_score
from sklearn.utils.estimator_checks import check_estimator

from cible.segmentation import kmeans as kmeans_module
from cible.segmentation.kmeans import AutoKMeans

CENTERS = [[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]]


def _blobs(n: int = 400) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    X, y = make_blobs(n_samples=n, centers=CENTERS, cluster_std=0.5, random_state=7)
    return X, y


def test_finds_four_well_separated_blobs() -> None:
    X, y = _blobs()
    model = AutoKMeans(k_min=2, k_max=7, n_init=3, random_state=0).fit(X)
    assert model.n_clusters_ == 4
    assert adjusted_rand_score(y, model.labels_) == 1.0
    assert model.cluster_centers_.shape == (4, 2)
    assert model.silhouette_ == pytest.approx(model.scores_.set_index("k").loc[4, "silhouette"])
    assert model.silhouette_ > 0.85
    assert model.model_.n_clusters == 4
    assert sorted(np.unique(model.labels_).tolist()) == [0, 1, 2, 3]
    assert adjusted_rand_score(y, model.predict(X)) == 1.0


def test_scores_has_one_row_per_k_and_inertia_decreases() -> None:
    X, _ = _blobs()
    scores = AutoKMeans(k_min=2, k_max=7, n_init=3).fit(X).scores_
    assert list(scores.columns) == ["k", "inertia", "silhouette"]
    assert scores["k"].tolist() == [2, 3, 4, 5, 6, 7]
    assert scores["inertia"].is_monotonic_decreasing
    assert scores["silhouette"].idxmax() == 2  # the row of k=4


def test_silhouette_on_a_sample_still_finds_four() -> None:
    X, y = _blobs(2000)
    model = AutoKMeans(k_max=6, silhouette_sample=150, n_init=2, random_state=3).fit(X)
    assert model.n_clusters_ == 4
    assert adjusted_rand_score(y, model.labels_) == 1.0


def test_same_random_state_same_labels() -> None:
    X, _ = make_blobs(n_samples=300, centers=5, cluster_std=3.0, random_state=1)
    a = AutoKMeans(k_max=6, n_init=2, silhouette_sample=120, random_state=11).fit(X)
    b = AutoKMeans(k_max=6, n_init=2, silhouette_sample=120, random_state=11).fit(X)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_allclose(a.scores_.to_numpy(), b.scores_.to_numpy())


def test_k_not_below_n_samples_is_skipped() -> None:
    X = np.array([[0.0], [0.1], [5.0], [5.1], [9.0]])
    model = AutoKMeans(k_min=2, k_max=10, n_init=1).fit(X)
    assert model.scores_["k"].tolist() == [2, 3, 4]


def test_too_few_samples_and_bad_params() -> None:
    with pytest.raises(ValueError, match="n_samples=2"):
        AutoKMeans(k_min=2).fit(np.array([[0.0], [1.0]]))
    with pytest.raises(ValueError, match="k_max must be an integer >= k_min=5"):
        AutoKMeans(k_min=5, k_max=3).fit(np.zeros((10, 2)))


def test_ties_go_to_the_smaller_k(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kmeans_module, "_sampled_silhouette", lambda data, labels: 0.5)
    X, _ = _blobs(100)
    model = AutoKMeans(k_min=3, k_max=6, n_init=1).fit(X)
    assert model.n_clusters_ == 3
    assert model.silhouette_ == 0.5
    assert model.scores_["silhouette"].tolist() == [0.5, 0.5, 0.5, 0.5]


def test_undefined_silhouettes_keep_the_smallest_k() -> None:
    # All points identical: k-means finds one distinct cluster, every silhouette is NaN.
    X = np.zeros((20, 2))
    with pytest.warns(ConvergenceWarning):
        model = AutoKMeans(k_min=2, k_max=4, n_init=1).fit(X)
    assert model.n_clusters_ == 2
    assert model.scores_["silhouette"].isna().all()
    assert np.isnan(model.silhouette_)


def test_clone_params_and_not_fitted() -> None:
    est = AutoKMeans(k_min=3, k_max=5, silhouette_sample=100, n_init=2, random_state=4)
    params = {"k_min": 3, "k_max": 5, "silhouette_sample": 100, "n_init": 2, "random_state": 4}
    params["on_k"] = None
    assert est.get_params() == params
    assert clone(est).get_params() == params
    with pytest.raises(NotFittedError):
        est.predict(np.zeros((3, 2)))
    X, _ = _blobs(100)
    assert est.fit(X) is est


# check_array_api_input is skipped by scikit-learn itself unless SCIPY_ARRAY_API=1 is set in the
# environment before scipy is imported; AutoKMeans does not claim array-API support anyway.
SKIPPED_BY_SKLEARN = {"check_array_api_input"}


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.SkipTestWarning")
def test_passes_sklearn_check_estimator() -> None:
    results = check_estimator(AutoKMeans(k_max=4, n_init=2), on_fail=None)
    failed = {r["check_name"]: str(r["exception"]) for r in results if r["status"] == "failed"}
    skipped = {r["check_name"] for r in results if r["status"] == "skipped"}
    assert failed == {}
    assert skipped <= SKIPPED_BY_SKLEARN
    assert len(results) > 40


def test_on_k_is_called_for_every_k_without_changing_the_result() -> None:
    X, _ = make_blobs(n_samples=300, centers=3, random_state=0)
    seen: list[int] = []
    with_cb = AutoKMeans(k_min=2, k_max=5, on_k=seen.append).fit(X)
    without = AutoKMeans(k_min=2, k_max=5).fit(X)
    assert seen == [2, 3, 4, 5]
    assert (with_cb.labels_ == without.labels_).all()
