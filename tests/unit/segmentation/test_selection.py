from __future__ import annotations

import numpy as np
import pytest

from cible.config import GatesConfig, SegmentationConfig, SelectionConfig
from cible.exceptions import SegmentationError
from cible.segmentation.selection import (
    Candidate,
    CandidateScore,
    candidate_grid,
    choose,
    evaluate,
    silhouette_from_distances,
)


def _score(name: str, sil: float, db: float, k: int, passed: bool = True) -> CandidateScore:
    return CandidateScore(
        Candidate("kmeans", {"n_clusters": k, "tag": name}),
        n_segments=k,
        noise_share=0.0,
        largest_share=0.3,
        smallest_share=0.1,
        silhouette=sil,
        davies_bouldin=db,
        calinski_harabasz=100.0,
        gates={"max_largest_share": passed},
        seconds=0.1,
    )


def test_evaluate_shares_scores_and_gates() -> None:
    rng = np.random.default_rng(0)
    X = np.vstack(
        [rng.normal(0, 0.1, (50, 2)), rng.normal(5, 0.1, (45, 2)), rng.normal(10, 0.1, (5, 2))]
    )
    labels = np.array([0] * 50 + [1] * 45 + [-1] * 5)
    ev = evaluate(labels, X, np.arange(100), GatesConfig(max_noise_share=0.04))
    assert ev["n_segments"] == 2
    assert ev["noise_share"] == pytest.approx(0.05)
    assert ev["largest_share"] == pytest.approx(0.50)
    assert ev["smallest_share"] == pytest.approx(0.45)
    assert ev["silhouette"] > 0.95
    assert ev["gates"] == {
        "at_least_2_segments": True,
        "min_segment_share": True,
        "max_segments": True,
        "max_noise_share": False,
        "max_largest_share": True,
    }


def test_evaluate_single_cluster_has_no_scores() -> None:
    X = np.zeros((10, 2))
    ev = evaluate(np.zeros(10, dtype=np.int64), X, np.arange(10), GatesConfig())
    assert np.isnan(ev["silhouette"])
    assert ev["gates"]["at_least_2_segments"] is False
    assert ev["gates"]["max_largest_share"] is False


def test_choose_highest_silhouette_then_davies_bouldin_then_fewer_segments() -> None:
    a = _score("a", 0.50, 0.9, 5)
    b = _score("b", 0.495, 0.7, 6)  # tied with a (within 0.01), better DB
    c = _score("c", 0.60, 0.5, 4, passed=False)  # best silhouette but fails a gate
    chosen, fallback = choose([a, b, c])
    assert chosen is b and fallback is False
    d = _score("d", 0.495, 0.7, 3)
    assert choose([a, b, d])[0] is d  # same DB: fewer segments


def test_choose_falls_back_when_no_candidate_passes() -> None:
    a = _score("a", 0.4, 1.0, 3, passed=False)
    b = _score("b", 0.3, 1.0, 3, passed=False)
    chosen, fallback = choose([a, b])
    assert chosen is a and fallback is True
    with pytest.raises(SegmentationError, match="no candidate segmentation could be scored"):
        choose([_score("n", float("nan"), float("nan"), 1)])


def test_grid_covers_algorithms_and_ks() -> None:
    cfg = SegmentationConfig(
        k_min=2,
        k_max=4,
        selection=SelectionConfig(
            algorithms=["kmeans", "gmm", "agglomerative", "hdbscan", "dbscan", "kprototypes"]
        ),
    )
    grid = candidate_grid(cfg, 10_000)
    names = [c.name for c in grid]
    assert names[:3] == ["kmeans(n_clusters=2)", "kmeans(n_clusters=3)", "kmeans(n_clusters=4)"]
    assert sum(c.algorithm == "gmm" for c in grid) == 3
    assert sum(c.algorithm == "agglomerative" for c in grid) == 3
    assert [c.params["min_cluster_size"] for c in grid if c.algorithm == "hdbscan"] == [200, 500]
    assert [c.params["min_samples"] for c in grid if c.algorithm == "dbscan"] == [10, 25]
    assert not any(c.algorithm == "kprototypes" for c in grid)  # no categorical feature
    assert sum(c.algorithm == "kprototypes" for c in candidate_grid(cfg, 10_000, (0,))) == 3


