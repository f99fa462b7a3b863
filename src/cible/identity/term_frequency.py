"""Term-frequency adjustment: an exact match on a rare value says more than one on a common value.

For a field with ``term_frequency: true``, let ``p_v`` be the share of the records (with a value)
whose standardised value is ``v`` and ``S = sum_v p_v^2`` the chance that two random records
agree on the field. Among matching pairs that agree exactly, the value is ``v`` with probability
``p_v``; among non-matching pairs that agree, with probability ``p_v^2 / S``. An exact agreement on
``v`` therefore multiplies the Bayes factor of the level by ``S / p_v``: above 1 for values rarer
than the typical agreeing value, below 1 for common ones ("smith").

Splink replaces the level's ``u`` by ``p_v`` (Bayes factor ``m / p_v``), which assumes ``u`` was
estimated on random pairs. The relative factor ``S / p_v`` used here keeps the level's own ``m/u``
and only redistributes it across values, so it stays right when ``u`` is trained by EM on blocked
candidate pairs (where agreeing non-matches are far more frequent than among random pairs). The
factor is clipped to ``[1/64, 64]`` (six bits either way) so that one field cannot decide a pair.
Only the exact level (level 0, similarity 1) is adjusted; fuzzy levels keep their ``m/u``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cible.config.matching import FieldComparison
from cible.identity.prepare import Prepared

MAX_LOG2_FACTOR = 6.0


def value_frequencies(values: np.ndarray) -> tuple[np.ndarray, float]:
    """Per record, the share ``p_v`` of records (with a value) holding its value (NaN if missing),
    and ``S = sum p_v^2``."""
    codes, _ = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    present = codes >= 0
    out = np.full(len(codes), np.nan)
    total = int(present.sum())
    if total == 0:
        return out, 0.0
    counts = np.bincount(codes[present]).astype(np.float64)
    shares = counts / total
    out[present] = shares[codes[present]]
    return out, float((shares**2).sum())


def log_factors(
    prepared: Prepared,
    fields: Sequence[FieldComparison],
    gamma: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
) -> np.ndarray | None:
    """Natural-log Bayes-factor adjustment of every pair (``None`` when no field asks for it).

    A pair gets ``log(S / max(p_left, p_right))`` for each term-frequency field it agrees on
    exactly (level 0), clipped to ``+-MAX_LOG2_FACTOR`` bits.
    """
    tf_fields = [(f, field) for f, field in enumerate(fields) if field.term_frequency]
    if not tf_fields:
        return None
    out = np.zeros(len(left))
    bound = MAX_LOG2_FACTOR * np.log(2.0)
    for f, field in tf_fields:
        share, agree = value_frequencies(prepared.values[field.column])
        exact = gamma[:, f] == 0
        if not exact.any() or agree <= 0:
            continue
        p = np.fmax(share[left[exact]], share[right[exact]])
        adjust = np.where(np.isnan(p), 0.0, np.log(agree / np.where(np.isnan(p), 1.0, p)))
        out[exact] += np.clip(adjust, -bound, bound)
    return out
