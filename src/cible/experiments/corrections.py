"""Corrections for testing many segments at once: Holm (family-wise error) and
Benjamini-Hochberg (false discovery rate), :func:`statsmodels.stats.multitest.multipletests`.
NaN p-values (a segment that could not be tested) are left out and stay NaN."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from statsmodels.stats.multitest import multipletests

from cible.exceptions import ExperimentError
from cible.experiments import DEFAULT_ALPHA
from cible.experiments._result import plain

Method = Literal["holm", "fdr_bh"]
METHODS: dict[str, str] = {"holm": "Holm", "fdr_bh": "Benjamini-Hochberg"}


@dataclass(frozen=True)
class Correction:
    method: str
    alpha: float
    p_values: tuple[float, ...]
    adjusted: tuple[float, ...]
    rejected: tuple[bool, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"test": f"{METHODS[self.method]} (statsmodels multipletests)", **plain(self)}


def correct(
    p_values: Sequence[float], method: Method, *, alpha: float = DEFAULT_ALPHA
) -> Correction:
    if method not in METHODS:
        raise ExperimentError(f"unknown correction {method!r}; known: {', '.join(METHODS)}")
    p = np.asarray(p_values, dtype=np.float64)
    adjusted = np.full(p.size, np.nan)
    rejected = np.zeros(p.size, dtype=bool)
    ok = ~np.isnan(p)
    if ok.any():
        rej, adj, _, _ = multipletests(p[ok], alpha=alpha, method=method)
        adjusted[ok], rejected[ok] = adj, rej
    return Correction(
        method=method,
        alpha=alpha,
        p_values=tuple(float(v) for v in p),
        adjusted=tuple(float(v) for v in adjusted),
        rejected=tuple(bool(v) for v in rejected),
    )
