"""Golden records: one row per entity, built from its records by survivorship, with an id map and
a merge log (see docs/golden-records.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from cible.config.survivorship import IDENTITY_FIELDS, SurvivorshipConfig
from cible.exceptions import IdentityResolutionError
from cible.identity.golden_inputs import edge_positions, entity_of, match_edges, prepare_records
from cible.identity.links import link_table
from cible.identity.merge_log import merge_ids, merge_rows, stamp
from cible.identity.survivorship import RECORD_ID, Choices, choose

ID_MAP_COLUMNS: tuple[str, ...] = ("record_id", "entity_id", "surviving_id", "merge_id")


@dataclass(frozen=True)
class GoldenResult:
    """Outcome of :func:`build_golden` (and of each undo).

    ``golden``: one row per entity, the records' columns (``customer_id`` = surviving id,
    ``source`` = the surviving record's source) plus ``entity_id`` and ``n_records``, sorted by
    ``entity_id``. ``id_map``: one row per record, :data:`ID_MAP_COLUMNS` (``merge_id`` empty
    for a record alone in its entity), sorted by ``record_id``. ``merge_log``: see
    :data:`~cible.identity.merge_log.MERGE_LOG_COLUMNS`. ``links``: the matching pairs still
    in force (``record_id_l``, ``record_id_r``, ``score``, ``rule``); an undo removes some.
    """

    golden: pd.DataFrame
    id_map: pd.DataFrame
    merge_log: pd.DataFrame
    links: pd.DataFrame
    config: SurvivorshipConfig

    def summary(self) -> dict[str, int]:
        """Counts for a report: records, entities, merged entities and records merged away."""
        sizes = self.golden["n_records"]
        return {
            "records": len(self.id_map),
            "entities": len(self.golden),
            "merged_entities": int((sizes > 1).sum()),
            "records_merged_away": int((sizes - 1).sum()),
            "largest_entity": int(sizes.max()) if len(sizes) else 0,
        }


@dataclass(frozen=True)
class Resolved:
    golden: pd.DataFrame
    id_map: pd.DataFrame
    merge_log: pd.DataFrame


def _fields(frame: pd.DataFrame, config: SurvivorshipConfig) -> tuple[str, ...]:
    unknown = sorted(set(config.rules) - set(frame.columns))
    if unknown:
        raise IdentityResolutionError(
            f"survivorship rules name field(s) {unknown} absent from the records; "
            f"fields: {[c for c in frame.columns if c not in IDENTITY_FIELDS]}"
        )
    return tuple(c for c in frame.columns if c not in IDENTITY_FIELDS)


def _golden(
    frame: pd.DataFrame, choices: Choices, ent_ids: np.ndarray, sizes: np.ndarray
) -> pd.DataFrame:
    columns: dict[str, pd.Series] = {}
    where = {f: j for j, f in enumerate(choices.fields)}
    for column in frame.columns:
        pos = choices.survivor if column in IDENTITY_FIELDS else choices.chosen[:, where[column]]
        columns[column] = frame[column].iloc[pos].reset_index(drop=True)
    golden = pd.DataFrame(columns)
    golden["entity_id"] = pd.Series(ent_ids, dtype="str")
    golden["n_records"] = sizes.astype(np.int64)
    return golden


def resolve(
    frame: pd.DataFrame,
    entity: np.ndarray,
    edges: pd.DataFrame,
    config: SurvivorshipConfig,
    *,
    operation: str,
    now: datetime,
) -> Resolved:
    """Golden rows, id map and merge rows for the records ``frame`` (RangeIndex) grouped by
    ``entity`` (id per position), linked by ``edges`` (checked matching pairs)."""
    fields = _fields(frame, config)
    codes, uniques = pd.factorize(pd.Series(entity, dtype=object), sort=True)
    ent = codes.astype(np.int64)
    ent_ids = np.asarray(uniques, dtype=object)
    sizes = np.bincount(ent, minlength=len(ent_ids))
    ids = frame[RECORD_ID].astype(str).to_numpy(dtype=object)
    choices = choose(frame, ent, len(ent_ids), fields, config)
    mids = merge_ids(ids, ent, len(ent_ids))
    id_map = pd.DataFrame(
        {
            "record_id": ids,
            "entity_id": ent_ids[ent],
            "surviving_id": ids[choices.survivor[ent]],
            "merge_id": mids[ent],
        }
    ).astype("str")
    survivor_rule = f"survivor:{config.survivor}"
    decisions = (
        *((f, survivor_rule, choices.survivor) for f in IDENTITY_FIELDS),
        *(
            (f, rule, np.where(choices.has_value[:, j], choices.chosen[:, j], -1))
            for j, (f, rule) in enumerate(zip(choices.fields, choices.rules, strict=True))
        ),
    )
    log = merge_rows(
        ids=ids,
        ent=ent,
        ent_ids=ent_ids,
        survivor=choices.survivor,
        merge_id=mids,
        links=link_table(ids, ent, ent_ids, choices.survivor, edge_positions(edges, frame)),
        decisions=decisions,
        operation=operation,
        now=now,
    )
    return Resolved(
        _golden(frame, choices, ent_ids, sizes),
        id_map.sort_values("record_id", ignore_index=True),
        log,
    )


def build_golden(
    records: pd.DataFrame,
    clusters: pd.DataFrame,
    pairs: pd.DataFrame,
    config: SurvivorshipConfig | None = None,
    *,
    now: datetime | None = None,
) -> GoldenResult:
    """Merge the records of each entity of ``clusters`` into one golden record.

    ``records``: canonical customer rows, ``customer_id`` unique (the matcher's ``record_id``).
    ``clusters``: ``record_id``, ``entity_id`` for every record. ``pairs``: the matcher's scored
    pairs; those with ``is_match`` true must connect each entity (they give link scores and paths
    and are kept for undo). ``now`` stamps the merge log (default: the current UTC time).
    Inputs are not modified.
    """
    config = config or SurvivorshipConfig()
    frame = prepare_records(records)
    entity = entity_of(frame, clusters)
    edges = match_edges(pairs, frame, entity)
    resolved = resolve(frame, entity, edges, config, operation="build_golden", now=stamp(now))
    return GoldenResult(resolved.golden, resolved.id_map, resolved.merge_log, edges, config)
