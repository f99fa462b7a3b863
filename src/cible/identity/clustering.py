"""Clusters: connected components of the match graph (a match is transitive by construction)."""

from __future__ import annotations

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
