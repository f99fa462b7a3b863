"""Test splits and search folds: stratified at random, or in time order (``split: {by: time}``).

**Random** (default): one stratified split (``test_size``, ``random_state``); the search uses
shuffled stratified folds of the training split.

**Time**: the rows are ordered by their time (the ``split.column`` values, else the row order of
the file) and the latest ``test_size`` of them are the test split: the model is judged on rows
later than every row it learned from, as it will be used. Rows sharing the time of the last
training row all stay in training, so that no instant is on both sides (the test split can be a
little smaller than asked). The search then uses forward-chaining folds of the training split
(:class:`~sklearn.model_selection.TimeSeriesSplit`: each fold validates on rows later than those
it fits on), and the out-of-fold scores that choose the threshold come from those folds.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold, TimeSeriesSplit, train_test_split

from cible.config.predict import TrainingSpec
from cible.exceptions import PredictError

Folds: TypeAlias = StratifiedKFold | TimeSeriesSplit


def time_values(values: pd.Series, column: str) -> NDArray[np.float64]:
    """The time of each row as a number (a date as nanoseconds since the epoch): numbers are
    kept, text is parsed as dates. A missing or unreadable value is an error naming its row."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        out = pd.to_numeric(values).to_numpy(dtype=np.float64)
        bad = np.isnan(out)
        shown = values
    else:
        text = values.astype("string").str.strip()
        parsed = pd.to_datetime(text, errors="coerce", format="mixed")
        bad = parsed.isna().to_numpy()
        out = parsed.to_numpy(dtype="datetime64[ns]").astype(np.int64).astype(np.float64)
        shown = text
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        value = shown.iloc[first]
        what = (
            "is empty"
            if pd.isna(value) or value == ""
            else f"{str(value)!r} is not a date or a number"
        )
        raise PredictError(
            f"split column '{column}' data row {first + 1:,}: {what} "
            f"({int(bad.sum()):,} such row(s)); every row needs a time for split.by: time"
        )
    return out


def split_positions(
    y: pd.Series, spec: TrainingSpec, time: NDArray[np.float64] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Row positions of the training and test splits. Random: each in increasing order. Time:
    the training rows in time order (as the forward folds need), then the test rows."""
    if spec.split.by == "time":
        order_of = np.arange(len(y), dtype=np.float64) if time is None else time
        return time_split(order_of, spec.test_size)
    train_pos, test_pos = train_test_split(
        np.arange(len(y)),
        test_size=spec.test_size,
        stratify=y.to_numpy(),
        random_state=spec.random_state,
    )
    return np.sort(train_pos), np.sort(test_pos)


def time_split(time: NDArray[np.float64], test_size: float) -> tuple[np.ndarray, np.ndarray]:
    """Training rows: the earliest ``1 - test_size`` and every row tied with the last of them;
    test rows: the strictly later ones. Both in time order (stable for ties)."""
    order = np.argsort(time, kind="stable")
    n_train = len(order) - int(np.ceil(len(order) * test_size))
    if n_train < 1:
        raise PredictError(f"test_size {test_size} leaves no row for training")
    cut = time[order[n_train - 1]]
    n_train = int(np.searchsorted(time[order], cut, side="right"))
    if n_train >= len(order):
        raise PredictError(
            "split.by: time: every row has the time of the last training row; no later row is "
            "left to test on (give a column with more distinct times)"
        )
    return order[:n_train], order[n_train:]


def search_folds(spec: TrainingSpec, y_train: pd.Series) -> Folds:
    """The folds of the cross-validated search on the training split (see the module docstring)."""
    if spec.split.by == "random":
        return StratifiedKFold(spec.search.cv_folds, shuffle=True, random_state=spec.random_state)
    folds = TimeSeriesSplit(n_splits=spec.search.cv_folds)
    labels = y_train.to_numpy()
    for k, (fit_rows, val_rows) in enumerate(folds.split(labels), start=1):
        for part, rows in (("fits on", fit_rows), ("validates on", val_rows)):
            if len(np.unique(labels[rows])) < 2:
                raise PredictError(
                    f"split.by: time: forward fold {k} of {spec.search.cv_folds} {part} "
                    f"{len(rows):,} training rows holding a single class; use fewer "
                    "search.cv_folds or more rows"
                )
    return folds


def out_of_fold(
    estimator: Any, X: pd.DataFrame, y: pd.Series, folds: Folds
) -> tuple[np.ndarray, NDArray[np.float64]]:
    """Positions (increasing) of the rows validated by some fold and their scores from a fresh
    copy of ``estimator`` fitted on that fold's other rows. Stratified folds cover every row;
    forward folds all but the first block."""
    labels = y.to_numpy()
    positions, scores = [], []
    for fit_rows, val_rows in folds.split(X, labels):
        model = clone(estimator).fit(X.iloc[fit_rows], labels[fit_rows])
        positions.append(val_rows)
        scores.append(np.asarray(model.predict_proba(X.iloc[val_rows])[:, 1], dtype=np.float64))
    pos, sc = np.concatenate(positions), np.concatenate(scores)
    order = np.argsort(pos, kind="stable")
    return pos[order], sc[order]
