"""Metrics where a small edit of the code would change the answer: the F1 search at its first and
last candidate and where precision and recall are both 0, ties kept in input order by the
calibration and decile sorts, integer scores, and every part of the report of compute_metrics."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.metrics import precision_recall_curve

from cible.predict import compute_metrics, max_f1_threshold
from cible.predict.metrics import calibration_bins, decile_table
from cible.predict.training_result import CalibrationBin

Y = np.array([1, 0, 1, 1, 0, 0, 1, 0, 0, 0])
P = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05])


def test_the_highest_score_can_be_the_best_threshold() -> None:
    # thresholds 0.1 (F1 2/3) and 0.9 (precision 1, recall 1): the last candidate wins
    assert max_f1_threshold([0, 1], [0.1, 0.9]) == 0.9


def test_precision_and_recall_both_zero_count_as_f1_zero_without_warning() -> None:
    # at 0.9 only the negative is predicted positive: precision 0, recall 0 (0/0), F1 is 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert max_f1_threshold([0, 1], [0.9, 0.1]) == 0.1


def test_a_threshold_with_precision_plus_recall_exactly_one_can_win() -> None:
    # 20 customers, 2 buyers. At 0.9: precision 1/2, recall 1/2 (sum exactly 1, F1 0.5); at
    # 0.5: precision 1/19, recall 1/2; at 0.1: precision 2/20, recall 1 (F1 2/11).
    y = [0, 1] + [0] * 17 + [1]
    p = [0.95, 0.9] + [0.5] * 17 + [0.1]
    assert max_f1_threshold(y, p) == 0.9


def test_f1_search_with_recall_above_precision() -> None:
    # thresholds 0.2 (p 3/4, r 1, F1 6/7), 0.3 (p 2/3, r 2/3), 0.8 (p 1, r 2/3), 0.9 (p 1, r 1/3)
    assert max_f1_threshold([1, 1, 1, 0], [0.2, 0.8, 0.9, 0.3]) == 0.2


def test_calibration_keeps_tied_scores_in_input_order() -> None:
    # ten customers at 0.2 and ten at 0.8, interleaved; the first five of each score bought
    p = np.array([0.2, 0.8] * 10)
    y = np.array([1, 1] * 5 + [0, 0] * 5)
    bins = calibration_bins(y, p, bins=4)
    assert bins == [
        CalibrationBin(0.2, 1.0, 5),
        CalibrationBin(0.2, 0.0, 5),
        CalibrationBin(0.8, 1.0, 5),
        CalibrationBin(0.8, 0.0, 5),
    ]


def test_deciles_keep_tied_scores_in_input_order() -> None:
    p = np.array([0.2, 0.8] * 10)
    y = np.array([1, 1] * 5 + [0, 0] * 5)
    rows = decile_table(y, p, groups=4)
    assert [(r.positives, r.min_score) for r in rows] == [(5, 0.8), (0, 0.8), (5, 0.2), (0, 0.2)]
    assert [r.cumulative_gain for r in rows] == [0.5, 0.5, 1.0, 1.0]


def test_integer_scores_are_ranked_as_numbers() -> None:
    # unsigned integer scores (a grade 0..3): decile 1 holds the highest grade, not grade 0
    rows = decile_table([0, 1, 1, 0], np.array([0, 1, 2, 3], dtype=np.uint8), groups=4)
    assert [r.min_score for r in rows] == [3.0, 2.0, 1.0, 0.0]
    assert [r.positives for r in rows] == [0, 1, 1, 0]
    assert [r.lift for r in rows] == [0.0, 2.0, 2.0, 0.0]


@pytest.mark.parametrize(
    ("threshold", "confusion", "precision", "recall"),
    [
        (0.75, (5, 1, 3, 1), 0.5, 0.25),  # tp = fp = 1
        (0.65, (5, 1, 2, 2), 2 / 3, 0.5),  # tp = fn = 2
    ],
)
def test_precision_and_recall_when_tp_equals_fp_or_fn(
    threshold: float, confusion: tuple[int, int, int, int], precision: float, recall: float
) -> None:
    m = compute_metrics(Y, P, threshold)
    assert m.confusion == confusion
    assert m.precision == pytest.approx(precision)
    assert m.recall == pytest.approx(recall)


def test_compute_metrics_reports_calibration_deciles_and_curves() -> None:
    m = compute_metrics(Y, P, 0.5)
    assert m.calibration == calibration_bins(Y, P)
    assert len(m.calibration) == 10
    assert m.deciles == decile_table(Y, P)
    assert [r.positives for r in m.deciles] == [1, 0, 1, 1, 0, 0, 1, 0, 0, 0]
    precision, recall, _ = precision_recall_curve(Y, P)
    assert m.pr.x == pytest.approx(recall[::-1].tolist())
    assert m.pr.y == pytest.approx(precision[::-1].tolist())
    # recall rises from 0 to 1 along the curve; precision ends at the base rate 0.4
    assert m.pr.x[0] == 0.0
    assert m.pr.x[-1] == 1.0
    assert m.pr.y[0] == 1.0
    assert m.pr.y[-1] == pytest.approx(0.4)
    assert m.pr.x[1:4] == pytest.approx([0.25, 0.25, 0.5])
    assert m.pr.y[1:4] == pytest.approx([1.0, 0.5, 2 / 3])
