"""2-D maps: PCA variance on a designed matrix, t-SNE and autoencoder separate planted blobs,
UMAP needs its extra; everything seeded and sampled."""

from __future__ import annotations

import json
import sys
import types
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray
from sklearn.datasets import make_blobs
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KNeighborsClassifier

from cible.exceptions import OptionalDependencyError
from cible.segmentation.maps import (
    AutoencoderMapResult,
    autoencoder_map,
    pca_summary,
    sample_rows,
    tsne_map,
    umap_map,
)


def _one_nn_accuracy(coords: NDArray[np.float64], y: NDArray[np.int64]) -> float:
    return float(cross_val_score(KNeighborsClassifier(n_neighbors=1), coords, y, cv=5).mean())


def _designed() -> NDArray[np.float64]:
    """Orthogonal, centred columns with variances 9, 4 and 1."""
    base = np.array([[3.0, 2.0, 1.0], [3.0, -2.0, -1.0], [-3.0, 2.0, -1.0], [-3.0, -2.0, 1.0]])
    return np.tile(base, (10, 1))


def test_pca_keeps_the_components_reaching_the_variance() -> None:
    X = _designed()
    before = X.copy()
    result = pca_summary(X, variance=0.9, feature_names=["a", "b", "c"], sample=25)
    np.testing.assert_array_equal(X, before)
    assert result.n_components == 2  # 9/14 = 0.643 < 0.9 <= 13/14 = 0.929
    np.testing.assert_allclose(result.explained_variance_ratio, [9 / 14, 4 / 14])
    np.testing.assert_allclose(result.cumulative, [9 / 14, 13 / 14])
    assert list(result.loadings.columns) == ["PC1", "PC2"]
    assert list(result.loadings.index) == ["a", "b", "c"]
    np.testing.assert_allclose(
        np.abs(result.loadings.to_numpy()), [[1, 0], [0, 1], [0, 0]], atol=1e-9
    )
    np.testing.assert_array_equal(result.sample_indices, sample_rows(40, 25, 0))
    assert result.coords.shape == (25, 2)
    np.testing.assert_allclose(np.abs(result.coords[:, 0]), 3.0)
    assert pca_summary(X, variance=1.0).n_components == 3
    assert pca_summary(X, variance=0.5).n_components == 1
    data = result.to_dict(include_coords=False)
    json.dumps(data, allow_nan=False)
    assert data["n_components"] == 2 and "coords" not in data
    assert abs(data["loadings"]["a"][0]) == pytest.approx(1.0, abs=1e-9)


def test_pca_single_feature_map_has_a_zero_second_axis() -> None:
    result = pca_summary(np.arange(10.0).reshape(-1, 1))
    assert result.n_components == 1
    np.testing.assert_array_equal(result.coords[:, 1], 0.0)
    assert list(result.loadings.index) == ["x0"]


def test_sample_rows_is_seeded_sorted_and_bounded() -> None:
    rows = sample_rows(1000, 50, 3)
    assert len(rows) == 50 and len(set(rows.tolist())) == 50
    assert np.all(np.diff(rows) > 0)
    np.testing.assert_array_equal(rows, sample_rows(1000, 50, 3))
    np.testing.assert_array_equal(sample_rows(10, 50, 3), np.arange(10))


def test_tsne_separates_blobs_on_a_sample() -> None:
    X, y = make_blobs(n_samples=400, centers=4, n_features=5, cluster_std=1.0, random_state=2)
    result = tsne_map(X, sample=300, random_state=0)
    assert result.method == "tsne"
    assert result.coords.shape == (300, 2)
    np.testing.assert_array_equal(result.sample_indices, sample_rows(400, 300, 0))
    assert _one_nn_accuracy(result.coords, y[result.sample_indices]) > 0.95
    assert result.params["perplexity"] == 30.0


def test_tsne_embeds_a_fixed_subset_and_places_the_rest_by_neighbours() -> None:
    X, y = make_blobs(n_samples=900, centers=4, n_features=5, cluster_std=1.0, random_state=3)
    before = X.copy()
    result = tsne_map(X, sample=600, random_state=0, fit_sample=200)
    np.testing.assert_array_equal(X, before)
    assert result.coords.shape == (600, 2)
    assert result.params["fit_sample"] == 200
    assert result.params["placed_by_neighbours"] == 400
    assert result.params["perplexity"] == 30.0  # below the cap (200 - 1) / 3 = 66.3
    assert np.isfinite(result.coords).all()
    # the placed rows land among the embedded rows of their own blob
    fitted = sample_rows(600, 200, 0)
    placed = np.setdiff1d(np.arange(600), fitted)
    labels = y[result.sample_indices]
    nearest = np.linalg.norm(
        result.coords[placed][:, None, :] - result.coords[fitted][None, :, :], axis=2
    ).argmin(axis=1)
    assert float((labels[fitted][nearest] == labels[placed]).mean()) > 0.95


