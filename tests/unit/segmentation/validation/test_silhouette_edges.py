"""Silhouettes where an edit of the code would show: the exact JSON report, the smallest sample
accepted, one row per segment, only noise, the defaults of sample and seed, float32 input, and a
sample drawn without replacement."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import silhouette_samples

from cible.segmentation.validation.silhouette import segment_silhouettes


def test_json_report_by_hand() -> None:
    # 1-D: segment 0 at 0 and 2, segment 1 at 10; one noise row
    # a(0) = 2, b(0) = 10: s = 0.8; a(2) = 2, b(2) = 8: s = 0.75; a single member has s = 0
    X = np.array([[0.0], [2.0], [10.0], [50.0]])
    out = segment_silhouettes(X, [0, 0, 1, -1]).to_dict()
    assert out == {
        "overall": pytest.approx((0.775 * 2 + 0.0) / 3),
        "n_rows": 4,
        "n_noise": 1,
        "noise_share": 0.25,
        "segments": [
            {"segment": 0, "size": 2, "sampled": 2, "silhouette": pytest.approx(0.775)},
            {"segment": 1, "size": 1, "sampled": 1, "silhouette": 0.0},
        ],
    }


def test_a_sample_of_exactly_two_is_accepted() -> None:
    X = np.arange(30.0).reshape(-1, 1)
    labels = np.repeat([0, 1, 2], 10)
    result = segment_silhouettes(X, labels, sample=2)  # every segment keeps min(size, 10) rows
    assert result.sampled == {0: 10, 1: 10, 2: 10}
    with pytest.raises(ValueError, match="sample must be >= 2, got 1"):
        segment_silhouettes(X, labels, sample=1)


def test_one_row_per_segment_is_undefined() -> None:
    result = segment_silhouettes(np.array([[0.0], [1.0]]), [0, 1])
    assert math.isnan(result.per_segment[0]) and math.isnan(result.per_segment[1])
    assert math.isnan(result.overall)
    assert result.sampled == {0: 1, 1: 1}


def test_only_noise_gives_nan_overall() -> None:
    result = segment_silhouettes(np.array([[0.0], [1.0]]), [-1, -1])
    assert result.segments == ()
    assert math.isnan(result.overall)
    assert result.noise_share == 1.0


def test_the_default_sample_is_5000_rows() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5001, 1))
    result = segment_silhouettes(X, np.arange(5001) % 2)
    assert result.sizes == {0: 2501, 1: 2500}
    assert result.sampled == {0: 2500, 1: 2500}  # 5001 rows: sampled down to 5000


def test_the_default_seed_is_zero() -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 2))
    labels = np.arange(200) % 2
    default = segment_silhouettes(X, labels, sample=40)
    assert default == segment_silhouettes(X, labels, sample=40, random_state=0)
    assert (
        default.per_segment != segment_silhouettes(X, labels, sample=40, random_state=1).per_segment
    )


def test_float32_input_is_computed_in_float64() -> None:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 2)).astype(np.float32)
    labels = np.repeat([0, 1, 2], 20)
    assert segment_silhouettes(X, labels) == segment_silhouettes(X.astype(np.float64), labels)


def test_small_segments_are_sampled_whole_without_replacement() -> None:
    # segments 0 and 1 (8 rows each, fewer than 10: kept whole) sit next to each other; segment
    # 2 (100 rows) is far away, so the silhouettes of segments 0 and 1 are exactly their values
    # on all rows (a row drawn twice would change them)
    X = np.r_[np.arange(8.0), np.arange(8.0) + 20.0, np.arange(100.0) + 1000.0].reshape(-1, 1)
    labels = np.repeat([0, 1, 2], [8, 8, 100])
    result = segment_silhouettes(X, labels, sample=20)
    assert result.sampled == {0: 8, 1: 8, 2: 17}
    full = silhouette_samples(X, labels)
    assert result.per_segment[0] == pytest.approx(full[:8].mean(), rel=1e-12)
    assert result.per_segment[1] == pytest.approx(full[8:16].mean(), rel=1e-12)
