"""Segmentation on mixed features: planted groups that differ only by a region."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score, silhouette_score
from threadpoolctl import threadpool_limits

from cible.config import FeaturePrep, SegmentationConfig, SelectionConfig
from cible.segmentation.customer_segments import segment_customers
from cible.segmentation.gower import gower_distances
from cible.segmentation.science import explained_frame, prepare, run_science
from cible.segmentation.selection import candidate_grid
from cible.segmentation.transformers import mixed_type_config

REGIONS = ["Bretagne", "Occitanie", "Normandie"]
N = 300  # customers per region


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    with threadpool_limits(limits=1):
        yield


def _customers() -> tuple[pd.DataFrame, np.ndarray]:
    """Three regions; recency and spend drawn alike in every region (noise only)."""
    rng = np.random.default_rng(0)
    truth = np.repeat([0, 1, 2], N)
    frame = pd.DataFrame(
        {
            "recency_days": rng.normal(50, 5, 3 * N),
            "monetary": rng.normal(100, 10, 3 * N),
            "frequency": rng.integers(1, 5, 3 * N).astype(float),
            "region": np.array(REGIONS, dtype=object)[truth],
        },
        index=pd.Index([f"c{i}" for i in range(3 * N)], name="customer_id"),
    )
    return frame, truth


def _config(**kw: object) -> SegmentationConfig:
    return SegmentationConfig(
        features=["recency_days", "monetary", "region"], log_features=[], k_min=2, k_max=4, **kw
    )


def test_numeric_configurations_are_unchanged_and_categoricals_get_the_mixed_grid() -> None:
    frame, _ = _customers()
    numeric = SegmentationConfig(features=["recency_days", "monetary"], log_features=[])
    assert mixed_type_config(numeric, frame) is numeric
    mixed = mixed_type_config(_config(), frame)
    assert mixed.selection.algorithms == [
        "kmeans",
        "gmm",
        "agglomerative",
        "hdbscan",
        "dbscan",
        "kprototypes",
        "gower",
    ]
    assert mixed.preprocessing["region"].encode == "ordinal"
    # an explicit one-hot encoding, or a grid without a mixed method, keeps the one-hot columns
    onehot = _config(preprocessing={"region": FeaturePrep(kind="categorical", encode="onehot")})
    assert mixed_type_config(onehot, frame).preprocessing["region"].encode == "onehot"
    kmeans_only = _config(selection=SelectionConfig(algorithms=["kmeans"]))
    assert "region" not in mixed_type_config(kmeans_only, frame).preprocessing
    prep = prepare(frame, _config())
    assert prep.categorical == (2,)
    assert sorted(set(prep.unweighted["region"])) == [0.0, 1.0, 2.0]  # one code per region
    grid = candidate_grid(mixed, 900, prep.categorical)
    assert [c.name for c in grid if c.algorithm == "gower"] == [
        "gower(n_clusters=2)",
        "gower(n_clusters=3)",
        "gower(n_clusters=4)",
    ]
    assert grid[-1].params == {"n_clusters": 4, "categorical": (2,), "max_fit_samples": 900}


def test_the_gower_method_recovers_the_regions_where_numeric_kmeans_cannot() -> None:
    frame, truth = _customers()
    result = run_science(frame, _config())
    sel = result.selection
    assert sel.chosen.candidate.name == "gower(n_clusters=3)"
    assert adjusted_rand_score(truth, sel.labels) == 1.0
    # k-means fits the numeric columns only: noise, nothing of the regions
    kmeans3 = next(c for c in sel.candidates if c.candidate.name == "kmeans(n_clusters=3)")
    assert kmeans3.silhouette < 0.2 < sel.chosen.silhouette
    # every silhouette of the grid is on Gower's distance of the prepared rows
    X = result.prepared
    expected = silhouette_score(
        gower_distances(X, categorical=[2]), sel.labels, metric="precomputed"
    )
    assert sel.chosen.silhouette == pytest.approx(expected)
    assert result.validation.silhouette.overall == pytest.approx(expected)
    # the rules read the region: one rule per segment, exact
    rules = [r.rule for rs in result.rules.rules.values() for r in rs]
    assert sorted(rules) == [
        "region != Bretagne and region != Occitanie",  # Normandie
        "region != Bretagne and region = Occitanie",
        "region = Bretagne",
    ]
    assert result.rules.fidelity == 1.0


def test_numeric_only_kmeans_on_the_same_customers_misses_the_regions() -> None:
    frame, truth = _customers()
    config = SegmentationConfig(
        features=["recency_days", "monetary"],
        log_features=[],
        k_min=3,
        k_max=3,
        selection=SelectionConfig(algorithms=["kmeans"]),
    )
    labels = run_science(frame, config).selection.labels
    assert adjusted_rand_score(truth, labels) < 0.02


def test_explained_frame_adds_indicators_of_the_categories() -> None:
    frame, _ = _customers()
    numeric, explained = explained_frame(frame, _config())
    assert list(numeric.columns) == ["recency_days", "monetary"]
    assert list(explained.columns) == [
        "recency_days",
        "monetary",
        "region = Bretagne",
        "region = Normandie",
        "region = Occitanie",
    ]  # as frequent as each other: by value
    assert explained["region = Bretagne"].sum() == N
    only_numeric = SegmentationConfig(features=["recency_days", "monetary"], log_features=[])
    a, b = explained_frame(frame, only_numeric)
    assert a is b and list(a.columns) == ["recency_days", "monetary"]


def test_profiles_show_category_shares_and_names_the_dominant_region() -> None:
    frame, truth = _customers()
    before = frame.copy()
    result = segment_customers(frame, _config())
    pd.testing.assert_frame_equal(frame, before)  # not modified
    profiles = result.profiles.set_index("segment_id")
    shares = profiles[[f"region={r}_share" for r in sorted(REGIONS)]]
    # each segment holds one region entirely
    assert sorted(shares.max(axis=1).tolist()) == [1.0, 1.0, 1.0]
    assert sorted(shares.sum(axis=1).tolist()) == [1.0, 1.0, 1.0]
    names = profiles["segment_name"].tolist()
    assert sorted(n.rsplit(" - ", 1)[1] for n in names) == sorted(REGIONS)
    assert len(set(names)) == 3
    assignments = result.assignments.set_index("customer_id")["segment_id"]
    assert adjusted_rand_score(truth, assignments.loc[frame.index].to_numpy()) == 1.0


def test_the_grid_size_counts_the_mixed_candidates() -> None:
    from cible.segmentation.customer_segments import grid_size

    frame, _ = _customers()
    kp = SelectionConfig(algorithms=["kmeans", "kprototypes", "gower"])
    assert grid_size(frame, _config(selection=kp), 900) == 9  # 3 algorithms x k = 2..4
    numeric = SegmentationConfig(
        features=["recency_days", "monetary"], k_min=2, k_max=4, selection=kp
    )
    assert grid_size(frame, numeric, 900) == 3  # no categorical feature: k-means only
