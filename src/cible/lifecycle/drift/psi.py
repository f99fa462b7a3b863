"""Population Stability Index: ``sum((cur - ref) * ln(cur / ref))`` over the bin shares, empty
bins given the share :data:`~cible.lifecycle.drift.histogram.EPS`.

Default threshold 0.1, the usual reading: below 0.1 no significant change, 0.1 to 0.25 a moderate
shift, 0.25 and above a major one. Drifted when ``psi >= threshold``.
"""

from __future__ import annotations

import numpy as np

from cible.lifecycle.drift.histogram import Histogram, StatResult, same_bins, smoothed_shares

NAME = "psi"
DEFAULT_THRESHOLD = 0.1


def psi_value(reference_counts: np.ndarray, current_counts: np.ndarray) -> float:
    p, q = smoothed_shares(reference_counts), smoothed_shares(current_counts)
    return float(np.sum((q - p) * np.log(q / p)))


def psi_test(
    reference: Histogram, current: Histogram, threshold: float = DEFAULT_THRESHOLD
) -> StatResult:
    """PSI (score and effect); drifted when ``psi >= threshold``."""
    ref, cur = same_bins(reference, current, NAME)
    value = psi_value(ref, cur)
    return StatResult(NAME, value, value >= threshold, threshold, effect=value)
