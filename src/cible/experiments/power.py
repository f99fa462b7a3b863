"""Power and sample size of a conversion test and of a mean (revenue) test, from statsmodels.

Proportions use Cohen's effect size ``h = 2 asin(sqrt(p_t)) - 2 asin(sqrt(p_c))``
(``proportion_effectsize``) with the normal power of ``NormalIndPower``; for equal arms and a
two-sided test ``n = 2 ((z_{1-α/2} + z_{1-β}) / h)²`` per arm (the arcsine transform has variance ``1 / n`` per arm). Means use Cohen's ``d = δ / σ`` with
``TTestIndPower``. Sample sizes are rounded up to whole units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from statsmodels.stats.power import NormalIndPower, TTestIndPower
from statsmodels.stats.proportion import proportion_effectsize

from cible.exceptions import ExperimentError
from cible.experiments import DEFAULT_ALPHA
from cible.experiments._result import plain


@dataclass(frozen=True)
class PowerPlan:
    metric: str
    effect_size: float
    alpha: float
    power: float
    ratio: float
    n_control: int
    n_treatment: int

    def to_dict(self) -> dict[str, Any]:
        return {"test": "power analysis (statsmodels.stats.power)", **plain(self)}


def _checked(alpha: float, power: float, ratio: float) -> None:
    if not 0 < alpha < 1 or not 0 < power < 1 or not ratio > 0:
        raise ExperimentError(
            f"alpha and power must be in (0, 1) and ratio > 0, got {alpha}, {power}, {ratio}"
        )


def sample_size_proportions(
    baseline: float,
    expected: float,
    *,
    alpha: float = DEFAULT_ALPHA,
    power: float = 0.8,
    ratio: float = 1.0,
) -> PowerPlan:
    """Units per arm to detect a move of the rate from ``baseline`` to ``expected``;
    ``ratio`` = treatment units per control unit."""
    _checked(alpha, power, ratio)
    if not (0 < baseline < 1 and 0 < expected < 1) or baseline == expected:
        raise ExperimentError(
            f"rates must be in (0, 1) and differ, got baseline {baseline}, expected {expected}"
        )
    h = float(proportion_effectsize(expected, baseline))
    n = NormalIndPower().solve_power(abs(h), alpha=alpha, power=power, ratio=ratio)
    n_c = math.ceil(float(n))
    return PowerPlan("proportion", h, alpha, power, ratio, n_c, math.ceil(n_c * ratio))


def power_proportions(
    baseline: float,
    expected: float,
    n_control: int,
    *,
    alpha: float = DEFAULT_ALPHA,
    ratio: float = 1.0,
) -> float:
    """The power of the two-sided z-test with ``n_control`` units (and ``ratio`` x as many
    treated) when the true rates are ``baseline`` and ``expected``."""
    _checked(alpha, 0.5, ratio)
    h = float(proportion_effectsize(expected, baseline))
    return float(NormalIndPower().power(abs(h), nobs1=n_control, alpha=alpha, ratio=ratio))


def sample_size_means(
    difference: float,
    std: float,
    *,
    alpha: float = DEFAULT_ALPHA,
    power: float = 0.8,
    ratio: float = 1.0,
) -> PowerPlan:
    """Units per arm for Welch/Student's test to detect ``difference`` with standard deviation
    ``std`` (Cohen's ``d = difference / std``)."""
    _checked(alpha, power, ratio)
    if not std > 0 or difference == 0:
        raise ExperimentError(f"need std > 0 and a non-zero difference, got {std}, {difference}")
    d = abs(difference) / std
    n = TTestIndPower().solve_power(d, alpha=alpha, power=power, ratio=ratio)
    n_c = math.ceil(float(n))
    return PowerPlan("mean", d, alpha, power, ratio, n_c, math.ceil(n_c * ratio))
