"""Kolmogorov-Smirnov on binned data: the largest gap between the two cumulative shares at the
bin edges, and its asymptotic p-value.

On the reference's quantile bins this is the KS statistic evaluated at the edges only (a lower
bound of the exact one, equal when every distinct value is an edge). The p-value, with
``n = n_ref * n_cur / (n_ref + n_cur)``: up to :data:`EXACT_MAX_N` the one
``scipy.stats.ks_2samp(method="asymp")`` gives for that statistic (``kstwo.sf(D, round(n))``);
beyond it the limiting Kolmogorov distribution ``kolmogorov(sqrt(n) * D)``, within 1 % of
``kstwo`` there (0.04949 against 0.04904 at the 5 % critical value for n = 10,000, closer as n
grows) and thousands of times cheaper: ``kstwo.sf`` takes 0.4 s per call in the tail for
n = 500,000, 20 s for the 50 features of a million-row check. Default threshold: p < 0.05.
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

from cible.lifecycle.drift.histogram import Histogram, StatResult, same_bins

NAME = "ks"
EXACT_MAX_N = 10_000
"""Largest effective sample size whose p-value comes from ``kstwo`` (see the module docstring)."""
DEFAULT_THRESHOLD = 0.05
"""Drifted when the p-value is strictly below it."""


def ks_test(
    reference: Histogram, current: Histogram, threshold: float = DEFAULT_THRESHOLD
) -> StatResult:
    """KS statistic ``D`` (score and effect) and its p-value; drifted when ``p < threshold``."""
    ref, cur = same_bins(reference, current, NAME)
    d = float(np.max(np.abs(np.cumsum(ref) / ref.sum() - np.cumsum(cur) / cur.sum())))
    n, m = ref.sum(), cur.sum()
    en = n * m / (n + m)
    if d <= 0:
        p = 1.0
    elif en <= EXACT_MAX_N:
        p = float(stats.kstwo.sf(d, np.round(en)))
    else:
        p = float(special.kolmogorov(np.sqrt(en) * d))
    return StatResult(NAME, d, p < threshold, threshold, p_value=p, effect=d)
