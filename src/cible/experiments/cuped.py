"""CUPED variance reduction (Deng, Xu, Kohavi & Walker, 2013): the outcome ``Y`` is adjusted with
a pre-experiment covariate ``X`` (the same metric before the test), ``Y' = Y - θ (X - mean(X))``
with ``θ = cov(X, Y) / var(X)`` on both arms pooled (the slope of the OLS of ``Y`` on ``X``).
The difference of adjusted means estimates the same effect; its variance shrinks by ``ρ²``, the
squared correlation of ``X`` and ``Y``. The adjusted outcomes are then compared with Welch's test
(:mod:`~cible.experiments.welch`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from cible.exceptions import ExperimentError
from cible.experiments import DEFAULT_ALPHA
from cible.experiments._result import plain
from cible.experiments.welch import WelchTest, welch_ttest


@dataclass(frozen=True)
class CupedResult:
    theta: float
    correlation: float
    variance_reduction: float
    unadjusted: WelchTest
    adjusted: WelchTest

    def to_dict(self) -> dict[str, Any]:
        return {"test": "CUPED then Welch t-test", **plain(self)}


def cuped_adjust(outcome: ArrayLike, covariate: ArrayLike) -> tuple[np.ndarray, float]:
    """The adjusted outcomes and ``θ``; a constant covariate (``var = 0``) adjusts nothing."""
    y = np.asarray(outcome, dtype=np.float64)
    x = np.asarray(covariate, dtype=np.float64)
    if y.shape != x.shape:
        raise ExperimentError(f"CUPED: {y.size:,} outcomes for {x.size:,} covariate values")
    var = float(np.var(x, ddof=1)) if x.size > 1 else 0.0
    theta = float(np.cov(x, y, ddof=1)[0, 1] / var) if var > 0 else 0.0
    return y - theta * (x - x.mean()), theta


def cuped_test(
    outcome: ArrayLike, covariate: ArrayLike, treated: ArrayLike, *, alpha: float = DEFAULT_ALPHA
) -> CupedResult:
    """Welch's test before and after the CUPED adjustment; ``treated`` is 1 for treatment rows."""
    y = np.asarray(outcome, dtype=np.float64)
    x = np.asarray(covariate, dtype=np.float64)
    t = np.asarray(treated).astype(bool)
    if t.shape != y.shape:
        raise ExperimentError(f"CUPED: {t.size:,} arm flags for {y.size:,} outcomes")
    adjusted, theta = cuped_adjust(y, x)
    rho = float(np.corrcoef(x, y)[0, 1]) if np.std(x) > 0 and np.std(y) > 0 else 0.0
    return CupedResult(
        theta=theta,
        correlation=rho,
        variance_reduction=rho**2,
        unadjusted=welch_ttest(y[~t], y[t], alpha=alpha),
        adjusted=welch_ttest(adjusted[~t], adjusted[t], alpha=alpha),
    )
