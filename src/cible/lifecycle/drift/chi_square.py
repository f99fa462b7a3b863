"""Pearson's chi-square test of homogeneity for a categorical feature: the 2 x K table of
reference and current counts per category (no continuity correction), as
``scipy.stats.chi2_contingency(table, correction=False)``. Categories absent from both
populations are dropped; the effect is Cramér's V of the table.

Default threshold: p < 0.05.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from cible.lifecycle.drift.histogram import Histogram, StatResult, same_bins

NAME = "chi_square"
DEFAULT_THRESHOLD = 0.05


def chi_square_test(
    reference: Histogram, current: Histogram, threshold: float = DEFAULT_THRESHOLD
) -> StatResult:
    """Chi-square statistic (score), p-value, Cramér's V (effect); drifted when
    ``p < threshold``."""
    ref, cur = same_bins(reference, current, NAME)
    table = np.vstack([ref, cur])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return StatResult(NAME, 0.0, False, threshold, p_value=1.0, effect=0.0)
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    chi2 = float(np.sum((table - expected) ** 2 / expected))
    dof = table.shape[1] - 1
    p = float(stats.chi2.sf(chi2, dof))
    v = float(np.sqrt(chi2 / table.sum()))  # min(2, K) - 1 = 1
    return StatResult(
        NAME, chi2, p < threshold, threshold, p_value=p, effect=v, details={"dof": float(dof)}
    )
