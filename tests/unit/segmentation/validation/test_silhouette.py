"""Per-segment silhouettes: hand-computed values, noise, stratified sampling, no mutation."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cible.segmentation.validation.silhouette import segment_silhouettes


def test_hand_computed_silhouettes_and_size_weighted_overall() -> None:
    # segment 0 = {0, 2}, segment 1 = {5, 6, 7}, noise at 100
    X = np.array([[0.0], [2.0], [5.0], [6.0], [7.0], [100.0]])
    labels = np.array([0, 0, 1, 1, 1, -1])
    result = segment_silhouettes(X, labels)
    seg0 = ((6 - 2) / 6 + (4 - 2) / 4) / 2  # a, b: (2, 6) and (2, 4)
    seg1 = ((4 - 1.5) / 4 + (5 - 1) / 5 + (6 - 1.5) / 6) / 3
    assert result.per_segment[0] == pytest.approx(seg0)  # 0.58333
    assert result.per_segment[1] == pytest.approx(seg1)  # 0.725
    assert result.overall == pytest.approx((2 * seg0 + 3 * seg1) / 5)  # 0.66833
    assert result.sizes == {0: 2, 1: 3}
    assert result.n_noise == 1
    assert result.noise_share == pytest.approx(1 / 6)


def test_stratified_sample_keeps_small_segments() -> None:
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1, 2], [9950, 50, 5])
    X = rng.normal(size=(len(labels), 2)) + labels[:, None] * 5.0
    result = segment_silhouettes(X, labels, sample=1000, random_state=1)
    # 9950 * 1000 / 10005 = 994.5 -> 995; 50 -> 5, raised to 10; 5 -> all 5
    assert result.sampled == {0: 995, 1: 10, 2: 5}
    assert result.sizes == {0: 9950, 1: 50, 2: 5}
    assert result.per_segment[0] > 0.5
    again = segment_silhouettes(X, labels, sample=1000, random_state=1)
    assert again.per_segment == result.per_segment


def test_single_segment_gives_nan_and_json_null() -> None:
    result = segment_silhouettes(np.arange(6.0).reshape(3, 2), [4, 4, -1])
    assert np.isnan(result.per_segment[4])
    assert np.isnan(result.overall)
    data = result.to_dict()
    assert data["overall"] is None
    assert data["segments"] == [{"segment": 4, "size": 2, "sampled": 2, "silhouette": None}]
    json.dumps(data, allow_nan=False)


def test_inputs_not_modified() -> None:
    X = np.array([[0.0], [2.0], [5.0], [6.0]])
    labels = np.array([0, 0, 1, 1])
    X0, l0 = X.copy(), labels.copy()
    segment_silhouettes(X, labels)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(labels, l0)


def test_shape_mismatch_is_refused() -> None:
    with pytest.raises(ValueError, match="one label per row"):
        segment_silhouettes(np.zeros((3, 2)), [0, 1])
