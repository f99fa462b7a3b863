"""Benjamini-Hochberg: the false-discovery-rate adjustment of the p-values of all the features
of one drift check, so that testing 50 features at 5 % does not flag 2.5 of them by chance.

``q_i = min over j >= rank(i) of p_(j) * m / j`` (capped at 1), the "adjusted p-values" of
``statsmodels.stats.multitest.multipletests(method="fdr_bh")``; a feature is significant when
``q < alpha``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Adjusted p-values (q-values) in the order of ``p_values``; NaN stays NaN and does not
    count in ``m``."""
    p = np.asarray(p_values, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    valid = np.flatnonzero(~np.isnan(p))
    m = len(valid)
    if m == 0:
        return out.tolist()
    order = valid[np.argsort(p[valid], kind="stable")]
    ranked = p[order] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out[order] = np.minimum(q, 1.0)
    return out.tolist()
