"""Pairwise precision, recall and F1 of a clustering against a true partition, by counting.

Every pair of records put in the same cluster is a predicted pair; every pair in the same true
entity is a true pair. The counts come from cluster sizes (``n * (n - 1) / 2`` per group) and from
the contingency table of (cluster, true entity), never from enumerating the n^2 pairs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cible.exceptions import DedupError


def _pairs(sizes: np.ndarray) -> int:
    s = sizes.astype(np.int64)
    return int((s * (s - 1) // 2).sum())


def pairwise_metrics(clusters: pd.DataFrame, truth: pd.Series) -> dict[str, float | int]:
    """Precision, recall and F1 over record pairs.

    ``clusters`` has ``record_id`` and ``entity_id`` (a :class:`MatchResult` clusters frame);
    ``truth`` maps record id (its index, compared as text) to the true entity. Records absent from
    ``truth`` are an error. With no predicted pair precision is 1; with no true pair recall is 1.
    """
    for column in ("record_id", "entity_id"):
        if column not in clusters.columns:
            raise DedupError(
                f"clusters must have columns record_id and entity_id; '{column}' is missing"
            )
    true_by_id = pd.Series(truth.to_numpy(), index=truth.index.astype(str))
    ids = clusters["record_id"].astype(str)
    unknown = ~ids.isin(true_by_id.index)
    if unknown.any():
        raise DedupError(
            f"{int(unknown.sum())} record id(s) of the clusters have no true entity "
            f"(first: row {int(np.flatnonzero(unknown.to_numpy())[0]) + 1} of the clusters)"
        )
    predicted = pd.factorize(clusters["entity_id"].astype(str))[0]
    actual = pd.factorize(true_by_id.loc[ids].to_numpy())[0]
    predicted_pairs = _pairs(np.bincount(predicted))
    true_pairs = _pairs(np.bincount(actual))
    joint = (
        pd.Series(1, index=pd.MultiIndex.from_arrays([predicted, actual]))
        .groupby(level=[0, 1])
        .size()
    )
    agreed = _pairs(joint.to_numpy())
    precision = agreed / predicted_pairs if predicted_pairs else 1.0
    recall = agreed / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
        "true_pairs": true_pairs,
        "predicted_pairs": predicted_pairs,
        "agreed_pairs": agreed,
    }
