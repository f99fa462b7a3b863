"""Incremental matching: new records against an existing result, without re-running the base.

:class:`IncrementalMatcher` is fitted on the records of an earlier :func:`find_duplicates` run and
its :class:`MatchResult` (clusters and, for Fellegi-Sunter, the trained model). It keeps the
standardised base records and, per blocking rule and exact key, the index key -> base records.
:meth:`IncrementalMatcher.match` then compares each new record only with the base records sharing
one of its blocking keys (or next to it in a sorted neighbourhood) and with the other new records,
scores those pairs with the same model and threshold, and assigns every new record:

* to the existing entity it matches (the entity keeps its id);
* to a new entity (id: the smallest record id of the new records forming it) when it matches none;
* when one new record matches records of two existing entities, the entities are merged into the
  one with the smallest id, and the merge is reported in ``merges``.

With key-equality blocking the partition equals that of a full re-run on base + new records with
the same model (tested). Sorted-neighbourhood rules are approximate here: a new record is compared
with the ``window - 1`` base records on each side of where it sorts, while a full re-run would
also drop base pairs that the insertion pushes out of each other's window.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cible.config.matching import BlockingKey, MatchingConfig
from cible.exceptions import DedupError
from cible.identity.blocking import (
    candidate_pairs,
    exact_label,
    key_strings,
    unique_pairs,
)
from cible.identity.clustering import components
from cible.identity.fellegi_sunter import FellegiSunter
from cible.identity.match import MatchResult, pairs_frame, score_candidates
from cible.identity.prepare import Prepared, prepare


@dataclass(frozen=True)
class IncrementalResult:
    """Outcome of matching new records against a fitted base.

    * ``pairs``: scored pairs involving at least one new record (same columns as
      :attr:`MatchResult.pairs`).
    * ``assignments``: every new record with its ``entity_id`` and ``is_new_entity``.
    * ``merges``: existing entities merged because a new record bridged them:
      ``entity_id`` (kept) and ``merged_entity_id`` (absorbed).
    * ``clusters``: the updated clusters of base + new records (``record_id``, ``entity_id``,
      ``cluster_size``).
    * ``stats``: new records, candidate pairs per rule, pairs compared, matches, new entities,
      merges, seconds.
    """

    pairs: pd.DataFrame
    assignments: pd.DataFrame
    merges: pd.DataFrame
    clusters: pd.DataFrame
    stats: dict[str, Any] = field(default_factory=dict)


def _key_frame(keys: np.ndarray) -> pd.DataFrame:
    present = np.flatnonzero(pd.notna(keys))
    return pd.DataFrame({"key": keys[present].astype(str), "position": present})


def _exact_strings(prepared: Prepared, key: list[str]) -> np.ndarray:
    return key_strings(prepared, [BlockingKey(column=column) for column in key])


def _concat(base: Prepared, new: Prepared) -> Prepared:
    return Prepared(
        ids=np.concatenate([base.ids, new.ids]),
        values={c: np.concatenate([base.values[c], new.values[c]]) for c in base.values},
    )


def _joined(index: pd.DataFrame, new_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(base position, new position) of every new record whose key is in ``index``."""
    joined = _key_frame(new_keys).merge(index, on="key", suffixes=("_new", "_base"))
    return (
        joined["position_base"].to_numpy(np.int64),
        joined["position_new"].to_numpy(np.int64),
    )


def _neighbours(
    frame: pd.DataFrame, new_keys: np.ndarray, window: int
) -> tuple[np.ndarray, np.ndarray]:
    """Base records less than ``window`` places from where each new record sorts."""
    new = _key_frame(new_keys)
    slot = np.searchsorted(frame["key"].to_numpy(dtype=str), new["key"].to_numpy(dtype=str))
    offsets = np.r_[np.arange(-window + 1, 0), np.arange(0, window - 1)]
    where = slot[:, None] + offsets[None, :]
    valid = (where >= 0) & (where < len(frame))
    base = frame["position"].to_numpy(np.int64)[where[valid]]
    new_pos = np.repeat(new["position"].to_numpy(np.int64), valid.sum(axis=1))
    return base, new_pos


