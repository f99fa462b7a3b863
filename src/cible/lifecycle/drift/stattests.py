"""The explicit registry of drift tests: name -> descriptor (function, default threshold, the
kind of feature it applies to, what its threshold compares). Built on call from the list below,
not a mutable module global: add a test by adding its module and one line here."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from cible.lifecycle.drift import chi_square, jensen_shannon, kl, ks, psi, wasserstein
from cible.lifecycle.drift.histogram import Histogram, StatResult

TestFunction = Callable[[Histogram, Histogram, float], StatResult]


@dataclass(frozen=True)
class DriftTest:
    """One registered test."""

    name: str
    function: TestFunction
    default_threshold: float
    kind: Literal["numeric", "categorical"]
    compares: Literal["p_value <", "score >="]

    def __call__(
        self, reference: Histogram, current: Histogram, threshold: float | None = None
    ) -> StatResult:
        return self.function(
            reference, current, self.default_threshold if threshold is None else threshold
        )


def drift_tests() -> Mapping[str, DriftTest]:
    """Every per-feature test by name (segment-size drift, which compares sizes rather than
    histograms, is :func:`cible.lifecycle.drift.segment_size.segment_size_test`)."""
    tests = (
        DriftTest(ks.NAME, ks.ks_test, ks.DEFAULT_THRESHOLD, "numeric", "p_value <"),
        DriftTest(psi.NAME, psi.psi_test, psi.DEFAULT_THRESHOLD, "numeric", "score >="),
        DriftTest(
            jensen_shannon.NAME,
            jensen_shannon.jensen_shannon_test,
            jensen_shannon.DEFAULT_THRESHOLD,
            "numeric",
            "score >=",
        ),
        DriftTest(kl.NAME, kl.kl_test, kl.DEFAULT_THRESHOLD, "numeric", "score >="),
        DriftTest(
            wasserstein.NAME,
            wasserstein.wasserstein_test,
            wasserstein.DEFAULT_THRESHOLD,
            "numeric",
            "score >=",
        ),
        DriftTest(
            chi_square.NAME,
            chi_square.chi_square_test,
            chi_square.DEFAULT_THRESHOLD,
            "categorical",
            "p_value <",
        ),
        DriftTest(
            psi.NAME + "_categorical",
            psi.psi_test,
            psi.DEFAULT_THRESHOLD,
            "categorical",
            "score >=",
        ),
    )
    return MappingProxyType({t.name: t for t in tests})
