"""Feature scaling before clustering: ``log1p`` for skewed counts and amounts, then z-scores.

Customer features such as monetary value or order counts are heavily right-skewed; k-means on the
raw values would be driven by a handful of very large customers. :class:`FeatureTransformer`
compresses the chosen columns with ``log1p(max(x, 0))`` (negative amounts, e.g. net refunds, are
clipped to 0 first so that the log is defined) and then standardises every column to mean 0 and
unit variance.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted


class FeatureTransformer(TransformerMixin, BaseEstimator):
    """``log1p(clip(x, lower=0))`` on ``log_features``, identity on the others, then z-scores.

    Parameters
    ----------
    log_features:
        Columns compressed with ``log1p`` before scaling. ``None`` (the default) means none: every
        column is only standardised. Every name must be a column of the frame given to ``fit``.

    Fitted attributes
    -----------------
    feature_names_in_: the columns seen in ``fit``, in order (the output columns follow it).
    n_features_in_: their number.
    log_features_: the columns that are log-transformed, in the order of ``feature_names_in_``.
    scaler_: the fitted :class:`~sklearn.preprocessing.StandardScaler`.

    ``fit`` and ``transform`` take a pandas DataFrame and refuse missing or infinite values with a
    :class:`ValueError` that names the column and the count. ``transform`` accepts the fitted
    columns in any order and refuses a frame whose set of columns differs.
    """

    def __init__(self, log_features: list[str] | None = None) -> None:
        self.log_features = log_features

    def fit(self, X: pd.DataFrame, y: Any = None) -> FeatureTransformer:
        """Learn the columns and the scaling; returns ``self``."""
        frame = _require_frame(X, "fit")
        columns = [str(c) for c in frame.columns]
        if len(set(columns)) != len(columns):
            dups = sorted({c for c in columns if columns.count(c) > 1})
            raise ValueError(f"FeatureTransformer.fit: duplicated column(s) {dups}")
        wanted = list(self.log_features or [])
        unknown = sorted(set(wanted) - set(columns))
        if unknown:
            raise ValueError(
                f"FeatureTransformer: log_features {unknown} are not columns of the frame; "
                f"columns: {columns}"
            )
        _require_finite(frame, columns)
        self.feature_names_in_ = np.asarray(columns, dtype=object)
        self.n_features_in_ = len(columns)
        self.log_features_ = [c for c in columns if c in wanted]
        self.scaler_ = StandardScaler().fit(self._compress(frame, columns))
        return self

    def transform(self, X: pd.DataFrame) -> NDArray[np.float64]:
        """The scaled values as a ``(n_rows, n_features)`` float array (columns as in ``fit``)."""
        check_is_fitted(self, "scaler_")
        frame = _require_frame(X, "transform")
        columns = [str(c) for c in self.feature_names_in_]
        given = {str(c) for c in frame.columns}
        missing = sorted(set(columns) - given)
        extra = sorted(given - set(columns))
        if missing or extra or len(frame.columns) != len(columns):
            raise ValueError(
                "FeatureTransformer.transform: columns differ from those seen in fit "
                f"(missing: {missing}, unexpected: {extra}); expected {columns}"
            )
        _require_finite(frame, columns)
        out: NDArray[np.float64] = self.scaler_.transform(self._compress(frame, columns))
        return out

    def get_feature_names_out(self, input_features: Any = None) -> NDArray[np.object_]:
        """The output column names: the fitted columns, unchanged (the transform is one-to-one)."""
        check_is_fitted(self, "scaler_")
        return np.asarray(list(self.feature_names_in_), dtype=object)

    def _compress(self, frame: pd.DataFrame, columns: list[str]) -> NDArray[np.float64]:
        """The fitted columns in order, ``log1p(max(x, 0))`` on the log features; a new array."""
        values = frame.loc[:, columns].to_numpy(dtype=np.float64, copy=True)
        log_idx = [columns.index(c) for c in self.log_features_]
        if log_idx:
            values[:, log_idx] = np.log1p(np.clip(values[:, log_idx], 0.0, None))
        return values


def _require_frame(X: object, method: str) -> pd.DataFrame:
    if not isinstance(X, pd.DataFrame):
        raise TypeError(
            f"FeatureTransformer.{method} expects a pandas DataFrame with named feature columns, "
            f"got {type(X).__name__}"
        )
    return X


def _require_finite(frame: pd.DataFrame, columns: list[str]) -> None:
    """Raise a ValueError naming every column with missing or infinite values, with counts."""
    problems = []
    for col in columns:
        try:
            values = frame[col].to_numpy(dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise ValueError(f"column '{col}' is not numeric ({frame[col].dtype})") from e
        n_bad = int((~np.isfinite(values)).sum())
        if n_bad:
            problems.append(f"column '{col}' has {n_bad:,} missing or infinite value(s)")
    if problems:
        raise ValueError("; ".join(problems) + "; impute or drop them before scaling")
