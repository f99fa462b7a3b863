"""The facade: :func:`find_duplicates` runs prepare -> block -> compare -> score -> cluster.

Its :class:`MatchResult` is what golden records, merge logs and calibration consume: every scored
candidate pair (matches and non-matches, with the similarity of each field) and the partition of
the records into entities.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cible.config.matching import MatchingConfig
from cible.exceptions import DedupError
from cible.identity.blocking import Candidates, candidate_pairs, exact_rules
from cible.identity.clustering import ClusteringRule, cluster_frame, resolve_entities
from cible.identity.compare import compare_pairs
from cible.identity.em_sessions import candidate_lambda, random_u, train_sessions
from cible.identity.fellegi_sunter import FellegiSunter
from cible.identity.prepare import Prepared, prepare
from cible.identity.scoring import (
    all_pairs,
    n_levels,
    random_pair_levels,
    score_pairs,
    to_levels,
    train_model,
)

FUZZY_RULE = "fuzzy"


@dataclass(frozen=True)
class MatchResult:
    """Outcome of duplicate detection.

    * ``pairs``: every scored candidate pair: ``record_id_l < record_id_r`` (text), ``score`` in
      [0, 1], ``is_match``, ``rule`` (``"exact:<key parts joined by +>"`` or ``"fuzzy"``) and one
      ``sim_<field>`` column per compared field (NaN when a side is missing).
    * ``clusters``: every input record with its ``entity_id`` (the smallest record id of its
      connected component; a singleton is its own entity) and ``cluster_size``.
    * ``threshold``: the score a fuzzy pair needs to be a match.
    * ``stats``: records, candidate pairs per rule, pairs compared, matches, clusters, seconds
      per step.
    * ``model``: the fitted :class:`FellegiSunter` model (``None`` for the threshold method).
    """

    pairs: pd.DataFrame
    clusters: pd.DataFrame
    threshold: float
    stats: dict[str, Any]
    model: FellegiSunter | None = None


@dataclass
class StepTimer:
    """Seconds spent in each named step."""

    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start


@dataclass(frozen=True)
class ScoredPairs:
    """Scored pairs as arrays over record positions (before ids are attached)."""

    left: np.ndarray
    right: np.ndarray
    sims: dict[str, np.ndarray]
    score: np.ndarray
    is_match: np.ndarray
    rule: np.ndarray


def score_candidates(
    prepared: Prepared,
    config: MatchingConfig,
    left: np.ndarray,
    right: np.ndarray,
    model: FellegiSunter | None,
    sims: dict[str, np.ndarray] | None = None,
) -> ScoredPairs:
    """Score given pairs (compared here unless ``sims`` is given) with a fitted model."""
    if sims is None:
        sims = compare_pairs(prepared, config.fields, left, right)
    rules = exact_rules(prepared, config, left, right)
    exact = pd.notna(rules)
    score = score_pairs(sims, config, model, (prepared, left, right)).astype(np.float64)
    score[exact] = 1.0
    is_match = exact | (score >= config.threshold)
    rule = np.where(exact, rules, FUZZY_RULE).astype(object)
    return ScoredPairs(left, right, sims, score, is_match, rule)


def pairs_frame(ids_l: np.ndarray, ids_r: np.ndarray, scored: ScoredPairs) -> pd.DataFrame:
    """The public pairs table (ids given as aligned arrays, ``ids_l < ids_r``)."""
    frame = pd.DataFrame(
        {
            "record_id_l": pd.Series(ids_l, dtype=str),
            "record_id_r": pd.Series(ids_r, dtype=str),
            "score": scored.score,
            "is_match": scored.is_match.astype(bool),
            "rule": pd.Series(scored.rule, dtype=str),
        }
    )
    for name, sim in scored.sims.items():
        frame[f"sim_{name}"] = sim
    return frame


def _fit_or_reuse(
    prepared: Prepared,
    config: MatchingConfig,
    sims: dict[str, np.ndarray],
    model: FellegiSunter | None,
    candidates: Candidates,
) -> FellegiSunter | None:
    if config.method != "fellegi_sunter" or model is not None:
        return model if config.method == "fellegi_sunter" else None
    gamma = to_levels(sims, config.fields)
    if len(gamma) == 0:
        raise DedupError(
            "the fellegi_sunter method found no candidate pair to train on: widen the blocking "
            "rules or use method: threshold"
        )
    em = config.em
    by_sessions = not em.prior_over_all_pairs or em.m_from_rule_sessions
    if em.u_from_random_pairs and by_sessions and len(prepared) > 1:
        # u fixed from random pairs: m from one EM session per blocking rule with the rule's
        # own fields switched off, the prior over all record pairs (identity/em_sessions.py
        # explains the collapse this avoids). With prior_over_all_pairs, train_model's own
        # cross-checked estimate (lambda over all pairs vs over the candidates) is used instead.
        u = random_u(random_pair_levels(prepared, config), n_levels(config.fields))
        total = all_pairs(prepared, config) if em.prior_over_all_pairs else None
        fitted, _ = train_sessions(
            prepared, config, gamma, candidates.left, candidates.right, u, total_pairs=total
        )
        return fitted
    return train_model(prepared, config, gamma)


def clustering_rule(config: MatchingConfig, model: FellegiSunter | None) -> ClusteringRule:
    """The clustering of a run: ``evidence`` needs the model's prior, else components."""
    if config.clustering == "evidence" and model is not None:
        return ClusteringRule("evidence", float(model.lambda_))
    return ClusteringRule("components")


