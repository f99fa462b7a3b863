"""The input of every drift test: a histogram over bins shared by the reference and the current
population.

Drift is computed from binned aggregates where the data lives (:mod:`.binned_sql` counts the
rows of each bin in the warehouse), so a test never sees the rows, only:

* ``counts``: rows per bin (numeric: bin ``i`` holds ``edges[i-1] < x <= edges[i]``, the first
  bin everything ``<= edges[0]``, the last everything ``> edges[-1]``; categorical: one bin per
  category, in ``labels`` order);
* ``points``: one representative value per bin (the reference quantile at the bin's centre
  level), where the Wasserstein distance places the bin's mass;
* ``scale``: the reference spread (:func:`.binned_sql.robust_scale`: IQR / 1.349, or the
  standard deviation when the IQR is 0), which makes the Wasserstein distance unit-free.

:func:`histogram_of` builds the same histogram from values in memory (tests, small data).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from cible.exceptions import LifecycleError


@dataclass(frozen=True)
class Histogram:
    """Rows per bin of one feature in one population (see the module docstring)."""

    counts: tuple[int, ...]
    edges: tuple[float, ...] = ()
    points: tuple[float, ...] = ()
    scale: float = float("nan")
    labels: tuple[str, ...] = ()
    nulls: int = 0

    def __post_init__(self) -> None:
        if any(c < 0 for c in self.counts):
            raise LifecycleError(f"histogram counts must be >= 0, got {list(self.counts)}")
        if self.edges and len(self.edges) != len(self.counts) - 1:
            raise LifecycleError(
                f"histogram with {len(self.counts)} bins needs {len(self.counts) - 1} edges, "
                f"got {len(self.edges)}"
            )
        if self.points and len(self.points) != len(self.counts):
            raise LifecycleError(
                f"histogram with {len(self.counts)} bins needs one point per bin, "
                f"got {len(self.points)}"
            )

    @property
    def total(self) -> int:
        return int(sum(self.counts))

    def array(self) -> np.ndarray:
        return np.asarray(self.counts, dtype=np.float64)


@dataclass(frozen=True)
class StatResult:
    """What one test says about one feature: its ``score`` (the statistic or distance),
    ``drifted`` by the test's own threshold, the ``p_value`` of tests that have one (NaN for
    distances), the ``effect`` size on the scale the decision gate uses, and ``threshold``."""

    test: str
    score: float
    drifted: bool
    threshold: float
    p_value: float = float("nan")
    effect: float = float("nan")
    details: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:  # numpy scalars in, plain Python values out
        for name in ("score", "threshold", "p_value", "effect"):
            object.__setattr__(self, name, float(getattr(self, name)))
        object.__setattr__(self, "drifted", bool(self.drifted))

    def to_dict(self) -> dict[str, object]:
        def plain(v: float) -> float | None:
            return None if not np.isfinite(v) else float(v)

        return {
            "test": self.test,
            "score": plain(self.score),
            "drifted": self.drifted,
            "threshold": self.threshold,
            "p_value": plain(self.p_value),
            "effect": plain(self.effect),
            **{k: plain(v) for k, v in self.details.items()},
        }


def same_bins(reference: Histogram, current: Histogram, test: str) -> tuple[np.ndarray, np.ndarray]:
    """The two count vectors, after checking they describe the same bins and are not empty."""
    if len(reference.counts) != len(current.counts):
        raise LifecycleError(
            f"{test}: reference has {len(reference.counts)} bins, current "
            f"{len(current.counts)}: bin both populations with the reference edges"
        )
    if reference.edges != current.edges or reference.labels != current.labels:
        raise LifecycleError(f"{test}: reference and current histograms have different bins")
    ref, cur = reference.array(), current.array()
    for name, counts in (("reference", ref), ("current", cur)):
        if counts.sum() <= 0:
            raise LifecycleError(f"{test}: the {name} population has no non-null value")
    return ref, cur


EPS = 1e-4
"""Share given to an empty bin by PSI and KL (the 0.0001 of common PSI practice), so that a bin
empty on one side gives a large finite term instead of an infinite one."""


def smoothed_shares(counts: np.ndarray) -> np.ndarray:
    """Shares of ``counts`` with empty bins raised to :data:`EPS` (then renormalised)."""
    shares = counts / counts.sum()
    shares = np.where(shares > 0, shares, EPS)
    return np.asarray(shares / shares.sum())


def histogram_of(
    values: Sequence[float] | np.ndarray,
    edges: Sequence[float],
    *,
    points: Sequence[float] = (),
    scale: float = float("nan"),
) -> Histogram:
    """The histogram of ``values`` (NaN counted as null) over ``edges`` (bin ``i``:
    ``edges[i-1] < x <= edges[i]``), as :mod:`.binned_sql` counts it in SQL."""
    x = np.asarray(values, dtype=np.float64)
    nulls = int(np.isnan(x).sum())
    x = x[~np.isnan(x)]
    e = np.asarray(edges, dtype=np.float64)
    bins = np.searchsorted(e, x, side="left")
    counts = np.bincount(bins, minlength=len(e) + 1)
    return Histogram(
        counts=tuple(int(c) for c in counts),
        edges=tuple(float(v) for v in e),
        points=tuple(float(p) for p in points),
        scale=float(scale),
        nulls=nulls,
    )


def categorical_of(values: Sequence[object], labels: Sequence[str]) -> Histogram:
    """Rows per category of ``labels`` (a value outside them is refused)."""
    index = {label: i for i, label in enumerate(labels)}
    counts = [0] * len(labels)
    nulls = 0
    for v in values:
        if v is None:
            nulls += 1
            continue
        if str(v) not in index:
            raise LifecycleError(f"category {v!r} is not one of the labels {list(labels)}")
        counts[index[str(v)]] += 1
    return Histogram(counts=tuple(counts), labels=tuple(labels), nulls=nulls)
