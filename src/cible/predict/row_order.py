"""Whether the rows of a table look ordered in time, so that a random test split would flatter.

A random split mixes later rows into training: when the data drift (a changing base rate, new
kinds of customers), the test score says how well the model interpolates, not how it will do on
next month's rows. :func:`row_order_warnings` notices two signs and says what to set instead
(``predict.split: {by: time}``):

* a **date column that never decreases** (or never increases) down the file: the file is sorted
  by it. Text columns are tried as dates on a sample of their values first, so that the check
  stays cheap on wide tables;
* **label drift along the row order**: the row positions of the positives and of the negatives
  differ (Mann-Whitney U test, p below :data:`DRIFT_P_VALUE`, and a rank-biserial effect, the
  ROC AUC of row position as a score minus one half, of at least :data:`DRIFT_MIN_EFFECT`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import mannwhitneyu

DRIFT_P_VALUE = 1e-3
DRIFT_MIN_EFFECT = 0.05
DATE_SAMPLE = 50
_ADVICE = "a random test split then scores the model on rows mixed with those it learned from"


def _as_dates(values: pd.Series) -> pd.Series | None:
    """The non-missing values as timestamps, or ``None`` when they are not all dates."""
    s = values.dropna()
    if s.empty:
        return None
    if pd.api.types.is_datetime64_any_dtype(s):
        return s
    if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        return None
    text = s.astype("string").str.strip()
    if pd.to_numeric(text.head(DATE_SAMPLE), errors="coerce").notna().any():
        return None  # numbers (ids, amounts) are not dates even when a parser accepts them
    head = pd.to_datetime(text.head(DATE_SAMPLE), errors="coerce", format="mixed")
    if head.isna().any():
        return None
    parsed = pd.to_datetime(text, errors="coerce", format="mixed")
    return None if parsed.isna().any() else parsed


def sorted_date_columns(frame: pd.DataFrame) -> list[tuple[str, str, str]]:
    """``(column, first, last)`` of every date column monotone down the rows (2+ distinct)."""
    found = []
    for col in frame.columns:
        dates = _as_dates(frame[col])
        if dates is None or dates.nunique() < 2:
            continue
        if dates.is_monotonic_increasing or dates.is_monotonic_decreasing:
            first, last = dates.iloc[0], dates.iloc[-1]
            found.append((str(col), f"{first:%Y-%m-%d}", f"{last:%Y-%m-%d}"))
    return found


def label_drift(y: pd.Series) -> tuple[float, float, float, float] | None:
    """``(effect, p_value, first_quarter_rate, last_quarter_rate)`` when the label drifts along
    the row order (see the module docstring), else ``None``."""
    labels = y.to_numpy()
    n1 = int(labels.sum())
    n0 = len(labels) - n1
    if n1 == 0 or n0 == 0:
        return None
    rows = np.arange(len(labels), dtype=np.float64)
    u, p = mannwhitneyu(rows[labels == 1], rows[labels == 0], alternative="two-sided")
    effect = float(u) / (n1 * n0) - 0.5
    if not (p < DRIFT_P_VALUE and abs(effect) >= DRIFT_MIN_EFFECT):
        return None
    quarter = max(len(labels) // 4, 1)
    return effect, float(p), float(labels[:quarter].mean()), float(labels[-quarter:].mean())


def row_order_warnings(frame: pd.DataFrame, y: pd.Series) -> list[str]:
    """Plain-language warnings for a table split at random (``frame``: its feature columns as
    read; ``y``: the 0/1 label in the same row order). Empty when the rows look unordered."""
    notes = []
    for col, first, last in sorted_date_columns(frame):
        notes.append(
            f"rows look time-ordered: column '{col}' is sorted down the file ({first} to "
            f"{last}) and {_ADVICE}; set predict.split: {{by: time, column: {col}}} to test on "
            "the latest rows"
        )
    drift = label_drift(y)
    if drift is not None:
        effect, p, early, late = drift
        p_text = f"p = {p:.1e}" if p > 0 else "p < 1e-300"
        notes.append(
            f"the label drifts along the row order (positive rate {early:.1%} in the first "
            f"quarter of rows, {late:.1%} in the last; Mann-Whitney {p_text}, effect "
            f"{effect:+.2f}) and {_ADVICE}; if the rows are in time order, set "
            "predict.split: {by: time}"
        )
    return notes
