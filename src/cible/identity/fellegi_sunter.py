"""The Fellegi-Sunter model, trained by expectation-maximisation, as a scikit-learn estimator.

A candidate pair is described by its comparison vector ``gamma``: for each field, the level of
agreement (``0`` the best, e.g. "exactly equal", up to ``n_levels[f] - 1``, "different"), or
``-1`` when a side is missing (the field then says nothing). For matches, level ``l`` of field
``f`` has probability ``m[f][l]``; for non-matches ``u[f][l]``. Fields are assumed independent
given the match status, so a pair's Bayes factor is the product of ``m/u`` over its fields and its
match probability is ``lambda * M / (lambda * M + (1 - lambda) * U)``.

EM alternates the posterior match probability of every pair (E step) and the weighted level
frequencies (M step). Comparison vectors repeat a lot, so EM runs on the distinct vectors with
their counts: thousands of patterns instead of millions of pairs. ``u`` can be given (estimated
on random pairs, which are almost all non-matches) and then stays fixed, as Splink does.

Candidate pairs are a truncated sample of all record pairs: blocking keeps the pairs that agree on
some key. With ``u`` from random pairs, the right prior is the share of matches among *all* pairs
(``total_pairs``), not among the candidates: the posterior of a candidate pair is then
``lambda m(gamma) / (lambda m(gamma) + (1 - lambda) u(gamma))`` with population ``lambda`` and
``u``, and a non-match that only agrees on a blocked field stays a non-match. ``total_pairs``
makes the M step divide the expected matches by the number of all pairs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

_SMOOTH = 1e-6


def _check_gamma(X: object, n_levels: Sequence[int]) -> np.ndarray:
    gamma = np.asarray(X)
    if gamma.ndim != 2 or gamma.shape[1] != len(n_levels):
        raise ValueError(
            f"comparison vectors must be a 2-d array with {len(n_levels)} columns "
            f"(one per field); got shape {gamma.shape}"
        )
    gamma = gamma.astype(np.int64)
    for f, n in enumerate(n_levels):
        bad = (gamma[:, f] < -1) | (gamma[:, f] >= n)
        if bad.any():
            raise ValueError(
                f"field {f}: levels must be -1 (missing) or 0..{n - 1}; got {int(gamma[bad, f][0])}"
            )
    return gamma


def level_frequencies(
    gamma: np.ndarray, n_levels: Sequence[int], weights: np.ndarray | None = None
) -> list[np.ndarray]:
    """Per field, the (weighted, smoothed) frequency of each level among non-missing values."""
    w = np.ones(len(gamma)) if weights is None else weights
    out = []
    for f, n in enumerate(n_levels):
        present = gamma[:, f] >= 0
        counts = np.bincount(gamma[present, f], weights=w[present], minlength=n) + _SMOOTH
        out.append(counts / counts.sum())
    return out


def distinct_vectors(gamma: np.ndarray, n_levels: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of ``gamma`` (sorted) and their counts.

    Each row is encoded as one integer (mixed radix, ``n_levels[f] + 1`` values per field with
    ``-1`` shifted to 0), so that ``np.unique`` runs on a 1-d array: several times faster than
    ``np.unique(axis=0)`` on millions of pairs.
    """
    radix = np.asarray(n_levels, dtype=np.int64) + 1
    if float(np.prod(radix.astype(float))) >= 2**62:
        return np.unique(gamma, axis=0, return_counts=True)
    weights = np.cumprod(np.r_[1, radix[::-1][:-1]])[::-1]
    codes, counts = np.unique((gamma + 1) @ weights, return_counts=True)
    patterns = (codes[:, None] // weights[None, :]) % radix[None, :] - 1
    return patterns.astype(np.int64), counts


class FellegiSunter(BaseEstimator):
    """Fellegi-Sunter match probabilities with m, u and lambda trained by EM.

    Parameters
    ----------
    n_levels : number of agreement levels of each field (``-1`` = missing is extra).
    u_fixed : per field, non-match level probabilities to keep fixed (e.g. from random pairs);
        ``None`` trains u by EM too.
    init_prior : starting proportion of matches among the pairs (among the candidates when
        ``total_pairs`` is given).
    total_pairs : number of all record pairs the candidates were blocked from; ``lambda`` is
        then the share of matches among them (use with ``u_fixed`` from random pairs).
    max_iter, tol : EM stops after ``max_iter`` iterations or when no parameter moves more
        than ``tol``.

    Fitted attributes: ``m_``, ``u_`` (lists of arrays, one per field), ``lambda_``,
    ``n_iter_``, ``converged_``, ``n_features_in_``.
    """

    def __init__(
        self,
        n_levels: Sequence[int] = (2,),
        u_fixed: Sequence[Sequence[float]] | None = None,
        init_prior: float = 0.1,
        max_iter: int = 200,
        tol: float = 1e-6,
        total_pairs: float | None = None,
    ) -> None:
        self.n_levels = n_levels
        self.u_fixed = u_fixed
        self.init_prior = init_prior
        self.total_pairs = total_pairs
        self.max_iter = max_iter
        self.tol = tol

    def _initial_m(self) -> list[np.ndarray]:
        """Matches agree: level l gets weight 2^-(2l), most mass on the best level."""
        out = []
        for n in self.n_levels:
            raw = 4.0 ** -np.arange(n, dtype=float)
            out.append(raw / raw.sum())
        return out

    def _log_ratio_terms(self, gamma: np.ndarray, probs: list[np.ndarray]) -> np.ndarray:
        total = np.zeros(len(gamma))
        for f, p in enumerate(probs):
            present = gamma[:, f] >= 0
            total[present] += np.log(p[gamma[present, f]])
        return total

    def _posterior(
        self,
        gamma: np.ndarray,
        m: list[np.ndarray],
        u: list[np.ndarray],
        prior: float,
        offset: np.ndarray | None = None,
    ) -> np.ndarray:
        log_m = self._log_ratio_terms(gamma, m) + np.log(prior)
        if offset is not None:
            log_m = log_m + offset
        log_u = self._log_ratio_terms(gamma, u) + np.log1p(-prior)
        return 1.0 / (1.0 + np.exp(np.clip(log_u - log_m, -700, 700)))

    def fit(self, X: object, y: None = None) -> FellegiSunter:
        """Train m, u and lambda on comparison vectors ``X`` (n_pairs x n_fields)."""
        gamma = _check_gamma(X, self.n_levels)
        if len(gamma) == 0:
            raise ValueError("cannot train the Fellegi-Sunter model on zero pairs")
        patterns, counts = distinct_vectors(gamma, self.n_levels)
        counts = counts.astype(float)
        u = (
            [np.asarray(p, dtype=float) for p in self.u_fixed]
            if self.u_fixed is not None
            else level_frequencies(patterns, self.n_levels, counts)
        )
        m = self._initial_m()
        denominator = float(self.total_pairs or counts.sum())
        if denominator < counts.sum():
            raise ValueError(
                f"total_pairs {self.total_pairs} is below the {counts.sum():.0f} pairs"
            )
        prior = float(self.init_prior) * counts.sum() / denominator
        self.converged_ = False
        self.n_iter_ = 0
        for iteration in range(1, self.max_iter + 1):
            g = self._posterior(patterns, m, u, prior)
            new_prior = float(np.clip((counts * g).sum() / denominator, 1e-12, 1 - 1e-9))
            new_m = level_frequencies(patterns, self.n_levels, counts * g)
            new_u = (
                u
                if self.u_fixed is not None
                else level_frequencies(patterns, self.n_levels, counts * (1 - g))
            )
            shift = max(
                abs(new_prior - prior),
                *(float(np.abs(a - b).max()) for a, b in zip(new_m, m, strict=True)),
                *(float(np.abs(a - b).max()) for a, b in zip(new_u, u, strict=True)),
            )
            m, u, prior = new_m, new_u, new_prior
            self.n_iter_ = iteration
            if shift < self.tol:
                self.converged_ = True
                break
        self.m_, self.u_, self.lambda_ = m, u, prior
        self.n_features_in_ = len(self.n_levels)
        return self

    def match_weight(self, X: object) -> np.ndarray:
        """log2 of the Bayes factor m/u of every pair (prior not included)."""
        check_is_fitted(self, "m_")
        gamma = _check_gamma(X, self.n_levels)
        nat = self._log_ratio_terms(gamma, self.m_) - self._log_ratio_terms(gamma, self.u_)
        return nat / np.log(2.0)

    def predict_proba(self, X: object, offset: np.ndarray | None = None) -> np.ndarray:
        """``[P(non-match), P(match)]`` for every pair.

        ``offset`` adds a natural-log Bayes factor per pair (term-frequency adjustment).
        """
        check_is_fitted(self, "m_")
        gamma = _check_gamma(X, self.n_levels)
        p = self._posterior(gamma, self.m_, self.u_, self.lambda_, offset)
        return np.column_stack([1.0 - p, p])

    def predict(self, X: object) -> np.ndarray:
        """``True`` where the match probability is at least 0.5."""
        return self.predict_proba(X)[:, 1] >= 0.5
