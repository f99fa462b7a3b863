"""Fellegi-Sunter training with ``u`` from random pairs, one EM session per blocking rule.

Why the plain approach collapses: ``u`` estimated on random record pairs says that agreeing on a
postcode is rare (0.6 % of random pairs). But every candidate pair of a ``keys: [postcode]`` rule
agrees on the postcode, matches and non-matches alike. EM on the candidate pairs, with ``u``
fixed, cannot explain those agreeing non-matches as non-matches, so it takes them for matches:
lambda goes to 1, ``m`` learns that matches often disagree on names, and at scoring time the
postcode agreement (Bayes factor m/u of about 180) outweighs every disagreement. People who share
a postcode are merged, and connected components chain them into giant entities (reproduced on
6,000 generated records in ``tests/unit/identity/test_guards.py``: largest entity 61, precision
0.013).

The fix, close to how Splink trains ``m``: one EM session per blocking rule, on the pairs that
rule proposes, with the fields that compare the rule's key columns switched off (treated as
missing), since those pairs agree on them by construction. Unlike Splink, ``u`` is trained inside
each session too and then dropped: a field correlated with the blocking key (the city within a
postcode block) agrees in almost every pair of the session, and a ``u`` fixed from random pairs
makes that agreement look like evidence again (on 20,000 generated records, fixed-u sessions
still gave a largest entity of 309 and F1 0.0075; free-u sessions F1 0.962). A field's
``m`` is the pair-weighted mean over the sessions where it was on (a field compared in every rule
keeps the ``m`` of EM on all candidate pairs with ``u`` trained too). Scores are probabilities
for a random pair, so the prior is the share of matches among *all* record pairs: the matches
the most productive session finds (its lambda times its pairs) over ``n (n - 1) / 2``. The share
of matches among candidate pairs is kept in ``lambda_candidates`` (what the guards judge).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cible.config.matching import MatchingConfig
from cible.identity.blocking import key_codes
from cible.identity.fellegi_sunter import FellegiSunter, distinct_vectors, level_frequencies
from cible.identity.prepare import Prepared

MIN_SESSION_PAIRS = 20


@dataclass(frozen=True)
class Session:
    """One EM session: the rule, its pairs, the fields switched off and what EM found."""

    rule: str
    pairs: int
    off: tuple[int, ...]
    m: list[np.ndarray]
    lambda_: float


def rule_masks(
    prepared: Prepared, config: MatchingConfig, left: np.ndarray, right: np.ndarray
) -> list[tuple[str, np.ndarray, set[str]]]:
    """Per blocking rule: its label, the candidate pairs equal on its key, and its key columns.
    A sorted-neighbourhood rule counts the pairs whose key is equal; exact keys have no session
    (their pairs score 1 whatever the model)."""
    out = []
    for rule in config.blocking:
        codes = key_codes(prepared, rule.keys)
        mask = (codes[left] >= 0) & (codes[left] == codes[right])
        out.append((rule.label, mask, {k.column for k in rule.keys}))
    return out


def _session(
    gamma: np.ndarray,
    mask: np.ndarray,
    off: list[int],
    config: MatchingConfig,
    u: list[list[float]],
) -> tuple[list[np.ndarray], float]:
    """m and lambda of EM on the rule's pairs, its fields off, u trained (then dropped)."""
    sub = gamma[mask].copy()
    sub[:, off] = -1
    levels = [len(x) for x in u]
    model = FellegiSunter(n_levels=levels, max_iter=config.em.max_iter, tol=config.em.tol)
    model.fit(sub)
    return model.m_, float(model.lambda_)


def refit_prior(model: FellegiSunter, gamma: np.ndarray, total: float) -> float:
    """Lambda over ``total`` record pairs with ``m`` and ``u`` fixed: the EM fixed point
    ``lambda = sum of the candidates' match posteriors / total`` (pairs outside the candidates
    are taken for non-matches, as in ``FellegiSunter(total_pairs=...)``)."""
    patterns, counts = distinct_vectors(gamma, [len(x) for x in model.u_])
    weights = counts.astype(float)
    prior = float(model.lambda_)
    for _ in range(model.max_iter):
        posterior = model._posterior(patterns, model.m_, model.u_, prior)
        new = float(np.clip((weights * posterior).sum() / total, 1e-12, 1 - 1e-9))
        if abs(new - prior) < model.tol * max(prior, 1e-12):
            return new
        prior = new
    return prior


def train_sessions(
    prepared: Prepared,
    config: MatchingConfig,
    gamma: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    u: list[list[float]],
    total_pairs: int | None = None,
) -> tuple[FellegiSunter, list[Session]]:
    """The model: ``m`` from per-rule sessions, ``u`` from random pairs, the all-pairs prior.

    Without ``total_pairs`` the prior is the matches of the most productive session over
    ``n (n - 1) / 2``; with it (``em.m_from_rule_sessions``), lambda is re-estimated over that
    many pairs on every candidate pair, m and u fixed (:func:`refit_prior`): no single rule
    finds every match, so the most productive session under-counts them."""
    levels = [len(x) for x in u]
    fallback = FellegiSunter(n_levels=levels, max_iter=config.em.max_iter, tol=config.em.tol)
    fallback.fit(gamma)
    sessions = []
    for label, mask, columns in rule_masks(prepared, config, left, right):
        off = [f for f, field in enumerate(config.fields) if field.column in columns]
        if int(mask.sum()) < MIN_SESSION_PAIRS or len(off) == len(config.fields):
            continue
        m, lam = _session(gamma, mask, off, config, u)
        sessions.append(Session(label, int(mask.sum()), tuple(off), m, lam))
    m_final = []
    for f in range(len(config.fields)):
        on = [s for s in sessions if f not in s.off]
        if not on:
            m_final.append(np.asarray(fallback.m_[f], dtype=float))
            continue
        weights = np.array([s.pairs for s in on], dtype=float)
        stacked = np.vstack([s.m[f] for s in on])
        m_final.append((stacked * weights[:, None]).sum(axis=0) / weights.sum())
    n = len(prepared)
    total = max(n * (n - 1) // 2, 1)
    found = max((s.lambda_ * s.pairs for s in sessions), default=fallback.lambda_ * len(gamma))
    model = FellegiSunter(
        n_levels=levels, u_fixed=u, max_iter=config.em.max_iter, tol=config.em.tol
    )
    model.m_ = m_final
    model.u_ = [np.asarray(x, dtype=float) for x in u]
    model.lambda_ = float(np.clip(found / total, 1e-12, 1 - 1e-12))
    model.n_iter_ = fallback.n_iter_
    model.converged_ = True
    model.n_features_in_ = len(levels)
    model.n_levels_ = tuple(levels)
    if total_pairs is not None:
        model.lambda_ = refit_prior(model, gamma, float(max(total_pairs, len(gamma))))
    return model, sessions


def candidate_lambda(model: FellegiSunter, gamma: np.ndarray) -> float:
    """Share of matches among the candidate pairs under ``model`` (mean posterior)."""
    if len(gamma) == 0:
        return 0.0
    return float(model.predict_proba(gamma)[:, 1].mean())


def random_u(random_levels: np.ndarray, levels: list[int]) -> list[list[float]]:
    """Level frequencies among random pairs (almost all non-matches)."""
    return [p.tolist() for p in level_frequencies(random_levels, levels)]
