"""Segmentation: features, preparation, AHP weights, algorithms, selection gates, validation, maps."""

from __future__ import annotations

from typing import Literal

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from cible.config.base import _Strict

FEATURE_NAMES: tuple[str, ...] = (
    "recency_days",
    "frequency",
    "monetary",
    "avg_basket",
    "tenure_days",
    "mean_interpurchase_days",
    "refund_rate",
    "events_30d",
    "events_90d",
)


AlgorithmName = Literal[
    "kmeans", "gmm", "agglomerative", "dbscan", "hdbscan", "kprototypes", "gower"
]
#: the algorithms made for mixed numeric / categorical rows (they need categorical features)
MIXED_ALGORITHMS: tuple[AlgorithmName, ...] = ("kprototypes", "gower")


DEFAULT_ALGORITHMS: tuple[AlgorithmName, ...] = (
    "kmeans",
    "gmm",
    "agglomerative",
    "hdbscan",
    "dbscan",
)


class FeaturePrep(_Strict):
    """How one feature is prepared before clustering (scikit-learn transformers, in this order:
    impute, winsorise, log1p, scale; categorical features are imputed then encoded)."""

    kind: Literal["numeric", "categorical"] = "numeric"
    impute: Literal["none", "median", "most_frequent", "knn", "iterative"] = "median"
    winsorize: tuple[float, float] | None = Field(
        default=None, description="lower and upper quantiles to clip at, e.g. [0.01, 0.99]"
    )
    log1p: bool | None = Field(default=None, description="None: the segmentation default")
    scale: Literal["zscore", "minmax", "robust", "none"] = "zscore"
    encode: Literal["onehot", "ordinal"] = "onehot"

    @model_validator(mode="after")
    def _quantiles(self) -> FeaturePrep:
        if self.winsorize is not None:
            lo, hi = self.winsorize
            if not 0.0 <= lo < hi <= 1.0:
                raise ValueError(
                    f"winsorize needs 0 <= lower < upper <= 1, got {list(self.winsorize)}"
                )
        return self


def _fraction(x: object) -> object:
    if isinstance(x, str) and "/" in x:
        num, _, den = x.partition("/")
        try:
            return float(num) / float(den)
        except (ValueError, ZeroDivisionError):
            return x  # left for pydantic to refuse with its own message
    return x


class AHPConfig(_Strict):
    """Analytic Hierarchy Process: pairwise comparisons of criteria on Saaty's 1-9 scale.

    ``matrix[i][j]`` says how much more important ``criteria[i]`` is than ``criteria[j]``; the
    matrix must be positive and reciprocal (``matrix[j][i] == 1 / matrix[i][j]``).
    """

    criteria: list[str] = Field(min_length=2)
    matrix: list[list[float]]
    max_consistency_ratio: float = Field(default=0.1, gt=0.0)

    @field_validator("matrix", mode="before")
    @classmethod
    def _fractions(cls, v: object) -> object:
        """Accept Saaty's fractions as text ("1/3"), since YAML has no fraction literal."""
        if not isinstance(v, list):
            return v
        return [[_fraction(x) for x in row] if isinstance(row, list) else row for row in v]

    @model_validator(mode="after")
    def _square(self) -> AHPConfig:
        n = len(self.criteria)
        if len(self.matrix) != n or any(len(row) != n for row in self.matrix):
            raise ValueError(f"the AHP matrix must be {n} x {n} (one row and column per criterion)")
        return self


class GatesConfig(_Strict):
    """A candidate segmentation is eligible only if it passes every gate."""

    min_segment_share: float = Field(default=0.02, ge=0.0, le=0.5)
    max_segments: int = Field(default=12, ge=2)
    max_noise_share: float = Field(default=0.20, ge=0.0, le=1.0)
    max_largest_share: float = Field(default=0.60, gt=0.0, le=1.0)


class SelectionConfig(_Strict):
    """The grid of candidate algorithms and the gates of the automatic selection."""

    algorithms: list[AlgorithmName] = Field(default_factory=lambda: list(DEFAULT_ALGORITHMS))
    gates: GatesConfig = Field(default_factory=GatesConfig)
    fit_sample: int = Field(
        default=20_000,
        ge=500,
        description="algorithms that do not scale (hierarchical, density) fit on a sample this "
        "large and assign the other customers to the nearest segment",
    )


