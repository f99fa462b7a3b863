"""How each record of a merged entity is linked: its best pair and its path to the surviving record.

Entities are connected components of the matching pairs, so a record can sit in an entity without
matching its surviving record directly (A~B and B~C put A and C together). For every record of a
merged entity this module gives:

=============  ===================================================================================
column         meaning
=============  ===================================================================================
link_score     best score of a matching pair that involves the record (inside its entity)
linked_to      the other record of that pair (ties: smallest id)
match_rule     the matcher's rule for that pair ("exact:email+phone", "fuzzy", ...)
link_path      records from this one to the surviving record, joined by ``>``, along the maximum
               spanning tree of the entity: the path whose weakest pair is the strongest;
               beyond MAX_PATH records: the first 9, ``...(n more)...``, the surviving one
path_score     score of the weakest pair on that path (empty for the surviving record itself)
=============  ===================================================================================
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import breadth_first_order, connected_components, minimum_spanning_tree

from cible.exceptions import IdentityResolutionError

LINK_COLUMNS: tuple[str, ...] = ("link_score", "linked_to", "match_rule", "link_path", "path_score")
MAX_PATH = 10  # records written in link_path; a longer path is elided in the middle


def _best_incident(
    ids: np.ndarray, a: np.ndarray, b: np.ndarray, edges: pd.DataFrame
) -> pd.DataFrame:
    both = pd.DataFrame(
        {
            "pos": np.concatenate([a, b]),
            "other": np.concatenate([b, a]),
            "score": np.concatenate([edges["score"].to_numpy(), edges["score"].to_numpy()]),
            "rule": np.concatenate([edges["rule"].to_numpy(), edges["rule"].to_numpy()]),
        }
    )
    both["other_id"] = ids[both["other"].to_numpy()]
    both = both.sort_values(["pos", "score", "other_id"], ascending=[True, False, True])
    best = both.drop_duplicates("pos").set_index("pos")
    return pd.DataFrame(
        {
            "link_score": best["score"].astype("float64"),
            "linked_to": best["other_id"],
            "match_rule": best["rule"],
        }
    )


def _check_connected(
    n: int, a: np.ndarray, b: np.ndarray, ent: np.ndarray, multi: np.ndarray, ent_ids: np.ndarray
) -> None:
    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
    _, comp = connected_components(graph, directed=False)
    parts = pd.Series(comp[multi]).groupby(ent[multi]).nunique()
    split = parts[parts > 1]
    if len(split):
        raise IdentityResolutionError(
            f"{len(split)} entit{'y is' if len(split) == 1 else 'ies are'} not connected by "
            f"matching pairs, e.g. entity '{ent_ids[split.index[0]]}': a cluster must be a "
            "connected component of the pairs with is_match true"
        )


def _paths(
    ids: np.ndarray, a: np.ndarray, b: np.ndarray, scores: np.ndarray, survivors: np.ndarray
) -> tuple[dict[int, str], dict[int, float]]:
    """Path text to the surviving record and its weakest score, for every node of a merged
    entity. Each node keeps at most ``MAX_PATH + 1`` ids, so a huge entity (a chain of thousands
    of records, as an over-merging threshold makes) costs linear, not quadratic, memory."""
    n = len(ids)
    tree = minimum_spanning_tree(coo_matrix((2.0 - scores, (a, b)), shape=(n, n)).tocsr()).tocoo()
    root = n  # a virtual node joined to every surviving record: one traversal for all entities
    graph = coo_matrix(
        (
            np.ones(len(tree.row) + len(survivors)),
            (
                np.concatenate([tree.row, np.full(len(survivors), root)]),
                np.concatenate([tree.col, survivors]),
            ),
        ),
        shape=(n + 1, n + 1),
    ).tocsr()
    order, pred = breadth_first_order(graph, root, directed=False, return_predecessors=True)
    score_of = dict(zip(zip(a.tolist(), b.tolist(), strict=True), scores.tolist(), strict=True))
    head: dict[int, tuple[str, ...]] = {}  # the first MAX_PATH records of the path
    hops: dict[int, int] = {}
    weakest: dict[int, float] = {}
    for node in order[1:].tolist():
        parent = int(pred[node])
        if parent == root:
            head[node], hops[node], weakest[node] = (str(ids[node]), ids[node]), 0, np.inf
            continue
        edge = score_of[(min(node, parent), max(node, parent))]
        head[node] = (str(ids[node]), *head[parent][: MAX_PATH - 1], head[parent][-1])
        hops[node] = hops[parent] + 1
        weakest[node] = min(edge, weakest[parent])
    return {node: _path_text(head[node], hops[node]) for node in head}, weakest


def _path_text(head: tuple[str, ...], hops: int) -> str:
    """``head`` = first records of the path then the surviving record (kept last)."""
    *shown, survivor = head
    if hops < MAX_PATH:
        return ">".join(shown[: hops + 1])
    hidden = hops + 1 - (MAX_PATH - 1) - 1
    return ">".join(shown[: MAX_PATH - 1]) + f">...({hidden} more)...>{survivor}"


def link_table(
    ids: np.ndarray,
    ent: np.ndarray,
    ent_ids: np.ndarray,
    survivor: np.ndarray,
    edges: pd.DataFrame,
) -> pd.DataFrame:
    """Link columns (:data:`LINK_COLUMNS`) for every record of an entity with several records,
    indexed by record position.

    ``edges`` holds matching pairs as positions ``a < b`` with ``score`` and ``rule``, each pair
    once, both ends in the same entity.
    """
    n = len(ids)
    sizes = np.bincount(ent, minlength=len(ent_ids))
    multi = sizes[ent] > 1
    a = edges["a"].to_numpy(dtype=np.int64)
    b = edges["b"].to_numpy(dtype=np.int64)
    _check_connected(n, a, b, ent, multi, ent_ids)
    multi_pos = np.flatnonzero(multi)
    out = _best_incident(ids, a, b, edges).reindex(multi_pos)
    path, weakest = _paths(ids, a, b, edges["score"].to_numpy(dtype="float64"), survivor[sizes > 1])
    out["link_path"] = [path[p] for p in multi_pos.tolist()]
    worst = np.array([weakest[p] for p in multi_pos.tolist()], dtype="float64")
    out["path_score"] = np.where(np.isinf(worst), np.nan, worst)
    return out[list(LINK_COLUMNS)]
