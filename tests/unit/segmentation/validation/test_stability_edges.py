"""Clusterboot where an edit of the code would show: Hennig's class exactly at 0.6 and 0.75, the
exact JSON report, the defaults, the rows each resample draws (reproducible from the seed), the
smallest resample accepted and the shape checks."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from numpy.typing import NDArray

from cible.segmentation.validation.stability import (
    StabilityResult,
    _best_jaccards,
    bootstrap_stability,
)

X = np.arange(20.0).reshape(-1, 1)  # row i holds the value i: a resample shows which rows it drew
LABELS = (np.arange(20) >= 10).astype(np.int64)


def _threshold(Z: NDArray[np.float64]) -> NDArray[np.int64]:
    return (Z[:, 0] >= 10).astype(np.int64)  # the planted split: every refit recovers it


def _result(means: dict[int, float]) -> StabilityResult:
    k = len(means)
    return StabilityResult(
        segments=tuple(means),
        jaccards=np.full((1, k), np.nan),
        mean_jaccard=means,
        recovered=dict.fromkeys(means, 0.0),
        aris=(0.0,),
        mean_ari=0.0,
        n_boot=1,
        resample_size=1,
    )


@pytest.mark.parametrize(
    ("mean", "reading"),
    [
        (0.6 - 1e-9, "unstable"),
        (0.6, "fuzzy"),  # exactly the lower limit: not unstable
        (0.6 + 1e-9, "fuzzy"),
        (0.75 - 1e-9, "fuzzy"),
        (0.75, "fuzzy"),  # exactly the upper limit: not yet stable
        (0.75 + 1e-9, "stable"),
        (math.nan, "unstable"),
    ],
)
def test_hennig_classes_at_their_limits(mean: float, reading: str) -> None:
    assert _result({0: mean}).stability_class(0) == reading


def test_json_report_of_perfect_refits() -> None:
    out = bootstrap_stability(X, LABELS, _threshold, n_boot=3).to_dict()
    assert out == {
        "method": "clusterboot (Hennig 2007)",
        "n_boot": 3,
        "resample_size": 20,
        "mean_ari": 1.0,
        "aris": [1.0, 1.0, 1.0],
        "segments": [
            {
                "segment": s,
                "mean_jaccard": 1.0,
                "recovered": 1.0,
                "stability": "stable",
                "jaccards": [1.0, 1.0, 1.0],
            }
            for s in (0, 1)
        ],
    }


def _recorder(
    seen: list[NDArray[np.float64]],
) -> Callable[[NDArray[np.float64]], NDArray[np.int64]]:
    def fit_predict(Z: NDArray[np.float64]) -> NDArray[np.int64]:
        seen.append(Z.copy())
        return _threshold(Z)

    return fit_predict


def test_defaults_twenty_resamples_seed_zero() -> None:
    seen: list[NDArray[np.float64]] = []
    result = bootstrap_stability(X, LABELS, _recorder(seen))
    assert result.n_boot == 20 and len(seen) == 20 and len(result.aris) == 20
    rng = np.random.default_rng(0)
    first = rng.integers(0, 20, size=20)
    np.testing.assert_array_equal(seen[0][:, 0], first.astype(np.float64))


def test_each_resample_draws_n_rows_with_replacement_from_all_rows() -> None:
    # m = n: the resample is rng.integers(0, n, n), any row (row 0 included) may be drawn
    seen: list[NDArray[np.float64]] = []
    bootstrap_stability(X, LABELS, _recorder(seen), n_boot=30, random_state=7)
    rng = np.random.default_rng(7)
    for rows in seen:
        np.testing.assert_array_equal(rows[:, 0], rng.integers(0, 20, size=20))
    assert min(float(rows.min()) for rows in seen) == 0.0
    assert all(rows.dtype == np.float64 for rows in seen)


def test_a_subsampled_resample_draws_from_distinct_rows() -> None:
    # m < n: a pool of m distinct rows (without replacement), then m draws from the pool
    seen: list[NDArray[np.float64]] = []
    result = bootstrap_stability(X, LABELS, _recorder(seen), n_boot=5, sample=8, random_state=3)
    rng = np.random.default_rng(3)
    for rows in seen:
        pool = rng.choice(20, size=8, replace=False)
        np.testing.assert_array_equal(rows[:, 0], pool[rng.integers(0, 8, size=8)])
    assert result.resample_size == 8


def test_integer_data_reaches_fit_predict_as_float64() -> None:
    seen: list[NDArray[np.float64]] = []
    bootstrap_stability(np.arange(20).reshape(-1, 1), LABELS, _recorder(seen), n_boot=1)
    assert seen[0].dtype == np.float64


def test_a_resample_of_exactly_two_rows_is_accepted() -> None:
    result = bootstrap_stability(X, LABELS, _threshold, n_boot=2, sample=2)
    assert result.resample_size == 2
    assert result.jaccards.shape == (2, 2)
    with pytest.raises(ValueError, match="sample must be None or >= 2, got 1"):
        bootstrap_stability(X, LABELS, _threshold, n_boot=2, sample=1)


def test_shapes_are_checked() -> None:
    with pytest.raises(ValueError, match="X must be 2-D"):
        bootstrap_stability(np.arange(20.0), LABELS, _threshold)  # 1-D X, labels of its length
    with pytest.raises(ValueError, match="X must be 2-D"):
        bootstrap_stability(X, LABELS[:19], _threshold)  # 2-D X, one label short


# segment 2 is the single row 19: absent from the first resample of seed 3, present in the second
LABELS3 = np.repeat([0, 1, 2], [10, 9, 1])


def _oracle(Z: NDArray[np.float64]) -> NDArray[np.int64]:
    return LABELS3[Z[:, 0].astype(np.int64)]  # the refit finds the original segments exactly


def test_a_segment_seen_in_one_resample_only() -> None:
    result = bootstrap_stability(X, LABELS3, _oracle, n_boot=2, random_state=3)
    np.testing.assert_array_equal(result.jaccards[:, 2], [np.nan, 1.0])
    assert result.mean_jaccard == {0: 1.0, 1: 1.0, 2: 1.0}
    assert result.recovered == {0: 1.0, 1: 1.0, 2: 1.0}  # 1 recovered of 1 seen, not of 2


def test_a_segment_never_seen_has_no_stability() -> None:
    result = bootstrap_stability(X, LABELS3, _oracle, n_boot=1, random_state=3)
    assert result.mean_jaccard[0] == 1.0 and result.recovered[0] == 1.0  # seen once
    assert math.isnan(result.mean_jaccard[2]) and math.isnan(result.recovered[2])
    assert result.stability_class(2) == "unstable"


def test_recovered_needs_a_jaccard_above_one_half() -> None:
    # four rows, segments {0, 1} and {2, 3}; the refit puts every row in one cluster, so a
    # segment's Jaccard is its share of the distinct rows drawn: exactly 0.5 when both segments
    # drew as many distinct rows, and 0.5 is not "recovered"
    X4 = np.arange(4.0).reshape(-1, 1)
    result = bootstrap_stability(
        X4, [0, 0, 1, 1], lambda Z: np.zeros(len(Z), dtype=np.int64), n_boot=10, random_state=0
    )
    rng = np.random.default_rng(0)
    expected = []
    for _ in range(10):
        rows = np.unique(rng.integers(0, 4, size=4))
        a, b = int(np.sum(rows < 2)), int(np.sum(rows >= 2))
        expected.append([a / (a + b) if a else np.nan, b / (a + b) if b else np.nan])
    table = np.array(expected)
    np.testing.assert_allclose(result.jaccards, table)
    assert np.sum(table == 0.5) >= 2  # the boundary occurs in this run
    for i, s in enumerate((0, 1)):
        column = table[:, i]
        seen = column[~np.isnan(column)]
        assert result.recovered[s] == pytest.approx(np.sum(seen > 0.5) / len(seen))


def test_best_jaccards_ignore_a_label_outside_the_segments() -> None:
    # label 5 is not one of the segments asked for (0 only): it counts in no segment
    original = np.array([0, 0, 5, -1])
    boot = np.array([1, 1, 1, 1])
    np.testing.assert_allclose(_best_jaccards(original, boot, np.array([0])), [2 / 4])


def test_best_jaccards_of_an_empty_refit_are_undefined() -> None:
    empty = np.array([], dtype=np.int64)
    np.testing.assert_array_equal(_best_jaccards(empty, empty, np.array([0, 1])), [np.nan, np.nan])
