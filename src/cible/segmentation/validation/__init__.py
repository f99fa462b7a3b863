"""Validation of a segmentation: silhouettes, bootstrap stability, per-feature tests, composition
tests and plain-language warnings.

Each check is a pure function in its own module returning a frozen, typed result with
``to_dict()``; :func:`validate` runs them all into a :class:`ValidationResult`. Labels are integer
arrays where -1 marks noise (left out of every statistic and reported as a share).
"""

from cible.segmentation.validation.anova import AnovaResult, anova_by_feature
from cible.segmentation.validation.kruskal import KruskalResult, kruskal_by_feature
from cible.segmentation.validation.representativeness import (
    CompositionResult,
    composition_test,
)
from cible.segmentation.validation.silhouette import SilhouetteResult, segment_silhouettes
from cible.segmentation.validation.stability import StabilityResult, bootstrap_stability
from cible.segmentation.validation.suite import ValidationResult, validate
from cible.segmentation.validation.warnings import segmentation_warnings

__all__ = [
    "AnovaResult",
    "CompositionResult",
    "KruskalResult",
    "SilhouetteResult",
    "StabilityResult",
    "ValidationResult",
    "anova_by_feature",
    "bootstrap_stability",
    "composition_test",
    "kruskal_by_feature",
    "segment_silhouettes",
    "segmentation_warnings",
    "validate",
]
