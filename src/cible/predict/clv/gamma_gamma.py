"""The Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005, "RFM and CLV: Using
Iso-Value Curves for Customer Base Analysis", JMR 42; Fader & Hardie 2013, note 025 "The
Gamma-Gamma Model of Monetary Value").

Story: each transaction of a customer is worth ``z ~ Gamma(p, rate nu)``; across customers
``nu ~ Gamma(q, rate v)``. The mean ``m_x`` of a customer's ``x`` repeat transactions then has the
marginal density (note 025, equation 3; ``G`` is the gamma function)::

    f(m_x | p, q, v, x) = G(p x + q) / (G(p x) G(q)) * v^q m_x^(p x - 1) x^(p x)
                          / (v + m_x x)^(p x + q)

and the expected spend per transaction given ``(x, m_x)`` (equation 5) is the credibility-weighted
mix of the population mean and the customer's own mean::

    E(M | x, m_x) = (q - 1)/(p x + q - 1) * p v/(q - 1) + p x/(p x + q - 1) * m_x

A customer without repeat purchase (``x = 0``) gets the population mean ``p v / (q - 1)``: the
formula at ``x = 0`` gives exactly that, whatever ``m_x``. The mean exists only when ``q > 1``.

The model assumes that spend per transaction is independent of the purchase frequency; the fit
reports the Pearson correlation between ``frequency`` and ``monetary_value`` over the customers it
used so that the assumption can be checked (``lifetimes`` and the note suggest the same check).
"""

from __future__ import annotations

from typing import Self

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special, stats
from sklearn.exceptions import NotFittedError

from cible.exceptions import CLVError
from cible.predict.clv._inputs import FloatArray, check_monetary
from cible.predict.clv._optim import maximise_log_likelihood

PARAM_NAMES: tuple[str, ...] = ("p", "q", "v")
IntArray = NDArray[np.intp]
# |correlation| above which the independence of frequency and spend is reported as doubtful.
INDEPENDENCE_WARNING = 0.3


def gamma_gamma_log_likelihood(
    params: ArrayLike, frequency: ArrayLike, monetary_value: ArrayLike
) -> FloatArray:
    """Log-density of each ``monetary_value`` (mean of ``frequency > 0`` transactions)."""
    p, q, v = (float(val) for val in np.asarray(params, dtype=np.float64))
    x, m = check_monetary(frequency, monetary_value)
    if (x <= 0).any() or (m <= 0).any():
        raise CLVError("the Gamma-Gamma likelihood needs frequency > 0 and monetary_value > 0")
    return _log_density(p, q, v, x, m)


def _log_density(p: float, q: float, v: float, x: FloatArray, m: FloatArray) -> FloatArray:
    xs, inv = np.unique(x, return_inverse=True)
    return _log_density_by_x(p, q, v, x, m, xs, inv)


def _log_density_by_x(
    p: float, q: float, v: float, x: FloatArray, m: FloatArray, xs: FloatArray, inv: IntArray
) -> FloatArray:
    """Equation 3 of note 025; its gamma functions depend on ``x`` alone: evaluated once per
    distinct ``x`` (``xs``) and gathered with ``inv``."""
    pxs = p * xs
    lg = special.gammaln(pxs + q) - special.gammaln(pxs) - special.gammaln(q)
    px = p * x
    return (
        lg[inv]
        + q * np.log(v)
        + (px - 1.0) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(v + m * x)
    )


def _negative_log_likelihood(
    log_params: FloatArray, x: FloatArray, m: FloatArray, xs: FloatArray, inv: IntArray
) -> tuple[float, FloatArray]:
    """Total negative log-likelihood and its gradient in log-parameters (``xs, inv``: the
    distinct frequencies and the gather index, ``np.unique(x, return_inverse=True)``)."""
    p, q, v = np.exp(log_params)
    ll = _log_density_by_x(p, q, v, x, m, xs, inv)
    dg = special.digamma
    psi_sum = dg(p * xs + q)
    log_vmx = np.log(v + m * x)
    d_p = x * ((psi_sum - dg(p * xs))[inv] + np.log(m) + np.log(x) - log_vmx)
    d_q = (psi_sum - dg(q))[inv] + np.log(v) - log_vmx
    d_v = q / v - (p * x + q) / (v + m * x)
    grad = np.array([d_p.sum(), d_q.sum(), d_v.sum()]) * np.array([p, q, v])
    return -float(ll.sum()), -grad


