"""The classic RFM-quintile segmentation marketers use, as a baseline for cible's segments.

**Scores.** Each of recency, frequency and monetary value gets a score 1..5 from the quintile
edges of its own values (the 20%, 40%, 60% and 80% quantiles, ``numpy.quantile`` with linear
interpolation): a value gets 1 + the number of edges strictly below it, so a value exactly at an
edge belongs to the lower quintile and equal values always share a score (when many customers tie,
as the one-order customers do on frequency, a score can be skipped rather than split a tie
arbitrarily). Recency is reversed: the most recent fifth scores 5.

**Named segments.** The widely used R x F grid (recency score by frequency score), with the
"Hibernating" corner split into "Lost" (R = 1 and F = 1), 11 names in all (:data:`RFM_GRID`):

=====================  ==============  ==============
segment                recency score   frequency score
=====================  ==============  ==============
Champions              5               4-5
Loyal                  3-4             4-5
Potential loyalist     4-5             2-3
New                    5               1
Promising              4               1
Need attention         3               3
About to sleep         3               1-2
At risk                1-2             3-4
Cannot lose them       1-2             5
Hibernating            1-2             1-2 (not both 1)
Lost                   1               1
=====================  ==============  ==============

The grid is a partition: every (R, F) pair has exactly one name. The monetary score is computed
and reported but, as in the grid marketers use, does not enter the names.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

QUINTILES = (0.2, 0.4, 0.6, 0.8)

#: (name, recency scores, frequency scores) - a partition of the 5 x 5 grid; "Lost" before
#: "Hibernating", which takes the rest of its corner.
RFM_GRID: tuple[tuple[str, frozenset[int], frozenset[int]], ...] = (
    ("Champions", frozenset({5}), frozenset({4, 5})),
    ("Loyal", frozenset({3, 4}), frozenset({4, 5})),
    ("Potential loyalist", frozenset({4, 5}), frozenset({2, 3})),
    ("New", frozenset({5}), frozenset({1})),
    ("Promising", frozenset({4}), frozenset({1})),
    ("Need attention", frozenset({3}), frozenset({3})),
    ("About to sleep", frozenset({3}), frozenset({1, 2})),
    ("At risk", frozenset({1, 2}), frozenset({3, 4})),
    ("Cannot lose them", frozenset({1, 2}), frozenset({5})),
    ("Lost", frozenset({1}), frozenset({1})),
    ("Hibernating", frozenset({1, 2}), frozenset({1, 2})),
)
RFM_SEGMENT_NAMES: tuple[str, ...] = tuple(name for name, _, _ in RFM_GRID)


def quintile_edges(values: ArrayLike) -> NDArray[np.float64]:
    """The 20/40/60/80% quantiles of ``values`` (finite values required)."""
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0 or not np.isfinite(x).all():
        raise ValueError("quintile scores need at least one value and only finite values")
    return np.quantile(x, QUINTILES)


def quintile_scores(values: ArrayLike, *, reverse: bool = False) -> NDArray[np.int64]:
    """Score 1..5 per value: 1 + the number of quintile edges strictly below it (6 - that with
    ``reverse``, for recency where small is good)."""
    x = np.asarray(values, dtype=np.float64)
    below = np.searchsorted(quintile_edges(x), x, side="left").astype(np.int64)
    return 5 - below if reverse else 1 + below


def rfm_scores(features: pd.DataFrame) -> pd.DataFrame:
    """``r_score``, ``f_score``, ``m_score`` and the segment name (``rfm_segment``) per row of
    ``features`` (columns ``recency_days``, ``frequency``, ``monetary``; buyers only: every value
    must be finite). ``features`` is not modified."""
    missing = [c for c in ("recency_days", "frequency", "monetary") if c not in features.columns]
    if missing:
        raise ValueError(f"rfm_scores: features lack column(s) {missing}")
    r = quintile_scores(features["recency_days"], reverse=True)
    f = quintile_scores(features["frequency"])
    m = quintile_scores(features["monetary"])
    return pd.DataFrame(
        {"r_score": r, "f_score": f, "m_score": m, "rfm_segment": rfm_segment_names(r, f)},
        index=features.index,
    )


def rfm_segment_names(r_scores: ArrayLike, f_scores: ArrayLike) -> NDArray[np.object_]:
    """The :data:`RFM_GRID` name of each (recency score, frequency score) pair."""
    r = np.asarray(r_scores, dtype=np.int64)
    f = np.asarray(f_scores, dtype=np.int64)
    bad = (r < 1) | (r > 5) | (f < 1) | (f > 5)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"RFM scores must be 1..5; row {i} has R={r[i]}, F={f[i]}")
    names = np.empty(len(r), dtype=object)
    named = np.zeros(len(r), dtype=bool)
    for name, rs, fs in RFM_GRID:
        hit = ~named & np.isin(r, list(rs)) & np.isin(f, list(fs))
        names[hit] = name
        named |= hit
    return names
