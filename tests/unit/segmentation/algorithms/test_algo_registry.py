"""The algorithm suite's public names and registry, pinned."""

from __future__ import annotations

from sklearn.base import BaseEstimator, ClusterMixin

import cible.segmentation.algorithms as algorithms


def test_exported_members() -> None:
    assert sorted(algorithms.__all__) == [
        "ALGORITHMS",
        "AgglomerativeSegmenter",
        "AutoDBSCAN",
        "GMMSegmenter",
        "GowerKMedoids",
        "HDBSCANSegmenter",
        "KMeansSegmenter",
        "KPrototypes",
        "cut_tree_labels",
        "knee_point",
    ]
    for name in algorithms.__all__:
        assert hasattr(algorithms, name), name


def test_registry_maps_config_names_to_estimators() -> None:
    registry = algorithms.ALGORITHMS
    assert registry == {
        "kmeans": algorithms.KMeansSegmenter,
        "gmm": algorithms.GMMSegmenter,
        "agglomerative": algorithms.AgglomerativeSegmenter,
        "dbscan": algorithms.AutoDBSCAN,
        "hdbscan": algorithms.HDBSCANSegmenter,
        "kprototypes": algorithms.KPrototypes,
        "gower": algorithms.GowerKMedoids,
    }
    for cls in registry.values():
        assert issubclass(cls, ClusterMixin) and issubclass(cls, BaseEstimator)
        assert hasattr(cls, "predict")
