"""One A/B analysis: every test of the package run over the cleaned rows, gathered in a typed
:class:`AnalysisResult` (rendered to JSON and HTML elsewhere).

For each 0/1 outcome: the rate of every arm, the chi-square test across arms, and for each arm
against control the two-proportion z-test, the Beta-Binomial probability to beat control, the
power achieved and the sample size needed for the configured minimum detectable effect, and
(with a time column) the mSPRT at evenly spaced looks. The p-values of all (outcome, arm)
comparisons are corrected together with Holm and Benjamini-Hochberg. The revenue column gets
Welch's test, a bootstrap interval and (with a pre-period covariate) CUPED. Each segment column
gets the heterogeneity table and interaction test. The sample-ratio check runs first: with a
mismatch the estimates are reported but flagged as untrustworthy.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from cible.config.experiments import AnalyzeConfig
from cible.experiments._result import plain
from cible.experiments.bayes import BayesianComparison, probability_to_beat_control
from cible.experiments.bootstrap import BootstrapInterval, bootstrap_difference
from cible.experiments.chisquare import ChiSquareTest, chi_square_test
from cible.experiments.cleaning import CleaningSummary
from cible.experiments.corrections import correct
from cible.experiments.cuped import CupedResult, cuped_test
from cible.experiments.heterogeneity import HeterogeneityResult, heterogeneity
from cible.experiments.power import PowerPlan, power_proportions, sample_size_proportions
from cible.experiments.proportions import ProportionTest, two_proportion_ztest
from cible.experiments.sequential import SequentialTest, msprt_proportions
from cible.experiments.srm import SampleRatioCheck, sample_ratio_check
from cible.experiments.welch import WelchTest, welch_ttest


@dataclass(frozen=True)
class Comparison:
    """One arm against control on one outcome."""

    outcome: str
    arm: str
    ztest: ProportionTest
    bayes: BayesianComparison
    power_achieved: float
    sample_size: PowerPlan | None
    sequential: SequentialTest | None
    p_holm: float = float("nan")
    p_bh: float = float("nan")
    significant_holm: bool = False
    significant_bh: bool = False


@dataclass(frozen=True)
class RevenueComparison:
    metric: str
    arm: str
    welch: WelchTest
    bootstrap: BootstrapInterval
    cuped: CupedResult | None


@dataclass(frozen=True, eq=False)
class AnalysisResult:
    experiment_id: str
    control: str
    arms: tuple[str, ...]
    cleaning: CleaningSummary
    srm: SampleRatioCheck
    rates: dict[str, dict[str, dict[str, float]]]
    chi_square: dict[str, ChiSquareTest]
    comparisons: tuple[Comparison, ...]
    revenue: tuple[RevenueComparison, ...]
    segments: tuple[HeterogeneityResult, ...]
    alpha: float

    def to_dict(self) -> dict[str, Any]:
        first = self.comparisons[0]
        return {
            "experiment_id": self.experiment_id,
            "control": self.control,
            "arms": list(self.arms),
            "alpha": self.alpha,
            "primary": plain(
                {
                    "outcome": first.outcome,
                    "arm": first.arm,
                    "rate_control": first.ztest.rate_control,
                    "rate_treatment": first.ztest.rate_treatment,
                    "difference": first.ztest.difference,
                    "p_value": first.ztest.p_value,
                    "significant": first.ztest.significant,
                }
            ),
            "cleaning": self.cleaning.to_dict(),
            "sample_ratio": self.srm.to_dict(),
            "rates": plain(self.rates),
            "chi_square": {k: v.to_dict() for k, v in self.chi_square.items()},
            "comparisons": [plain(c) for c in self.comparisons],
            "revenue": [plain(r) for r in self.revenue],
            "segments": [s.to_dict() for s in self.segments],
        }


def _rates(data: pd.DataFrame, cfg: AnalyzeConfig, outcome: str) -> dict[str, dict[str, float]]:
    g = data.groupby(cfg.arm)[outcome].agg(["sum", "size"])
    sums = {str(k): int(v) for k, v in g["sum"].items()}
    sizes = {str(k): int(v) for k, v in g["size"].items()}
    return {
        arm: {"conversions": sums[arm], "n": sizes[arm], "rate": sums[arm] / sizes[arm]}
        for arm in cfg.planned
        if arm in sizes
    }


def _looks(data: pd.DataFrame, cfg: AnalyzeConfig, outcome: str, arm: str) -> SequentialTest | None:
    if cfg.time is None:
        return None
    d = data[data[cfg.arm].isin([cfg.control, arm])].sort_values(cfg.time, kind="stable")
    treated = (d[cfg.arm] == arm).to_numpy()
    y = d[outcome].to_numpy(dtype=np.float64)
    ends = np.unique(np.ceil(np.linspace(0, len(d), cfg.sequential.looks + 1)[1:]).astype(int))
    xc, nc, xt, nt = (
        np.cumsum(v)[ends - 1] for v in (y * ~treated, ~treated, y * treated, treated)
    )
    ok = (nc > 0) & (nt > 0)
    if not ok.any():
        return None
    return msprt_proportions(
        xc[ok], nc[ok], xt[ok], nt[ok], tau=cfg.sequential.tau, alpha=cfg.alpha
    )


def _comparison(
    data: pd.DataFrame,
    cfg: AnalyzeConfig,
    rates: dict[str, dict[str, float]],
    outcome: str,
    arm: str,
) -> Comparison:
    c, t = rates[cfg.control], rates[arm]
    xc, nc, xt, nt = int(c["conversions"]), int(c["n"]), int(t["conversions"]), int(t["n"])
    z = two_proportion_ztest(xc, nc, xt, nt, alpha=cfg.alpha)
    base = z.rate_control
    target = base + cfg.power.mde
    plannable = 0 < base < 1 and target < 1
    return Comparison(
        outcome=outcome,
        arm=arm,
        ztest=z,
        bayes=probability_to_beat_control(xc, nc, xt, nt),
        power_achieved=power_proportions(base, target, nc, alpha=cfg.alpha, ratio=nt / nc)
        if plannable
        else float("nan"),
        sample_size=sample_size_proportions(base, target, alpha=cfg.alpha, power=cfg.power.power)
        if plannable
        else None,
        sequential=_looks(data, cfg, outcome, arm),
    )


def _corrected(comparisons: list[Comparison], alpha: float) -> tuple[Comparison, ...]:
    p = [c.ztest.p_value for c in comparisons]
    holm, bh = correct(p, "holm", alpha=alpha), correct(p, "fdr_bh", alpha=alpha)
    return tuple(
        replace(
            c,
            p_holm=holm.adjusted[i],
            p_bh=bh.adjusted[i],
            significant_holm=holm.rejected[i],
            significant_bh=bh.rejected[i],
        )
        for i, c in enumerate(comparisons)
    )


def _revenue(data: pd.DataFrame, cfg: AnalyzeConfig) -> tuple[RevenueComparison, ...]:
    if cfg.revenue is None:
        return ()
    out = []
    ctrl = data[cfg.arm] == cfg.control
    for arm in [a for a in cfg.planned if a != cfg.control]:
        d = data[ctrl | (data[cfg.arm] == arm)]
        treated = (d[cfg.arm] == arm).to_numpy()
        y = d[cfg.revenue].to_numpy(dtype=np.float64)
        cuped = None
        if cfg.covariate is not None:
            cuped = cuped_test(
                y, d[cfg.covariate].to_numpy(dtype=np.float64), treated, alpha=cfg.alpha
            )
        out.append(
            RevenueComparison(
                metric=cfg.revenue,
                arm=arm,
                welch=welch_ttest(y[~treated], y[treated], alpha=cfg.alpha),
                bootstrap=bootstrap_difference(
                    y[~treated],
                    y[treated],
                    confidence=1 - cfg.alpha,
                    n_resamples=cfg.bootstrap.n_resamples,
                    seed=cfg.bootstrap.seed,
                    method=cfg.bootstrap.method,
                ),
                cuped=cuped,
            )
        )
    return tuple(out)


def analyze(data: pd.DataFrame, cfg: AnalyzeConfig, cleaning: CleaningSummary) -> AnalysisResult:
    """Every test over ``data`` (the cleaned rows; not modified)."""
    observed = data[cfg.arm].value_counts()
    srm = sample_ratio_check(
        {a: int(observed.get(a, 0)) for a in cfg.planned}, cfg.planned, threshold=cfg.srm_threshold
    )
    rates, chi, comparisons = {}, {}, []
    for outcome in cfg.outcomes:
        rates[outcome] = r = _rates(data, cfg, outcome)
        arms = list(r)
        chi[outcome] = chi_square_test(
            arms,
            [int(r[a]["conversions"]) for a in arms],
            [int(r[a]["n"]) for a in arms],
            alpha=cfg.alpha,
        )
        comparisons += [_comparison(data, cfg, r, outcome, a) for a in arms if a != cfg.control]
    segments = tuple(
        heterogeneity(
            data[o],
            data[cfg.arm],
            data[s],
            control=cfg.control,
            segment_column=s,
            outcome_name=o,
            alpha=cfg.alpha,
        )
        for o in cfg.outcomes
        for s in cfg.segments
    )
    return AnalysisResult(
        experiment_id=cfg.id,
        control=cfg.control,
        arms=tuple(cfg.planned),
        cleaning=cleaning,
        srm=srm,
        rates=rates,
        chi_square=chi,
        comparisons=_corrected(comparisons, cfg.alpha),
        revenue=_revenue(data, cfg),
        segments=segments,
        alpha=cfg.alpha,
    )
