"""Fit checks of the BG/NBD model, the two of Fader, Hardie & Lee (2005, figures 2 and 4).

* :func:`frequency_fit`: in the calibration data, how many customers made 0, 1, 2... repeat
  purchases, against the number the model expects, ``sum_i P(X(T_i) = x)`` (equation 8);
* :func:`holdout_fit`: fitted on a calibration period, the mean number of purchases each group of
  customers (by calibration frequency) made in the following holdout period, against the mean of
  the model's conditional expectations ``E[Y(t) | x, t_x, T]`` (equation 10).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cible.exceptions import CLVError
from cible.predict.clv.bgnbd import BetaGeoModel


def _bin_labels(max_frequency: int) -> list[str]:
    return [str(k) for k in range(max_frequency)] + [f"{max_frequency}+"]


def frequency_fit(
    model: BetaGeoModel,
    frequency: pd.Series | np.ndarray,
    T: pd.Series | np.ndarray,
    max_frequency: int = 7,
) -> pd.DataFrame:
    """Rows ``0..max_frequency-1`` and ``max_frequency+``: columns ``frequency`` (label),
    ``actual`` and ``expected`` numbers of customers."""
    if max_frequency < 1:
        raise CLVError(f"max_frequency must be >= 1, got {max_frequency}")
    x = np.asarray(frequency, dtype=np.float64)
    ages, counts = np.unique(np.asarray(T, dtype=np.float64), return_counts=True)
    ks = np.arange(max_frequency, dtype=np.float64)
    probs = model.probability_of_purchases(np.repeat(ages, ks.size), np.tile(ks, ages.size))
    expected = (counts[:, None] * probs.reshape(ages.size, ks.size)).sum(axis=0)
    actual = np.bincount(np.minimum(x, max_frequency).astype(np.int64), minlength=max_frequency + 1)
    return pd.DataFrame(
        {
            "frequency": _bin_labels(max_frequency),
            "actual": actual.astype(np.float64),
            "expected": np.append(expected, x.size - expected.sum()),
        }
    )


def holdout_fit(
    model: BetaGeoModel,
    calibration: pd.DataFrame,
    holdout_purchases: pd.Series,
    holdout_length: float,
    max_frequency: int = 7,
) -> pd.DataFrame:
    """Per calibration-frequency group: ``customers``, ``actual`` and ``predicted`` mean holdout
    purchases. ``calibration`` has columns ``frequency``, ``recency``, ``T`` and the index of
    ``holdout_purchases``; ``holdout_length`` is in the model's time unit."""
    if max_frequency < 1:
        raise CLVError(f"max_frequency must be >= 1, got {max_frequency}")
    actual = holdout_purchases.reindex(calibration.index)
    if actual.isna().any():
        raise CLVError(
            f"{int(actual.isna().sum())} calibration customer(s) have no holdout count "
            "(the two frames must cover the same customers)"
        )
    predicted = model.expected_purchases(
        holdout_length, calibration["frequency"], calibration["recency"], calibration["T"]
    )
    group = np.minimum(calibration["frequency"].to_numpy(), max_frequency).astype(np.int64)
    frame = pd.DataFrame({"group": group, "actual": actual.to_numpy(), "predicted": predicted})
    out = frame.groupby("group").agg(
        customers=("actual", "size"), actual=("actual", "mean"), predicted=("predicted", "mean")
    )
    out = out.reindex(range(max_frequency + 1))
    out.insert(0, "frequency", _bin_labels(max_frequency))
    out["customers"] = out["customers"].fillna(0).astype(np.int64)
    return out.reset_index(drop=True)
