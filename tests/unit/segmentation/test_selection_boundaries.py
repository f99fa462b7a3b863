"""Selection gates and the tie rule exactly at their boundaries, and one step on each side."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn.metrics import (
    calinski_harabasz_score,
    davies_bouldin_score,
    pairwise_distances,
    silhouette_score,
)

from cible.config import GatesConfig, SegmentationConfig, SelectionConfig
from cible.exceptions import SegmentationError
from cible.segmentation import selection
from cible.segmentation.selection import (
    SELECTION_RULE,
    TIE_TOLERANCE,
    Candidate,
    CandidateScore,
    SelectionResult,
    _fit_candidate,
    _run_candidate,
    _sample,
    candidate_grid,
    choose,
    evaluate,
    select_segmentation,
)


def _labels(*sizes: int, noise: int = 0) -> np.ndarray:
    parts = [np.full(size, k, dtype=np.int64) for k, size in enumerate(sizes)]
    return np.concatenate([*parts, np.full(noise, -1, dtype=np.int64)])


def _gates(labels: np.ndarray, gates: GatesConfig) -> dict[str, bool]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(len(labels), 2)) + labels[:, None] * 10.0
    return evaluate(labels, X, np.arange(len(labels)), gates)["gates"]


@pytest.mark.parametrize(("smallest", "passed"), [(9, False), (10, True), (11, True)])
def test_a_segment_of_exactly_the_minimum_share_passes(smallest: int, passed: bool) -> None:
    labels = _labels(50, 100 - 50 - smallest, smallest)  # 100 rows
    assert _gates(labels, GatesConfig(min_segment_share=0.10))["min_segment_share"] is passed


@pytest.mark.parametrize(("largest", "passed"), [(59, True), (60, True), (61, False)])
def test_a_segment_of_exactly_the_maximum_share_passes(largest: int, passed: bool) -> None:
    labels = _labels(largest, 100 - largest)
    assert _gates(labels, GatesConfig(max_largest_share=0.60))["max_largest_share"] is passed


@pytest.mark.parametrize(("noise", "passed"), [(19, True), (20, True), (21, False)])
def test_exactly_the_maximum_noise_share_passes(noise: int, passed: bool) -> None:
    labels = _labels(40, 60 - noise, noise=noise)
    assert _gates(labels, GatesConfig(max_noise_share=0.20))["max_noise_share"] is passed


@pytest.mark.parametrize(("k", "passed"), [(3, True), (4, True), (5, False)])
def test_exactly_the_maximum_number_of_segments_passes(k: int, passed: bool) -> None:
    labels = _labels(*([20] * k))
    gates = _gates(labels, GatesConfig(max_segments=4))
    assert gates["max_segments"] is passed
    assert gates["at_least_2_segments"] is True


@pytest.mark.parametrize(("k", "passed"), [(1, False), (2, True)])
def test_two_segments_is_the_least(k: int, passed: bool) -> None:
    labels = _labels(*([30] * k))
    assert _gates(labels, GatesConfig())["at_least_2_segments"] is passed


def test_shares_count_noise_rows_in_the_denominator() -> None:
    labels = _labels(30, 50, noise=20)
    ev = evaluate(labels, np.zeros((100, 2)), np.arange(100), GatesConfig())
    assert (ev["n_segments"], ev["noise_share"]) == (2, 0.2)
    assert (ev["largest_share"], ev["smallest_share"]) == (0.5, 0.3)


def test_all_noise_has_no_segment_and_fails_the_share_gates() -> None:
    labels = np.full(10, -1, dtype=np.int64)
    ev = evaluate(labels, np.zeros((10, 2)), np.arange(10), GatesConfig(max_noise_share=1.0))
    assert (ev["n_segments"], ev["largest_share"], ev["smallest_share"]) == (0, 1.0, 0.0)
    assert ev["gates"] == {
        "at_least_2_segments": False,
        "min_segment_share": False,
        "max_segments": True,
        "max_noise_share": True,
        "max_largest_share": False,
    }


def test_scores_need_more_scored_rows_than_segments() -> None:
    # two segments of one row each in the score sample: no silhouette (sklearn needs n > k)
    labels = np.array([0, 1, 0, 1], dtype=np.int64)
    X = np.array([[0.0, 0.0], [5.0, 5.0], [0.1, 0.0], [5.1, 5.0]])
    two = np.array([0, 1])
    assert np.isnan(evaluate(labels, X[two], two, GatesConfig())["silhouette"])
    three = np.array([0, 1, 2])
    sil = evaluate(labels, X[three], three, GatesConfig())["silhouette"]
    # rows 0 and 2 share segment 0 (0.1 apart); row 1 is alone in its segment (silhouette 0)
    expected = (1 - 0.1 / np.hypot(5, 5)) + (1 - 0.1 / np.hypot(4.9, 5))
    assert sil == pytest.approx(expected / 3)


def _cand(name: str, sil: float, noise: float = 0.0, db: float = 1.0, k: int = 3) -> CandidateScore:
    return CandidateScore(
        Candidate("kmeans", {"n_clusters": k, "tag": name}),
        n_segments=k,
        noise_share=noise,
        largest_share=0.4,
        smallest_share=0.1,
        silhouette=sil,
        davies_bouldin=db,
        calinski_harabasz=10.0,
        gates={"max_largest_share": True},
        seconds=0.0,
    )


def test_a_candidate_exactly_tie_tolerance_behind_is_tied() -> None:
    assert TIE_TOLERANCE == 0.01
    best = _cand("best", 0.5, db=0.9)
    at_edge = _cand("edge", 0.5 - 0.01, db=0.8)  # tied: the lower Davies-Bouldin wins
    assert choose([best, at_edge])[0] is at_edge
    beyond = _cand("beyond", 0.5 - 0.0101, db=0.8)  # not tied: the higher silhouette wins
    assert choose([best, beyond])[0] is best


def test_ties_go_to_less_noise_before_davies_bouldin() -> None:
    # adjusted silhouettes 0.5 and 0.4975: tied; less noise wins even with a worse DB index
    clean = _cand("clean", 0.5, noise=0.0, db=2.0)
    noisy = _cand("noisy", 0.5025, noise=0.01, db=0.5)
    assert noisy.adjusted_silhouette == pytest.approx(0.5025 * 0.99)
    assert choose([noisy, clean])[0] is clean


def test_outside_the_tie_the_higher_adjusted_silhouette_ranks_first() -> None:
    # a fails a gate, so the fallback ranks b and c: neither tied with the best (0.6), order by
    # adjusted silhouette, not by noise or Davies-Bouldin
    a = _cand("a", 0.6)
    b = _cand("b", 0.3, db=0.1)
    c = _cand("c", 0.4, db=5.0)
    for cand in (a, b, c):
        cand.gates["max_largest_share"] = False
    chosen, fallback = choose([b, c, a])
    assert chosen is a and fallback is True
    assert choose([b, c])[0] is c


def test_fallback_takes_the_candidates_failing_the_fewest_gates() -> None:
    one = _cand("one", 0.2)
    two = _cand("two", 0.9)
    one.gates.update({"max_largest_share": False})
    two.gates.update({"max_largest_share": False, "max_segments": False})
    assert one.failed_gates == 1 and two.failed_gates == 2
    chosen, fallback = choose([two, one])
    assert chosen is one and fallback is True
    errored = CandidateScore(**{**one.__dict__, "error": "boom", "gates": {}})
    assert errored.failed_gates == 1 and errored.passed is False


def test_candidate_to_dict_rounds_and_blanks_non_finite_scores() -> None:
    cand = CandidateScore(
        Candidate("kmeans", {"n_clusters": np.int64(3), "n_init": 4, "shape": (1, 2)}),
        n_segments=3,
        noise_share=0.1,
        largest_share=0.5,
        smallest_share=0.123456789,
        silhouette=0.5,
        davies_bouldin=float("nan"),
        calinski_harabasz=float("inf"),
        gates={"max_segments": True, "max_noise_share": False},
        seconds=1.23456,
        inertia=12.0,
    )
    d = cand.to_dict()
    assert d == {
        "name": "kmeans(n_clusters=3, shape=(1, 2))",
        "algorithm": "kmeans",
        "params": {"n_clusters": 3, "n_init": 4, "shape": [1, 2]},
        "n_segments": 3,
        "noise_share": 0.1,
        "largest_share": 0.5,
        "smallest_share": 0.123457,
        "silhouette": 0.5,
        "noise_adjusted_silhouette": 0.45,
        "davies_bouldin": None,
        "calinski_harabasz": None,
        "gates": {"max_segments": True, "max_noise_share": False},
        "passed_all_gates": False,
        "inertia": 12.0,
        "seconds": 1.235,
        "error": None,
    }
    assert type(d["params"]["n_clusters"]) is int


@pytest.mark.parametrize(("n", "size"), [(5, 5), (4, 5)])
def test_a_sample_no_smaller_than_the_data_is_all_rows_in_order(n: int, size: int) -> None:
    assert _sample(n, size, np.random.default_rng(0)).tolist() == list(range(n))


def test_a_sample_one_row_short_is_a_seeded_sorted_subset() -> None:
    got = _sample(6, 5, np.random.default_rng(3))
    expected = np.sort(np.random.default_rng(3).choice(6, size=5, replace=False))
    assert got.tolist() == expected.tolist()
    assert len(set(got.tolist())) == 5


def test_heavy_algorithms_fit_on_at_most_the_heavy_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(selection, "HEAVY_FIT_SAMPLE", 30)
    X = np.random.default_rng(0).normal(size=(31, 2))
    cand = Candidate("dbscan", {"min_samples": 3})
    est = _fit_candidate(cand, X, {}, 5)
    assert len(est.labels_) == 30
    kept = np.sort(np.random.default_rng(5).choice(31, size=30, replace=False))
    rows = {tuple(r) for r in X[kept]}
    assert {tuple(r) for r in est.components_} <= rows
    assert len(_fit_candidate(cand, X[:30], {}, 5).labels_) == 30  # exactly the cap: every row
    kmeans = _fit_candidate(Candidate("kmeans", {"n_clusters": 2, "n_init": 1}), X, {}, 5)
    assert len(kmeans.labels_) == 31  # not a heavy algorithm


def test_agglomerative_candidates_share_one_tree_per_linkage_and_sample() -> None:
    X = np.vstack([np.zeros((5, 2)), np.full((5, 2), 5.0), np.full((5, 2), 10.0)])
    X = X + np.random.default_rng(0).normal(0, 0.1, X.shape)
    trees: dict[tuple[object, ...], object] = {}
    params = {"linkage": "ward", "max_fit_samples": 15}
    two = _fit_candidate(Candidate("agglomerative", {"n_clusters": 2, **params}), X, trees, 0)
    assert list(trees) == [("ward", 15)] and trees[("ward", 15)] is two
    three = _fit_candidate(Candidate("agglomerative", {"n_clusters": 3, **params}), X, trees, 0)
    assert three is not two and len(trees) == 1
    assert (len(set(two.labels_.tolist())), len(set(three.labels_.tolist()))) == (2, 3)
    assert three.linkage_matrix_ is two.linkage_matrix_  # the same tree, cut again


def test_selection_result_to_dict_marks_the_chosen_candidate() -> None:
    a, b = _cand("a", 0.5), _cand("b", 0.4)
    result = SelectionResult(
        candidates=[a, b],
        chosen=b,
        labels=np.zeros(3, dtype=np.int64),
        estimator=None,  # type: ignore[arg-type]
        n_rows=300,
        fit_sample=200,
        score_sample=100,
        fallback=True,
    )
    d = result.to_dict()
    assert {k: v for k, v in d.items() if k != "candidates"} == {
        "rule": SELECTION_RULE,
        "chosen": "kmeans(n_clusters=3, tag=b)",
        "chosen_passed_all_gates": True,
        "fallback_no_candidate_passed": True,
        "rows": 300,
        "fit_sample": 200,
        "score_sample": 100,
    }
    assert [c["chosen"] for c in d["candidates"]] == [False, True]
    assert d["candidates"][0] == {**a.to_dict(), "chosen": False}


def test_a_full_sample_draws_nothing_from_the_generator() -> None:
    rng = np.random.default_rng(1)
    _sample(5, 5, rng)
    assert rng.random() == np.random.default_rng(1).random()  # the next sample is unaffected


def test_candidate_to_dict_keeps_finite_quality_scores() -> None:
    d = _cand("x", 0.25, db=0.8123456789).to_dict()
    assert (d["davies_bouldin"], d["calinski_harabasz"]) == (0.812346, 10.0)


def test_a_candidate_is_built_with_the_run_seed_when_it_takes_one() -> None:
    assert Candidate("kmeans", {"n_clusters": 2}).build(7).random_state == 7
    assert Candidate("dbscan", {"min_samples": 3}).build(7).random_state == 7


def _run(cand: Candidate, X: np.ndarray, config: SegmentationConfig) -> tuple[Any, ...]:
    idx = np.arange(len(X))
    distances = pairwise_distances(X)
    return _run_candidate(cand, X, X, idx, X, idx, distances, {}, config)


def test_run_candidate_scores_a_fit_with_its_seed_and_inertia() -> None:
    X = np.vstack([np.zeros((10, 2)), np.full((10, 2), 4.0)])
    X = X + np.random.default_rng(0).normal(0, 0.1, X.shape)
    config = SegmentationConfig(random_state=11)
    score, est, labels = _run(Candidate("kmeans", {"n_clusters": 2, "n_init": 1}), X, config)
    assert est.random_state == 11
    assert score.error is None and score.n_segments == 2
    assert score.inertia == pytest.approx(est.inertia_) and score.inertia > 0
    assert isinstance(score.seconds, float) and score.seconds >= 0.0
    assert sorted(np.bincount(labels).tolist()) == [10, 10]
    assert score.silhouette == pytest.approx(silhouette_score(X, labels))


def test_a_candidate_that_cannot_fit_is_reported_as_all_noise() -> None:
    X = np.random.default_rng(0).normal(size=(3, 2))
    score, est, labels = _run(
        Candidate("kmeans", {"n_clusters": 5, "n_init": 1}), X, SegmentationConfig()
    )
    assert est is None and labels is None
    assert score.error is not None and score.error.startswith("ValueError: ")
    assert (score.n_segments, score.noise_share) == (0, 1.0)
    assert np.isnan(score.inertia) and score.passed is False


def _blobs(per_blob: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 6.0]])
    return np.vstack([c + rng.normal(0, 0.3, (per_blob, 2)) for c in centres])


def test_selection_needs_one_row_more_than_k_min() -> None:
    config = SegmentationConfig(k_min=2, k_max=2, selection=SelectionConfig(algorithms=["kmeans"]))
    X = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0]])
    result = select_segmentation(X, config)
    assert result.n_rows == 3 and result.chosen.n_segments == 2
    assert sorted(np.bincount(result.labels).tolist()) == [1, 2]
    with pytest.raises(SegmentationError, match="at least 3 rows, got 2"):
        select_segmentation(X[:2], config)


def test_selection_keeps_the_diagnostics_the_report_draws() -> None:
    X = _blobs(20)
    config = SegmentationConfig(
        k_min=2,
        k_max=3,
        selection=SelectionConfig(algorithms=["kmeans", "gmm", "agglomerative", "dbscan"]),
    )
    seen: list[str] = []
    result = select_segmentation(X, config, on_candidate=lambda c: seen.append(c.name))
    assert seen == [c.candidate.name for c in result.candidates]
    assert len(seen) == 2 + 2 + 2 + 2
    extras = result.extras
    assert [k for k, _ in extras["bic"]] == [2, 3]
    gmm2 = Candidate("gmm", {"n_components": 2}).build(0).fit(X)
    assert extras["bic"][0][1] == pytest.approx(gmm2.model_.bic(X))
    k_distances, eps, min_samples = extras["k_distances"]
    assert min_samples == 10  # the first dbscan candidate's
    assert len(k_distances) > 0 and eps > 0
    assert sorted(extras["cut_heights"]) == [2, 3]
    assert extras["cut_heights"][2] > extras["cut_heights"][3] > 0
    assert extras["linkage_matrix"].shape == (len(X) - 1, 4)
    assert result.chosen.candidate.params.get("n_clusters", 3) == 3
    assert (result.fit_sample, result.score_sample, result.fallback) == (60, 60, False)


def test_the_grid_tries_k_only_below_the_number_of_rows() -> None:
    cfg = SegmentationConfig(k_min=2, k_max=4, selection=SelectionConfig(algorithms=["kmeans"]))
    assert [c.params["n_clusters"] for c in candidate_grid(cfg, 4)] == [2, 3]
    assert [c.params["n_clusters"] for c in candidate_grid(cfg, 5)] == [2, 3, 4]


def test_every_algorithm_of_the_grid_gets_its_full_parameters() -> None:
    cfg = SegmentationConfig(
        k_min=2,
        k_max=2,
        n_init=3,
        selection=SelectionConfig(
            algorithms=["gmm", "kprototypes", "agglomerative", "hdbscan", "kmeans", "dbscan"]
        ),
    )
    grid = candidate_grid(cfg, 100, categorical=(1, 3))
    assert [(c.algorithm, c.params) for c in grid] == [
        ("gmm", {"n_components": 2}),
        ("kprototypes", {"n_clusters": 2, "categorical": (1, 3)}),
        ("agglomerative", {"n_clusters": 2, "linkage": "ward", "max_fit_samples": 100}),
        ("hdbscan", {"min_cluster_size": 10, "min_samples": 10}),  # 2% and 5% of 100: floor 10
        ("kmeans", {"n_clusters": 2, "n_init": 3}),
        ("dbscan", {"min_samples": 10}),
        ("dbscan", {"min_samples": 25}),
    ]
    big = candidate_grid(
        cfg.model_copy(
            update={"selection": SelectionConfig(algorithms=["hdbscan"], fit_sample=500)}
        ),
        10_000,
    )
    assert [c.params["min_cluster_size"] for c in big] == [10, 25]  # 2% of 500 = 10, 5% = 25


def test_evaluate_counts_only_the_labels_in_use() -> None:
    # labels 0 and 2 (no 1), one singleton segment 3
    labels = np.array([0, 0, 0, 2, 2, 2, 3], dtype=np.int64)
    X = np.array([[0.0], [0.1], [0.2], [5.0], [5.1], [5.2], [9.0]])
    ev = evaluate(labels, X, np.arange(7), GatesConfig(min_segment_share=0.1))
    assert ev["n_segments"] == 3
    assert ev["smallest_share"] == pytest.approx(1 / 7)
    assert ev["largest_share"] == pytest.approx(3 / 7)
    assert ev["davies_bouldin"] == pytest.approx(davies_bouldin_score(X, labels))
    assert ev["calinski_harabasz"] == pytest.approx(calinski_harabasz_score(X, labels))
    with_distances = evaluate(labels, X, np.arange(7), GatesConfig(), pairwise_distances(X))
    assert with_distances["silhouette"] == pytest.approx(silhouette_score(X, labels))
    assert with_distances["silhouette"] == pytest.approx(ev["silhouette"])


def test_evaluate_without_rows() -> None:
    empty = np.zeros(0, dtype=np.int64)
    ev = evaluate(empty, np.zeros((0, 2)), empty, GatesConfig())
    assert (ev["n_segments"], ev["noise_share"]) == (0, 0.0)
    assert ev["gates"]["max_noise_share"] is True
    assert ev["gates"]["min_segment_share"] is False


def test_the_minimum_share_gate_needs_a_segment_even_at_zero() -> None:
    noise = np.full(4, -1, dtype=np.int64)
    gates = GatesConfig(min_segment_share=0.0)
    assert (
        evaluate(noise, np.zeros((4, 1)), np.arange(4), gates)["gates"]["min_segment_share"]
        is False
    )
    one = np.zeros(4, dtype=np.int64)
    assert (
        evaluate(one, np.zeros((4, 1)), np.arange(4), gates)["gates"]["min_segment_share"] is True
    )
