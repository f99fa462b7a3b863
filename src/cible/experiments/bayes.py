"""Bayesian probability that treatment beats control on a conversion rate (Beta-Binomial).

With a ``Beta(a, b)`` prior on each rate the posteriors are ``A ~ Beta(a + x_c, b + n_c - x_c)``
and ``B ~ Beta(a + x_t, b + n_t - x_t)``, and for an integer first parameter of ``B`` the
probability has the closed form (Evan Miller, "Formulas for Bayesian A/B testing", 2015)::

    P(B > A) = sum_{i=0}^{a_B - 1} exp( lnB(a_A + i, b_A + b_B) - ln(b_B + i)
                                         - lnB(1 + i, b_B) - lnB(a_A, b_A) )

evaluated in log space (``scipy.special.betaln``), so the prior parameters must be whole numbers
(``Beta(1, 1)``, uniform, by default). The tests check it against numerical integration of
``∫ f_B(x) F_A(x) dx`` with scipy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import betaln, logsumexp

from cible.exceptions import ExperimentError
from cible.experiments._result import plain


@dataclass(frozen=True)
class BayesianComparison:
    prior_a: int
    prior_b: int
    posterior_control: tuple[int, int]
    posterior_treatment: tuple[int, int]
    mean_control: float
    mean_treatment: float
    probability_treatment_beats_control: float

    def to_dict(self) -> dict[str, Any]:
        return {"test": "Beta-Binomial probability to beat control (closed form)", **plain(self)}


def prob_b_beats_a(a_a: int, b_a: int, a_b: int, b_b: int) -> float:
    """``P(B > A)`` for ``A ~ Beta(a_a, b_a)``, ``B ~ Beta(a_b, b_b)``, whole-number parameters."""
    for name, v in {"a_a": a_a, "b_a": b_a, "a_b": a_b, "b_b": b_b}.items():
        if int(v) != v or v < 1:
            raise ExperimentError(f"Beta parameter {name} must be a whole number >= 1, got {v}")
    i = np.arange(int(a_b), dtype=np.float64)
    terms = betaln(a_a + i, b_a + b_b) - np.log(b_b + i) - betaln(1 + i, b_b) - betaln(a_a, b_a)
    return float(min(1.0, max(0.0, np.exp(logsumexp(terms)))))


def probability_to_beat_control(
    conversions_control: int,
    n_control: int,
    conversions_treatment: int,
    n_treatment: int,
    *,
    prior_a: int = 1,
    prior_b: int = 1,
) -> BayesianComparison:
    for arm, x, n in (
        ("control", conversions_control, n_control),
        ("treatment", conversions_treatment, n_treatment),
    ):
        if n <= 0 or not 0 <= x <= n:
            raise ExperimentError(f"{arm}: {x:,} conversions out of {n:,} units")
    pc = (prior_a + conversions_control, prior_b + n_control - conversions_control)
    pt = (prior_a + conversions_treatment, prior_b + n_treatment - conversions_treatment)
    return BayesianComparison(
        prior_a=prior_a,
        prior_b=prior_b,
        posterior_control=pc,
        posterior_treatment=pt,
        mean_control=pc[0] / (pc[0] + pc[1]),
        mean_treatment=pt[0] / (pt[0] + pt[1]),
        probability_treatment_beats_control=prob_b_beats_a(pc[0], pc[1], pt[0], pt[1]),
    )