class GammaGammaModel:
    """Gamma-Gamma spend model fitted by maximum likelihood on repeat customers.

    Not a scikit-learn estimator: it is fitted on per-customer summaries (``fit(frequency,
    monetary_value)``, as in ``lifetimes``), not on a feature matrix, so scikit-learn's estimator
    checks (random real matrices) do not apply. Methods used before ``fit`` raise
    :class:`~sklearn.exceptions.NotFittedError`, as estimators do.

    ``fit`` keeps the customers with ``frequency > 0`` and ``monetary_value > 0`` (the others carry
    no information on spend per repeat transaction) and needs at least 2 of them.

    Parameters
    ----------
    penalizer:
        L2 penalty on ``(p, q, v)`` added to the mean negative log-likelihood (0: none).
    max_iter:
        Iterations of the L-BFGS-B optimiser.

    Fitted attributes
    -----------------
    params_: ``{"p", "q", "v"}`` (``v`` in money units).
    standard_errors_, covariance_, log_likelihood_, n_customers_ (customers used), n_iter_.
    frequency_monetary_correlation_: Pearson correlation of ``frequency`` and ``monetary_value``
        over the customers used; ``independence_pvalue_`` its two-sided p-value.
    independence_doubtful_: ``abs(correlation) > 0.3`` (the model's assumption is then doubtful).
    """

    def __init__(self, penalizer: float = 0.0, max_iter: int = 2000) -> None:
        self.penalizer = penalizer
        self.max_iter = max_iter

    @classmethod
    def from_params(cls, p: float, q: float, v: float) -> GammaGammaModel:
        """A model with known parameters (e.g. published ones), usable without fitting."""
        values = {"p": p, "q": q, "v": v}
        bad = {k: val for k, val in values.items() if not (np.isfinite(val) and val > 0)}
        if bad:
            raise CLVError(f"Gamma-Gamma parameters must be finite and > 0, got {bad}")
        model = cls()
        model.params_ = {k: float(val) for k, val in values.items()}
        return model

    def fit(self, frequency: ArrayLike, monetary_value: ArrayLike) -> Self:
        """Maximise the likelihood of the repeat customers' mean spend."""
        if not self.penalizer >= 0:
            raise CLVError(f"penalizer must be >= 0, got {self.penalizer!r}")
        x, m = check_monetary(frequency, monetary_value)
        used = (x > 0) & (m > 0)
        if used.sum() < 2:
            raise CLVError(
                "the Gamma-Gamma model needs at least 2 customers with a repeat purchase of "
                f"positive value (got {int(used.sum())} of {x.size})"
            )
        x, m = x[used], m[used]
        # Money is rescaled so that the mean spend is 1; v scales back like money.
        scale = 1.0 / float(m.mean())
        xs, inv = np.unique(x, return_inverse=True)
        scaled = m * scale
        outcome = maximise_log_likelihood(
            lambda lp: _negative_log_likelihood(lp, x, scaled, xs, inv),
            np.zeros(3),
            n_obs=x.size,
            penalizer=self.penalizer,
            max_iter=self.max_iter,
            model="Gamma-Gamma",
        )
        unscale = np.array([1.0, 1.0, 1.0 / scale])
        values = np.exp(outcome.log_params) * unscale
        cov = outcome.covariance * np.outer(unscale, unscale)
        self.params_ = dict(zip(PARAM_NAMES, (float(val) for val in values), strict=True))
        self.covariance_ = cov
        self.standard_errors_ = dict(
            zip(PARAM_NAMES, (float(s) for s in np.sqrt(np.diag(cov))), strict=True)
        )
        # A density of money: multiplying money by ``scale`` divides each density by ``scale``.
        self.log_likelihood_ = outcome.log_likelihood + x.size * float(np.log(scale))
        self.n_customers_ = int(x.size)
        self.n_iter_ = outcome.n_iter
        self._store_independence(x, m)
        return self

    def _store_independence(self, x: FloatArray, m: FloatArray) -> None:
        if x.size > 2 and np.ptp(x) > 0 and np.ptp(m) > 0:
            corr, pvalue = stats.pearsonr(x, m)
            self.frequency_monetary_correlation_ = float(corr)
            self.independence_pvalue_ = float(pvalue)
        else:  # a constant column has no correlation
            self.frequency_monetary_correlation_ = float("nan")
            self.independence_pvalue_ = float("nan")
        self.independence_doubtful_ = bool(
            abs(self.frequency_monetary_correlation_) > INDEPENDENCE_WARNING
        )

    @property
    def population_mean(self) -> float:
        """``p v / (q - 1)``: the expected spend per transaction of a new customer."""
        p, q, v = self._unpack()
        if q <= 1:
            raise CLVError(
                f"q = {q:.4g} <= 1: the Gamma-Gamma mean spend is infinite; refit with a penalizer "
                "or check the monetary values (outliers, non-positive amounts)"
            )
        return p * v / (q - 1.0)

    def _unpack(self) -> tuple[float, float, float]:
        if not hasattr(self, "params_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit first")
        return self.params_["p"], self.params_["q"], self.params_["v"]

    def expected_average_value(self, frequency: ArrayLike, monetary_value: ArrayLike) -> FloatArray:
        """E(spend per transaction | x, m_x) (equation 5); the population mean when ``x = 0``."""
        p, q, _ = self._unpack()
        mean = self.population_mean
        x, m = check_monetary(frequency, monetary_value)
        m = np.where(x > 0, m, 0.0)  # without repeat purchase, m_x carries no weight
        weight = p * x / (p * x + q - 1.0)
        return np.asarray((1.0 - weight) * mean + weight * m, dtype=np.float64)
