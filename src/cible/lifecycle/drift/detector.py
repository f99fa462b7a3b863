"""The drift decision over all the features of one check.

A big table makes every test significant: with a million rows a KS test flags a shift of 0.005
standard deviations at p < 0.05. So a feature is **drifted** only when both hold:

1. **significant**: its p-value (KS for a numeric feature, chi-square for a categorical one),
   adjusted by Benjamini-Hochberg across all the features of the check, is below ``alpha``
   (default 0.05: at most 5 % of the flagged features are expected to be false discoveries);
2. **large enough**: its effect size reaches the gate: the binned Wasserstein distance divided by
   the reference spread (IQR / 1.349, i.e. the standard deviation of a normal feature; see
   :mod:`.wasserstein`) ``>= min_effect`` (default 0.05, a location shift of 5 % of a standard
   deviation) for a numeric feature; PSI ``>= min_psi`` (default 0.1, PSI's usual
   "moderate shift") for a categorical one.

Why the normalised Wasserstein distance and not PSI as the numeric gate: a location shift of
``d`` standard deviations moves it by about ``d`` (it reads in the feature's own spread), while
PSI grows like ``d**2`` (0.01 for ``d = 0.1``) and would hide the shifts a team wants to see.
Every test of the registry is still computed and reported per feature.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from cible.exceptions import LifecycleError
from cible.lifecycle.drift.binned_sql import (
    DEFAULT_BINS,
    EDGE_SAMPLE_ROWS,
    Queryable,
    categorical_histograms,
    numeric_histograms,
)
from cible.lifecycle.drift.histogram import Histogram, StatResult
from cible.lifecycle.drift.multiplicity import benjamini_hochberg
from cible.lifecycle.drift.stattests import drift_tests

Kind = Literal["numeric", "categorical"]
SIGNIFICANCE = {"numeric": "ks", "categorical": "chi_square"}
EFFECT = {"numeric": "wasserstein", "categorical": "psi_categorical"}


@dataclass(frozen=True)
class DriftPolicy:
    """The thresholds of the decision (module docstring)."""

    alpha: float = 0.05
    min_effect: float = 0.05
    min_psi: float = 0.1
    bins: int = DEFAULT_BINS
    edge_sample_rows: int = EDGE_SAMPLE_ROWS

    def __post_init__(self) -> None:
        if not 0 < self.alpha < 1:
            raise LifecycleError(f"alpha={self.alpha}: give a level between 0 and 1")
        if self.min_effect < 0 or self.min_psi < 0:
            raise LifecycleError("min_effect and min_psi must be >= 0")

    def gate(self, kind: Kind) -> float:
        return self.min_effect if kind == "numeric" else self.min_psi


def _plain(value: float) -> float | None:
    """JSON has no NaN or infinity: ``None`` instead."""
    return float(value) if math.isfinite(value) else None


@dataclass(frozen=True)
class FeatureDrift:
    """One feature's tests and decision."""

    feature: str
    kind: Kind
    tests: Mapping[str, StatResult]
    p_value: float
    q_value: float
    effect: float
    drifted: bool
    reference_rows: int
    current_rows: int

    def to_dict(self) -> dict[str, object]:
        return {
            "feature": self.feature,
            "kind": self.kind,
            "drifted": self.drifted,
            "p_value": _plain(self.p_value),
            "q_value": _plain(self.q_value),
            "effect": _plain(self.effect),
            "reference_rows": self.reference_rows,
            "current_rows": self.current_rows,
            "tests": {k: v.to_dict() for k, v in self.tests.items()},
        }


@dataclass(frozen=True)
class DriftReport:
    """The features of one check, in the order asked, with the policy that judged them."""

    features: tuple[FeatureDrift, ...]
    policy: DriftPolicy = field(default_factory=DriftPolicy)

    @property
    def drifted_features(self) -> list[str]:
        return [f.feature for f in self.features if f.drifted]

    def feature(self, name: str) -> FeatureDrift:
        for f in self.features:
            if f.feature == name:
                return f
        raise LifecycleError(f"feature {name!r} is not in this drift report")

    def to_dict(self) -> dict[str, object]:
        p = self.policy
        return {
            "policy": {"alpha": p.alpha, "min_effect": p.min_effect, "min_psi": p.min_psi},
            "bins": p.bins,
            "drifted_features": self.drifted_features,
            "features": [f.to_dict() for f in self.features],
        }


def decide(
    histograms: Mapping[str, tuple[Histogram, Histogram, Kind]],
    policy: DriftPolicy | None = None,
) -> DriftReport:
    """Run every registered test of each feature's kind, adjust the significance p-values by
    Benjamini-Hochberg across the features, and apply the effect gate (a pure function)."""
    policy = policy or DriftPolicy()
    registry = drift_tests()
    runs: list[tuple[str, Kind, dict[str, StatResult], Histogram, Histogram]] = []
    for name, (ref, cur, kind) in histograms.items():
        try:
            tests = {t.name: t(ref, cur) for t in registry.values() if t.kind == kind}
        except LifecycleError as e:
            raise LifecycleError(f"feature {name!r}: {e}") from e
        runs.append((name, kind, tests, ref, cur))
    q_values = benjamini_hochberg(
        [tests[SIGNIFICANCE[kind]].p_value for _, kind, tests, _, _ in runs]
    )
    features = []
    for (name, kind, tests, ref, cur), q in zip(runs, q_values, strict=True):
        effect = tests[EFFECT[kind]].effect
        features.append(
            FeatureDrift(
                feature=name,
                kind=kind,
                tests=tests,
                p_value=tests[SIGNIFICANCE[kind]].p_value,
                q_value=q,
                effect=effect,
                drifted=bool(q < policy.alpha and effect >= policy.gate(kind)),
                reference_rows=ref.total,
                current_rows=cur.total,
            )
        )
    return DriftReport(tuple(features), policy)


def detect_drift(
    reader: Queryable,
    reference: str,
    current: str,
    *,
    numeric: Sequence[str] = (),
    categorical: Sequence[str] = (),
    policy: DriftPolicy | None = None,
) -> DriftReport:
    """Drift of ``numeric`` and ``categorical`` columns from relation ``reference`` to relation
    ``current`` (table names or parenthesised queries), histograms counted by ``reader``."""
    policy = policy or DriftPolicy()
    if not numeric and not categorical:
        raise LifecycleError("detect_drift: name at least one numeric or categorical feature")
    repeated = sorted(
        {c for c in [*numeric, *categorical] if [*numeric, *categorical].count(c) > 1}
    )
    if repeated:
        raise LifecycleError(f"features named more than once: {repeated}")
    histograms: dict[str, tuple[Histogram, Histogram, Kind]] = {}
    found = numeric_histograms(
        reader, reference, current, numeric, policy.bins, policy.edge_sample_rows
    )
    for column, (ref, cur) in found.items():
        histograms[column] = (ref, cur, "numeric")
    for column in categorical:
        ref, cur = categorical_histograms(reader, reference, current, column)
        histograms[column] = (ref, cur, "categorical")
    return decide(histograms, policy)
