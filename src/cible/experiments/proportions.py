"""Two-proportion z-test of a conversion rate, treatment against control.

``z = (p_t - p_c) / sqrt(p (1 - p) (1/n_t + 1/n_c))`` with the pooled rate ``p = (x_t + x_c) /
(n_t + n_c)`` (statsmodels ``proportions_ztest``); the confidence interval of ``p_t - p_c`` is
the unpooled Wald interval (statsmodels ``confint_proportions_2indep(method="wald")``).

When the pooled rate is 0 or 1 (no conversion in either arm, or all converted) the two arms are
identical samples: ``z = 0``, ``p = 1`` and the interval is ``[0, 0]`` (statsmodels would divide
zero by zero).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from cible.exceptions import ExperimentError
from cible.experiments import DEFAULT_ALPHA, rejects
from cible.experiments._result import plain

Alternative = Literal["two-sided", "larger", "smaller"]
_SM_ALTERNATIVE = {"two-sided": "two-sided", "larger": "larger", "smaller": "smaller"}


@dataclass(frozen=True)
class ProportionTest:
    """Treatment vs control: rates, difference (treatment minus control), z, p, interval."""

    conversions_control: int
    n_control: int
    conversions_treatment: int
    n_treatment: int
    rate_control: float
    rate_treatment: float
    difference: float
    relative_lift: float
    z: float
    p_value: float
    ci_low: float
    ci_high: float
    alpha: float
    alternative: str
    significant: bool

    def to_dict(self) -> dict[str, Any]:
        return {"test": "two-proportion z-test (pooled)", **plain(self)}


def _check(x: int, n: int, arm: str) -> None:
    if n <= 0 or x < 0 or x > n:
        raise ExperimentError(
            f"{arm}: {x:,} conversions out of {n:,} units; need n > 0 and 0 <= conversions <= n"
        )


def two_proportion_ztest(
    conversions_control: int,
    n_control: int,
    conversions_treatment: int,
    n_treatment: int,
    *,
    alpha: float = DEFAULT_ALPHA,
    alternative: Alternative = "two-sided",
) -> ProportionTest:
    """The z-test of ``rate_treatment - rate_control``; ``larger`` tests treatment > control."""
    _check(conversions_control, n_control, "control")
    _check(conversions_treatment, n_treatment, "treatment")
    pc, pt = conversions_control / n_control, conversions_treatment / n_treatment
    pooled = (conversions_control + conversions_treatment) / (n_control + n_treatment)
    if pooled in (0.0, 1.0):
        z, p, low, high = 0.0, 1.0, 0.0, 0.0
    else:
        zs, ps = proportions_ztest(
            [conversions_treatment, conversions_control],
            [n_treatment, n_control],
            alternative=_SM_ALTERNATIVE[alternative],
        )
        z, p = float(zs), float(ps)
        low, high = confint_proportions_2indep(
            conversions_treatment,
            n_treatment,
            conversions_control,
            n_control,
            method="wald",
            compare="diff",
            alpha=alpha,
        )
    return ProportionTest(
        conversions_control=int(conversions_control),
        n_control=int(n_control),
        conversions_treatment=int(conversions_treatment),
        n_treatment=int(n_treatment),
        rate_control=pc,
        rate_treatment=pt,
        difference=pt - pc,
        relative_lift=(pt - pc) / pc if pc > 0 else math.nan,
        z=z,
        p_value=p,
        ci_low=float(low),
        ci_high=float(high),
        alpha=alpha,
        alternative=alternative,
        significant=rejects(p, alpha),
    )
