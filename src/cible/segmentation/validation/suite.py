"""Run every validation of a segmentation and bundle the results (the content of validation.json).

:func:`validate` computes; :class:`ValidationResult` holds typed results; renderers
(:mod:`cible.reporting.charts_validation`) and ``to_dict`` read them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from cible.config import ValidationConfig
from cible.exceptions import SegmentationError
from cible.segmentation.validation.anova import AnovaResult, anova_by_feature
from cible.segmentation.validation.kruskal import KruskalResult, kruskal_by_feature
from cible.segmentation.validation.representativeness import (
    CompositionResult,
    composition_test,
)
from cible.segmentation.validation.silhouette import SilhouetteResult, segment_silhouettes
from cible.segmentation.validation.stability import (
    FitPredict,
    StabilityResult,
    bootstrap_stability,
)
from cible.segmentation.validation.warnings import segmentation_warnings

NOISE = -1


@dataclass(frozen=True, eq=False)
class ValidationResult:
    """Every check of one segmentation.

    Attributes
    ----------
    n_rows: customers given (noise included).
    n_noise: customers labelled -1.
    sizes: customers per segment (noise excluded).
    silhouette: per-segment silhouettes.
    stability: bootstrap stability; ``None`` when skipped (``config.bootstrap == 0`` or no
        ``fit_predict``).
    anova: one-way ANOVA per feature.
    kruskal: Kruskal-Wallis per feature.
    composition: chi-square composition test per categorical column.
    warnings: plain-language warnings (:func:`segmentation_warnings`).
    """

    n_rows: int
    n_noise: int
    sizes: dict[int, int]
    silhouette: SilhouetteResult
    stability: StabilityResult | None
    anova: AnovaResult
    kruskal: KruskalResult
    composition: dict[str, CompositionResult]
    warnings: tuple[str, ...]

    @property
    def noise_share(self) -> float:
        """Share of customers labelled noise."""
        return self.n_noise / self.n_rows if self.n_rows else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready plain types: the content of ``validation.json``."""
        return {
            "n_rows": self.n_rows,
            "n_noise": self.n_noise,
            "noise_share": self.noise_share,
            "sizes": [{"segment": s, "size": n} for s, n in sorted(self.sizes.items())],
            "silhouette": self.silhouette.to_dict(),
            "stability": None if self.stability is None else self.stability.to_dict(),
            "anova": self.anova.to_dict(),
            "kruskal": self.kruskal.to_dict(),
            "composition": {k: v.to_dict() for k, v in self.composition.items()},
            "warnings": list(self.warnings),
        }


def validate(
    X: ArrayLike,
    labels: ArrayLike,
    features: pd.DataFrame,
    fit_predict: FitPredict | None,
    config: ValidationConfig,
    categories: Mapping[str, pd.Series] | None = None,
    random_state: int = 0,
    silhouette_sample: int = 5000,
    stability_sample: int | None = None,
    min_share: float = 0.02,
    names: Mapping[int, str] | None = None,
    categorical: Sequence[int] = (),
) -> ValidationResult:
    """Validate the segmentation ``labels`` of the prepared matrix ``X``.

    ``features`` holds the same customers, in the same order, in original units (ANOVA and
    Kruskal-Wallis read it). ``categories`` maps a column name to a categorical series aligned by
    position (composition tests); a column listed in ``config.representativeness`` but absent from
    ``categories`` is taken from ``features``, and raises :class:`SegmentationError` when absent
    there too. Stability runs ``config.bootstrap`` resamples of at most ``stability_sample`` rows
    with ``fit_predict`` (skipped when either is 0/None). ``categorical``: positions of the
    category-code columns of ``X`` (the silhouette is then on Gower's distance). No input is
    modified.
    """
    lab = np.asarray(labels).astype(np.int64, copy=False)
    if len(features) != len(lab):
        raise ValueError(
            f"features has {len(features)} rows but labels has {len(lab)}; they must match"
        )
    segments, counts = np.unique(lab[lab != NOISE], return_counts=True)
    sizes = {int(s): int(c) for s, c in zip(segments, counts, strict=True)}
    n_noise = int(np.sum(lab == NOISE))
    silhouette = segment_silhouettes(
        X, lab, sample=silhouette_sample, random_state=random_state, categorical=categorical
    )
    stability = _stability(X, lab, fit_predict, config, stability_sample, random_state)
    columns = _composition_columns(features, config, categories)
    composition = {name: composition_test(lab, series) for name, series in columns.items()}
    warnings = segmentation_warnings(
        sizes,
        None if stability is None else stability.mean_jaccard,
        silhouette.per_segment,
        config,
        min_share=min_share,
        n_features=np.asarray(X).shape[1],
        n_noise=n_noise,
        names=names,
    )
    return ValidationResult(
        n_rows=len(lab),
        n_noise=n_noise,
        sizes=sizes,
        silhouette=silhouette,
        stability=stability,
        anova=anova_by_feature(features, lab),
        kruskal=kruskal_by_feature(features, lab),
        composition=composition,
        warnings=tuple(warnings),
    )


def _stability(
    X: ArrayLike,
    lab: NDArray[np.int64],
    fit_predict: FitPredict | None,
    config: ValidationConfig,
    stability_sample: int | None,
    random_state: int,
) -> StabilityResult | None:
    """Bootstrap stability, or None when there is no refit or ``validation.bootstrap`` is 0."""
    if fit_predict is None or config.bootstrap <= 0:
        return None
    return bootstrap_stability(
        X,
        lab,
        fit_predict,
        n_boot=config.bootstrap,
        sample=stability_sample,
        random_state=random_state,
    )


def _composition_columns(
    features: pd.DataFrame,
    config: ValidationConfig,
    categories: Mapping[str, pd.Series] | None,
) -> dict[str, pd.Series]:
    columns = {name: series.rename(name) for name, series in (categories or {}).items()}
    for name in config.representativeness:
        if name in columns:
            continue
        if name not in features.columns:
            raise SegmentationError(
                f"representativeness column '{name}' is neither in the categories given "
                f"({sorted(columns)}) nor in the features ({[str(c) for c in features.columns]})"
            )
        columns[name] = features[name]
    return columns
