"""Pearson chi-square test of independence between arm and outcome (a k x 2 table of converted
and not converted per arm), :func:`scipy.stats.chi2_contingency`. Without Yates' correction (the
default here) a 2 x 2 table gives exactly the square of the pooled two-proportion ``z``.

A table where a whole column is zero (nobody, or everybody, converted) has no variation: the
statistic is 0 and ``p = 1``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from cible.exceptions import ExperimentError
from cible.experiments import DEFAULT_ALPHA, rejects
from cible.experiments._result import plain


@dataclass(frozen=True)
class ChiSquareTest:
    arms: tuple[str, ...]
    observed: tuple[tuple[int, int], ...]
    statistic: float
    dof: int
    p_value: float
    yates: bool
    alpha: float
    significant: bool

    def to_dict(self) -> dict[str, Any]:
        return {"test": "Pearson chi-square (scipy.stats.chi2_contingency)", **plain(self)}


def chi_square_test(
    arms: Sequence[str],
    conversions: Sequence[int],
    totals: Sequence[int],
    *,
    yates: bool = False,
    alpha: float = DEFAULT_ALPHA,
) -> ChiSquareTest:
    """Converted / not converted per arm, tested for independence."""
    if not len(arms) == len(conversions) == len(totals) or len(arms) < 2:
        raise ExperimentError(
            f"chi-square needs >= 2 arms with one conversion count and one total each, got "
            f"{len(arms)} arms, {len(conversions)} counts, {len(totals)} totals"
        )
    table = np.array([[c, n - c] for c, n in zip(conversions, totals, strict=True)], dtype=np.int64)
    if (table < 0).any():
        raise ExperimentError(f"conversions must be between 0 and the arm total, got {table}")
    if (table.sum(axis=0) == 0).any():
        stat, p, dof = 0.0, 1.0, len(arms) - 1
    else:
        res = stats.chi2_contingency(table, correction=yates)
        stat, p, dof = float(res.statistic), float(res.pvalue), int(res.dof)
    return ChiSquareTest(
        arms=tuple(arms),
        observed=tuple((int(a), int(b)) for a, b in table),
        statistic=stat,
        dof=dof,
        p_value=p,
        yates=yates,
        alpha=alpha,
        significant=rejects(p, alpha),
    )
