from __future__ import annotations

import numpy as np
import pytest

from cible.predict import compute_metrics, max_f1_threshold
from cible.predict.metrics import calibration_bins, decile_table

Y = np.array([1, 0, 1, 1, 0, 0, 1, 0, 0, 0])
P = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05])


def test_golden_metrics() -> None:
    m = compute_metrics(Y, P, threshold=0.55)
    assert m.roc_auc == pytest.approx(19 / 24)
    assert m.pr_auc == pytest.approx((1 + 2 / 3 + 3 / 4 + 4 / 7) / 4)
    assert m.brier == pytest.approx(0.18525)
    assert m.log_loss == pytest.approx(0.5370042, abs=1e-6)
    assert m.confusion == (5, 1, 1, 3)
    assert (m.precision, m.recall, m.f1) == pytest.approx((0.75, 0.75, 0.75))
    assert m.n == 10 and m.positives == 4
    assert m.roc.x[0] == 0.0 and m.roc.y[-1] == 1.0
    d = m.to_dict()
    assert d["confusion"] == {"tn": 5, "fp": 1, "fn": 1, "tp": 3}


def test_max_f1_threshold() -> None:
    assert max_f1_threshold(Y, P) == pytest.approx(0.6)
    # a perfect ranking: the threshold is the lowest positive score
    assert max_f1_threshold([0, 0, 1, 1], [0.1, 0.2, 0.7, 0.8]) == pytest.approx(0.7)


def test_deciles_lift_and_gain() -> None:
    rows = decile_table(Y, P)
    assert [r.positives for r in rows] == [1, 0, 1, 1, 0, 0, 1, 0, 0, 0]
    assert rows[0].lift == pytest.approx(2.5)
    assert rows[3].cumulative_gain == pytest.approx(0.75)
    assert rows[3].cumulative_lift == pytest.approx((3 / 4) / 0.4)
    assert rows[-1].cumulative_gain == pytest.approx(1.0)
    # 25 rows: groups of 3 and 2, highest scores first, ties kept in input order
    big = decile_table(np.r_[np.ones(5), np.zeros(20)], np.linspace(1, 0, 25))
    assert [r.customers for r in big] == [3, 3, 3, 3, 3, 2, 2, 2, 2, 2]
    assert big[0].positives == 3 and big[1].positives == 2


def test_calibration_bins() -> None:
    bins = calibration_bins(
        np.r_[np.zeros(50), np.ones(50)], np.r_[np.full(50, 0.2), np.full(50, 0.8)], bins=2
    )
    assert [b.customers for b in bins] == [50, 50]
    assert [b.mean_score for b in bins] == pytest.approx([0.2, 0.8])
    assert [b.positive_rate for b in bins] == [0.0, 1.0]


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="same length"):
        compute_metrics([0, 1], [0.5], 0.5)
    with pytest.raises(ValueError, match="both classes"):
        compute_metrics([1, 1], [0.5, 0.6], 0.5)
    with pytest.raises(ValueError, match="NaN"):
        compute_metrics([0, 1], [0.5, np.nan], 0.5)
