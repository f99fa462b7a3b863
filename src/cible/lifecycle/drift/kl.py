"""Kullback-Leibler divergence of the current bin shares from the reference ones,
``sum(cur * ln(cur / ref))`` (natural log, as ``scipy.stats.entropy(cur, ref)``), empty bins
given the share :data:`~cible.lifecycle.drift.histogram.EPS` so that it stays finite.

Not symmetric: it measures how badly the reference describes the current population. Default
threshold 0.1 nats. Drifted when ``kl >= threshold``.
"""

from __future__ import annotations

import numpy as np

from cible.lifecycle.drift.histogram import Histogram, StatResult, same_bins, smoothed_shares

NAME = "kl"
DEFAULT_THRESHOLD = 0.1


def kl_test(
    reference: Histogram, current: Histogram, threshold: float = DEFAULT_THRESHOLD
) -> StatResult:
    """KL(current || reference) (score and effect); drifted when ``kl >= threshold``."""
    ref, cur = same_bins(reference, current, NAME)
    p, q = smoothed_shares(ref), smoothed_shares(cur)
    value = float(np.sum(q * np.log(q / p)))
    return StatResult(NAME, value, value >= threshold, threshold, effect=value)
