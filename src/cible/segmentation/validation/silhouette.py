"""Silhouette per segment, on a seeded stratified sample.

The silhouette of a customer compares the mean distance to the other members of its segment
(``a``) with the mean distance to the members of the nearest other segment (``b``):
``(b - a) / max(a, b)``, in ``[-1, 1]``. A segment whose mean silhouette is negative is, on average,
closer to another segment than to itself.

The computation is quadratic in the number of rows, so it runs on a stratified sample: every
segment contributes in proportion to its size, but at least ``min(size, 10)`` customers so that
small segments still get a usable estimate. The overall silhouette is the size-weighted mean of the
per-segment means, an unbiased estimate of the mean silhouette of all (non-noise) customers even
though small segments are over-represented in the sample.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.metrics import silhouette_samples

from cible.segmentation.gower import gower_distances, gower_ranges
from cible.segmentation.validation._json import json_float

NOISE = -1
MIN_PER_SEGMENT = 10


@dataclass(frozen=True)
class SilhouetteResult:
    """Mean silhouette per segment (noise excluded).

    Attributes
    ----------
    segments: segment labels, sorted.
    per_segment: mean silhouette of the sampled members of each segment (NaN when undefined:
        fewer than two segments).
    sizes: members of each segment (all rows, not only the sample).
    sampled: members of each segment in the sample.
    overall: size-weighted mean of ``per_segment``.
    n_rows: rows given, noise included.
    n_noise: rows labelled -1.
    """

    segments: tuple[int, ...]
    per_segment: dict[int, float]
    sizes: dict[int, int]
    sampled: dict[int, int]
    overall: float
    n_rows: int
    n_noise: int

    @property
    def noise_share(self) -> float:
        """Share of rows labelled as noise."""
        return self.n_noise / self.n_rows if self.n_rows else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready plain types (NaN as ``None``)."""
        return {
            "overall": json_float(self.overall),
            "n_rows": self.n_rows,
            "n_noise": self.n_noise,
            "noise_share": self.noise_share,
            "segments": [
                {
                    "segment": s,
                    "size": self.sizes[s],
                    "sampled": self.sampled[s],
                    "silhouette": json_float(self.per_segment[s]),
                }
                for s in self.segments
            ],
        }


def segment_silhouettes(
    X: ArrayLike,
    labels: ArrayLike,
    sample: int = 5000,
    random_state: int = 0,
    categorical: Sequence[int] = (),
) -> SilhouetteResult:
    """Mean silhouette of each segment of ``labels`` on ``X``, from a seeded stratified sample.

    ``sample`` bounds the rows used (each segment keeps at least ``min(size, 10)`` rows, so the
    sample may exceed it slightly when there are many small segments). Rows labelled -1 (noise)
    are left out. With ``categorical`` column positions (category codes), the silhouette is
    computed on Gower's distance (:mod:`cible.segmentation.gower`, ranges of all of ``X``)
    instead of the Euclidean one. Neither input is modified.
    """
    data = np.asarray(X, dtype=np.float64)
    lab = np.asarray(labels).astype(np.int64, copy=False)
    if data.ndim != 2 or lab.shape != (data.shape[0],):
        raise ValueError(
            f"X must be 2-D with one label per row; got X {data.shape} and labels {lab.shape}"
        )
    if sample < 2:
        raise ValueError(f"sample must be >= 2, got {sample}")
    kept = np.flatnonzero(lab != NOISE)
    segments, counts = np.unique(lab[kept], return_counts=True)
    sizes = {int(s): int(c) for s, c in zip(segments, counts, strict=True)}
    rows = _stratified_sample(lab, kept, segments, counts, sample, random_state)
    sampled = {int(s): int(np.sum(lab[rows] == s)) for s in segments}
    per_segment = {int(s): float("nan") for s in segments}
    if len(segments) >= 2 and len(rows) > len(segments):
        if categorical:
            cat = list(categorical)
            D = gower_distances(data[rows], categorical=cat, ranges=gower_ranges(data, cat))
            values = silhouette_samples(D, lab[rows], metric="precomputed")
        else:
            values = silhouette_samples(data[rows], lab[rows])
        for s in segments:
            per_segment[int(s)] = float(values[lab[rows] == s].mean())
    overall = (
        float(sum(per_segment[s] * sizes[s] for s in sizes) / sum(sizes.values()))
        if sizes
        else float("nan")
    )
    return SilhouetteResult(
        segments=tuple(int(s) for s in segments),
        per_segment=per_segment,
        sizes=sizes,
        sampled=sampled,
        overall=overall,
        n_rows=len(lab),
        n_noise=len(lab) - len(kept),
    )


def _stratified_sample(
    labels: NDArray[np.int64],
    kept: NDArray[np.intp],
    segments: NDArray[np.int64],
    counts: NDArray[np.intp],
    sample: int,
    random_state: int,
) -> NDArray[np.intp]:
    """Sorted row indices: per segment ``max(min(size, 10), round(sample * share))`` rows."""
    n = len(kept)
    if n <= sample:
        return kept
    rng = np.random.default_rng(random_state)
    parts = []
    for s, c in zip(segments, counts, strict=True):
        members = kept[labels[kept] == s]
        quota = min(int(c), max(MIN_PER_SEGMENT, round(sample * int(c) / n)))
        parts.append(rng.choice(members, size=quota, replace=False))
    return np.sort(np.concatenate(parts))