def test_tsne_is_deterministic_and_caps_perplexity() -> None:
    X = np.random.default_rng(0).normal(size=(40, 3))
    a = tsne_map(X, random_state=1)
    b = tsne_map(X, random_state=1)
    np.testing.assert_allclose(a.coords, b.coords)
    assert a.params["perplexity"] == 13.0  # (40 - 1) / 3


def test_autoencoder_codes_separate_blobs() -> None:
    X, y = make_blobs(n_samples=600, centers=4, n_features=6, cluster_std=1.0, random_state=1)
    before = X.copy()
    result = autoencoder_map(X, sample=500, random_state=0)
    np.testing.assert_array_equal(X, before)
    assert isinstance(result, AutoencoderMapResult)
    assert result.coords.shape == (500, 2)
    assert np.all(np.abs(result.coords) <= 1.0)  # tanh codes
    assert _one_nn_accuracy(result.coords, y[result.sample_indices]) > 0.9
    assert result.reconstruction_r2 > 0.8
    data = result.to_dict()
    json.dumps(data, allow_nan=False)
    assert data["params"]["hidden"] == [16]
    assert len(data["coords"]) == 500


def test_autoencoder_is_deterministic() -> None:
    X = np.random.default_rng(3).normal(size=(60, 4))
    a = autoencoder_map(X, hidden=(4,), max_iter=20, random_state=5)
    b = autoencoder_map(X, hidden=(4,), max_iter=20, random_state=5)
    np.testing.assert_array_equal(a.coords, b.coords)
    assert a.n_iter <= 20


def test_umap_without_the_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "umap", None)  # makes `import umap` raise ImportError
    with pytest.raises(OptionalDependencyError, match=r"pip install 'cible\[maps\]'") as info:
        umap_map(np.zeros((10, 2)))
    assert info.value.package == "umap-learn"
    assert info.value.extra == "maps"
    assert "UMAP maps needs the 'umap-learn' package" in str(info.value)


def test_umap_with_the_package_is_sampled(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    class FakeUMAP:
        def __init__(self, **kwargs: Any) -> None:
            seen.update(kwargs)

        def fit_transform(self, data: NDArray[np.float64]) -> NDArray[np.float64]:
            seen["rows"] = len(data)
            return data[:, :2] * 2.0

    monkeypatch.setitem(sys.modules, "umap", types.SimpleNamespace(UMAP=FakeUMAP))
    X = np.arange(60.0).reshape(20, 3)
    result = umap_map(X, sample=8, random_state=4)
    assert seen == {
        "n_components": 2,
        "n_neighbors": 7,
        "min_dist": 0.1,
        "random_state": 4,
        "rows": 8,
    }
    np.testing.assert_array_equal(result.sample_indices, sample_rows(20, 8, 4))
    np.testing.assert_array_equal(result.coords, X[result.sample_indices, :2] * 2.0)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="missing or infinite"):
        pca_summary(np.array([[1.0, np.nan], [2.0, 3.0]]))
    with pytest.raises(ValueError, match=r"variance must be in \(0, 1\]"):
        pca_summary(np.zeros((3, 2)), variance=0.0)
    with pytest.raises(ValueError, match="2 feature names for 3 columns"):
        pca_summary(np.zeros((3, 3)), feature_names=["a", "b"])


def test_tsne_phase_stops_at_a_plateau_of_the_kl_divergence() -> None:
    from cible.segmentation.maps import _Plateau

    plateau = _Plateau(0.25)
    assert plateau(25, 2.0, None) is False  # nothing to compare with yet
    assert plateau(50, 1.5, None) is False  # down by exactly 25%: still moving
    assert plateau(75, 1.875, None) is False  # up by exactly 25% (exaggeration may raise it)
    assert plateau.stopped_at is None
    assert plateau(100, 1.75, None) is True  # 6.7% of 1.875: a plateau
    assert plateau.stopped_at == 100


def test_tsne_reports_its_iterations_within_opentsne_defaults() -> None:
    X, _ = make_blobs(n_samples=300, centers=3, n_features=4, random_state=1)
    result = tsne_map(X, sample=300, random_state=0)
    iterations = result.params["iterations"]
    assert set(iterations) == {"early_exaggeration", "final"}
    assert 25 <= iterations["early_exaggeration"] <= 250
    assert 25 <= iterations["final"] <= 500
    assert iterations["final"] % 25 == 0 or iterations["final"] == 500
    assert result.params["kl_divergence"] > 0
