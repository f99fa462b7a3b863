"""The BG/NBD model of repeat purchasing (Fader, Hardie & Lee 2005, "Counting Your Customers the
Easy Way: An Alternative to the Pareto/NBD Model", Marketing Science 24(2)).

Story of one customer, after a first purchase at time 0: while active, purchases follow a Poisson
process of rate ``lambda``; right after each *repeat* purchase the customer drops out for good with
probability ``p``. Across customers ``lambda ~ Gamma(r, alpha)`` (shape ``r``, rate ``alpha``) and
``p ~ Beta(a, b)``. A customer is summarised by ``x`` (frequency: number of repeat purchases),
``t_x`` (recency: time of the last purchase, from the first) and ``T`` (age: time from the first
purchase to the end of observation).

Formulas (equation numbers of the paper; B is the beta function):

* likelihood (6): ``L = B(a, b+x)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+T)^(r+x))
  + [x>0] B(a+1, b+x-1)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+t_x)^(r+x))``;
* P(X(t) = x) (8) and E[X(t)] (9) for a new customer;
* E[Y(t) | x, t_x, T] (10): expected repeat purchases in ``(T, T+t]``;
* P(alive | x, t_x, T) (Fader, Hardie & Lee 2008, note 021):
  ``1 / (1 + [x>0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x))``.

The Gaussian hypergeometric function of (9) and (10) is evaluated after Euler's transformation
``2F1(A, B; C; z) = (1-z)^(C-A-B) 2F1(C-A, C-B; C; z)``, which turns
``(1-z)^(r+x) 2F1(r+x, b+x; a+b+x-1; z)`` into ``(1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z)``:
its first two parameters no longer grow with ``x``, which keeps :func:`scipy.special.hyp2f1`
in its accurate range for heavy buyers and long horizons (the "#NUM!" problem of Fader & Hardie's
note 027).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special, stats
from sklearn.exceptions import NotFittedError

from cible.exceptions import CLVError
from cible.predict.clv._inputs import FloatArray, as_vector, check_rft
from cible.predict.clv._optim import FitOutcome, maximise_log_likelihood

PARAM_NAMES: tuple[str, ...] = ("r", "alpha", "a", "b")


@dataclass(frozen=True)
class _Summary:
    """Customers as distinct (x, t_x, T) rows with counts, and the distinct frequencies.

    Every special function of the likelihood depends on ``x`` alone: it is evaluated once per
    distinct ``x`` (``xs``) and gathered with ``inverse``; the rows only cost logarithms.
    """

    x: FloatArray
    tx: FloatArray
    T: FloatArray
    weight: FloatArray
    xs: FloatArray
    inverse: NDArray[np.intp]


def _summary(x: FloatArray, tx: FloatArray, big_t: FloatArray, compress: bool) -> _Summary:
    if compress:
        rows, counts = np.unique(np.column_stack([x, tx, big_t]), axis=0, return_counts=True)
        x, tx, big_t, weight = rows[:, 0], rows[:, 1], rows[:, 2], counts.astype(np.float64)
    else:
        weight = np.ones_like(x)
    xs, inverse = np.unique(x, return_inverse=True)
    return _Summary(x, tx, big_t, weight, xs, inverse)


def bgnbd_log_likelihood(
    params: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> FloatArray:
    """Log-likelihood of each customer under BG/NBD parameters ``(r, alpha, a, b)`` (equation 6)."""
    r, alpha, a, b = (float(v) for v in np.asarray(params, dtype=np.float64))
    x, tx, big_t = check_rft(frequency, recency, T)
    return _terms(r, alpha, a, b, _summary(x, tx, big_t, compress=False))[0]


def _terms(
    r: float, alpha: float, a: float, b: float, d: _Summary
) -> tuple[FloatArray, FloatArray]:
    """Per-row log-likelihood and the weight of its second ("dropped out at t_x") component."""
    xs1 = np.maximum(d.xs, 1.0)  # keeps B(a+1, b+x-1) finite at x = 0 (the term is unused there)
    beta_ab = special.betaln(a, b)
    head = (special.gammaln(r + d.xs) - special.gammaln(r))[d.inverse] + r * np.log(alpha)
    rx = r + d.x
    first = (special.betaln(a, b + d.xs) - beta_ab)[d.inverse] - rx * np.log(alpha + d.T)
    second = (special.betaln(a + 1.0, b + xs1 - 1.0) - beta_ab)[d.inverse] - rx * np.log(
        alpha + d.tx
    )
    second = np.where(d.x > 0, second, -np.inf)
    total = np.logaddexp(first, second)
    return head + total, np.exp(second - total)  # the weight is 0 where x == 0


def _negative_log_likelihood(log_params: FloatArray, d: _Summary) -> tuple[float, FloatArray]:
    """Total negative log-likelihood and its gradient with respect to the log-parameters."""
    r, alpha, a, b = np.exp(log_params)
    ll, w2 = _terms(r, alpha, a, b, d)
    w1 = 1.0 - w2
    dg = special.digamma
    xs, inv = d.xs, d.inverse
    psi_ab, psi_abx = dg(a + b), dg(a + b + xs)
    d_r = (dg(r + xs) - dg(r))[inv] + np.log(alpha) - w1 * np.log(alpha + d.T)
    d_r = d_r - w2 * np.log(alpha + d.tx)
    d_alpha = r / alpha - (r + d.x) * (w1 / (alpha + d.T) + w2 / (alpha + d.tx))
    d_a = w1 * (psi_ab - psi_abx)[inv] + w2 * (dg(a + 1.0) - psi_abx - dg(a) + psi_ab)[inv]
    d_b_first = dg(b + xs) - psi_abx - dg(b) + psi_ab
    d_b_second = dg(b + np.maximum(xs, 1.0) - 1.0) - psi_abx - dg(b) + psi_ab
    d_b = w1 * d_b_first[inv] + w2 * d_b_second[inv]
    # Weighted sums without BLAS (np.dot's threads are slow on small vectors).
    w = d.weight
    grad = np.array([np.sum(w * g) for g in (d_r, d_alpha, d_a, d_b)]) * np.array([r, alpha, a, b])
    return -float(np.sum(w * ll)), -grad


class BetaGeoModel:
    """BG/NBD model fitted by maximum likelihood (see the module docstring for the formulas).

    Not a scikit-learn estimator: it is fitted on per-customer summaries (``fit(frequency,
    recency, T)``, as in ``lifetimes``), not on a feature matrix, so scikit-learn's estimator
    checks (random real matrices) do not apply. Methods used before ``fit`` raise
    :class:`~sklearn.exceptions.NotFittedError`, as estimators do.

    Parameters
    ----------
    penalizer:
        L2 penalty ``penalizer * sum(params**2)`` added to the *mean* negative log-likelihood
        (the same convention as the ``lifetimes`` package); 0 is plain maximum likelihood. A small
        value (0.001-0.1) stabilises fits on small or degenerate data at the cost of a bias.
    max_iter:
        Iterations of the L-BFGS-B optimiser.

    Fitted attributes
    -----------------
    params_: ``{"r", "alpha", "a", "b"}``; ``alpha`` is in the time unit of ``recency``/``T``.
    standard_errors_: asymptotic standard errors (inverse observed information, delta method
        from the log-parameterisation); NaN when the information matrix is singular.
    covariance_: the 4x4 covariance matrix of ``(r, alpha, a, b)``.
    log_likelihood_: total (unpenalised) log-likelihood at ``params_``.
    n_customers_: customers seen in ``fit``; ``n_iter_``: optimiser iterations.
    """

    def __init__(self, penalizer: float = 0.0, max_iter: int = 2000) -> None:
        self.penalizer = penalizer
        self.max_iter = max_iter

    @classmethod
    def from_params(cls, r: float, alpha: float, a: float, b: float) -> BetaGeoModel:
        """A model with known parameters (e.g. published ones), usable without fitting."""
        values = {"r": r, "alpha": alpha, "a": a, "b": b}
        bad = {k: v for k, v in values.items() if not (np.isfinite(v) and v > 0)}
        if bad:
            raise CLVError(f"BG/NBD parameters must be finite and > 0, got {bad}")
        model = cls()
        model.params_ = {k: float(v) for k, v in values.items()}
        return model

    def fit(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> Self:
        """Maximise the BG/NBD log-likelihood of customers ``(frequency, recency, T)``."""
        if not self.penalizer >= 0:
            raise CLVError(f"penalizer must be >= 0, got {self.penalizer!r}")
        x, tx, big_t = check_rft(frequency, recency, T)
        if x.size < 2 or not (x > 0).any():
            raise CLVError(
                f"BG/NBD needs at least 2 customers and one repeat purchase to be fitted (got "
                f"{x.size} customer(s), {int((x > 0).sum())} with a repeat purchase)"
            )
        if not (big_t > 0).any():
            raise CLVError("every customer has T = 0: nobody was observed after a first purchase")
        # Times are rescaled so that the longest T is 10: alpha is then of order 1, which keeps
        # the optimiser's start and steps sensible whatever the time unit.
        scale = 10.0 / float(big_t.max())
        data = _summary(x, tx * scale, big_t * scale, compress=True)
        start = np.log(np.array([1.0, 1.0, 1.0, 1.0]))
        outcome = maximise_log_likelihood(
            lambda lp: _negative_log_likelihood(lp, data),
            start,
            n_obs=x.size,
            penalizer=self.penalizer,
            max_iter=self.max_iter,
            model="BG/NBD",
        )
        self._store(outcome, scale, x)
        return self

    def _store(self, outcome: FitOutcome, scale: float, x: FloatArray) -> None:
        # alpha is a rate per time unit: in times multiplied by ``scale`` it is multiplied too.
        unscale = np.array([1.0, 1.0 / scale, 1.0, 1.0])
        cov = outcome.covariance * np.outer(unscale, unscale)
        values = np.exp(outcome.log_params) * unscale
        self.params_ = dict(zip(PARAM_NAMES, (float(v) for v in values), strict=True))
        self.covariance_ = cov
        self.standard_errors_ = dict(
            zip(PARAM_NAMES, (float(v) for v in np.sqrt(np.diag(cov))), strict=True)
        )
        # Each repeat purchase contributes a density in time, so the likelihood of times multiplied
        # by ``scale`` is scale^-x times the original one: add x log(scale) back.
        self.log_likelihood_ = outcome.log_likelihood + float(x.sum() * np.log(scale))
        self.n_customers_ = int(x.size)
        self.n_iter_ = outcome.n_iter

    def _unpack(self) -> tuple[float, float, float, float]:
        if not hasattr(self, "params_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit first")
        p = self.params_
        return p["r"], p["alpha"], p["a"], p["b"]

    def probability_alive(
        self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> FloatArray:
        """P(the customer is still active at T | x, t_x, T); 1 without repeat purchase."""
        r, alpha, a, b = self._unpack()
        x, tx, big_t = check_rft(frequency, recency, T)
        return _p_alive(r, alpha, a, b, x, tx, big_t)

    def expected_purchases(
        self, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> FloatArray:
        """E[number of repeat purchases in (T, T+t] | x, t_x, T] (equation 10)."""
        r, alpha, a, b = self._unpack()
        x, tx, big_t = check_rft(frequency, recency, T)
        horizon = _horizon(t)
        z = horizon / (alpha + big_t + horizon)
        out = _p_alive(r, alpha, a, b, x, tx, big_t) * _growth(r, a, b, x, z)
        return _checked(out, "expected_purchases")

    def expected_purchases_new(self, t: ArrayLike) -> FloatArray:
        """E[X(t)]: expected repeat purchases in the first ``t`` after a first purchase (eq. 9)."""
        r, alpha, a, b = self._unpack()
        horizon = _horizon(t)
        z = horizon / (alpha + horizon)
        return _checked(_growth(r, a, b, np.zeros_like(z), z), "expected_purchases_new")

    def probability_of_purchases(self, t: ArrayLike, n: ArrayLike) -> FloatArray:
        """P(X(t) = n): probability of exactly ``n`` repeat purchases in ``t`` (equation 8)."""
        r, alpha, a, b = self._unpack()
        horizon = _horizon(t)
        count = as_vector(n, "n")
        if (count < 0).any() or (count != np.round(count)).any():
            raise CLVError("n must be whole numbers >= 0")
        horizon, count = np.broadcast_arrays(horizon, count)
        q = alpha / (alpha + horizon)
        beta_ab = special.betaln(a, b)
        first = np.exp(special.betaln(a, b + count) - beta_ab) * stats.nbinom.pmf(count, r, q)
        tail = stats.nbinom.sf(count - 1.0, r, q)  # P(NB >= n): 1 - sum_{j<n} pmf(j)
        n1 = np.maximum(count, 1.0)
        second = np.exp(special.betaln(a + 1.0, b + n1 - 1.0) - beta_ab) * tail
        return np.asarray(first + np.where(count > 0, second, 0.0), dtype=np.float64)


_A_NEAR_ONE = 1e-6


def _growth(r: float, a: float, b: float, x: FloatArray, z: FloatArray) -> FloatArray:
    """``(a+b+x-1)/(a-1) * [1 - (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z)]``, the expected
    purchases of an active customer (equations 9 and 10 after Euler's transformation).

    At ``a = 1`` both factors are 0/0 (the limit is finite): within 1e-6 of 1, the value is
    interpolated between ``a = 1 -+ 1e-6``, where the cancellation costs about 1e-10.
    """
    if abs(a - 1.0) < _A_NEAR_ONE:
        lo, hi = 1.0 - _A_NEAR_ONE, 1.0 + _A_NEAR_ONE
        weight = (a - lo) / (hi - lo)
        return (1.0 - weight) * _growth_at(r, lo, b, x, z) + weight * _growth_at(r, hi, b, x, z)
    return _growth_at(r, a, b, x, z)


def _growth_at(r: float, a: float, b: float, x: FloatArray, z: FloatArray) -> FloatArray:
    h = special.hyp2f1(a + b - 1.0 - r, a - 1.0, a + b + x - 1.0, z)
    return np.asarray(
        (a + b + x - 1.0) / (a - 1.0) * (1.0 - np.power(1.0 - z, a - 1.0) * h), dtype=np.float64
    )


def _horizon(t: ArrayLike) -> FloatArray:
    horizon = as_vector(t, "t")
    if (horizon < 0).any():
        raise CLVError("the horizon t must be >= 0")
    return horizon


def _p_alive(
    r: float, alpha: float, a: float, b: float, x: FloatArray, tx: FloatArray, big_t: FloatArray
) -> FloatArray:
    x1 = np.maximum(x, 1.0)
    log_odds_dead = np.log(a / (b + x1 - 1.0)) + (r + x) * (
        np.log(alpha + big_t) - np.log(alpha + tx)
    )
    return np.where(x > 0, special.expit(-log_odds_dead), 1.0)


def _checked(values: FloatArray, what: str) -> FloatArray:
    if not np.isfinite(values).all():
        raise CLVError(
            f"{what}: the hypergeometric function overflowed for "
            f"{int((~np.isfinite(values)).sum())} customer(s); shorten the horizon or refit"
        )
    return np.asarray(values, dtype=np.float64)
