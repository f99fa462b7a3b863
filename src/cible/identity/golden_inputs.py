"""Checks on the three inputs of :func:`~cible.identity.build_golden`.

Records are canonical customer rows keyed by ``customer_id`` (the matcher's ``record_id``);
``clusters`` gives every record its entity; ``pairs`` are the matcher's scored candidate pairs, of
which those with ``is_match`` true link records inside an entity. Errors name ids and columns,
never personal values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cible.exceptions import IdentityResolutionError
from cible.identity.survivorship import RECORD_ID

EDGE_COLUMNS: tuple[str, ...] = ("record_id_l", "record_id_r", "score", "rule")


def _require(frame: pd.DataFrame, name: str, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise IdentityResolutionError(
            f"{name} has no column(s) {missing}; it needs {list(columns)} "
            f"(columns found: {list(frame.columns)})"
        )


def _examples(values: pd.Series | pd.Index | np.ndarray | list[str]) -> str:
    items = sorted({str(v) for v in values})
    return ", ".join(repr(v) for v in items[:3]) + (" ..." if len(items) > 3 else "")


def prepare_records(records: pd.DataFrame) -> pd.DataFrame:
    """A copy with a RangeIndex (row i = position i); ``customer_id`` present and unique."""
    _require(records, "records", (RECORD_ID, "source"))
    frame = records.reset_index(drop=True)
    ids = frame[RECORD_ID]
    if ids.isna().any():
        rows = np.flatnonzero(ids.isna().to_numpy())[:3].tolist()
        raise IdentityResolutionError(f"records: customer_id is empty at row(s) {rows}")
    duplicated = ids[ids.duplicated()]
    if len(duplicated):
        raise IdentityResolutionError(
            f"records: customer_id must identify one record, {len(duplicated)} id(s) repeat: "
            f"{_examples(duplicated)}"
        )
    return frame


def entity_of(frame: pd.DataFrame, clusters: pd.DataFrame) -> np.ndarray:
    """Entity id of every record (by position), from ``clusters`` (one row per record)."""
    _require(clusters, "clusters", ("record_id", "entity_id"))
    ids = frame[RECORD_ID].astype(str)
    dup = clusters["record_id"][clusters["record_id"].duplicated()]
    if len(dup):
        raise IdentityResolutionError(
            f"clusters: every record belongs to one entity, {len(dup)} record(s) appear more "
            f"than once: {_examples(dup)}"
        )
    mapping = pd.Series(
        clusters["entity_id"].astype(str).to_numpy(), index=clusters["record_id"].astype(str)
    )
    unknown = mapping.index.difference(pd.Index(ids))
    if len(unknown):
        raise IdentityResolutionError(
            f"clusters: {len(unknown)} record id(s) are not in the records: {_examples(unknown)}"
        )
    entity = ids.map(mapping)
    if entity.isna().any():
        missing = ids[entity.isna()]
        raise IdentityResolutionError(
            f"clusters: {len(missing)} record(s) have no entity: {_examples(missing)}"
        )
    return entity.to_numpy(dtype=object)


def match_edges(pairs: pd.DataFrame, frame: pd.DataFrame, entity: np.ndarray) -> pd.DataFrame:
    """The matching pairs (``is_match`` true) as :data:`EDGE_COLUMNS`, each pair once (best
    score), ends ordered ``l < r``; both ends must be known records of the same entity."""
    _require(pairs, "pairs", (*EDGE_COLUMNS, "is_match"))
    matches = pairs.loc[pairs["is_match"].fillna(False).astype(bool), list(EDGE_COLUMNS)]
    left = matches["record_id_l"].astype(str).to_numpy(dtype=object)
    right = matches["record_id_r"].astype(str).to_numpy(dtype=object)
    score = pd.to_numeric(matches["score"], errors="coerce").to_numpy(dtype="float64")
    bad = np.flatnonzero(~((score >= 0) & (score <= 1)))
    if len(bad):
        raise IdentityResolutionError(
            f"pairs: a matching pair's score must be a number in [0, 1]; pair "
            f"({left[bad[0]]!r}, {right[bad[0]]!r}) has {matches['score'].iloc[bad[0]]}"
        )
    entities = pd.Series(entity, index=frame[RECORD_ID].astype(str))
    ent_l, ent_r = entities.reindex(left).to_numpy(), entities.reindex(right).to_numpy()
    unknown = sorted({*left[pd.isna(ent_l)], *right[pd.isna(ent_r)]})
    if unknown:
        raise IdentityResolutionError(
            f"pairs: {len(unknown)} matched record id(s) are not in the records: "
            f"{_examples(unknown)}"
        )
    across = np.flatnonzero(ent_l != ent_r)
    if len(across):
        i = across[0]
        raise IdentityResolutionError(
            f"pairs: {len(across)} matching pair(s) join different entities, e.g. "
            f"({left[i]!r}, {right[i]!r}) in entities {ent_l[i]!r} and {ent_r[i]!r}: clusters "
            "must be the connected components of the matching pairs"
        )
    edges = pd.DataFrame(
        {
            "record_id_l": np.where(left <= right, left, right),
            "record_id_r": np.where(left <= right, right, left),
            "score": score,
            "rule": matches["rule"].astype(str).to_numpy(dtype=object),
        }
    )
    edges = edges.sort_values(
        ["record_id_l", "record_id_r", "score"], ascending=[True, True, False]
    )
    return edges.drop_duplicates(["record_id_l", "record_id_r"]).reset_index(drop=True)


def edge_positions(edges: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """``edges`` with record ids replaced by positions ``a < b`` in ``frame``."""
    pos = pd.Series(np.arange(len(frame)), index=frame[RECORD_ID].astype(str))
    a = pos.reindex(edges["record_id_l"]).to_numpy(dtype=np.int64)
    b = pos.reindex(edges["record_id_r"]).to_numpy(dtype=np.int64)
    return pd.DataFrame(
        {
            "a": np.minimum(a, b),
            "b": np.maximum(a, b),
            "score": edges["score"].to_numpy(dtype="float64"),
            "rule": edges["rule"].to_numpy(dtype=object),
        }
    )
