"""Time split at its boundaries (ties at the cut), the time column, forward folds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cible.config.predict import TrainingSpec
from cible.exceptions import PredictError
from cible.predict.splits import search_folds, split_positions, time_split, time_values


def test_the_latest_rows_are_the_test_split() -> None:
    times = np.array([5.0, 1.0, 4.0, 2.0, 8.0, 3.0, 7.0, 6.0])
    train, test = time_split(times, 0.25)
    assert times[train].tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]  # in time order
    assert times[test].tolist() == [7.0, 8.0]


def test_rows_tied_with_the_last_training_row_stay_in_training() -> None:
    times = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 5.0, 5.0, 6.0])
    train, test = time_split(times, 0.25)  # 6 asked; the 5s at the cut are one instant
    assert train.tolist() == [0, 1, 2, 3, 4, 5, 6] and test.tolist() == [7]


def test_ties_are_kept_in_file_order() -> None:
    train, test = time_split(np.array([2.0, 1.0, 2.0, 1.0, 3.0]), 0.2)
    assert train.tolist() == [1, 3, 0, 2] and test.tolist() == [4]


def test_one_instant_leaves_nothing_to_test() -> None:
    with pytest.raises(PredictError, match="no later row is left to test on"):
        time_split(np.zeros(10), 0.25)


def test_without_times_the_row_order_is_the_clock() -> None:
    spec = TrainingSpec(split={"by": "time"}, test_size=0.3)
    y = pd.Series([0, 1] * 5)
    train, test = split_positions(y, spec)
    assert train.tolist() == list(range(7)) and test.tolist() == [7, 8, 9]


def test_time_values_from_dates_numbers_and_errors() -> None:
    dates = time_values(pd.Series(["2024-01-02", "2024-01-01 12:00"]), "d")
    assert dates[0] - dates[1] == pytest.approx(12 * 3600 * 1e9)
    assert time_values(pd.Series([2019, 2018]), "year").tolist() == [2019.0, 2018.0]
    with pytest.raises(
        PredictError,
        match=r"split column 'd' data row 2: 'soon' is not a date or a number \(2 such",
    ):
        time_values(pd.Series(["2024-01-02", "soon", ""]), "d")
    with pytest.raises(PredictError, match=r"split column 'd' data row 1: is empty \(1 such row"):
        time_values(pd.Series([np.nan, 2.0]), "d")


def test_a_forward_fold_with_one_class_is_refused() -> None:
    spec = TrainingSpec(split={"by": "time"}, search={"cv_folds": 3})
    y = pd.Series([0] * 8 + [0, 1] * 8)  # the first fold fits on zeros only
    with pytest.raises(PredictError, match="forward fold 1 of 3 fits on 6 training rows"):
        search_folds(spec, y)
    assert search_folds(spec, pd.Series([0, 1] * 12)).get_n_splits() == 3


def test_time_split_is_for_tables_only() -> None:
    from cible.config.predict import PredictConfig

    with pytest.raises(ValueError, match=r"split\.by: time applies to a table"):
        PredictConfig(split={"by": "time"})
    with pytest.raises(ValueError, match=r"split\.column is only used with split\.by: time"):
        TrainingSpec(split={"column": "date"})
