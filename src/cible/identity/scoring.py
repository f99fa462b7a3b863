"""Scores of candidate pairs: weighted similarity (``threshold``) or Fellegi-Sunter probability.

* ``threshold``: the weighted mean of the field similarities of a pair, over the fields present
  on both sides (a missing field neither helps nor hurts); 0 when no field can be compared.
* ``fellegi_sunter``: similarities become agreement levels through each field's cut-offs, and the
  :class:`~cible.identity.fellegi_sunter.FellegiSunter` model (EM on the candidate pairs, u
  optionally from random pairs) gives the match probability.
A pair is a match when its score reaches the threshold, or when it satisfies an exact key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from cible.config.matching import FieldComparison, MatchingConfig
from cible.identity.compare import compare_pairs
from cible.identity.fellegi_sunter import FellegiSunter, level_frequencies
from cible.identity.prepare import Prepared
from cible.identity.term_frequency import log_factors

_EPS = 1e-9
MAX_MATCH_RATIO = 2.0
MAX_M_DISTANCE = 0.1


def n_levels(fields: Sequence[FieldComparison]) -> list[int]:
    """Agreement levels of each field: one per cut-off plus "below every cut-off"."""
    return [len(f.cut_offs) + 1 for f in fields]


def to_levels(sims: Mapping[str, np.ndarray], fields: Sequence[FieldComparison]) -> np.ndarray:
    """Similarities -> comparison vectors: level 0 = at or above the first cut-off, ...;
    ``-1`` where the similarity is NaN (a side missing)."""
    n = len(next(iter(sims.values()))) if sims else 0
    gamma = np.empty((n, len(fields)), dtype=np.int64)
    for f, field in enumerate(fields):
        sim = sims[field.label]
        cut = np.asarray(field.cut_offs)
        below = (sim[:, None] < cut[None, :] - _EPS).sum(axis=1)
        gamma[:, f] = np.where(np.isnan(sim), -1, below)
    return gamma


def weighted_score(sims: Mapping[str, np.ndarray], fields: Sequence[FieldComparison]) -> np.ndarray:
    """Weighted mean similarity over the fields present on both sides (0 if none is)."""
    n = len(next(iter(sims.values()))) if sims else 0
    total, weight = np.zeros(n), np.zeros(n)
    for field in fields:
        sim = sims[field.label]
        present = ~np.isnan(sim)
        total[present] += field.weight * sim[present]
        weight[present] += field.weight
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(weight > 0, total / np.maximum(weight, _EPS), 0.0)


def _sources(prepared: Prepared, config: MatchingConfig) -> np.ndarray | None:
    if config.link_column is None:
        return None
    codes, _ = pd.factorize(pd.Series(prepared.values[config.link_column], dtype=object))
    return np.where(codes < 0, -1 - np.arange(len(codes)), codes)


def all_pairs(prepared: Prepared, config: MatchingConfig) -> int:
    """Number of record pairs that could be compared (cross-source only with a link_column)."""
    n = len(prepared)
    sources = _sources(prepared, config)
    if sources is None:
        return n * (n - 1) // 2
    sizes = np.unique(sources, return_counts=True)[1].astype(np.int64)
    return int((n * n - int((sizes**2).sum())) // 2)


def random_pair_levels(prepared: Prepared, config: MatchingConfig) -> np.ndarray:
    """Comparison vectors of seeded random record pairs (almost all non-matches); with a
    ``link_column``, pairs of records from different sources."""
    n = len(prepared)
    rng = np.random.default_rng(config.em.random_state)
    size = min(config.em.random_pairs, all_pairs(prepared, config))
    sources = _sources(prepared, config)
    draws = size if sources is None else 4 * size
    a = rng.integers(0, n, size=draws)
    b = (a + rng.integers(1, n, size=draws)) % n
    if sources is not None:
        cross = sources[a] != sources[b]
        a, b = a[cross][:size], b[cross][:size]
    left, right = np.minimum(a, b), np.maximum(a, b)
    return to_levels(compare_pairs(prepared, config.fields, left, right), config.fields)


def _fit(
    config: MatchingConfig,
    levels: list[int],
    gamma: np.ndarray,
    u_fixed: list[list[float]] | None = None,
    total: float | None = None,
) -> FellegiSunter:
    model = FellegiSunter(
        n_levels=levels,
        u_fixed=u_fixed,
        max_iter=config.em.max_iter,
        tol=config.em.tol,
        total_pairs=total,
    )
    return model.fit(gamma)


def m_distance(a: FellegiSunter, b: FellegiSunter) -> list[float]:
    """Per field, the total-variation distance between the ``m`` of two models: the share of
    matches whose agreement level one model would have to move to get the other's."""
    return [
        float(0.5 * np.abs(np.asarray(x) - np.asarray(y)).sum())
        for x, y in zip(a.m_, b.m_, strict=True)
    ]


