"""Metrics at their edges: a score exactly at the threshold, a confusion matrix where false
positives and false negatives differ (a swap is visible), degenerate deciles and curve thinning."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cible.predict import compute_metrics, max_f1_threshold
from cible.predict.metrics import (
    CURVE_POINTS,
    _thin,
    calibration_bins,
    confusion,
    decile_table,
)

Y = np.array([1, 0, 1, 1, 0, 0, 1, 0, 0, 0])
P = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05])


def test_confusion_with_more_false_positives_than_false_negatives() -> None:
    y = np.array([1, 1, 1, 0, 0, 0, 0, 0, 0])
    predicted = np.array([True, True, False, True, True, True, False, False, False])
    assert confusion(y, predicted) == (3, 3, 1, 2)  # (tn, fp, fn, tp)


@pytest.mark.parametrize(
    ("threshold", "expected"),
    [
        (0.5, (4, 2, 1, 3)),  # the score 0.5 (a negative) is exactly at the threshold: positive
        (0.5 + 1e-9, (5, 1, 1, 3)),
        (0.5 - 1e-9, (4, 2, 1, 3)),
    ],
)
def test_a_score_exactly_at_the_threshold_is_predicted_positive(
    threshold: float, expected: tuple[int, int, int, int]
) -> None:
    assert compute_metrics(Y, P, threshold).confusion == expected


def test_precision_and_recall_differ_when_fp_and_fn_differ() -> None:
    m = compute_metrics(Y, P, threshold=0.45)  # tp 3, fp 2, fn 1
    assert m.confusion == (4, 2, 1, 3)
    assert m.precision == pytest.approx(3 / 5)
    assert m.recall == pytest.approx(3 / 4)
    assert m.f1 == pytest.approx(2 * 0.6 * 0.75 / 1.35)
    assert m.threshold == 0.45
    assert m.to_dict()["confusion"] == {"tn": 4, "fp": 2, "fn": 1, "tp": 3}


def test_a_threshold_above_every_score_predicts_no_positive() -> None:
    m = compute_metrics(Y, P, threshold=0.95)
    assert m.confusion == (6, 0, 4, 0)
    assert (m.precision, m.recall, m.f1) == (0.0, 0.0, 0.0)


def test_log_loss_clips_certain_wrong_scores() -> None:
    m = compute_metrics([1, 0], [0.0, 1.0], threshold=0.5)
    # scores clipped to [1e-15, 1 - 1e-15] (the upper bound rounds to 1 - 9.992e-16)
    expected = -(math.log(1e-15) + math.log(1.0 - (1.0 - 1e-15))) / 2
    assert m.log_loss == pytest.approx(expected, rel=1e-9)
    assert m.brier == 1.0
    assert m.roc_auc == 0.0


def test_max_f1_threshold_ignores_the_last_point_and_picks_the_first_best() -> None:
    # thresholds 0.2, 0.6, 0.8: F1 = 0.8, 1.0, 2/3: the best is the score of the last positive
    assert max_f1_threshold([0, 1, 1], [0.2, 0.6, 0.8]) == pytest.approx(0.6)
    # all positives: every threshold but the top one has F1 < 1 except the lowest score
    assert max_f1_threshold([1, 1], [0.3, 0.9]) == pytest.approx(0.3)


def test_calibration_has_fewer_bins_when_fewer_rows() -> None:
    bins = calibration_bins([0, 1, 1], [0.1, 0.4, 0.9], bins=10)
    assert [(b.mean_score, b.positive_rate, b.customers) for b in bins] == [
        (0.1, 0.0, 1),
        (0.4, 1.0, 1),
        (0.9, 1.0, 1),
    ]
    halves = calibration_bins([0, 0, 1, 1, 1], [0.9, 0.1, 0.3, 0.7, 0.5], bins=2)
    assert [b.customers for b in halves] == [3, 2]
    assert [b.mean_score for b in halves] == pytest.approx([0.3, 0.8])
    assert [b.positive_rate for b in halves] == pytest.approx([2 / 3, 0.5])


def test_deciles_without_positives_give_nan_lift_and_gain() -> None:
    rows = decile_table([0, 0, 0], [0.3, 0.2, 0.1])
    assert [r.customers for r in rows] == [1, 1, 1]
    assert [r.min_score for r in rows] == [0.3, 0.2, 0.1]
    assert all(math.isnan(r.lift) and math.isnan(r.cumulative_lift) for r in rows)
    assert all(math.isnan(r.cumulative_gain) for r in rows)
    assert [r.rate for r in rows] == [0.0, 0.0, 0.0]


def test_deciles_of_few_rows_and_their_minimum_scores() -> None:
    rows = decile_table([1, 0, 1, 0], [0.2, 0.9, 0.8, 0.1], groups=2)
    assert [r.decile for r in rows] == [1, 2]
    assert [(r.customers, r.positives, r.min_score) for r in rows] == [(2, 1, 0.8), (2, 1, 0.1)]
    assert [r.lift for r in rows] == [1.0, 1.0]
    assert [r.cumulative_gain for r in rows] == [0.5, 1.0]
    assert [r.cumulative_lift for r in rows] == [1.0, 1.0]


def test_curves_are_thinned_only_above_the_point_budget() -> None:
    assert CURVE_POINTS == 200
    x = np.arange(200, dtype=float)
    assert _thin(x, x).x == x.tolist()
    longer = np.arange(201, dtype=float)
    thinned = _thin(longer, 2 * longer)
    assert len(thinned.x) == 200
    assert thinned.x[0] == 0.0 and thinned.x[-1] == 200.0
    assert thinned.y == [2 * v for v in thinned.x]
    assert len(_thin(np.arange(1000.0), np.arange(1000.0), n=5).x) == 5


def test_labels_other_than_zero_and_one_are_refused() -> None:
    with pytest.raises(ValueError, match="labels must be 0 or 1"):
        compute_metrics([0, 2], [0.1, 0.2], 0.5)
    with pytest.raises(ValueError, match="1-D"):
        compute_metrics([[0, 1]], [[0.1, 0.2]], 0.5)
