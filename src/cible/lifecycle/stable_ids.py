"""Stable segment ids: a retrained model's segments matched to the previous version's.

A clustering numbers its clusters arbitrarily: retrained with another seed, "Champions" may come
out as cluster 1 instead of 3. :func:`match_segments` pairs each new segment with a previous one
by the Hungarian algorithm (``scipy.optimize.linear_sum_assignment``) on the cost

``cost(old, new) = centroid_weight * distance(old, new) / max_distance
+ (1 - centroid_weight) * (1 - jaccard(old, new))``

where ``distance`` is the Euclidean distance of the two centroids in the feature space both
versions share (the columns common to both centroid tables, on the caller's scale: give
standardised features), ``max_distance`` the largest distance among all pairs (so the term is in
[0, 1]), and ``jaccard`` the overlap of the two member sets over the customers present in both
assignments. A pair is kept only when its cost is at most ``max_cost`` (default 0.7): a
previous segment whose best partner shares little and sits far away is not forced onto it.

Then, by member flows (``share`` = part of a segment's members, defaults in :class:`Matching`):

* **kept**: a matched pair; the new segment takes the old id;
* **split**: an old segment sending at least ``min_share`` (0.2) of its members to each of two or
  more new segments that each draw a majority (> 0.5) of their members from it;
* **merged**: a new segment drawing at least ``min_share`` of its members from each of two or more
  old segments that each send a majority of their members to it;
* **new**: a new segment left unmatched (it gets a fresh id: one more than the largest previous
  id, then counting up);
* **vanished**: an old segment left unmatched.

A split's unmatched parts and a merge's unmatched sources are reported both as split/merged and
as new/vanished (their ids are new / gone).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from cible.exceptions import LifecycleError


@dataclass(frozen=True)
class Matching:
    """The thresholds of the matching (module docstring)."""

    centroid_weight: float = 0.5
    max_cost: float = 0.7
    min_share: float = 0.2
    majority: float = 0.5

    def __post_init__(self) -> None:
        if not 0 <= self.centroid_weight <= 1:
            raise LifecycleError(f"centroid_weight={self.centroid_weight}: give 0 to 1")
        if not 0 < self.min_share <= self.majority < 1:
            raise LifecycleError("give 0 < min_share <= majority < 1")


@dataclass(frozen=True)
class SegmentMatch:
    """The outcome: ``ids`` maps every new label to its stable id."""

    ids: Mapping[int, int]
    kept: Mapping[int, int]  # old id -> new label
    new: tuple[int, ...]  # stable ids given to unmatched new segments
    vanished: tuple[int, ...]  # old ids without a successor
    split: Mapping[int, tuple[int, ...]]  # old id -> stable ids of its parts
    merged: Mapping[int, tuple[int, ...]]  # stable id -> old ids merged into it
    cost: pd.DataFrame = field(repr=False)  # rows old ids, columns new labels
    jaccard: pd.DataFrame = field(repr=False)

    def relabel(self, labels: pd.Series) -> pd.Series:
        """``labels`` of the new model (customer id -> new label) under the stable ids."""
        unknown = sorted(set(labels.unique()) - set(self.ids))
        if unknown:
            raise LifecycleError(f"labels {unknown} were not part of the matched model")
        out = labels.map(self.ids).astype("int64")
        out.name = labels.name
        return out

    def to_dict(self) -> dict[str, object]:
        return {
            "ids": {str(k): v for k, v in self.ids.items()},
            "kept": {str(k): v for k, v in self.kept.items()},
            "new": list(self.new),
            "vanished": list(self.vanished),
            "split": {str(k): list(v) for k, v in self.split.items()},
            "merged": {str(k): list(v) for k, v in self.merged.items()},
        }


def centroids_of(features: pd.DataFrame, labels: pd.Series) -> pd.DataFrame:
    """Mean of each feature per segment (rows: segment ids) over the customers of ``labels``."""
    joined = features.loc[labels.index]
    return joined.groupby(labels.to_numpy()).mean().sort_index()


def _check_labels(labels: pd.Series, name: str) -> None:
    if labels.index.has_duplicates:
        dup = labels.index[labels.index.duplicated()][0]
        raise LifecycleError(f"{name}: customer {dup!r} has more than one label")
    if labels.isna().any():
        raise LifecycleError(f"{name}: {int(labels.isna().sum())} customers have no label")


def _flows(previous: pd.Series, current: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Shared-customer counts (old x new) and the Jaccard of every pair."""
    common = previous.index.intersection(current.index)
    if common.empty:
        raise LifecycleError("the two assignments share no customer: nothing to match on")
    counts = pd.crosstab(previous.loc[common], current.loc[common])
    old_sizes = previous.loc[common].value_counts()
    new_sizes = current.loc[common].value_counts()
    counts = counts.reindex(index=sorted(old_sizes.index), columns=sorted(new_sizes.index))
    counts = counts.fillna(0)
    union = (
        old_sizes.loc[counts.index].to_numpy()[:, None] + new_sizes.loc[counts.columns].to_numpy()
    )
    jaccard = counts / (union - counts.to_numpy())
    return counts, jaccard


