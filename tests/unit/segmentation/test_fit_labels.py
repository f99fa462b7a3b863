""":func:`fit_labels`, the refit used by validation: the seeded fit sample of the selection, the
training labels when the fit saw every row, the predicted ones when it saw a sample; labels
equal to a direct scikit-learn fit on the same rows with the same seed."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.metrics import adjusted_rand_score

from cible.config import SegmentationConfig, SelectionConfig
from cible.segmentation.selection import Candidate, fit_labels

SEED = 7


def _data(n: int) -> NDArray[np.float64]:
    """Overlapping blobs: k-means labels depend on the seed and the rows fitted."""
    return np.random.default_rng(3).normal(size=(n, 2))


def _config(fit_sample: int = 500) -> SegmentationConfig:
    return SegmentationConfig(random_state=SEED, selection=SelectionConfig(fit_sample=fit_sample))


def test_fit_on_every_row_returns_the_training_labels() -> None:
    X = _data(500)  # exactly the fit sample: every row is fitted
    labels = fit_labels(Candidate("kmeans", {"n_clusters": 4, "n_init": 1}), X, _config())
    direct = KMeans(n_clusters=4, init="k-means++", n_init=1, random_state=SEED).fit(X)
    assert labels.dtype == np.int64
    assert labels.shape == (500,)
    np.testing.assert_array_equal(labels, direct.labels_)
    other_seed = KMeans(n_clusters=4, init="k-means++", n_init=1, random_state=0).fit(X)
    assert not np.array_equal(other_seed.labels_, direct.labels_)  # the seed matters here


def test_agglomerative_on_every_row_keeps_the_tree_labels() -> None:
    """The tree's labels, not the nearest centroid (which differs for some rows)."""
    X = _data(300)
    cand = Candidate("agglomerative", {"n_clusters": 3, "linkage": "ward", "max_fit_samples": 300})
    labels = fit_labels(cand, X, _config())
    tree = AgglomerativeClustering(n_clusters=3, linkage="ward").fit(X)
    assert adjusted_rand_score(labels, tree.labels_) == 1.0
    nearest = cand.build(SEED).fit(X).predict(X)
    assert int((nearest != labels).sum()) > 0


def test_fit_on_a_sample_predicts_every_row() -> None:
    X = _data(800)
    labels = fit_labels(Candidate("kmeans", {"n_clusters": 4, "n_init": 1}), X, _config(500))
    rows = np.sort(np.random.default_rng(SEED).choice(800, size=500, replace=False))
    direct = KMeans(n_clusters=4, init="k-means++", n_init=1, random_state=SEED).fit(X[rows])
    assert labels.dtype == np.int64
    assert labels.shape == (800,)
    np.testing.assert_array_equal(labels, direct.predict(X))
    on_all = KMeans(n_clusters=4, init="k-means++", n_init=1, random_state=SEED).fit(X)
    assert not np.array_equal(on_all.labels_, labels)  # the sample matters here
