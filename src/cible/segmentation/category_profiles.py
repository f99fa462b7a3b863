"""Categorical features in the segment profiles and names.

:func:`category_shares` adds to the profiles, for each categorical segmentation feature, the share
of each segment's customers holding each of its most frequent values (column
``"<feature>=<value>_share"``, missing values counted in no column). :func:`qualified_names`
appends to a segment's name the value that dominates it: held by at least
:data:`DOMINANT_SHARE` of its customers and at least :data:`DOMINANT_LIFT` times as often as
among all the buyers ("Champions - Bretagne"); a value every segment holds as much says nothing
and is left out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: most frequent values of a categorical feature given a share column in the profiles
TOP_CATEGORIES = 5
DOMINANT_SHARE = 0.6
DOMINANT_LIFT = 1.5


def share_column(feature: str, value: object) -> str:
    """The profile column of the share of ``feature == value``."""
    return f"{feature}={value}_share"


def category_shares(
    profiles: pd.DataFrame,
    features: pd.DataFrame,
    segment_ids: pd.Series,
    categorical: list[str],
    *,
    reference: pd.DataFrame,
) -> pd.DataFrame:
    """``profiles`` (one row per ``segment_id``) with the share columns of the
    :data:`TOP_CATEGORIES` most frequent values (in ``reference``, ties by value) of each
    ``categorical`` column of ``features``; ``segment_ids`` is aligned with ``features``.
    No input is modified."""
    out = profiles.copy()
    ids = segment_ids.reindex(features.index).to_numpy()
    for feature in categorical:
        counts = reference[feature].astype("object").value_counts()
        top = sorted(counts.index, key=lambda v: (-counts[v], str(v)))[:TOP_CATEGORIES]
        values = features[feature].astype("object")
        for value in top:
            held = pd.Series((values == value).to_numpy(dtype=np.float64)).groupby(ids).mean()
            column = out["segment_id"].map(held).astype(np.float64)
            out[share_column(feature, value)] = column.to_numpy()
    return out


def qualified_names(
    names: dict[int, str],
    profiles: pd.DataFrame,
    reference: pd.DataFrame,
    categorical: list[str],
) -> dict[int, str]:
    """``names`` with the dominant value of each categorical feature appended (module
    docstring), segments of ``profiles`` only; the other names are returned unchanged."""
    out = dict(names)
    for _, row in profiles.iterrows():
        segment = int(row["segment_id"])
        if segment not in out:
            continue
        extras = []
        for feature in categorical:
            base = reference[feature].astype("object").value_counts(normalize=True)
            best: tuple[float, str] | None = None
            for value, overall in base.items():
                column = share_column(feature, value)
                share = float(row[column]) if column in row.index else float("nan")
                lift = share / overall if overall > 0 else float("nan")
                dominant = share >= DOMINANT_SHARE and lift >= DOMINANT_LIFT
                if dominant and (best is None or share > best[0]):
                    best = (share, str(value))
            if best is not None:
                extras.append(best[1])
        if extras:
            out[segment] = f"{out[segment]} - {', '.join(extras)}"
    return out
