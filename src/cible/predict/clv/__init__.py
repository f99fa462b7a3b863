"""Customer lifetime value: BG/NBD purchase frequency, Gamma-Gamma spend, discounted value.

Typical use over the warehouse::

    from cible.predict.clv import CLVConfig, fit_clv
    result = fit_clv(warehouse, as_of, CLVConfig(horizon_days=365))
    result.scores()  # customer_id, p_alive, expected_purchases, expected_avg_value, clv

or on any transaction log::

    summary = rfm_summary(log, "customer_id", "timestamp", "amount", observation_end=day)
    bg = BetaGeoModel().fit(summary["frequency"], summary["recency"], summary["T"])
    gg = GammaGammaModel().fit(summary["frequency"], summary["monetary_value"])

See docs/clv.md for the formulas and the parameter-recovery check.
"""

from cible.predict.clv.bgnbd import BetaGeoModel, bgnbd_log_likelihood
from cible.predict.clv.clv_fit import CLVConfig, fit_clv, score_clv
from cible.predict.clv.clv_result import CLVResult, ModelFit
from cible.predict.clv.diagnostics import frequency_fit, holdout_fit
from cible.predict.clv.gamma_gamma import GammaGammaModel, gamma_gamma_log_likelihood
from cible.predict.clv.rfm import clv_summary, holdout_purchases, rfm_summary
from cible.predict.clv.simulate import (
    CDNOW_BGNBD,
    CDNOW_GAMMA_GAMMA,
    SimulatedLog,
    simulate_transactions,
)
from cible.predict.clv.value import customer_lifetime_value

__all__ = [
    "CDNOW_BGNBD",
    "CDNOW_GAMMA_GAMMA",
    "BetaGeoModel",
    "CLVConfig",
    "CLVResult",
    "GammaGammaModel",
    "ModelFit",
    "SimulatedLog",
    "bgnbd_log_likelihood",
    "clv_summary",
    "customer_lifetime_value",
    "fit_clv",
    "frequency_fit",
    "gamma_gamma_log_likelihood",
    "holdout_fit",
    "holdout_purchases",
    "rfm_summary",
    "score_clv",
    "simulate_transactions",
]