def _costs(
    previous_centroids: pd.DataFrame,
    current_centroids: pd.DataFrame,
    jaccard: pd.DataFrame,
    weight: float,
) -> pd.DataFrame:
    shared = [c for c in previous_centroids.columns if c in set(current_centroids.columns)]
    overlap = 1.0 - jaccard
    if not shared or weight == 0:
        return overlap
    a = previous_centroids.reindex(jaccard.index)[shared].to_numpy(dtype=float)
    b = current_centroids.reindex(jaccard.columns)[shared].to_numpy(dtype=float)
    if np.isnan(a).any() or np.isnan(b).any():
        raise LifecycleError("a matched segment has no centroid (or a NaN in one)")
    dist = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2))
    top = dist.max()
    scaled = dist / top if top > 0 else np.zeros_like(dist)
    return (
        weight * pd.DataFrame(scaled, index=jaccard.index, columns=jaccard.columns)
        + (1 - weight) * overlap
    )


def _splits_and_merges(
    counts: pd.DataFrame, rules: Matching
) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    flows = counts.to_numpy(dtype=float)
    olds = [int(v) for v in counts.index]
    news = [int(v) for v in counts.columns]
    out_share = flows / flows.sum(axis=1, keepdims=True)  # of the old segment's members
    in_share = flows / flows.sum(axis=0, keepdims=True)  # of the new segment's members
    strong_out = (out_share >= rules.min_share) & (in_share > rules.majority)
    strong_in = (in_share >= rules.min_share) & (out_share > rules.majority)
    splits = {
        olds[i]: [news[j] for j in np.flatnonzero(strong_out[i])]
        for i in range(len(olds))
        if strong_out[i].sum() >= 2
    }
    merges = {
        news[j]: [olds[i] for i in np.flatnonzero(strong_in[:, j])]
        for j in range(len(news))
        if strong_in[:, j].sum() >= 2
    }
    return splits, merges


def match_segments(
    previous: pd.Series,
    current: pd.Series,
    previous_centroids: pd.DataFrame | None = None,
    current_centroids: pd.DataFrame | None = None,
    rules: Matching | None = None,
) -> SegmentMatch:
    """Stable ids for the segments of ``current`` (customer id -> new label) from those of
    ``previous`` (customer id -> stable id), see the module docstring. Without centroids the
    cost is the member overlap alone."""
    rules = rules or Matching()
    _check_labels(previous, "previous assignment")
    _check_labels(current, "current assignment")
    counts, jaccard = _flows(previous, current)
    weight = rules.centroid_weight
    if previous_centroids is None or current_centroids is None:
        weight = 0.0
    cost = _costs(
        previous_centroids if previous_centroids is not None else pd.DataFrame(),
        current_centroids if current_centroids is not None else pd.DataFrame(),
        jaccard,
        weight,
    )
    values = cost.to_numpy(dtype=float)
    rows, cols = linear_sum_assignment(values)
    kept = {
        int(cost.index[r]): int(cost.columns[c])
        for r, c in zip(rows, cols, strict=True)
        if values[r, c] <= rules.max_cost
    }
    ids: dict[int, int] = {new: old for old, new in kept.items()}
    all_new = sorted(int(v) for v in current.unique())
    next_id = max(int(v) for v in previous.unique()) + 1
    fresh = []
    for label in all_new:
        if label not in ids:
            ids[label] = next_id
            fresh.append(next_id)
            next_id += 1
    splits, merges = _splits_and_merges(counts, rules)
    vanished = tuple(sorted(int(v) for v in previous.unique() if int(v) not in kept))
    return SegmentMatch(
        ids=dict(sorted(ids.items())),
        kept=dict(sorted(kept.items())),
        new=tuple(fresh),
        vanished=vanished,
        split={old: tuple(sorted(ids[p] for p in parts)) for old, parts in splits.items()},
        merged={ids[new]: tuple(sorted(srcs)) for new, srcs in merges.items()},
        cost=cost,
        jaccard=jaccard,
    )
