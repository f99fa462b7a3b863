"""Sequential testing that is safe to peek at: the mixture sequential probability ratio test
(mSPRT; Johari, Pekelis & Walsh, "Always valid inference", 2017) on the difference of two means
or rates, with its always-valid p-value and confidence sequence.

At each look the estimate ``Δ = mean_t - mean_c`` has variance ``s² = v_t / n_t + v_c / n_c``
(plug-in variances). With a normal mixture ``N(0, τ²)`` over the effect under the alternative::

    Λ = sqrt(s² / (s² + τ²)) · exp( τ² Δ² / (2 s² (s² + τ²)) )

The always-valid p-value is the running minimum of ``min(1, 1 / Λ)``; rejecting the first time
it is ``<= α`` keeps the type-I error at ``α`` however often one looks (Ville's inequality). The
matching confidence sequence is ``Δ ± sqrt( s² (s² + τ²) / τ² · (ln((s² + τ²) / s²) + 2 ln(1/α)) )``;
it is valid at every look at once, hence wider than the fixed-horizon interval. ``τ`` is the
scale of effects expected (default: 0.01, one point of conversion rate).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cible.exceptions import ExperimentError
from cible.experiments import DEFAULT_ALPHA, rejects
from cible.experiments._result import plain

DEFAULT_TAU = 0.01


@dataclass(frozen=True)
class SequentialLook:
    n_control: int
    n_treatment: int
    difference: float
    likelihood_ratio: float
    p_value: float
    cs_low: float
    cs_high: float
    rejected: bool


@dataclass(frozen=True)
class SequentialTest:
    tau: float
    alpha: float
    looks: tuple[SequentialLook, ...]
    first_rejection: int | None

    def to_dict(self) -> dict[str, Any]:
        return {"test": "mSPRT, normal mixture (always-valid p-value)", **plain(self)}


def msprt_statistic(difference: float, variance: float, tau: float) -> float:
    """``Λ`` of one look; ``variance`` is ``s²`` of the difference."""
    if not variance > 0:
        return 1.0
    t2 = tau * tau
    log_l = 0.5 * math.log(variance / (variance + t2)) + t2 * difference**2 / (
        2 * variance * (variance + t2)
    )
    return math.exp(min(log_l, 700.0))


def confidence_half_width(variance: float, tau: float, alpha: float) -> float:
    """Half-width of the always-valid confidence sequence at one look."""
    if not variance > 0:
        return 0.0
    t2 = tau * tau
    return math.sqrt(
        variance
        * (variance + t2)
        / t2
        * (math.log((variance + t2) / variance) + 2 * math.log(1 / alpha))
    )


def msprt_proportions(
    conversions_control: Sequence[int],
    n_control: Sequence[int],
    conversions_treatment: Sequence[int],
    n_treatment: Sequence[int],
    *,
    tau: float = DEFAULT_TAU,
    alpha: float = DEFAULT_ALPHA,
) -> SequentialTest:
    """The mSPRT at each look, from cumulative counts per arm (one entry per look)."""
    arrays = [
        np.asarray(a, dtype=np.float64)
        for a in (conversions_control, n_control, conversions_treatment, n_treatment)
    ]
    if len({a.size for a in arrays}) != 1 or arrays[0].size == 0:
        raise ExperimentError("mSPRT: give the same number (>= 1) of cumulative counts per look")
    if not tau > 0 or not 0 < alpha < 1:
        raise ExperimentError(f"mSPRT: need tau > 0 and alpha in (0, 1), got {tau}, {alpha}")
    xc, nc, xt, nt = arrays
    if (nc <= 0).any() or (nt <= 0).any() or (xc > nc).any() or (xt > nt).any():
        raise ExperimentError("mSPRT: every look needs n > 0 and conversions <= n in both arms")
    looks: list[SequentialLook] = []
    p_running, first = 1.0, None
    for k in range(xc.size):
        pc, pt = xc[k] / nc[k], xt[k] / nt[k]
        var = pc * (1 - pc) / nc[k] + pt * (1 - pt) / nt[k]
        diff = float(pt - pc)
        lam = msprt_statistic(diff, var, tau)
        p_running = min(p_running, 1.0 / lam)
        half = confidence_half_width(var, tau, alpha)
        rejected = rejects(p_running, alpha)
        if rejected and first is None:
            first = k
        looks.append(
            SequentialLook(
                int(nc[k]), int(nt[k]), diff, lam, p_running, diff - half, diff + half, rejected
            )
        )
    return SequentialTest(tau=tau, alpha=alpha, looks=tuple(looks), first_rejection=first)
