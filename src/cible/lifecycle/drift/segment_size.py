"""Segment-size drift: did the shares of the segments move between a reference assignment (the
one the model was trained on) and the current one?

The score is the PSI of the segment shares (segments of either side, a segment absent on one
side counting 0 there); ``details`` holds the largest absolute share change and the chi-square
p-value of the sizes. Default threshold 0.1 (PSI's "moderate shift"). Drifted when
``psi >= threshold``: with millions of customers the chi-square p-value is tiny for any change,
so it is reported, not used.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from cible.exceptions import LifecycleError
from cible.lifecycle.drift.chi_square import chi_square_test
from cible.lifecycle.drift.histogram import Histogram, StatResult
from cible.lifecycle.drift.psi import psi_value

NAME = "segment_size"
DEFAULT_THRESHOLD = 0.1


def segment_size_test(
    reference: Mapping[int, int], current: Mapping[int, int], threshold: float = DEFAULT_THRESHOLD
) -> StatResult:
    """PSI of the segment shares (score, effect); drifted when ``psi >= threshold``."""
    ids = sorted(set(reference) | set(current))
    ref = np.array([reference.get(s, 0) for s in ids], dtype=np.float64)
    cur = np.array([current.get(s, 0) for s in ids], dtype=np.float64)
    for name, counts in (("reference", ref), ("current", cur)):
        if counts.sum() <= 0 or (counts < 0).any():
            raise LifecycleError(f"{NAME}: the {name} sizes must be >= 0 with at least one member")
    value = psi_value(ref, cur)
    change = np.abs(cur / cur.sum() - ref / ref.sum())
    labels = tuple(str(s) for s in ids)
    chi = chi_square_test(
        Histogram(tuple(int(c) for c in ref), labels=labels),
        Histogram(tuple(int(c) for c in cur), labels=labels),
    )
    return StatResult(
        NAME,
        value,
        value >= threshold,
        threshold,
        p_value=chi.p_value,
        effect=value,
        details={
            "max_share_change": float(change.max()),
            "max_share_change_segment": float(ids[int(change.argmax())]),
        },
    )
