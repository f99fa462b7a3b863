"""KPrototypes: planted mixed numeric / categorical groups, the cost, DataFrame input, unseen
categories, errors and the scikit-learn checks."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from numpy.typing import NDArray
from sklearn.datasets import make_blobs
from sklearn.exceptions import NotFittedError
from sklearn.metrics import adjusted_rand_score
from sklearn.utils.estimator_checks import check_estimator
from threadpoolctl import threadpool_limits

from cible.segmentation.algorithms.kprototypes import KPrototypes


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    """These fits are tiny: on a busy 2-core machine, starting BLAS / OpenMP threads costs far
    more than the work (a 600-row mixture: 0.5 s with 2 threads, 0.02 s with 1)."""
    with threadpool_limits(limits=1):
        yield


# Four planted groups: two numeric blobs x two channels. The channel alone or the blob alone
# separates only two groups each.
GROUPS = [((0.0, 0.0), "web"), ((0.0, 0.0), "store"), ((3.0, 3.0), "web"), ((3.0, 3.0), "store")]


def _mixed(n: int = 100) -> tuple[NDArray[np.object_], NDArray[np.int64]]:
    rng = np.random.RandomState(0)
    numeric = np.vstack([rng.normal(centre, 0.5, size=(n, 2)) for centre, _ in GROUPS])
    X = np.empty((len(GROUPS) * n, 3), dtype=object)
    X[:, :2] = numeric
    X[:, 2] = np.repeat([channel for _, channel in GROUPS], n)
    return X, np.repeat(np.arange(len(GROUPS)), n)


def _frame(X: NDArray[np.object_]) -> pd.DataFrame:
    return pd.DataFrame(
        {"x": X[:, 0].astype(float), "y": X[:, 1].astype(float), "channel": X[:, 2]}
    )


def _cost(X: NDArray[np.object_], labels: NDArray[np.int64], gamma: float) -> float:
    """The k-prototypes cost of a labelling with its own prototypes (means and modes)."""
    total = 0.0
    for c in np.unique(labels):
        members = X[labels == c]
        numeric = members[:, :2].astype(float)
        total += float(((numeric - numeric.mean(axis=0)) ** 2).sum())
        _, counts = np.unique(members[:, 2].astype(str), return_counts=True)
        total += gamma * float(len(members) - counts.max())
    return total


def test_recovers_four_planted_mixed_groups() -> None:
    X, y = _mixed()
    model = KPrototypes(n_clusters=4, categorical=[2]).fit(X)
    assert adjusted_rand_score(y, model.labels_) == 1.0
    assert model.n_clusters_ == 4
    assert model.labels_.dtype == np.int64
    assert model.categorical_indices_ == (2,)
    assert model.numeric_indices_ == (0, 1)
    assert model.cluster_centroids_.shape == (4, 2)
    assert model.cluster_modes_.shape == (4, 1)
    found = sorted(
        (round(float(c[0])), str(m[0]))
        for c, m in zip(model.cluster_centroids_, model.cluster_modes_, strict=True)
    )
    assert found == [(0, "store"), (0, "web"), (3, "store"), (3, "web")]
    np.testing.assert_array_equal(model.predict(X), model.labels_)


def test_cost_and_default_gamma() -> None:
    X, _ = _mixed()
    model = KPrototypes(n_clusters=4, categorical=[2]).fit(X)
    numeric = X[:, :2].astype(float)
    assert model.gamma_ == pytest.approx(0.5 * numeric.std(axis=0).mean())
    assert model.gamma_ == pytest.approx(0.7795108, rel=1e-6)
    assert model.cost_ == pytest.approx(_cost(X, model.labels_, model.gamma_))
    assert model.cost_ == pytest.approx(196.8675295, rel=1e-6)
    assert model.n_iter_ == 3  # seeded: converges in three assignment rounds on this data
    random_labels = np.random.RandomState(1).randint(0, 4, size=len(X))
    assert model.cost_ < 0.2 * _cost(X, random_labels, model.gamma_)


def test_categorical_part_matters() -> None:
    X, y = _mixed()
    numeric_only = KPrototypes(n_clusters=4).fit(X[:, :2].astype(float))
    assert adjusted_rand_score(y, numeric_only.labels_) < 0.6
    assert KPrototypes(n_clusters=4, categorical=[2], gamma=0.0).fit(X).gamma_ == 0.0


def test_dataframe_with_column_names_gives_the_same_labels() -> None:
    X, _ = _mixed()
    frame = _frame(X)
    before = frame.copy()
    from_array = KPrototypes(n_clusters=4, categorical=[2]).fit(X)
    from_frame = KPrototypes(n_clusters=4, categorical=["channel"]).fit(frame)
    np.testing.assert_array_equal(from_frame.labels_, from_array.labels_)
    assert from_frame.feature_names_in_.tolist() == ["x", "y", "channel"]
    assert from_frame.categorical_indices_ == (2,)
    pd.testing.assert_frame_equal(frame, before)
    np.testing.assert_array_equal(from_frame.predict(frame), from_frame.labels_)


def test_unseen_category_mismatches_every_mode() -> None:
    X, _ = _mixed()
    model = KPrototypes(n_clusters=4, categorical=[2]).fit(X)
    row = X[:1].copy()
    row[0, 2] = "app"
    numeric = row[:, :2].astype(float)
    expected = np.argmin(((model.cluster_centroids_ - numeric) ** 2).sum(axis=1))
    assert model.predict(row).tolist() == [expected]


def test_only_categorical_columns_with_integer_codes() -> None:
    rng = np.random.RandomState(3)
    base = np.repeat([[1, 1, 1], [2, 2, 2], [3, 3, 3]], 30, axis=0)
    noisy = base.copy()
    flip = rng.rand(*base.shape) < 0.1
    noisy[flip] = 9
    model = KPrototypes(n_clusters=3, categorical=[0, 1, 2]).fit(noisy)
    assert adjusted_rand_score(np.repeat([0, 1, 2], 30), model.labels_) == 1.0
    assert model.gamma_ == 1.0
    assert model.cost_ == float(flip.sum())
    assert sorted(model.cluster_modes_[:, 0].tolist()) == [1, 2, 3]


def test_same_random_state_same_labels() -> None:
    X, _ = make_blobs(n_samples=200, centers=5, cluster_std=2.0, random_state=1)
    a = KPrototypes(n_clusters=5, n_init=2, random_state=4).fit(X)
    b = KPrototypes(n_clusters=5, n_init=2, random_state=4).fit(X)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    assert a.cost_ == b.cost_


def test_errors() -> None:
    X, _ = _mixed(10)
    with pytest.raises(ValueError, match="n_clusters must be an integer >= 1, got 0"):
        KPrototypes(n_clusters=0).fit(X)
    with pytest.raises(ValueError, match="categorical must be a sequence"):
        KPrototypes(categorical="channel").fit(_frame(X))
    with pytest.raises(ValueError, match=r"categorical entries must be column positions in 0\.\.2"):
        KPrototypes(categorical=["channel"]).fit(X)
    with pytest.raises(ValueError, match="categorical column 'colour' is not in X"):
        KPrototypes(categorical=["colour"]).fit(_frame(X))
    with pytest.raises(ValueError, match="categorical lists a column twice"):
        KPrototypes(n_clusters=2, categorical=[2, 2]).fit(X)
    with pytest.raises(ValueError, match="gamma must be None or a finite number >= 0"):
        KPrototypes(gamma=-1.0).fit(X)
    with pytest.raises(ValueError, match="n_init must be an integer >= 1"):
        KPrototypes(n_init=0).fit(X)
    with pytest.raises(ValueError, match="max_iter must be an integer >= 1"):
        KPrototypes(max_iter=0).fit(X)
    with pytest.raises(ValueError, match=r"non-categorical columns \[0, 1, 2\] must be numeric"):
        KPrototypes(n_clusters=2).fit(X)
    with pytest.raises(ValueError, match="n_samples=40 should be >= n_clusters=50"):
        KPrototypes(n_clusters=50, categorical=[2]).fit(X)
    missing = X.copy()
    missing[3, 2] = None
    with pytest.raises(ValueError, match="categorical column 2 contains missing values"):
        KPrototypes(n_clusters=2, categorical=[2]).fit(missing)
    with pytest.raises(NotFittedError):
        KPrototypes().predict(X)


# check_array_api_input is skipped by scikit-learn itself unless SCIPY_ARRAY_API=1 is set before
# scipy is imported; array-API inputs are not supported. The checks feed numeric arrays only, so
# they run with no categorical column (k-prototypes is then k-means).
SKIPPED_BY_SKLEARN = {"check_array_api_input"}


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.SkipTestWarning")
def test_passes_sklearn_check_estimator() -> None:
    results = check_estimator(KPrototypes(n_init=2), on_fail=None)
    failed = {r["check_name"]: str(r["exception"]) for r in results if r["status"] == "failed"}
    skipped = {r["check_name"] for r in results if r["status"] == "skipped"}
    assert failed == {}
    assert skipped <= SKIPPED_BY_SKLEARN
    assert len(results) > 40
