"""Does the effect differ between segments? A per-segment table and an interaction test.

The table has one row per (segment, arm other than control): units and rates of both arms, the
difference, the two-proportion z-test p-value, and that p-value corrected across every row of the
table with Holm and with Benjamini-Hochberg (:mod:`~cible.experiments.corrections`).

The interaction test is the likelihood-ratio test of two logistic regressions fitted by
statsmodels (``GLM``, binomial family): ``outcome ~ arm + segment`` against
``outcome ~ arm + segment + arm x segment``. ``LR = 2 (llf_full - llf_reduced)`` is chi-square
with ``(arms - 1)(segments - 1)`` degrees of freedom under "the same effect in every segment"
(on the log-odds scale).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from cible.exceptions import ExperimentError
from cible.experiments import DEFAULT_ALPHA, rejects
from cible.experiments._result import plain
from cible.experiments.corrections import correct
from cible.experiments.proportions import two_proportion_ztest

COLUMNS = [
    "segment",
    "arm",
    "n_control",
    "n_treatment",
    "rate_control",
    "rate_treatment",
    "difference",
    "p_value",
    "p_holm",
    "p_bh",
    "significant_holm",
    "significant_bh",
]


@dataclass(frozen=True)
class InteractionTest:
    statistic: float
    dof: int
    p_value: float
    llf_reduced: float
    llf_full: float
    significant: bool


@dataclass(frozen=True, eq=False)
class HeterogeneityResult:
    """``table`` (columns :data:`COLUMNS`, not to be modified) and the interaction test."""

    outcome: str
    segment_column: str
    control: str
    table: pd.DataFrame
    interaction: InteractionTest
    alpha: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "test": "per-segment z-tests (Holm, Benjamini-Hochberg) + logistic interaction LRT",
            "outcome": self.outcome,
            "segment_column": self.segment_column,
            "control": self.control,
            "alpha": self.alpha,
            "rows": plain(self.table.to_dict(orient="records")),
            "interaction": plain(self.interaction),
        }


def _segment_rows(frame: pd.DataFrame, control: str, alpha: float) -> list[dict[str, Any]]:
    rows = []
    counts = frame.groupby(["segment", "arm"], observed=True)["y"].agg(["sum", "size"])
    arms = [a for a in sorted(frame["arm"].unique()) if a != control]
    for seg in sorted(frame["segment"].unique()):
        if (seg, control) not in counts.index:
            continue
        xc, nc = counts.loc[(seg, control)]
        for arm in arms:
            if (seg, arm) not in counts.index:
                continue
            xt, nt = counts.loc[(seg, arm)]
            z = two_proportion_ztest(int(xc), int(nc), int(xt), int(nt), alpha=alpha)
            rows.append(
                {
                    "segment": str(seg),
                    "arm": str(arm),
                    "n_control": int(nc),
                    "n_treatment": int(nt),
                    "rate_control": z.rate_control,
                    "rate_treatment": z.rate_treatment,
                    "difference": z.difference,
                    "p_value": z.p_value,
                }
            )
    return rows


def _design(frame: pd.DataFrame, control: str, interaction: bool) -> pd.DataFrame:
    arm = pd.get_dummies(pd.Categorical(frame["arm"]), prefix="arm", dtype=float)
    arm = arm.drop(columns=f"arm_{control}")
    seg = pd.get_dummies(
        pd.Categorical(frame["segment"]), prefix="seg", drop_first=True, dtype=float
    )
    parts: list[pd.DataFrame] = [pd.DataFrame({"const": 1.0}, index=arm.index), arm, seg]
    if interaction:
        inter = {f"{a}:{s}": arm[a] * seg[s] for a in arm.columns for s in seg.columns}
        parts.append(pd.DataFrame(inter, index=arm.index))
    return pd.concat(parts, axis=1)


def interaction_lrt(
    frame: pd.DataFrame, control: str, alpha: float = DEFAULT_ALPHA
) -> InteractionTest:
    """``frame`` has columns ``y`` (0/1), ``arm`` and ``segment``."""
    y = frame["y"].to_numpy(dtype=np.float64)
    fits = []
    for full in (False, True):
        x = _design(frame.reset_index(drop=True), control, full)
        fits.append(sm.GLM(y, x.to_numpy(), family=sm.families.Binomial()).fit())
    red, ful = fits
    dof = int(ful.df_model - red.df_model)
    lr = max(0.0, 2.0 * float(ful.llf - red.llf))
    p = float(stats.chi2.sf(lr, dof)) if dof > 0 else float("nan")
    return InteractionTest(lr, dof, p, float(red.llf), float(ful.llf), rejects(p, alpha))


def heterogeneity(
    outcome: pd.Series,
    arm: pd.Series,
    segment: pd.Series,
    *,
    control: str,
    segment_column: str,
    outcome_name: str = "outcome",
    alpha: float = DEFAULT_ALPHA,
) -> HeterogeneityResult:
    """The per-segment table and interaction test of a 0/1 ``outcome``; inputs are aligned by
    position and not modified."""
    frame = pd.DataFrame(
        {
            "y": np.asarray(outcome, dtype=np.float64),
            "arm": np.asarray(arm).astype(str),
            "segment": np.asarray(segment).astype(str),
        }
    )
    if control not in set(frame["arm"]):
        raise ExperimentError(f"control arm {control!r} not among arms {sorted(set(frame['arm']))}")
    if frame["segment"].nunique() < 2:
        raise ExperimentError(f"segment column {segment_column!r} has fewer than 2 values")
    rows = _segment_rows(frame, control, alpha)
    table = pd.DataFrame(rows, columns=COLUMNS[:8])
    holm = correct(table["p_value"].tolist(), "holm", alpha=alpha)
    bh = correct(table["p_value"].tolist(), "fdr_bh", alpha=alpha)
    table["p_holm"], table["p_bh"] = list(holm.adjusted), list(bh.adjusted)
    table["significant_holm"], table["significant_bh"] = list(holm.rejected), list(bh.rejected)
    return HeterogeneityResult(
        outcome=outcome_name,
        segment_column=segment_column,
        control=control,
        table=table,
        interaction=interaction_lrt(frame, control, alpha),
        alpha=alpha,
    )
