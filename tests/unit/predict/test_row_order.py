"""Signs that a table's rows are in time order: a sorted date column, label drift down the rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cible.predict import row_order
from cible.predict.row_order import label_drift, row_order_warnings, sorted_date_columns


def test_sorted_date_columns_either_way() -> None:
    frame = pd.DataFrame(
        {
            "up": ["2020-01-01", "2020-01-01", "2020-03-05"],  # ties still sorted
            "down": pd.to_datetime(["2021-05-01", "2021-04-01", "2021-03-01"]),
            "mixed": ["2020-01-02", "2020-01-01", "2020-01-03"],
            "same": ["2020-01-01"] * 3,
            "number": ["1", "2", "3"],  # numbers are not dates
            "plan": ["a", "b", "c"],
        }
    )
    assert sorted_date_columns(frame) == [
        ("up", "2020-01-01", "2020-03-05"),
        ("down", "2021-05-01", "2021-03-01"),
    ]


def test_label_drift_measured_and_reported() -> None:
    y = pd.Series([0] * 60 + [1] * 40)  # every positive after every negative
    effect, p, early, late = label_drift(y)  # type: ignore[misc]
    assert effect == pytest.approx(0.5) and p < 1e-10
    assert (early, late) == (0.0, 1.0)
    assert label_drift(pd.Series([0, 1] * 50)) is None  # evenly spread
    assert label_drift(pd.Series([1] * 10)) is None  # one class


def test_drift_effect_threshold_is_inclusive(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    y = pd.Series((rng.random(2_000) < np.linspace(0.3, 0.6, 2_000)).astype(int))
    effect = label_drift(y)[0]  # type: ignore[index]
    monkeypatch.setattr(row_order, "DRIFT_MIN_EFFECT", abs(effect))
    assert label_drift(y) is not None  # exactly at the threshold: drift
    monkeypatch.setattr(row_order, "DRIFT_MIN_EFFECT", np.nextafter(abs(effect), 1.0))
    assert label_drift(y) is None


def test_no_warning_on_shuffled_rows() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"d": pd.date_range("2020-01-01", periods=400).strftime("%Y-%m-%d")})
    frame = frame.sample(frac=1.0, random_state=0).reset_index(drop=True)
    y = pd.Series((rng.random(400) < 0.3).astype(int))
    assert row_order_warnings(frame, y) == []


def test_the_drift_warning_reads_for_people() -> None:
    y = pd.Series([0] * 3_000 + [1] * 1_000)  # p underflows to 0.0
    [note] = row_order_warnings(pd.DataFrame({"x": range(4_000)}), y)
    assert note.startswith(
        "the label drifts along the row order (positive rate 0.0% in the first quarter of rows, "
        "100.0% in the last; Mann-Whitney p < 1e-300, effect +0.50)"
    )
    assert note.endswith("if the rows are in time order, set predict.split: {by: time}")
