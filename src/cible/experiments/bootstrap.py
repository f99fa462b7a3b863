"""Bootstrap confidence interval of the difference of means (treatment minus control), each arm
resampled on its own: :func:`scipy.stats.bootstrap` (independent samples, ``BCa`` by default,
seeded). For skewed revenue, where the normal interval of Welch's test is an approximation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from cible.exceptions import ExperimentError
from cible.experiments._result import plain

Method = Literal["BCa", "percentile", "basic"]


@dataclass(frozen=True)
class BootstrapInterval:
    difference: float
    ci_low: float
    ci_high: float
    confidence: float
    n_resamples: int
    method: str
    seed: int

    def to_dict(self) -> dict[str, Any]:
        return {"test": "bootstrap (scipy.stats.bootstrap)", **plain(self)}


def _mean_difference(c: np.ndarray, t: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.asarray(np.mean(t, axis=axis) - np.mean(c, axis=axis))


def bootstrap_difference(
    control: ArrayLike,
    treatment: ArrayLike,
    *,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    method: Method = "BCa",
    seed: int = 0,
) -> BootstrapInterval:
    c = np.asarray(control, dtype=np.float64)
    t = np.asarray(treatment, dtype=np.float64)
    if c.size < 2 or t.size < 2:
        raise ExperimentError(f"bootstrap needs >= 2 values per arm, got {c.size} and {t.size}")
    diff = float(t.mean() - c.mean())
    if c.var() == 0 and t.var() == 0:
        low = high = diff
    else:
        res = stats.bootstrap(
            (c, t),
            _mean_difference,
            vectorized=True,
            paired=False,
            confidence_level=confidence,
            n_resamples=n_resamples,
            method=method,
            rng=np.random.default_rng(seed),
        )
        low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
    return BootstrapInterval(
        difference=diff,
        ci_low=low,
        ci_high=high,
        confidence=confidence,
        n_resamples=n_resamples,
        method=method,
        seed=seed,
    )
