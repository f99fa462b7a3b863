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
from sklearn.utils import Tags
from sklearn.utils.validation import check_is_fitted, validate_data

_SMOOTH = 1e-6


def _check_gamma(
    estimator: BaseEstimator, X: object, n_levels: Sequence[int] | None, *, reset: bool
) -> tuple[np.ndarray, tuple[int, ...]]:
    """Validated comparison vectors as int64, and the number of levels of each field.

    ``X`` goes through scikit-learn's ``validate_data`` (any numeric 2-d array; NaN, infinity,
    sparse, complex and empty input are refused there), then every value must be a whole number
    from -1 (missing) to ``n_levels[f] - 1``. With ``n_levels=None`` the levels are inferred at
    ``fit`` (``reset=True``): field ``f`` has ``max(X[:, f]) + 1`` of them.
    """
    values = validate_data(estimator, X, reset=reset, dtype="numeric")
    name = type(estimator).__name__
    # integer input (the pipeline's) is used as is; floats must hold whole numbers
    whole = values.dtype.kind in "iub"
    fractional = np.empty((0, 2), dtype=np.int64) if whole else np.argwhere(values % 1 != 0)
    if len(fractional):
        row, f = (int(i) for i in fractional[0])
        raise ValueError(
            f"{name}: comparison levels must be whole numbers; field {f} (column {f}), "
            f"row {row} has {float(values[row, f])!r}"
        )
    gamma = values.astype(np.int64, copy=False)
    if n_levels is None:
        levels = tuple(int(max(gamma[:, f].max(), 0)) + 1 for f in range(gamma.shape[1]))
    else:
        levels = tuple(int(n) for n in n_levels)
    if gamma.shape[1] != len(levels):
        raise ValueError(
            f"comparison vectors must be a 2-d array with {len(levels)} columns "
            f"(one per field); got shape {gamma.shape}"
        )
    for f, n in enumerate(levels):
        below, above = gamma[:, f] < -1, gamma[:, f] >= n
        if below.any():
            row = int(np.flatnonzero(below)[0])
            raise ValueError(
                f"Negative values in data passed to {name}: field {f}, row {row} has "
                f"{int(gamma[row, f])}; levels are -1 (missing) or 0..{n - 1}"
            )
        if above.any():
            row = int(np.flatnonzero(above)[0])
            raise ValueError(
                f"field {f}: levels must be -1 (missing) or 0..{n - 1}; got "
                f"{int(gamma[row, f])} (row {row})"
            )
    return gamma, levels


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
    n_levels : number of agreement levels of each field (``-1`` = missing is extra); ``None``
        infers them at ``fit``: field ``f`` has levels ``0..max(X[:, f])``.
    u_fixed : per field, non-match level probabilities to keep fixed (e.g. from random pairs);
        ``None`` trains u by EM too.
    init_prior : starting proportion of matches among the pairs (among the candidates when
        ``total_pairs`` is given).
    total_pairs : number of all record pairs the candidates were blocked from; ``lambda`` is
        then the share of matches among them (use with ``u_fixed`` from random pairs).
    max_iter, tol : EM stops after ``max_iter`` iterations or when no parameter moves more
        than ``tol``.

    ``X`` is any numeric matrix of whole numbers (comparison levels, ``-1`` for missing): the
    estimator tags say so (``categorical`` and ``positive_only`` input), so scikit-learn's
    estimator checks feed it integer-coded data. A value below -1 is refused with scikit-learn's
    "Negative values in data" error; a fractional value or a level above the field's last is
    refused too, naming the field and row.

    Fitted attributes: ``m_``, ``u_`` (lists of arrays, one per field), ``lambda_``,
    ``n_levels_``, ``n_iter_``, ``converged_``, ``n_features_in_``.
    """

    def __init__(
        self,
        n_levels: Sequence[int] | None = None,
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

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.input_tags.categorical = True
        tags.input_tags.positive_only = True
        return tags

    @staticmethod
    def _initial_m(n_levels: Sequence[int]) -> list[np.ndarray]:
        """Matches agree: level l gets weight 2^-(2l), most mass on the best level."""
        out = []
        for n in n_levels:
            raw = 4.0 ** -np.arange(n, dtype=float)
            out.append(raw / raw.sum())
        return out

    def _fitted_gamma(self, X: object) -> np.ndarray:
        """``X`` checked against the fitted model (levels from ``m_``, so that a model whose
        parameters were set by hand works too)."""
        check_is_fitted(self, "m_")
        levels = tuple(len(p) for p in self.m_)
        return _check_gamma(self, X, levels, reset=False)[0]

    def _start_u(
        self, patterns: np.ndarray, counts: np.ndarray, levels: tuple[int, ...]
    ) -> list[np.ndarray]:
        if self.u_fixed is None:
            return level_frequencies(patterns, levels, counts)
        u = [np.asarray(p, dtype=float) for p in self.u_fixed]
        if [len(p) for p in u] != list(levels):
            raise ValueError(
                f"u_fixed has {[len(p) for p in u]} levels per field, the data {list(levels)}"
            )
        return u

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
        gamma, levels = _check_gamma(self, X, self.n_levels, reset=True)
        patterns, counts = distinct_vectors(gamma, levels)
        counts = counts.astype(float)
        u = self._start_u(patterns, counts, levels)
        m = self._initial_m(levels)
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
            new_m = level_frequencies(patterns, levels, counts * g)
            new_u = (
                u
                if self.u_fixed is not None
                else level_frequencies(patterns, levels, counts * (1 - g))
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
        self.n_levels_ = levels
        return self

    def match_weight(self, X: object) -> np.ndarray:
        """log2 of the Bayes factor m/u of every pair (prior not included)."""
        gamma = self._fitted_gamma(X)
        nat = self._log_ratio_terms(gamma, self.m_) - self._log_ratio_terms(gamma, self.u_)
        return nat / np.log(2.0)

    def predict_proba(self, X: object, offset: np.ndarray | None = None) -> np.ndarray:
        """``[P(non-match), P(match)]`` for every pair.

        ``offset`` adds a natural-log Bayes factor per pair (term-frequency adjustment).
        """
        gamma = self._fitted_gamma(X)
        p = self._posterior(gamma, self.m_, self.u_, self.lambda_, offset)
        return np.column_stack([1.0 - p, p])

    def predict(self, X: object) -> np.ndarray:
        """``True`` where the match probability is at least 0.5."""
        return self.predict_proba(X)[:, 1] >= 0.5
