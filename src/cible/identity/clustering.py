"""Clusters: connected components of the match graph (a match is transitive by construction),
or groups joined on the evidence of every pair compared between them, so that one bridging
edge does not chain two entities (:func:`evidence_components`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


def components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Component label of every node ``0..n-1``, the label being the smallest node of it."""
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    graph = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(n, n)).tocsr()
    _, labels = connected_components(graph, directed=False)
    smallest = np.full(labels.max() + 1, n, dtype=np.int64)
    np.minimum.at(smallest, labels, np.arange(n))
    return smallest[labels]


def cluster_frame(ids: np.ndarray, representative: np.ndarray) -> pd.DataFrame:
    """``record_id``, ``entity_id`` (id of the representative) and ``cluster_size``."""
    sizes = np.bincount(representative, minlength=len(ids))
    return pd.DataFrame(
        {
            "record_id": pd.Series(ids, dtype=str),
            "entity_id": pd.Series(ids[representative], dtype=str),
            "cluster_size": sizes[representative].astype(np.int64),
        }
    )


MAX_BITS = 60.0  # a score of 0 or 1 counts as 60 bits of evidence (float probabilities saturate)
_TOLERANCE = 1e-9  # bits: a group pair whose evidence equals the threshold joins


def _log_odds(p: np.ndarray | float) -> np.ndarray:
    """log2(p / (1 - p)), clipped to +-MAX_BITS."""
    q = np.asarray(p, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.clip(np.log2(q) - np.log2(1 - q), -MAX_BITS, MAX_BITS)


def _neighbours(
    n: int, left: np.ndarray, right: np.ndarray, bits: np.ndarray
) -> list[dict[int, float]]:
    """Per node, ``{other node: sum of the bits of the pairs with it}`` (both directions)."""
    code = np.concatenate([left, right]).astype(np.int64) * n + np.concatenate([right, left])
    keys, inverse = np.unique(code, return_inverse=True)
    sums = np.bincount(inverse, weights=np.concatenate([bits, bits]), minlength=len(keys))
    a, b = keys // n, keys % n
    bounds = np.searchsorted(a, np.arange(n + 1)).tolist()
    others, weights = b.tolist(), sums.tolist()
    return [
        dict(
            zip(others[bounds[x] : bounds[x + 1]], weights[bounds[x] : bounds[x + 1]], strict=True)
        )
        for x in range(n)
    ]


class _Groups:
    """Union-find over records with, per group, the summed log2 Bayes factor of the candidate
    pairs compared with every other group (``evidence[g][h]``), merged small into large."""

    def __init__(self, n: int, left: np.ndarray, right: np.ndarray, bits: np.ndarray) -> None:
        self.parent = list(range(n))
        self.evidence = _neighbours(n, left, right, bits)

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def between(self, g: int, h: int) -> float:
        return self.evidence[g].get(h, 0.0)

    def merge(self, g: int, h: int) -> None:
        table = self.evidence
        if len(table[g]) < len(table[h]):
            g, h = h, g
        self.parent[h] = g
        kept = table[g]
        for other, bits in table[h].items():
            if other == g:
                continue
            kept[other] = kept.get(other, 0.0) + bits
            back = table[other]
            back[g] = back.get(g, 0.0) + back.pop(h)
        kept.pop(h, None)
        table[h] = {}


def evidence_components(
    n: int,
    left: np.ndarray,
    right: np.ndarray,
    score: np.ndarray,
    is_match: np.ndarray,
    prior: float,
    threshold: float,
    forced: np.ndarray | None = None,
) -> np.ndarray:
    """Groups of records joined on the evidence of *every* pair compared between them.

    ``left``/``right``/``score``: every candidate pair, ``score`` a Fellegi-Sunter match
    probability under prior ``prior``. Matches are taken in decreasing score (``forced`` ones,
    exact keys, first and always joined); groups ``G`` and ``H`` join when the hypothesis "one
    entity" reaches the threshold given all their compared pairs:
    ``logit(prior) + sum of log2 BF(pair) >= logit(threshold)``, with ``log2 BF = logit(score)
    - logit(prior)``. For two records with one pair this is ``score >= threshold``, the rule
    of connected components; one strong edge between two groups whose other compared pairs
    all disagree no longer chains them into one entity.
    """
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    forced = np.zeros(len(left), dtype=bool) if forced is None else forced
    base = float(_log_odds(prior))
    needed = float(_log_odds(threshold)) - base - _TOLERANCE
    chosen = np.flatnonzero(is_match | forced)
    # a record without any match never joins a group: its pairs weigh in no decision
    involved = np.zeros(n, dtype=bool)
    involved[left[chosen]] = True
    involved[right[chosen]] = True
    weighed = involved[left] & involved[right]
    groups = _Groups(n, left[weighed], right[weighed], _log_odds(score[weighed]) - base)
    order = chosen[np.lexsort((-score[chosen], ~forced[chosen]))]
    edges = zip(left[order].tolist(), right[order].tolist(), forced[order].tolist(), strict=True)
    for a, b, sure in edges:
        g, h = groups.find(a), groups.find(b)
        if g != h and (sure or groups.between(g, h) >= needed):
            groups.merge(g, h)
    roots = np.fromiter((groups.find(x) for x in range(n)), dtype=np.int64, count=n)
    smallest = np.full(n, n, dtype=np.int64)
    np.minimum.at(smallest, roots, np.arange(n))
    return smallest[roots]


@dataclass(frozen=True)
class ClusteringRule:
    """How matches become entities: the method of ``MatchingConfig.clustering`` and, for
    ``evidence``, the model's prior (``lambda``) the scores were computed under.

    ``cible dedup`` writes it in ``dedup.json`` (``matcher.clustering``) and ``cible calibrate``
    reads it back, so that both cluster through :func:`resolve_entities`."""

    method: str = "components"
    prior: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"method": self.method, "prior": self.prior}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> ClusteringRule:
        if not data:
            return cls()
        prior = data.get("prior")
        return cls(str(data.get("method", "components")), None if prior is None else float(prior))


def resolve_entities(
    n: int,
    left: np.ndarray,
    right: np.ndarray,
    score: np.ndarray,
    forced: np.ndarray,
    threshold: float,
    rule: ClusteringRule,
) -> np.ndarray:
    """Entity (smallest member position) of every record: a pair is a match when it is
    ``forced`` (exact key) or ``score >= threshold``; matches are joined by connected components,
    or on the evidence of all compared pairs (:func:`evidence_components`) when the rule says
    ``evidence`` and gives the prior. The one code path of the matcher and of calibration."""
    is_match = forced | (score >= threshold)
    if rule.method == "evidence" and rule.prior is not None:
        return evidence_components(
            n, left, right, score, is_match, prior=rule.prior, threshold=threshold, forced=forced
        )
    return components(n, left[is_match], right[is_match])
