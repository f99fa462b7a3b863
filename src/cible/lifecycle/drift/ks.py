"""Kolmogorov-Smirnov on binned data: the largest gap between the two cumulative shares at the
bin edges, and its asymptotic p-value.

On the reference's quantile bins this is the KS statistic evaluated at the edges only (a lower
bound of the exact one, equal when every distinct value is an edge); the p-value is the one
``scipy.stats.ks_2samp(method="asymp")`` gives for that statistic (``kstwo`` with
``n = round(n_ref * n_cur / (n_ref + n_cur))``). Default threshold: p < 0.05.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from cible.lifecycle.drift.histogram import Histogram, StatResult, same_bins

NAME = "ks"
DEFAULT_THRESHOLD = 0.05
"""Drifted when the p-value is strictly below it."""


def ks_test(
    reference: Histogram, current: Histogram, threshold: float = DEFAULT_THRESHOLD
) -> StatResult:
    """KS statistic ``D`` (score and effect) and its p-value; drifted when ``p < threshold``."""
    ref, cur = same_bins(reference, current, NAME)
    d = float(np.max(np.abs(np.cumsum(ref) / ref.sum() - np.cumsum(cur) / cur.sum())))
    n, m = ref.sum(), cur.sum()
    p = float(stats.kstwo.sf(d, np.round(n * m / (n + m)))) if d > 0 else 1.0
    return StatResult(NAME, d, p < threshold, threshold, p_value=p, effect=d)
