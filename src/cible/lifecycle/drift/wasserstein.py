"""Wasserstein-1 (earth mover's) distance between the binned populations, divided by the
reference spread (``Histogram.scale``: IQR / 1.349, the standard deviation for a normal
feature, or the standard deviation itself when the IQR is 0).

Each bin's mass sits at its point (the reference quantile at the bin's centre level), so the raw
distance is ``sum(|F_ref - F_cur| * diff(points))`` over the cumulative shares, exactly
``scipy.stats.wasserstein_distance(points, points, ref_counts, cur_counts)``; the outer bins'
points are the 1/40 and 39/40 quantiles, so a handful of extreme values does not dominate it.
Divided by the reference spread it is unit-free and, for a pure location shift of ``d`` standard
deviations, close to ``d``: the effect size the drift decision gates on.

Default threshold 0.05 (a shift of 5 % of a standard deviation). Drifted when
``normalised distance >= threshold``.
"""

from __future__ import annotations

import numpy as np

from cible.exceptions import LifecycleError
from cible.lifecycle.drift.histogram import Histogram, StatResult, same_bins

NAME = "wasserstein"
DEFAULT_THRESHOLD = 0.05


def binned_wasserstein(
    points: np.ndarray, reference_counts: np.ndarray, current_counts: np.ndarray
) -> float:
    """W1 between two weightings of the same sorted ``points``."""
    cdf_gap = np.abs(
        np.cumsum(reference_counts)[:-1] / reference_counts.sum()
        - np.cumsum(current_counts)[:-1] / current_counts.sum()
    )
    return float(np.sum(cdf_gap * np.diff(points)))


def wasserstein_test(
    reference: Histogram, current: Histogram, threshold: float = DEFAULT_THRESHOLD
) -> StatResult:
    """Normalised W1 (score and effect), raw W1 in ``details``; drifted when
    ``normalised >= threshold``. A reference without spread (scale 0) gives 0 if nothing moved, else
    infinity."""
    ref, cur = same_bins(reference, current, NAME)
    if len(reference.points) != len(ref):
        raise LifecycleError(f"{NAME}: the reference histogram needs one point per bin")
    raw = binned_wasserstein(np.asarray(reference.points), ref, cur)
    scale = reference.scale
    if not np.isfinite(scale):
        raise LifecycleError(f"{NAME}: the reference histogram has no scale (spread)")
    value = raw / scale if scale > 0 else (0.0 if raw == 0 else float("inf"))
    return StatResult(
        NAME, value, value >= threshold, threshold, effect=value, details={"raw": raw}
    )
