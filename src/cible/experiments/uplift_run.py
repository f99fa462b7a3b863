"""Fit and evaluate the uplift models of a randomised test on one honest held-out split, and
turn the chosen one into an audience: "target the customers with the highest expected incremental
effect" (the top fraction of everyone scored, by predicted uplift).

The split is stratified by (treatment, outcome) so both arms and both outcomes keep their shares
in the training and held-out parts; every model is fitted on the same training rows and judged
on the same held-out rows (:mod:`~cible.experiments.uplift_metrics`), the baseline included.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from cible.experiments._result import plain
from cible.experiments.uplift_metrics import UpliftEvaluation, evaluate_uplift
from cible.experiments.uplift_models import make_model


@dataclass(frozen=True)
class Audience:
    fraction: float
    threshold: float
    members: int
    scored: int
    rule: str


@dataclass(frozen=True, eq=False)
class UpliftResult:
    n_train: int
    n_test: int
    average_effect_test: float
    evaluations: tuple[UpliftEvaluation, ...]
    baseline: str
    target: str
    audience: Audience
    scores: pd.DataFrame  # customer_id, predicted_uplift, rank, member (not to be modified)

    def evaluation(self, name: str) -> UpliftEvaluation:
        return next(e for e in self.evaluations if e.model == name)

    def to_dict(self) -> dict[str, Any]:
        t, b = self.evaluation(self.target), self.evaluation(self.baseline)
        return plain(
            {
                "model": self.target,
                "qini_coefficient": t.qini_coefficient,
                "uplift_top_30": t.uplift_top_30,
                "uplift_top_10": t.uplift_top_10,
                "uplift_auc": t.uplift_auc,
                "held_out": {
                    "n_train": self.n_train,
                    "n_test": self.n_test,
                    "average_effect": self.average_effect_test,
                },
                "baseline": b.summary(),
                "versus_baseline": {
                    "qini_coefficient": t.qini_coefficient - b.qini_coefficient,
                    "uplift_top_30": t.uplift_top_30 - b.uplift_top_30,
                    "uplift_top_10": t.uplift_top_10 - b.uplift_top_10,
                },
                "models": [e.summary() for e in self.evaluations],
                "curves": {
                    e.model: {
                        "qini": {"x": e.qini_x, "y": e.qini_y},
                        "uplift": {"x": e.uplift_x, "y": e.uplift_y},
                    }
                    for e in self.evaluations
                },
                "audience": self.audience,
            }
        )


def design_matrix(frame: pd.DataFrame, numeric: list[str], categorical: list[str]) -> pd.DataFrame:
    """Numeric columns as they are, categorical ones one-hot (every level kept)."""
    parts = [frame[numeric].astype("float64")] if numeric else []
    if categorical:
        parts.append(pd.get_dummies(frame[categorical].astype(str), dtype="float64"))
    return pd.concat(parts, axis=1)


def fit_and_evaluate(
    x: pd.DataFrame,
    y: np.ndarray,
    t: np.ndarray,
    models: list[tuple[str, str]],
    *,
    test_size: float,
    seed: int,
) -> tuple[tuple[UpliftEvaluation, ...], dict[str, Any], tuple[int, int, float]]:
    """Every ``(method, base)`` fitted on the training rows, evaluated on the held-out ones.
    Returns the evaluations, the fitted models by name, and (n_train, n_test, average effect)."""
    idx = np.arange(len(y))
    train, test = train_test_split(idx, test_size=test_size, random_state=seed, stratify=t * 2 + y)
    xv = x.to_numpy(dtype=np.float64)
    evaluations, fitted = [], {}
    for method, base in models:
        name = f"{method}/{base}"
        model = make_model(method, base, seed).fit(xv[train], y[train], t[train])
        evaluations.append(evaluate_uplift(name, y[test], model.predict(xv[test]), t[test]))
        fitted[name] = model
    yt, tt = y[test], t[test]
    effect = float(yt[tt == 1].mean() - yt[tt == 0].mean())
    return tuple(evaluations), fitted, (len(train), len(test), effect)


def audience(ids: list[str], uplift: np.ndarray, fraction: float) -> tuple[Audience, pd.DataFrame]:
    """The top ``fraction`` (rounded down to whole customers) by predicted uplift; ties at the cut
    are broken by file order (stable sort)."""
    order = np.argsort(-uplift, kind="stable")
    rank = np.empty(len(ids), dtype=np.int64)
    rank[order] = np.arange(1, len(ids) + 1)
    k = int(len(ids) * fraction)
    member = rank <= k
    threshold = float(uplift[order[k - 1]]) if k > 0 else float("inf")
    scores = pd.DataFrame(
        {"customer_id": ids, "predicted_uplift": uplift, "rank": rank, "member": member}
    )
    rule = f"top {fraction:.0%} by predicted uplift (predicted_uplift >= {threshold:.6f})"
    return Audience(fraction, threshold, int(member.sum()), len(ids), rule), scores
