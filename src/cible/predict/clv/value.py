"""Discounted customer lifetime value over a horizon, from a BG/NBD and a Gamma-Gamma model.

For a customer with history ``(x, t_x, T, m_x)``, the horizon of ``H`` days is cut into steps of
one month (``365.25 / 12`` days; the last one may be shorter) ending at ``t_1 < ... < t_n = H``.
The value is::

    CLV = E(M | x, m_x) * sum_k [E[Y(t_k) | x, t_x, T] - E[Y(t_(k-1)) | x, t_x, T]]
                             * (1 + d) ** -(t_k / 365.25)

with ``E[Y(t) | ...]`` the BG/NBD conditional expectation of repeat purchases in ``(T, T + t]``,
``E(M | ...)`` the Gamma-Gamma expected spend per transaction and ``d`` the annual discount rate:
each month's expected purchases are discounted from the end of that month (the convention of
Fader, Hardie & Lee 2005, "RFM and CLV", with monthly steps as in the ``lifetimes`` package, but an
annual rate compounded over exact fractions of a year). With ``d = 0`` the value is simply expected
purchases over the horizon times expected spend. Spend and purchases are taken as independent,
which is the Gamma-Gamma assumption (checked by the fit's correlation). The value is revenue: apply
a margin downstream to get profit.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from cible.exceptions import CLVError
from cible.predict.clv._inputs import FloatArray, check_monetary, check_rft
from cible.predict.clv.bgnbd import BetaGeoModel
from cible.predict.clv.gamma_gamma import GammaGammaModel
from cible.predict.clv.rfm import TimeUnit, check_time_unit

DAYS_PER_YEAR = 365.25
STEP_DAYS = DAYS_PER_YEAR / 12.0


def horizon_steps(horizon_days: float) -> FloatArray:
    """Ends of the monthly discounting steps, in days: ``STEP_DAYS, 2 * STEP_DAYS, ..., horizon``."""
    if not (math.isfinite(horizon_days) and horizon_days > 0):
        raise CLVError(f"horizon_days must be a number > 0, got {horizon_days!r}")
    n = math.ceil(horizon_days / STEP_DAYS - 1e-9)
    return np.minimum(np.arange(1, n + 1) * STEP_DAYS, float(horizon_days))


def customer_lifetime_value(
    bg: BetaGeoModel,
    gg: GammaGammaModel,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    monetary_value: ArrayLike,
    *,
    horizon_days: float = 365.0,
    discount_rate_annual: float = 0.10,
    time_unit: TimeUnit = "D",
) -> FloatArray:
    """Discounted expected revenue of each customer over ``horizon_days`` (module docstring).

    ``frequency``, ``recency`` and ``T`` are in ``time_unit``, the unit ``bg`` was fitted in. A
    negative ``monetary_value`` (refund-heavy repeat purchases) counts as 0.
    """
    if not (math.isfinite(discount_rate_annual) and discount_rate_annual > -1.0):
        raise CLVError(f"discount_rate_annual must be > -1, got {discount_rate_annual!r}")
    unit_days = check_time_unit(time_unit)
    x, tx, big_t = check_rft(frequency, recency, T)
    x_m, m = check_monetary(frequency, monetary_value)
    if m.size != x.size:
        raise CLVError(f"monetary_value has {m.size} values for {x.size} customers")
    spend = gg.expected_average_value(x_m, np.maximum(m, 0.0))
    ends = horizon_steps(horizon_days)
    cumulative = np.vstack(
        [np.zeros_like(x)] + [bg.expected_purchases(end / unit_days, x, tx, big_t) for end in ends]
    )
    discount = (1.0 + discount_rate_annual) ** -(ends / DAYS_PER_YEAR)
    purchases = (discount[:, None] * np.diff(cumulative, axis=0)).sum(axis=0)
    return np.asarray(purchases * spend, dtype=np.float64)
