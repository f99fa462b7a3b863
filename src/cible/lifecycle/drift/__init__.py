"""Drift detection from binned aggregates: one module per test (``ks``, ``psi``,
``jensen_shannon``, ``kl``, ``wasserstein``, ``chi_square``, ``segment_size``), each a pure
function ``(reference, current, threshold) -> StatResult`` with a documented default threshold,
registered in :mod:`.stattests`; :mod:`.multiplicity` (Benjamini-Hochberg) and
:mod:`.detector` (significance AND effect size) make the decision; :mod:`.binned_sql` counts
the bins in the warehouse."""

from cible.lifecycle.drift.binned_sql import DEFAULT_BINS, numeric_histograms
from cible.lifecycle.drift.detector import (
    DriftPolicy,
    DriftReport,
    FeatureDrift,
    decide,
    detect_drift,
)
from cible.lifecycle.drift.histogram import Histogram, StatResult, categorical_of, histogram_of
from cible.lifecycle.drift.multiplicity import benjamini_hochberg
from cible.lifecycle.drift.segment_size import segment_size_test
from cible.lifecycle.drift.stattests import DriftTest, drift_tests

__all__ = [
    "DEFAULT_BINS",
    "DriftPolicy",
    "DriftReport",
    "DriftTest",
    "FeatureDrift",
    "Histogram",
    "StatResult",
    "benjamini_hochberg",
    "categorical_of",
    "decide",
    "detect_drift",
    "drift_tests",
    "histogram_of",
    "numeric_histograms",
    "segment_size_test",
]
