"""Segment profiles: size, share and, per feature, mean, median and lift against a base."""

from __future__ import annotations

import numpy as np
import pandas as pd

PROFILE_STATS: tuple[str, ...] = ("mean", "median", "lift")


def profile_segments(
    features: pd.DataFrame,
    segment_ids: pd.Series,
    *,
    reference: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per segment, ordered by ``segment_id``.

    Columns: ``segment_id`` (int), ``size`` (int), ``share`` (size / number of rows of
    ``features``), then for each column ``f`` of ``features`` in order: ``f_mean``, ``f_median``
    and ``f_lift`` = segment mean / reference mean. Missing values are ignored in means and
    medians. The lift is NaN when the reference mean is 0 or undefined.

    ``segment_ids`` must have exactly the index of ``features`` (any order). ``reference`` is the
    base the lifts compare to; by default the whole of ``features``. It must have the same columns.
    Neither input is modified.
    """
    ids = _aligned_ids(features, segment_ids)
    ref = features if reference is None else reference
    missing = sorted(set(features.columns) - set(ref.columns))
    if missing:
        raise ValueError(f"profile_segments: reference frame lacks column(s) {missing}")
    columns = [str(c) for c in features.columns]
    values = features.loc[:, columns].astype("float64")
    ref_means = ref.loc[:, columns].astype("float64").mean()

    grouped = values.groupby(ids.to_numpy(), sort=True)
    sizes = grouped.size()
    means = grouped.mean()
    medians = grouped.median()

    out = pd.DataFrame(
        {
            "segment_id": sizes.index.to_numpy(dtype=np.int64),
            "size": sizes.to_numpy(dtype=np.int64),
            "share": sizes.to_numpy(dtype=np.float64) / max(len(features), 1),
        }
    )
    for col in columns:
        base = float(ref_means[col])
        seg_mean = means[col].to_numpy(dtype=np.float64)
        out[f"{col}_mean"] = seg_mean
        out[f"{col}_median"] = medians[col].to_numpy(dtype=np.float64)
        if base == 0.0 or not np.isfinite(base):
            out[f"{col}_lift"] = np.nan
        else:
            out[f"{col}_lift"] = seg_mean / base
    return out


def _aligned_ids(features: pd.DataFrame, segment_ids: pd.Series) -> pd.Series:
    """``segment_ids`` reindexed on ``features`` rows, as int64; refuses mismatched indexes."""
    if features.index.has_duplicates:
        raise ValueError("profile_segments: the features index (customer_id) has duplicates")
    if segment_ids.index.has_duplicates:
        raise ValueError("profile_segments: the segment_ids index (customer_id) has duplicates")
    n_missing = int((~features.index.isin(segment_ids.index)).sum())
    n_extra = int((~segment_ids.index.isin(features.index)).sum())
    if n_missing or n_extra:
        raise ValueError(
            "profile_segments: segment_ids must have the same index as features "
            f"({n_missing:,} customer(s) without a segment, {n_extra:,} unknown customer(s))"
        )
    aligned = segment_ids.reindex(features.index)
    if aligned.isna().any():
        raise ValueError(
            f"profile_segments: {int(aligned.isna().sum()):,} customer(s) have a missing segment_id"
        )
    return aligned.astype("int64")
