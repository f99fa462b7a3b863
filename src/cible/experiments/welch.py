"""Welch's t-test of a mean (revenue per unit), treatment against control, unequal variances:
:func:`scipy.stats.ttest_ind` with ``equal_var=False`` and its confidence interval of the
difference of means (Welch-Satterthwaite degrees of freedom).

Two arms with zero variance and the same mean are identical samples: ``t = 0``, ``p = 1``
(scipy would return NaN).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from cible.exceptions import ExperimentError
from cible.experiments import DEFAULT_ALPHA, rejects
from cible.experiments._result import plain


@dataclass(frozen=True)
class WelchTest:
    n_control: int
    n_treatment: int
    mean_control: float
    mean_treatment: float
    difference: float
    t: float
    dof: float
    p_value: float
    ci_low: float
    ci_high: float
    alpha: float
    significant: bool

    def to_dict(self) -> dict[str, Any]:
        return {"test": "Welch t-test (scipy.stats.ttest_ind, equal_var=False)", **plain(self)}


def welch_ttest(
    control: ArrayLike, treatment: ArrayLike, *, alpha: float = DEFAULT_ALPHA
) -> WelchTest:
    """Mean of ``treatment`` minus mean of ``control`` with a two-sided test and interval."""
    c = np.asarray(control, dtype=np.float64)
    t = np.asarray(treatment, dtype=np.float64)
    if c.size < 2 or t.size < 2:
        raise ExperimentError(f"Welch t-test needs >= 2 values per arm, got {c.size} and {t.size}")
    if not (np.isfinite(c).all() and np.isfinite(t).all()):
        raise ExperimentError("Welch t-test: values must be finite (no NaN or infinity)")
    diff = float(t.mean() - c.mean())
    if c.var() == 0 and t.var() == 0:
        if diff != 0:
            raise ExperimentError("Welch t-test: both arms are constant with different values")
        tstat, dof, p, low, high = 0.0, float(c.size + t.size - 2), 1.0, 0.0, 0.0
    else:
        res = stats.ttest_ind(t, c, equal_var=False)
        ci = res.confidence_interval(confidence_level=1 - alpha)
        tstat, dof, p = float(res.statistic), float(res.df), float(res.pvalue)
        low, high = float(ci.low), float(ci.high)
    return WelchTest(
        n_control=int(c.size),
        n_treatment=int(t.size),
        mean_control=float(c.mean()),
        mean_treatment=float(t.mean()),
        difference=diff,
        t=tstat,
        dof=dof,
        p_value=p,
        ci_low=low,
        ci_high=high,
        alpha=alpha,
        significant=rejects(p, alpha),
    )
