"""CLV over the warehouse: summarise purchases, fit BG/NBD and Gamma-Gamma, value every customer.

:func:`fit_clv` returns the whole :class:`~cible.predict.clv.clv_result.CLVResult` (for the report);
:func:`score_clv` only the per-customer frame the ``cible predict`` command joins to its scores.
Customers who never bought before ``as_of`` have no row: the models describe customers after a
first purchase.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from cible.config.predict import CLVConfig
from cible.predict.clv.bgnbd import BetaGeoModel
from cible.predict.clv.clv_result import CLVResult, ModelFit
from cible.predict.clv.diagnostics import frequency_fit, holdout_fit
from cible.predict.clv.gamma_gamma import GammaGammaModel
from cible.predict.clv.rfm import UNIT_DAYS, clv_summary, holdout_purchases
from cible.predict.clv.value import customer_lifetime_value
from cible.warehouse.base import WarehouseReader


def _fit(model: BetaGeoModel | GammaGammaModel, name: str) -> ModelFit:
    return ModelFit(
        name=name,
        params=dict(model.params_),
        standard_errors=dict(model.standard_errors_),
        log_likelihood=float(model.log_likelihood_),
        n_customers=int(model.n_customers_),
    )


def fit_clv(warehouse: WarehouseReader, as_of: date, config: CLVConfig | None = None) -> CLVResult:
    """Fit both models on the purchases before ``as_of`` and value every purchaser."""
    cfg = config or CLVConfig()
    summary = clv_summary(warehouse, as_of, cfg.time_unit)
    x, tx, big_t, m = (summary[c] for c in ("frequency", "recency", "T", "monetary_value"))
    bg = BetaGeoModel(penalizer=cfg.penalizer).fit(x, tx, big_t)
    gg = GammaGammaModel(penalizer=cfg.penalizer).fit(x, m)
    horizon = cfg.horizon_days / UNIT_DAYS[cfg.time_unit]
    customers = summary.assign(
        p_alive=bg.probability_alive(x, tx, big_t),
        expected_purchases=bg.expected_purchases(horizon, x, tx, big_t),
        expected_avg_value=gg.expected_average_value(x, np.maximum(m, 0.0)),
        clv=customer_lifetime_value(
            bg,
            gg,
            x,
            tx,
            big_t,
            m,
            horizon_days=cfg.horizon_days,
            discount_rate_annual=cfg.discount_rate_annual,
            time_unit=cfg.time_unit,
        ),
    )
    return CLVResult(
        as_of=as_of,
        time_unit=cfg.time_unit,
        horizon_days=float(cfg.horizon_days),
        discount_rate_annual=cfg.discount_rate_annual,
        bgnbd=_fit(bg, "BG/NBD"),
        gamma_gamma=_fit(gg, "Gamma-Gamma"),
        frequency_monetary_correlation=gg.frequency_monetary_correlation_,
        independence_doubtful=gg.independence_doubtful_,
        customers=customers,
        frequency_fit=frequency_fit(bg, x, big_t, cfg.max_frequency),
        holdout_fit=_holdout(warehouse, as_of, cfg),
        holdout_days=cfg.holdout_days,
        warnings=fit_warnings(bg, gg),
    )


def fit_warnings(bg: BetaGeoModel, gg: GammaGammaModel) -> tuple[str, ...]:
    """Plain-language notes on fits whose numbers deserve caution."""
    notes: list[str] = []
    for model, name in ((bg, "BG/NBD"), (gg, "Gamma-Gamma")):
        vague = [
            k
            for k, v in model.params_.items()
            if not (model.standard_errors_[k] < v)  # NaN (flat likelihood) counts as vague
        ]
        if vague:
            notes.append(
                f"{name}: parameter(s) {', '.join(vague)} poorly determined (standard error "
                "undefined or larger than the value)"
                + (
                    ": the data say little about drop-out, P(alive) is near 1 for most customers"
                    if name == "BG/NBD" and {"a", "b"} & set(vague)
                    else ""
                )
            )
    if gg.independence_doubtful_:
        notes.append(
            f"Gamma-Gamma: spend per purchase correlates with frequency "
            f"(r = {gg.frequency_monetary_correlation_:.2f}): the model assumes independence, "
            "so expected values may be biased"
        )
    return tuple(notes)


def _holdout(warehouse: WarehouseReader, as_of: date, cfg: CLVConfig) -> pd.DataFrame | None:
    """Fit on the history before ``as_of - holdout_days``; compare with the holdout purchases."""
    if cfg.holdout_days is None:
        return None
    calibration_as_of = as_of - timedelta(days=cfg.holdout_days)
    calibration = clv_summary(warehouse, calibration_as_of, cfg.time_unit)
    bg = BetaGeoModel(penalizer=cfg.penalizer).fit(
        calibration["frequency"], calibration["recency"], calibration["T"]
    )
    actual = holdout_purchases(warehouse, calibration_as_of, as_of, cfg.time_unit)
    length = cfg.holdout_days / UNIT_DAYS[cfg.time_unit]
    return holdout_fit(bg, calibration, actual, length, cfg.max_frequency)


def score_clv(
    warehouse: WarehouseReader, as_of: date, config: CLVConfig | None = None
) -> pd.DataFrame:
    """Columns ``customer_id, p_alive, expected_purchases, expected_avg_value, clv``: one row per
    customer with a purchase before ``as_of`` (see :func:`fit_clv`)."""
    return fit_clv(warehouse, as_of, config).scores()