def test_noise_is_not_rewarded() -> None:
    dense = CandidateScore(
        Candidate("dbscan", {"min_samples": 10}),
        n_segments=3,
        noise_share=0.04,
        largest_share=0.33,
        smallest_share=0.3,
        silhouette=0.90,
        davies_bouldin=0.14,
        calinski_harabasz=100.0,
        gates={"max_noise_share": True},
        seconds=0.1,
    )
    full = _score("kmeans3", 0.886, 0.16, 3)
    assert dense.adjusted_silhouette == pytest.approx(0.864)
    chosen, _ = choose([dense, full])
    assert chosen is full  # tied within 0.01 after adjustment; less noise wins


def test_silhouette_from_distances_equals_scikit_learn_with_noise_and_a_singleton() -> None:
    from sklearn.metrics import pairwise_distances, silhouette_score

    rng = np.random.default_rng(4)
    X = rng.normal(size=(300, 4))
    D = pairwise_distances(X)
    labels = rng.integers(-1, 4, size=300)
    labels[7] = 9  # a segment of one member scores 0, as in scikit-learn
    keep = labels >= 0
    expected = silhouette_score(D[np.ix_(keep, keep)], labels[keep], metric="precomputed")
    got = silhouette_from_distances(D, keep, labels[keep])
    assert got == pytest.approx(expected, abs=1e-12)
    assert silhouette_from_distances(D, np.ones(300, dtype=bool), np.abs(labels)) == pytest.approx(
        silhouette_score(X, np.abs(labels)), abs=1e-12
    )


def test_silhouette_from_distances_exact_values_at_the_boundaries() -> None:
    # two points at 0 and 1, two at 10 and 11: a = 1, b = 10 (nearest) or 9 -> known values
    x = np.array([[0.0], [1.0], [10.0], [11.0]])
    D = np.abs(x - x.T)
    keep = np.ones(4, dtype=bool)
    labels = np.array([0, 0, 1, 1])
    # row 0: a = 1, b = mean(10, 11) = 10.5 -> 9.5 / 10.5; row 1: a = 1, b = 9.5 -> 8.5 / 9.5
    expected = np.mean([9.5 / 10.5, 8.5 / 9.5, 8.5 / 9.5, 9.5 / 10.5])
    assert silhouette_from_distances(D, keep, labels) == pytest.approx(expected, abs=1e-15)
    # a tie a == b scores 0: 0 and 2 in one segment, 4 alone
    y = np.array([[0.0], [2.0], [4.0]])
    Dy = np.abs(y - y.T)
    # row 0: a = 2, b = 4 -> 0.5; row 1: a = 2, b = 2 -> 0 (tie); row 2: singleton -> 0
    assert silhouette_from_distances(Dy, np.ones(3, dtype=bool), np.array([0, 0, 1])) == (
        pytest.approx(0.5 / 3, abs=1e-15)
    )


def test_silhouettes_of_several_partitions_in_one_product_equal_scikit_learn() -> None:
    from sklearn.metrics import pairwise_distances, silhouette_score

    from cible.segmentation.selection import silhouettes_from_distances

    rng = np.random.default_rng(5)
    X = rng.normal(size=(200, 3))
    D = pairwise_distances(X)
    noisy = rng.integers(-1, 3, size=200)
    noisy[3] = 7  # a singleton segment scores 0
    whole = rng.integers(0, 5, size=200)
    partitions = [(noisy >= 0, noisy[noisy >= 0]), (np.ones(200, dtype=bool), whole)]
    got = silhouettes_from_distances(D, partitions)
    keep = noisy >= 0
    assert got[0] == pytest.approx(
        silhouette_score(D[np.ix_(keep, keep)], noisy[keep], metric="precomputed"), abs=1e-12
    )
    assert got[1] == pytest.approx(silhouette_score(X, whole), abs=1e-12)
    assert got == [silhouette_from_distances(D, k, lab) for k, lab in partitions]
    assert silhouettes_from_distances(D, []) == []


def test_the_selection_scores_every_candidate_with_its_own_silhouette() -> None:
    from sklearn.metrics import silhouette_score

    from cible.segmentation.selection import select_segmentation

    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(c, 0.3, (60, 2)) for c in (0.0, 3.0, 6.0)])
    config = SegmentationConfig(
        k_min=2, k_max=4, selection=SelectionConfig(algorithms=["kmeans", "agglomerative"])
    )
    fitted: dict[str, np.ndarray] = {}
    sel = select_segmentation(
        X, config, on_labels=lambda s, lab: fitted.update({s.candidate.name: lab})
    )
    assert len(sel.candidates) == 6
    for score in sel.candidates:  # 180 rows < silhouette_sample: every row is scored
        expected = silhouette_score(X, fitted[score.candidate.name])
        assert score.silhouette == pytest.approx(expected, abs=1e-12)
    assert sel.chosen.n_segments == 3
