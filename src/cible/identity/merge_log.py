"""The merge log: an append-only audit of merges and undos, with ids, rules and scores only.

One ``merge`` row per merged record (every record of an entity except the surviving one) and per
field decision, and one ``undo`` row per record of an entity whose merge was undone. No personal
value is ever written here: a reviewer follows ``source_record_id`` back to the records.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from itertools import groupby
from operator import itemgetter

import numpy as np
import pandas as pd

from cible.identity.links import LINK_COLUMNS

MERGE_LOG_DTYPES: dict[str, str] = {
    "merge_id": "str",  # one merge = one entity build; a hash of its sorted record ids
    "action": "str",  # "merge" or "undo"
    "operation": "str",  # "build_golden", "undo_merge:<record_id>", "undo_entity:<entity_id>"
    "entity_id": "str",
    "surviving_id": "str",
    "merged_record_id": "str",
    "link_score": "float64",
    "linked_to": "str",
    "match_rule": "str",
    "link_path": "str",
    "path_score": "float64",
    "field": "str",
    "survivorship_rule": "str",
    "source_record_id": "str",  # record whose value the golden record took; empty: no value
    "logged_at": "datetime64[us, UTC]",
}
MERGE_LOG_COLUMNS: tuple[str, ...] = tuple(MERGE_LOG_DTYPES)


def _typed(columns: dict[str, object], n: int) -> pd.DataFrame:
    data = {c: columns.get(c, np.full(n, None, dtype=object)) for c in MERGE_LOG_COLUMNS}
    return pd.DataFrame(data).astype(MERGE_LOG_DTYPES)


def stamp(now: datetime | None) -> datetime:
    """``now`` in UTC (the current time when not given)."""
    return (now or datetime.now(UTC)).astimezone(UTC)


def merge_ids(ids: np.ndarray, ent: np.ndarray, n_ent: int) -> np.ndarray:
    """Per entity: a stable merge id (hash of its sorted record ids), ``None`` for one record."""
    sizes = np.bincount(ent, minlength=n_ent)
    out = np.full(n_ent, None, dtype=object)
    multi = np.flatnonzero(sizes[ent] > 1)
    if len(multi):
        members = pd.DataFrame({"ent": ent[multi], "id": ids[multi]}).sort_values(["ent", "id"])
        for code, group in groupby(
            zip(members["ent"].tolist(), members["id"].tolist(), strict=True), key=itemgetter(0)
        ):
            text = "\x1f".join(record for _, record in group)
            out[code] = hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()[:16]
    return out


def merge_rows(
    *,
    ids: np.ndarray,
    ent: np.ndarray,
    ent_ids: np.ndarray,
    survivor: np.ndarray,
    merge_id: np.ndarray,
    links: pd.DataFrame,
    decisions: tuple[tuple[str, str, np.ndarray], ...],
    operation: str,
    now: datetime,
) -> pd.DataFrame:
    """``merge`` rows: every merged record x every decision ``(field, rule, source position per
    entity, -1 when no record has a value)``."""
    sizes = np.bincount(ent, minlength=len(ent_ids))
    merged = np.flatnonzero((sizes[ent] > 1) & (np.arange(len(ids)) != survivor[ent]))
    k = len(decisions)
    rec = np.repeat(merged, k)
    e = ent[rec]
    which = np.tile(np.arange(k), len(merged))
    sources = np.stack([d[2] for d in decisions], axis=1) if k else np.empty((len(ent_ids), 0))
    src = sources[e, which].astype(np.int64) if len(rec) else np.empty(0, dtype=np.int64)
    link = links.reindex(rec)
    columns: dict[str, object] = {
        "merge_id": merge_id[e],
        "action": np.full(len(rec), "merge", dtype=object),
        "operation": np.full(len(rec), operation, dtype=object),
        "entity_id": ent_ids[e],
        "surviving_id": ids[survivor[e]],
        "merged_record_id": ids[rec],
        **{c: link[c].to_numpy() for c in LINK_COLUMNS},
        "field": np.array([d[0] for d in decisions], dtype=object)[which],
        "survivorship_rule": np.array([d[1] for d in decisions], dtype=object)[which],
        "source_record_id": np.where(src >= 0, ids[np.maximum(src, 0)], None),
        "logged_at": np.full(len(rec), pd.Timestamp(now)),
    }
    return _typed(columns, len(rec))


def undo_rows(undone: pd.DataFrame, operation: str, now: datetime) -> pd.DataFrame:
    """``undo`` rows, one per record of ``undone`` (id_map rows of the dissolved entity)."""
    n = len(undone)
    columns: dict[str, object] = {
        "merge_id": undone["merge_id"].to_numpy(dtype=object),
        "action": np.full(n, "undo", dtype=object),
        "operation": np.full(n, operation, dtype=object),
        "entity_id": undone["entity_id"].to_numpy(dtype=object),
        "surviving_id": undone["surviving_id"].to_numpy(dtype=object),
        "merged_record_id": undone["record_id"].to_numpy(dtype=object),
        "link_score": np.full(n, np.nan),
        "path_score": np.full(n, np.nan),
        "logged_at": np.full(n, pd.Timestamp(now)),
    }
    return _typed(columns, n)