def _cluster(
    prepared: Prepared, config: MatchingConfig, scored: ScoredPairs, model: FellegiSunter | None
) -> np.ndarray:
    """Entity of every record: connected components of the matches, or groups joined on the
    evidence of all their compared pairs (``clustering: evidence``), through the same
    :func:`resolve_entities` as ``cible calibrate``."""
    return resolve_entities(
        len(prepared),
        scored.left,
        scored.right,
        scored.score,
        scored.rule != FUZZY_RULE,
        config.threshold,
        clustering_rule(config, model),
    )


def find_duplicates(
    records: pd.DataFrame, config: MatchingConfig, *, model: FellegiSunter | None = None
) -> MatchResult:
    """Find the duplicate records of ``records`` (not modified) as configured.

    With the ``fellegi_sunter`` method, ``model`` reuses already trained parameters instead of
    running EM (the incremental matcher and reproducible re-runs rely on it).
    """
    timer = StepTimer()
    start = time.perf_counter()
    with timer.step("prepare"):
        prepared = prepare(records, config)
    with timer.step("blocking"):
        candidates = candidate_pairs(prepared, config)
    with timer.step("compare"):
        sims = compare_pairs(prepared, config.fields, candidates.left, candidates.right)
    with timer.step("train"):
        model = _fit_or_reuse(prepared, config, sims, model, candidates)
    with timer.step("score"):
        scored = score_candidates(prepared, config, candidates.left, candidates.right, model, sims)
    with timer.step("cluster"):
        representative = _cluster(prepared, config, scored, model)
        clusters = cluster_frame(prepared.ids, representative)
        pairs = pairs_frame(prepared.ids[scored.left], prepared.ids[scored.right], scored)
    timer.seconds["total"] = time.perf_counter() - start
    stats: dict[str, Any] = {
        "records": len(prepared),
        "candidate_pairs": dict(candidates.per_rule),
        "skipped_blocks": candidates.skipped_blocks,
        "pairs_compared": len(candidates),
        "matches": int(scored.is_match.sum()),
        "exact_matches": int((scored.rule != FUZZY_RULE).sum()),
        "clusters": int(clusters["entity_id"].nunique()),
        "duplicate_records": int((clusters["cluster_size"] > 1).sum()),
        "seconds": {k: round(v, 3) for k, v in timer.seconds.items()},
        "clustering": clustering_rule(config, model).as_dict(),
    }
    if model is not None:
        stats["em"] = {
            "lambda": model.lambda_,
            "iterations": model.n_iter_,
            "lambda_candidates": candidate_lambda(model, to_levels(sims, config.fields)),
        }
    return MatchResult(pairs, clusters, config.threshold, stats, model)
