"""Typed result of a CLV run: fitted models, fit checks and per-customer values; JSON-ready."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

SCORE_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "p_alive",
    "expected_purchases",
    "expected_avg_value",
    "clv",
)


def _num(value: float) -> float | None:
    """A float for JSON: NaN and infinities become None."""
    return float(value) if math.isfinite(value) else None


@dataclass(frozen=True)
class ModelFit:
    """One fitted model: its parameters, their standard errors and the fit's size."""

    name: str
    params: dict[str, float]
    standard_errors: dict[str, float]
    log_likelihood: float
    n_customers: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "params": {k: _num(v) for k, v in self.params.items()},
            "standard_errors": {k: _num(v) for k, v in self.standard_errors.items()},
            "log_likelihood": _num(self.log_likelihood),
            "n_customers": self.n_customers,
        }


UNIT_DAYS: dict[str, float] = {"h": 1.0 / 24.0, "D": 1.0, "W": 7.0}


def bgnbd_params_per(params: dict[str, float], time_unit: str, days: float) -> dict[str, float]:
    """BG/NBD parameters fitted in ``time_unit`` expressed per period of ``days`` days.

    ``r``, ``a`` and ``b`` have no unit; ``alpha`` is the scale of the purchase rate, so it grows
    with the period's length: ``alpha`` per week = ``alpha`` per day / 7."""
    factor = UNIT_DAYS[time_unit] / days
    return {k: v * factor if k == "alpha" else v for k, v in params.items()}


@dataclass(frozen=True)
class CLVResult:
    """Outcome of :func:`cible.predict.clv.fit_clv`.

    ``customers`` is indexed by ``customer_id`` (every customer with a purchase before ``as_of``)
    with the summary (``frequency``, ``recency``, ``T`` in ``time_unit``, ``monetary_value``) and
    the predictions ``p_alive``, ``expected_purchases`` (over the horizon), ``expected_avg_value``
    (Gamma-Gamma spend per purchase) and ``clv`` (discounted value over the horizon).
    ``frequency_fit`` and ``holdout_fit`` are the fit checks of :mod:`.diagnostics`
    (``holdout_fit`` is None unless a holdout was asked for). ``warnings`` are plain-language
    notes for the report: poorly determined parameters, doubtful spend independence.
    """

    as_of: date
    time_unit: str
    horizon_days: float
    discount_rate_annual: float
    bgnbd: ModelFit
    gamma_gamma: ModelFit
    frequency_monetary_correlation: float
    independence_doubtful: bool
    customers: pd.DataFrame
    frequency_fit: pd.DataFrame
    holdout_fit: pd.DataFrame | None = None
    holdout_days: int | None = None
    warnings: tuple[str, ...] = ()

    def scores(self) -> pd.DataFrame:
        """Columns ``customer_id, p_alive, expected_purchases, expected_avg_value, clv``."""
        return self.customers.reset_index()[list(SCORE_COLUMNS)]

    def bgnbd_per(self, days: float) -> dict[str, float]:
        """The BG/NBD parameters per period of ``days`` days (1: per day, 7: per week)."""
        return bgnbd_params_per(self.bgnbd.params, self.time_unit, days)

    def totals(self) -> dict[str, float]:
        c = self.customers
        return {
            "customers": float(len(c)),
            "expected_purchases": float(c["expected_purchases"].sum()),
            "clv": float(c["clv"].sum()),
            "mean_clv": float(c["clv"].mean()),
            "mean_p_alive": float(c["p_alive"].mean()),
        }

    def to_dict(self, include_customers: bool = False) -> dict[str, Any]:
        """JSON-ready dict; per-customer rows only with ``include_customers``."""
        out: dict[str, Any] = {
            "as_of": self.as_of.isoformat(),
            "time_unit": self.time_unit,
            "horizon_days": self.horizon_days,
            "discount_rate_annual": self.discount_rate_annual,
            "bgnbd": self.bgnbd.to_dict(),
            "bgnbd_per_day": {k: _num(v) for k, v in self.bgnbd_per(1.0).items()},
            "bgnbd_per_week": {k: _num(v) for k, v in self.bgnbd_per(7.0).items()},
            "gamma_gamma": self.gamma_gamma.to_dict(),
            "frequency_monetary_correlation": _num(self.frequency_monetary_correlation),
            "independence_doubtful": self.independence_doubtful,
            "totals": self.totals(),
            "frequency_fit": self.frequency_fit.to_dict(orient="records"),
            "holdout_days": self.holdout_days,
            "holdout_fit": (
                None if self.holdout_fit is None else self.holdout_fit.to_dict(orient="records")
            ),
            "warnings": list(self.warnings),
        }
        if include_customers:
            out["customers"] = self.scores().to_dict(orient="records")
        return out
