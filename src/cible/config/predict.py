"""Configuration of the predictive profiles: the ``predict:`` section of ``cible.yaml``.

Two ways to get a labelled set, one engine:

* **event mode** (default): features are computed from the warehouse as it was before ``cutoff``
  and the label comes from the ``horizon_days`` after it (``target: purchase``, ``churn`` or
  ``event``);
* **table mode** (``table:`` given): a plain table with one row per customer and a label column
  (``target: column``), e.g. a campaign response.

:class:`TrainingSpec` holds what the model engine needs (models, search, class weights, split);
:class:`PredictConfig` adds where the data and the label come from.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cible.schemas.events import EVENT_TYPES

ModelName = Literal[
    "logistic",
    "decision_tree",
    "random_forest",
    "hist_gradient_boosting",
    "mlp",
    "lightgbm",
    "xgboost",
]
DEFAULT_MODELS: tuple[ModelName, ...] = (
    "logistic",
    "decision_tree",
    "random_forest",
    "hist_gradient_boosting",
    "mlp",
)
TargetKind = Literal["purchase", "churn", "event", "column"]
GridValue = str | int | float | bool | None | list[int]
MIN_FOREST_TREES = 100
_SCORE_NAME = r"^[a-z][a-z0-9_]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SearchConfig(_Strict):
    """Cross-validated hyper-parameter search, stratified folds, run on the training split only."""

    method: Literal["grid", "random"] = "grid"
    n_iter: int = Field(
        default=8, ge=1, description="random search: candidates per model (at most the grid size)"
    )
    cv_folds: int = Field(default=3, ge=2, le=10)
    scoring: Literal["roc_auc", "average_precision", "neg_log_loss"] = "roc_auc"


class FeatureSelectionConfig(_Strict):
    """Recursive feature elimination before each model (ranked by a standardised logistic
    regression, so that the kept columns stay in their own units)."""

    method: Literal["rfe"] = "rfe"
    n_features: int | float = Field(
        default=0.5, gt=0, description="columns kept: a count, or a fraction in (0, 1)"
    )
    step: int | float = Field(default=1, gt=0, description="columns dropped per round")

    @model_validator(mode="after")
    def _fraction(self) -> FeatureSelectionConfig:
        if isinstance(self.n_features, float) and not self.n_features < 1.0:
            raise ValueError("n_features as a fraction must be < 1 (or give a whole count)")
        return self


class TableConfig(_Strict):
    """A plain table, one row per customer: the label and the features are its columns."""

    path: Path
    format: Literal["auto", "csv", "parquet"] = "auto"
    delimiter: str = Field(default=",", description="CSV field separator, e.g. ';'")
    id_column: str | None = Field(
        default=None, description="customer id column; default: the row number"
    )
    drop_columns: list[str] = Field(
        default_factory=list,
        description="columns never used as features (e.g. ones known only after the outcome)",
    )
    missing_values: list[str] = Field(
        default_factory=list, description="extra text values read as missing, e.g. 'unknown'"
    )


class SplitConfig(_Strict):
    """How the test split is drawn: ``random`` (stratified) or ``time`` (train on the earlier rows,
    test on the latest ``test_size`` of them; table mode)."""

    by: Literal["random", "time"] = "random"
    column: str | None = Field(
        default=None,
        description="by: time: the column giving each row's time (dates or numbers); it orders "
        "the rows and is not a feature. Without it the file's row order is the time order",
    )

    @model_validator(mode="after")
    def _column_for_time(self) -> SplitConfig:
        if self.by == "random" and self.column is not None:
            raise ValueError("split.column is only used with split.by: time")
        return self


class TrainingSpec(_Strict):
    """What the model engine needs: which models, how they are tuned and how they are judged."""

    models: list[ModelName] = Field(default_factory=lambda: list(DEFAULT_MODELS), min_length=1)
    param_grids: dict[ModelName, dict[str, list[GridValue]]] = Field(
        default_factory=dict,
        description="per model, hyper-parameter -> values; replaces that model's default grid",
    )
    search: SearchConfig = Field(default_factory=SearchConfig)
    feature_selection: FeatureSelectionConfig | None = None
    class_weight: Literal["auto", "balanced", "none"] = Field(
        default="auto",
        description="balanced: sample weights inverse to class frequency, probabilities then "
        "corrected back to the observed base rate; none: unweighted; auto: both are candidates "
        "of each model's cross-validated search, which keeps the better one",
    )
    test_size: float = Field(default=0.25, gt=0.0, lt=0.9)
    split: SplitConfig = Field(default_factory=SplitConfig)
    random_state: int = 0
    threshold: Literal["max_f1"] | float = Field(
        default="max_f1",
        description="max_f1: the threshold maximising F1 on out-of-fold training predictions",
    )
    reasons: int = Field(default=3, ge=0, le=10, description="top reasons kept per customer")
    reason_features: int = Field(
        default=8, ge=1, description="features tried for reasons: the most important ones"
    )
    permutation_repeats: int = Field(default=5, ge=1)

    @model_validator(mode="after")
    def _models(self) -> TrainingSpec:
        if len(set(self.models)) != len(self.models):
            raise ValueError("models are listed more than once")
        extra = sorted(set(self.param_grids) - set(self.models))
        if extra:
            raise ValueError(f"param_grids names model(s) {extra} that are not in models")
        for name, grid in self.param_grids.items():
            empty = sorted(k for k, v in grid.items() if not v)
            if empty:
                raise ValueError(f"param_grids.{name}: {empty} need at least one value")
        trees = self.param_grids.get("random_forest", {}).get("n_estimators", [])
        few = [t for t in trees if not isinstance(t, int) or t < MIN_FOREST_TREES]
        if few:
            raise ValueError(
                f"param_grids.random_forest.n_estimators {few}: a forest needs whole numbers "
                f">= {MIN_FOREST_TREES} trees"
            )
        if isinstance(self.threshold, float) and not 0.0 < self.threshold < 1.0:
            raise ValueError(f"threshold must be in (0, 1) or 'max_f1', got {self.threshold}")
        return self


class CLVConfig(BaseModel):
    """Settings of the CLV models (the ``predict.clv`` block of ``cible.yaml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(default=True, description="compute CLV in `cible predict`")
    horizon_days: int = Field(default=365, ge=1, le=3650, description="value horizon")
    discount_rate_annual: float = Field(
        default=0.10, ge=0.0, lt=1.0, description="annual discount rate of future revenue"
    )
    time_unit: Literal["h", "D", "W"] = Field(
        default="D", description="period of the purchase summaries: hours, days or weeks"
    )
    penalizer: float = Field(
        default=0.0, ge=0.0, description="L2 penalty of both models (0: maximum likelihood)"
    )
    holdout_days: int | None = Field(
        default=None,
        ge=1,
        description="if set, also fit on the history before as_of - holdout_days and compare "
        "its predictions with the purchases of the last holdout_days (fit check)",
    )
    max_frequency: int = Field(default=7, ge=1, le=50, description="last bin of the fit checks")


class PredictConfig(TrainingSpec):
    """The ``predict:`` section: the label, where the data comes from, and the training spec."""

    target: TargetKind = "purchase"
    horizon_days: int = Field(default=90, ge=1, le=3660, description="label window after cutoff")
    cutoff: date | None = Field(
        default=None,
        description="features see events strictly before it, the label the horizon after it; "
        "default: as_of - horizon_days (the latest fully observed window)",
    )
    event_type: str | None = Field(default=None, description="target: event (e.g. email_click)")
    label_column: str | None = Field(default=None, description="target: column")
    positive: str | None = Field(
        default=None, description="value of label_column that is the positive class"
    )
    population: Literal["auto", "all", "buyers"] = Field(
        default="auto",
        description="customers labelled and scored: all seen before the date, or buyers only; "
        "auto: buyers for churn, all otherwise",
    )
    score_name: str | None = Field(
        default=None, pattern=_SCORE_NAME, description="score column; default from the target"
    )
    table: TableConfig | None = None
    clv: CLVConfig = Field(
        default_factory=CLVConfig,
        description="customer lifetime value (BG/NBD + Gamma-Gamma) in event mode; see clv.md",
    )

    @field_validator("positive", mode="before")
    @classmethod
    def _positive_as_text(cls, v: object) -> object:
        if isinstance(v, bool):
            raise ValueError("YAML read this value as a boolean: quote it, e.g. positive: 'yes'")
        return str(v) if isinstance(v, int | float) else v

    @model_validator(mode="after")
    def _target(self) -> PredictConfig:
        if self.target == "event":
            if self.event_type not in EVENT_TYPES:
                raise ValueError(
                    f"target 'event' needs event_type, one of {list(EVENT_TYPES)}; "
                    f"got {self.event_type!r}"
                )
        elif self.event_type is not None:
            raise ValueError("event_type is only used with target: event")
        if (self.target == "column") != (self.table is not None):
            raise ValueError("target: column and a table: source go together (table mode)")
        if self.target == "column" and not self.label_column:
            raise ValueError("target: column needs label_column (the column holding the label)")
        if self.target != "column" and (self.label_column or self.positive):
            raise ValueError("label_column and positive are only used with target: column")
        if self.table is not None and self.cutoff is not None:
            raise ValueError("cutoff applies to event history, not to a table (table mode)")
        if self.table is None and self.split.by == "time":
            raise ValueError(
                "split.by: time applies to a table (table mode); in event mode the label "
                "window after the cutoff already lies in the future of the features"
            )
        return self

    def score_column(self) -> str:
        """The plain score column: ``purchase_propensity``, ``churn_risk``, ``<event>_propensity``
        or ``<label column>_propensity`` unless ``score_name`` is set."""
        if self.score_name:
            return self.score_name
        if self.target == "purchase":
            return "purchase_propensity"
        if self.target == "churn":
            return "churn_risk"
        base = self.event_type if self.target == "event" else self.label_column
        slug = re.sub(r"[^a-z0-9]+", "_", str(base).lower()).strip("_") or "label"
        return f"{slug if slug[0].isalpha() else 'y_' + slug}_propensity"

    def buyers_only(self) -> bool:
        return self.population == "buyers" or (self.population == "auto" and self.target == "churn")
