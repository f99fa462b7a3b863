"""Jensen-Shannon distance (base 2, in [0, 1]) between the bin shares: the square root of the
mean KL divergence of each population to their average, as ``scipy.spatial.distance
.jensenshannon(p, q, base=2)``. Finite with empty bins, symmetric.

Default threshold 0.1 (the distance, not the divergence). Drifted when ``distance >= threshold``.
"""

from __future__ import annotations

import numpy as np

from cible.lifecycle.drift.histogram import Histogram, StatResult, same_bins

NAME = "jensen_shannon"
DEFAULT_THRESHOLD = 0.1


def _kl_base2(p: np.ndarray, q: np.ndarray) -> float:
    mask = p > 0
    return float(np.sum(p[mask] * np.log2(p[mask] / q[mask])))


def jensen_shannon_test(
    reference: Histogram, current: Histogram, threshold: float = DEFAULT_THRESHOLD
) -> StatResult:
    """JS distance (score and effect); drifted when ``distance >= threshold``."""
    ref, cur = same_bins(reference, current, NAME)
    p, q = ref / ref.sum(), cur / cur.sum()
    m = (p + q) / 2
    value = float(np.sqrt(max((_kl_base2(p, m) + _kl_base2(q, m)) / 2, 0.0)))
    return StatResult(NAME, value, value >= threshold, threshold, effect=value)
