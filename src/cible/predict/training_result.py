"""Typed results of the model engine: metrics, one entry per model, the whole comparison.

Computed once by :mod:`cible.predict.training`, then rendered (``metrics.json``, the HTML report)
without any further calculation.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray


@dataclass(frozen=True)
class Curve:
    x: list[float]
    y: list[float]


@dataclass(frozen=True)
class CalibrationBin:
    mean_score: float
    positive_rate: float
    customers: int


@dataclass(frozen=True)
class DecileRow:
    decile: int
    customers: int
    positives: int
    rate: float
    lift: float
    cumulative_gain: float
    cumulative_lift: float
    min_score: float


@dataclass(frozen=True)
class ModelMetrics:
    """Metrics on one labelled set (the held-out test split in the reports)."""

    n: int
    positives: int
    roc_auc: float
    pr_auc: float
    log_loss: float
    brier: float
    threshold: float
    f1: float
    precision: float
    recall: float
    confusion: tuple[int, int, int, int]  # tn, fp, fn, tp
    calibration: list[CalibrationBin]
    deciles: list[DecileRow]
    roc: Curve
    pr: Curve

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        tn, fp, fn, tp = self.confusion
        data["confusion"] = {"tn": tn, "fp": fp, "fn": fn, "tp": tp}
        return json_safe(data)


@dataclass(frozen=True)
class Importance:
    feature: str
    mean: float
    std: float


@dataclass(frozen=True)
class ModelReport:
    """One candidate model after search, threshold choice and test evaluation."""

    name: str
    label: str
    best_params: dict[str, Any]
    cv_score: float
    cv_std: float
    candidates: int
    threshold: float
    test: ModelMetrics
    fit_seconds: float
    selected_features: list[str] | None = None
    rules: str | None = None
    importances: list[Importance] | None = None
    class_weight: str = "balanced"  # chosen by the search with class_weight: auto

    def to_dict(self) -> dict[str, Any]:
        return json_safe(
            {
                "name": self.name,
                "label": self.label,
                "best_params": self.best_params,
                "class_weight": self.class_weight,
                "cv_score": self.cv_score,
                "cv_std": self.cv_std,
                "candidates": self.candidates,
                "threshold": self.threshold,
                "fit_seconds": self.fit_seconds,
                "test": self.test.to_dict(),
                "selected_features": self.selected_features,
                "importances": [asdict(i) for i in self.importances or []] or None,
                "has_rules": self.rules is not None,
            }
        )


@dataclass(frozen=True)
class TrainingResult:
    """The comparison: every model's report, the chosen one (best cross-validated score on the
    training split) and what scoring and explanations need."""

    reports: list[ModelReport]
    best: str
    estimators: dict[str, Any]
    feature_names: list[str]
    background: dict[str, tuple[list[Any], list[float]]]
    permutation: list[Importance]
    scoring: str
    n_train: int
    n_test: int
    positive_rate: float
    class_weight: str
    split_by: str = "random"
    extra: dict[str, Any] = field(default_factory=dict)

    def report(self, name: str | None = None) -> ModelReport:
        wanted = name or self.best
        for r in self.reports:
            if r.name == wanted:
                return r
        raise KeyError(f"no model {wanted!r}; trained: {[r.name for r in self.reports]}")

    def predict_proba(self, X: pd.DataFrame, name: str | None = None) -> NDArray[np.float64]:
        """Positive-class probability of the chosen model (or ``name``) for the rows of ``X``."""
        from cible.predict.model_inputs import model_frame

        model = self.estimators[name or self.best]
        missing = [c for c in self.feature_names if c not in X.columns]
        if missing:
            raise ValueError(f"columns {missing} seen in training are missing")
        proba = model.predict_proba(model_frame(X[self.feature_names]))
        return np.asarray(proba[:, 1], dtype=np.float64)

    def comparison(self) -> list[dict[str, Any]]:
        """One row per model: the model comparison table."""
        return [
            {
                "model": r.name,
                "label": r.label,
                "chosen": r.name == self.best,
                "class_weight": r.class_weight,
                "cv_" + self.scoring: r.cv_score,
                "roc_auc": r.test.roc_auc,
                "pr_auc": r.test.pr_auc,
                "f1": r.test.f1,
                "threshold": r.threshold,
                "log_loss": r.test.log_loss,
                "brier": r.test.brier,
                "fit_seconds": r.fit_seconds,
            }
            for r in self.reports
        ]

    def to_dict(self) -> dict[str, Any]:
        return json_safe(
            {
                "best": self.best,
                "selection_rule": f"highest mean cross-validated {self.scoring} on the training "
                "split (the test split is only used to report)",
                "scoring": self.scoring,
                "n_train": self.n_train,
                "n_test": self.n_test,
                "positive_rate": self.positive_rate,
                "class_weight": self.class_weight,
                "split_by": self.split_by,
                "features": self.feature_names,
                "comparison": self.comparison(),
                "permutation_importance": [asdict(i) for i in self.permutation],
                "models": [r.to_dict() for r in self.reports],
                **self.extra,
            }
        )


def json_safe(value: Any) -> Any:
    """NaN/inf become None, numpy scalars Python numbers, tuples lists (strict JSON)."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
