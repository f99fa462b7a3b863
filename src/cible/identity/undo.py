"""Undo merges: detach one record, or split a whole entity back into its records.

An undo removes matching pairs from the result's ``links`` (those touching the detached record,
or all pairs of the entity), recomputes the entities of the affected records as connected
components of the pairs left (so a record that was only linked through the detached one is
detached too) and rebuilds their golden records with the same survivorship settings. The merge log
keeps the old ``merge`` rows, gains one ``undo`` row per record of the dissolved entity, then the
``merge`` rows of any entity rebuilt from the rest.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from cible.exceptions import IdentityResolutionError
from cible.identity.golden import GoldenResult, resolve
from cible.identity.golden_inputs import prepare_records
from cible.identity.merge_log import stamp, undo_rows
from cible.identity.survivorship import RECORD_ID


def _members(result: GoldenResult, entity_id: str) -> pd.DataFrame:
    rows = result.id_map[result.id_map["entity_id"] == entity_id]
    if rows.empty:
        raise IdentityResolutionError(f"no entity '{entity_id}' in this result")
    if len(rows) == 1:
        raise IdentityResolutionError(
            f"entity '{entity_id}' has a single record: there is no merge to undo"
        )
    return rows


def _components(member_ids: np.ndarray, links: pd.DataFrame) -> np.ndarray:
    """Entity id (smallest record id of its component) of each member, given the pairs left."""
    pos = pd.Series(np.arange(len(member_ids)), index=member_ids)
    a = pos.reindex(links["record_id_l"]).to_numpy(dtype=np.int64)
    b = pos.reindex(links["record_id_r"]).to_numpy(dtype=np.int64)
    n = len(member_ids)
    _, label = connected_components(coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n)))
    ids = pd.Series(member_ids)
    return ids.groupby(label).transform("min").to_numpy(dtype=object)


def _rebuild(
    result: GoldenResult,
    records: pd.DataFrame,
    members: pd.DataFrame,
    links: pd.DataFrame,
    operation: str,
    now: datetime | None,
) -> GoldenResult:
    when = stamp(now)
    frame = prepare_records(records)
    wanted = set(members["record_id"])
    subset = frame[frame[RECORD_ID].astype(str).isin(wanted)].reset_index(drop=True)
    if len(subset) != len(wanted):
        absent = sorted(wanted - set(subset[RECORD_ID].astype(str)))
        raise IdentityResolutionError(
            f"records: {len(absent)} record(s) of the entity to rebuild are missing, e.g. "
            f"{absent[0]!r}: pass the records the result was built from"
        )
    inside = links["record_id_l"].isin(wanted) & links["record_id_r"].isin(wanted)
    entity = _components(subset[RECORD_ID].astype(str).to_numpy(dtype=object), links[inside])
    new = resolve(subset, entity, links[inside], result.config, operation=operation, now=when)
    old_entity = members["entity_id"].iloc[0]
    golden = pd.concat(
        [result.golden[result.golden["entity_id"] != old_entity], new.golden], ignore_index=True
    ).sort_values("entity_id", ignore_index=True)
    id_map = pd.concat(
        [result.id_map[~result.id_map["record_id"].isin(wanted)], new.id_map], ignore_index=True
    ).sort_values("record_id", ignore_index=True)
    log = pd.concat(
        [result.merge_log, undo_rows(members, operation, when), new.merge_log], ignore_index=True
    )
    return GoldenResult(golden, id_map, log, links.reset_index(drop=True), result.config)


def undo_merge(
    result: GoldenResult, records: pd.DataFrame, record_id: str, *, now: datetime | None = None
) -> GoldenResult:
    """Detach ``record_id`` from its entity: it becomes its own golden record and the rest is
    rebuilt (split further if it was only connected through that record). ``records`` are the
    records ``result`` was built from. ``result`` is not modified."""
    row = result.id_map[result.id_map["record_id"] == record_id]
    if row.empty:
        raise IdentityResolutionError(f"no record '{record_id}' in this result")
    members = _members(result, str(row["entity_id"].iloc[0]))
    touching = (result.links["record_id_l"] == record_id) | (
        result.links["record_id_r"] == record_id
    )
    return _rebuild(
        result, records, members, result.links[~touching], f"undo_merge:{record_id}", now
    )


def undo_entity(
    result: GoldenResult, records: pd.DataFrame, entity_id: str, *, now: datetime | None = None
) -> GoldenResult:
    """Split entity ``entity_id`` back into one golden record per record. ``result`` is not
    modified."""
    members = _members(result, entity_id)
    ids = set(members["record_id"])
    inside = result.links["record_id_l"].isin(ids) | result.links["record_id_r"].isin(ids)
    return _rebuild(
        result, records, members, result.links[~inside], f"undo_entity:{entity_id}", now
    )
