"""The silhouettes of the selection's candidates, from one distance matrix of the score sample.

The selection (:mod:`cible.segmentation.selection`) computes the pairwise distances of its score
sample once; the silhouette of every candidate is then a product of that matrix with the
candidate's one-hot segment matrix, and the products of all the candidates are done together
(:func:`silhouettes_from_distances`): the matrix (200 MB at 5,000 rows) is read once, not once per
candidate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from cible.segmentation.selection_mixed import inner


def scorable(
    labels: NDArray[np.int64], score_idx: NDArray[np.intp]
) -> tuple[NDArray[np.bool_], NDArray[np.int64]] | None:
    """The non-noise rows of the score sample and their labels, when a silhouette is defined
    (at least 2 segments and more rows than segments); ``None`` otherwise."""
    s_labels = labels[score_idx]
    keep = s_labels >= 0
    n_labels = len(np.unique(s_labels[keep]))
    if n_labels >= 2 and keep.sum() > n_labels:
        return keep, s_labels[keep]
    return None


def silhouette_from_distances(
    distances: NDArray[np.float64], keep: NDArray[np.bool_], labels: NDArray[np.int64]
) -> float:
    """Mean silhouette of the rows ``keep`` of a square distance matrix, labelled ``labels``.

    The same value as ``silhouette_score(distances[keep][:, keep], labels, metric="precomputed")``
    (scikit-learn: a member of a singleton segment scores 0), computed as one matrix product of
    the distances with the one-hot segment matrix (noise rows all zero) instead of a copy of the
    kept block and one ``bincount`` per row.
    """
    return silhouettes_from_distances(distances, [(keep, labels)])[0]


def silhouettes_from_distances(
    distances: NDArray[np.float64],
    partitions: Sequence[tuple[NDArray[np.bool_], NDArray[np.int64]]],
) -> list[float]:
    """:func:`silhouette_from_distances` of several partitions ``(keep, labels)`` of the same
    rows, with one product of the distances by the one-hot matrices of all of them side by side:
    the distance matrix (200 MB at 5,000 rows) is read once instead of once per candidate."""
    blocks = []
    for keep, labels in partitions:
        codes, sizes = np.unique(labels, return_inverse=True, return_counts=True)[1:]
        members = np.zeros((len(keep), len(sizes)))  # noise rows stay 0: they add to no sum
        members[np.flatnonzero(keep), codes] = 1.0
        blocks.append((codes, sizes, members))
    if not blocks:
        return []
    all_sums = distances @ np.hstack([b[2] for b in blocks])
    out, start = [], 0
    for (keep, labels), (codes, sizes, _) in zip(partitions, blocks, strict=True):
        sums = all_sums[:, start : start + len(sizes)][keep]
        start += len(sizes)
        own = sizes[codes]
        rows = np.arange(len(labels))
        intra = sums[rows, codes] / np.maximum(own - 1, 1)
        means = sums / sizes
        means[rows, codes] = np.inf
        nearest = means.min(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            scores = (nearest - intra) / np.maximum(intra, nearest)
        out.append(float(np.where((own > 1) & np.isfinite(scores), scores, 0.0).mean()))
    return out


def keep_diagnostics(
    extras: dict[str, Any], cand: Any, est: Any, X_fit: NDArray[np.float64]
) -> None:
    """What the report draws: BIC by k (mixtures), the k-distance curve (DBSCAN), the merge tree
    (agglomerative)."""
    est = inner(est)
    if cand.algorithm == "gmm":
        extras["bic"].append((int(cand.params["n_components"]), float(est.model_.bic(X_fit))))
    elif cand.algorithm == "dbscan" and "k_distances" not in extras:
        extras["k_distances"] = (est.k_distances_, float(est.eps_), int(cand.params["min_samples"]))
    elif cand.algorithm == "agglomerative":
        extras.setdefault("linkage_matrix", est.linkage_matrix_)
        extras.setdefault("cut_heights", {})[int(cand.params["n_clusters"])] = float(
            est.cut_height_
        )


def with_silhouettes(
    scores: list[Any],
    fitted: dict[int, tuple[Any, NDArray[np.int64]]],
    score_idx: NDArray[np.intp],
    distances: NDArray[np.float64],
) -> list[Any]:
    """The scores with the silhouette of every fitted candidate, computed together
    (:func:`silhouettes_from_distances`, one pass over the distance matrix)."""
    partitions = {i: scorable(labels, score_idx) for i, (_, labels) in fitted.items()}
    todo = [(i, p) for i, p in partitions.items() if p is not None]
    with threadpool_limits(limits=1, user_api="blas"):
        values = silhouettes_from_distances(distances, [p for _, p in todo])
    out = list(scores)
    for (i, _), value in zip(todo, values, strict=True):
        out[i] = replace(out[i], silhouette=value)
    return out