def cross_checked(
    population: FellegiSunter, candidates: FellegiSunter, total: float, n_pairs: int
) -> FellegiSunter:
    """The population model, unless it disagrees with the candidate model (u trained on the
    candidates too) on what a match looks like:

    * it expects over ``MAX_MATCH_RATIO`` times the matches the candidate model finds among the
      candidates (it took correlated non-matches, same first name and town, for matches); or
    * on some field its ``m`` is over ``MAX_M_DISTANCE`` (total variation) from the candidate
      model's, and it expects more matches than the candidate model. With ``u`` fixed from
      random pairs, blocked non-matches that agree on the blocking key pass for matches, and
      ``m`` learns that matches often disagree on everything else (Splink's 50k historical
      persons: 31 % of "matches" disagree on the birth date, against 0.02 % in the truth and
      0.3 % for the candidate model; distance 0.31; 262,692 expected matches against 172,197).
      The candidate model fails the same way the other way round: with ``u`` trained on the
      candidates, non-matches that agree on several correlated fields (restaurants of one hotel:
      same street address, city and switchboard) can be taken for matches, ``u`` of those
      agreements falls to zero and ``m`` learns that a third of matches disagree on the phone
      (two restaurant guides: 181 expected matches against the population model's 127; 112 in
      the truth). When the two disagree on ``m``, the one expecting fewer matches is kept: the
      other has taken a group of agreeing non-matches for matches, and a wrong merge costs more
      than a missed one. Both models estimate the same ``m``; when they agree (distance <= 0.05
      on the Febrl sets and fake_1000) the population model is kept for its prior over all
      pairs.

    The chosen model gets ``prior_`` (``"all_pairs"`` or ``"candidates"``),
    ``expected_matches_`` (both estimates) and ``m_distance_`` (per field).
    """
    expected = {
        "all_pairs": float(population.lambda_ * total),
        "candidates": float(candidates.lambda_ * n_pairs),
    }
    distance = m_distance(population, candidates)
    fewer = expected["all_pairs"] <= expected["candidates"]
    close = max(distance, default=0.0) <= MAX_M_DISTANCE
    consistent = expected["all_pairs"] <= MAX_MATCH_RATIO * expected["candidates"] and (
        close or fewer
    )
    chosen = population if consistent else candidates
    chosen.prior_ = "all_pairs" if consistent else "candidates"
    chosen.expected_matches_ = expected
    chosen.m_distance_ = distance
    return chosen


def train_model(prepared: Prepared, config: MatchingConfig, gamma: np.ndarray) -> FellegiSunter:
    """Fit the Fellegi-Sunter model on the candidate pairs' comparison vectors.

    With ``em.prior_over_all_pairs`` (and ``u_from_random_pairs``), two models are trained: u from
    random pairs with lambda over all pairs, and u and lambda over the candidates; the first is
    kept when both agree on the number of matches (:func:`cross_checked`).
    """
    levels = n_levels(config.fields)
    if not config.em.u_from_random_pairs or len(prepared) < 2:
        return _fit(config, levels, gamma)
    u_fixed = [p.tolist() for p in level_frequencies(random_pair_levels(prepared, config), levels)]
    if not config.em.prior_over_all_pairs:
        return _fit(config, levels, gamma, u_fixed)
    total = float(max(all_pairs(prepared, config), len(gamma)))
    population = _fit(config, levels, gamma, u_fixed, total)
    return cross_checked(population, _fit(config, levels, gamma), total, len(gamma))


def score_pairs(
    sims: Mapping[str, np.ndarray],
    config: MatchingConfig,
    model: FellegiSunter | None,
    pairs: tuple[Prepared, np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """The score in [0, 1] of every pair under the configured method.

    ``pairs`` (records, left and right positions) enables the term-frequency adjustment of the
    fields that ask for it (:mod:`cible.identity.term_frequency`).
    """
    if config.method == "threshold":
        return weighted_score(sims, config.fields)
    if model is None:
        raise ValueError("the fellegi_sunter method needs a fitted model")
    gamma = to_levels(sims, config.fields)
    offset = None
    if pairs is not None:
        prepared, left, right = pairs
        offset = log_factors(prepared, config.fields, gamma, left, right)
    return model.predict_proba(gamma, offset=offset)[:, 1]
