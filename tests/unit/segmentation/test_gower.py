"""Gower's distance: hand-computed values, missing values, constant columns, the silhouette."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.metrics import silhouette_score

from cible.segmentation.gower import gower_distances, gower_ranges
from cible.segmentation.selection_mixed import score_distances
from cible.segmentation.selection_scores import silhouette_from_distances
from cible.segmentation.validation.silhouette import segment_silhouettes

NAN = float("nan")
# columns: numeric (range 3 - 1 = 2, one missing), category code, constant numeric (range 0)
X = np.array(
    [
        [1.0, 0.0, 5.0],
        [3.0, 1.0, 5.0],
        [NAN, 1.0, 5.0],
        [2.0, 0.0, 5.0],
    ]
)


def test_hand_computed_distances_with_a_missing_value_and_a_constant_column() -> None:
    assert_allclose(gower_ranges(X, [1]), [2.0, 0.0, 0.0])
    D = gower_distances(X, categorical=[1])
    # rows 0-1: |1-3|/2 = 1, codes differ = 1, constant column 0 -> (1 + 1 + 0) / 3
    assert D[0, 1] == pytest.approx(2 / 3)
    # rows 0-2: the numeric column is missing in row 2 -> left out: (1 + 0) / 2
    assert D[0, 2] == pytest.approx(0.5)
    # rows 1-2: same code, constant column -> 0 (the missing column is not a difference)
    assert D[1, 2] == 0.0
    # rows 0-3: |1-2|/2 = 0.5, same code, constant -> 0.5 / 3
    assert D[0, 3] == pytest.approx(0.5 / 3)
    # row 2 with itself: 0 over the two observed columns
    assert_allclose(np.diag(D), 0.0)
    assert_allclose(D, D.T)


def test_a_pair_sharing_no_observed_column_is_at_distance_one() -> None:
    A = np.array([[NAN, 1.0], [2.0, NAN]])
    D = gower_distances(A, categorical=[1])
    assert D[0, 1] == 1.0 and D[1, 0] == 1.0
    assert D[0, 0] == 0.0  # the code is observed on both sides


def test_new_rows_are_measured_on_the_training_ranges_and_clipped_at_one() -> None:
    ranges = gower_ranges(X, [1])
    D = gower_distances(
        np.array([[2.5, 0.0, 5.0], [9.0, 0.0, 7.0]]), X, categorical=[1], ranges=ranges
    )
    # |2.5 - 1| / 2 = 0.75 -> 0.75 / 3; the constant column (range 0) never differs, even at 7
    assert D[0, 0] == pytest.approx(0.25)
    assert D[1, 0] == pytest.approx(1 / 3)  # |9 - 1| / 2 = 4 clipped at 1
    with pytest.raises(ValueError, match="one value per column"):
        gower_distances(X, categorical=[1], ranges=[1.0, 2.0])
    with pytest.raises(ValueError, match=r"categorical column 3 is not in 0\.\.2"):
        gower_distances(X, categorical=[3])


def test_the_silhouette_on_the_gower_matrix_is_sklearns_precomputed_one() -> None:
    rng = np.random.default_rng(3)
    data = np.column_stack([rng.normal(size=60), rng.integers(0, 3, 60), rng.normal(size=60)])
    labels = rng.integers(0, 3, 60).astype(np.int64)
    D = gower_distances(data, categorical=[1])
    expected = silhouette_score(D, labels, metric="precomputed")
    keep = np.ones(60, dtype=bool)
    selection = score_distances(data, np.arange(60), [1])
    assert_allclose(selection, D)
    assert silhouette_from_distances(selection, keep, labels) == pytest.approx(expected)
    # the validation's silhouette (every row sampled): the same value
    validation = segment_silhouettes(data, labels, sample=5_000, categorical=[1])
    assert validation.overall == pytest.approx(expected)
    # without categorical columns the selection keeps the Euclidean distances
    euclid = score_distances(data, np.arange(60), [])
    assert euclid[0, 1] == pytest.approx(float(np.linalg.norm(data[0] - data[1])))


def _naive(A: np.ndarray, B: np.ndarray, cat: set[int], R: np.ndarray) -> np.ndarray:
    """The definition, pair by pair."""
    out = np.empty((len(A), len(B)))
    for i, a in enumerate(A):
        for k, b in enumerate(B):
            terms = []
            for j, (x, y) in enumerate(zip(a, b, strict=True)):
                if np.isnan(x) or np.isnan(y):
                    continue
                if j in cat:
                    terms.append(float(x != y))
                else:
                    terms.append(min(abs(x - y) / R[j], 1.0) if R[j] > 0 else 0.0)
            out[i, k] = sum(terms) / len(terms) if terms else 1.0
    return out


def test_the_fast_and_the_general_paths_follow_the_definition() -> None:
    rng = np.random.default_rng(5)
    data = np.column_stack(
        [rng.normal(size=25), rng.integers(0, 4, 25), np.full(25, 2.0), rng.uniform(size=25)]
    )
    R = gower_ranges(data, [1])
    # no missing value, every pair within range: the scipy path
    assert_allclose(gower_distances(data, categorical=[1]), _naive(data, data, {1}, R))
    # a missing value: the column-by-column path
    holes = data.copy()
    holes[3, 0] = holes[7, 1] = NAN
    R_holes = gower_ranges(holes, [1])
    assert_allclose(gower_distances(holes, categorical=[1]), _naive(holes, holes, {1}, R_holes))
    # new rows beyond the training range: clipped at 1
    far = data[:5] * 10.0
    assert_allclose(
        gower_distances(far, data, categorical=[1], ranges=R), _naive(far, data, {1}, R)
    )