class ValidationConfig(_Strict):
    bootstrap: int = Field(default=20, ge=0, description="resamples for stability (0: skip)")
    unstable_jaccard: float = Field(default=0.6, ge=0.0, le=1.0)
    representativeness: list[str] = Field(
        default_factory=list, description="categorical columns to test segment composition on"
    )


class MapsConfig(_Strict):
    pca_variance: float = Field(default=0.95, gt=0.0, le=1.0)
    tsne: bool = True
    umap: bool = False
    autoencoder: bool = False
    sample: int = Field(default=2_000, ge=100, description="customers drawn on the 2-D maps")


class ForwardConfig(_Strict):
    """Segments judged by what they predict (:mod:`cible.segmentation.forward`): the last
    ``holdout_days`` before ``as_of`` are held out, segments are fitted on the data before the
    cutoff, and the run reports how much next-period purchase and revenue they explain, beside
    the RFM-quintile segmentation (``forward.json``, a report section)."""

    enabled: bool = Field(
        default=True,
        description="measure when the history is long enough (events always have dates)",
    )
    holdout_days: int = Field(default=90, ge=1, le=3660)
    use_in_selection: Literal["none", "tiebreak", "gate", "best"] = Field(
        default="none",
        description="tiebreak: tied candidates go to the higher next-period purchase AUC; gate: "
        "a candidate's AUC must be at least the RFM segmentation's; best: among the candidates "
        "passing every gate with no more segments than RFM's, the highest AUC wins",
    )


class SegmentationConfig(_Strict):
    """Features, their preparation and weights, the candidate algorithms and the checks."""

    features: list[str] = Field(
        default_factory=lambda: list(FEATURE_NAMES),
        min_length=1,
        description="columns of the feature table to segment on (checked when the table is built)",
    )
    log_features: list[str] | None = Field(
        default=None,
        description="features log1p-transformed before scaling; default all but refund_rate",
    )
    preprocessing: dict[str, FeaturePrep] = Field(
        default_factory=dict, description="per-feature preparation; unlisted features: defaults"
    )
    criteria: dict[str, list[str]] | None = Field(
        default=None,
        description="criterion name -> its features (demographic, behavioural, psychographic, "
        "contextual); default: one 'behavioural' criterion holding every feature",
    )
    ahp: AHPConfig | None = None
    selection: SelectionConfig = Field(default_factory=SelectionConfig)
    validation: ValidationConfig = Field(default_factory=ValidationConfig)
    maps: MapsConfig = Field(default_factory=MapsConfig)
    forward: ForwardConfig = Field(default_factory=ForwardConfig)
    k_min: int = Field(default=2, ge=2)
    k_max: int = Field(default=10, ge=2, le=30)
    silhouette_sample: int = Field(default=5000, ge=100)
    n_init: int = Field(default=10, ge=1)
    random_state: int = 0

    @model_validator(mode="after")
    def _ranges(self) -> SegmentationConfig:
        if len(set(self.features)) != len(self.features):
            raise ValueError("features are listed more than once")
        if self.k_max < self.k_min:
            raise ValueError(f"k_max ({self.k_max}) must be >= k_min ({self.k_min})")
        if self.log_features is not None:
            extra = sorted(set(self.log_features) - set(self.features))
            if extra:
                raise ValueError(f"log_features {extra} are not in features")
        extra = sorted(set(self.preprocessing) - set(self.features))
        if extra:
            raise ValueError(f"preprocessing names feature(s) {extra} that are not in features")
        if self.criteria is not None:
            listed = [f for fs in self.criteria.values() for f in fs]
            dup = sorted({f for f in listed if listed.count(f) > 1})
            if dup:
                raise ValueError(f"feature(s) {dup} belong to more than one criterion")
            if set(listed) != set(self.features):
                raise ValueError(
                    "criteria must cover exactly the features: missing "
                    f"{sorted(set(self.features) - set(listed))}, unknown {sorted(set(listed) - set(self.features))}"
                )
        if self.ahp is not None:
            names = set(self.criteria or {"behavioural": []})
            if set(self.ahp.criteria) != names:
                raise ValueError(
                    f"ahp.criteria {sorted(self.ahp.criteria)} must be the criteria {sorted(names)}"
                )
        return self

    def log_transformed(self) -> list[str]:
        if self.log_features is not None:
            return list(self.log_features)
        return [f for f in self.features if f != "refund_rate"]

    def criteria_map(self) -> dict[str, list[str]]:
        """Criterion -> features (one 'behavioural' criterion when none is configured)."""
        return {k: list(v) for k, v in (self.criteria or {"behavioural": self.features}).items()}