class IncrementalMatcher:
    """Matches new records against a fitted base (see the module docstring).

    Fitted attributes: ``base_`` (standardised base records), ``entity_`` (entity id of each base
    record), ``model_`` (Fellegi-Sunter model or ``None``), ``key_index_`` (per exact key or
    blocking rule, the table key -> base position; one record per exact key is enough since
    they share one entity), ``sorted_keys_`` (per sorted-neighbourhood rule, the base keys in
    order).
    """

    def __init__(self, config: MatchingConfig) -> None:
        self.config = config

    def fit(self, records: pd.DataFrame, result: MatchResult) -> IncrementalMatcher:
        """Remember the base records, their entities and the scoring model of ``result``."""
        config = self.config
        if config.method == "fellegi_sunter" and result.model is None:
            raise DedupError(
                "the result has no Fellegi-Sunter model: fit with the result of find_duplicates "
                "run with method fellegi_sunter"
            )
        base = prepare(records, config)
        entity = result.clusters.set_index("record_id")["entity_id"].astype(str)
        unknown = ~pd.Index(base.ids).isin(entity.index)
        if unknown.any():
            raise DedupError(
                f"{int(unknown.sum())} record(s) are not in the result's clusters: fit on the "
                "records the result was computed from"
            )
        self.base_ = base
        self.entity_ = entity.loc[base.ids].to_numpy(dtype=object)
        self.model_: FellegiSunter | None = result.model
        self.key_index_: dict[str, pd.DataFrame] = {}
        self.sorted_keys_: dict[str, pd.DataFrame] = {}
        for key in config.exact_keys:
            frame = _key_frame(_exact_strings(base, key))
            self.key_index_[exact_label(key)] = frame.groupby("key", as_index=False).min()
        for rule in config.blocking:
            frame = _key_frame(key_strings(base, rule.keys))
            if rule.window is not None:
                self.sorted_keys_[rule.label] = frame.sort_values(
                    ["key", "position"], kind="stable"
                ).reset_index(drop=True)
                continue
            sizes = frame.groupby("key")["position"].transform("size")
            self.key_index_[rule.label] = frame[sizes <= config.max_block_size]
        return self

    def _base_pairs(
        self, new: Prepared
    ) -> tuple[list[np.ndarray], list[np.ndarray], dict[str, int]]:
        """(base, new) candidate pairs of every exact key and blocking rule."""
        lefts, rights, per_rule = [], [], {}
        for key in self.config.exact_keys:
            label = exact_label(key)
            a, b = _joined(self.key_index_[label], _exact_strings(new, key))
            lefts.append(a)
            rights.append(b)
            per_rule[label] = len(a)
        for rule in self.config.blocking:
            keys = key_strings(new, rule.keys)
            if rule.window is None:
                a, b = _joined(self.key_index_[rule.label], keys)
            else:
                a, b = _neighbours(self.sorted_keys_[rule.label], keys, rule.window)
            lefts.append(a)
            rights.append(b)
            per_rule[rule.label] = per_rule.get(rule.label, 0) + len(a)
        return lefts, rights, per_rule

    def match(self, records: pd.DataFrame) -> IncrementalResult:
        """Assign new ``records`` (not modified) to existing or new entities."""
        if not hasattr(self, "base_"):
            raise DedupError("IncrementalMatcher is not fitted: call fit(records, result) first")
        start = time.perf_counter()
        new = prepare(records, self.config)
        clash = pd.Index(new.ids).isin(pd.Index(self.base_.ids))
        if clash.any():
            raise DedupError(
                f"{int(clash.sum())} new record id(s) already exist in the base, e.g. row "
                f"{int(np.flatnonzero(clash)[0]) + 1} of the sorted new records"
            )
        n_base = len(self.base_)
        lefts, rights, per_rule = self._base_pairs(new)
        within = candidate_pairs(new, self.config)
        a, b = unique_pairs(
            [*lefts, within.left + n_base],
            [*(r + n_base for r in rights), within.right + n_base],
            n_base + len(new),
        )
        combined = _concat(self.base_, new)
        scored = score_candidates(combined, self.config, a, b, self.model_)
        ids_a, ids_b = combined.ids[a], combined.ids[b]
        swap = ids_a.astype(str) > ids_b.astype(str)
        pairs = pairs_frame(np.where(swap, ids_b, ids_a), np.where(swap, ids_a, ids_b), scored)
        assignments, merges, clusters = self._assign(
            new, scored.left, scored.right, scored.is_match
        )
        stats: dict[str, Any] = {
            "new_records": len(new),
            "base_records": n_base,
            "candidate_pairs": {**per_rule, "within_new": len(within)},
            "pairs_compared": len(a),
            "matches": int(scored.is_match.sum()),
            "new_entities": int(assignments["is_new_entity"].sum()),
            "merges": len(merges),
            "seconds": round(time.perf_counter() - start, 3),
        }
        return IncrementalResult(pairs, assignments, merges, clusters, stats)

    def _assign(
        self, new: Prepared, left: np.ndarray, right: np.ndarray, is_match: np.ndarray
    ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """Entities of the new records, merges of existing entities, updated clusters."""
        entities, entity_code = np.unique(self.entity_.astype(str), return_inverse=True)
        n_ent = len(entities)
        # graph nodes: existing entities 0..n_ent-1, then new records
        node = np.r_[entity_code, n_ent + np.arange(len(new))]
        label = components(n_ent + len(new), node[left[is_match]], node[right[is_match]])
        # entity of each component: smallest existing entity id in it, else smallest new id
        # (entities are sorted, new ids are sorted, and labels are the smallest node)
        root_is_entity = label < n_ent
        new_ids = new.ids.astype(str)
        names = np.empty(n_ent + len(new), dtype=object)
        names[root_is_entity] = entities[label[root_is_entity]]
        names[~root_is_entity] = new_ids[label[~root_is_entity] - n_ent]
        assignments = pd.DataFrame(
            {
                "record_id": pd.Series(new_ids, dtype=str),
                "entity_id": pd.Series(names[n_ent:], dtype=str),
                "is_new_entity": ~root_is_entity[n_ent:],
            }
        )
        absorbed = np.flatnonzero(label[:n_ent] != np.arange(n_ent))
        merges = pd.DataFrame(
            {
                "entity_id": pd.Series(names[absorbed], dtype=str),
                "merged_entity_id": pd.Series(entities[absorbed], dtype=str),
            }
        )
        base_entity = names[:n_ent][entity_code]
        clusters = pd.DataFrame(
            {
                "record_id": pd.Series(np.r_[self.base_.ids, new.ids], dtype=str),
                "entity_id": pd.Series(np.r_[base_entity, names[n_ent:]], dtype=str),
            }
        )
        clusters["cluster_size"] = clusters.groupby("entity_id")["record_id"].transform("size")
        return assignments, merges, clusters
