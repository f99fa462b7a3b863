"""Bootstrap stability of the segments (Hennig's clusterboot).

Hennig, C. (2007). Cluster-wise assessment of cluster stability. *Computational Statistics & Data
Analysis*, 52(1), 258-271.

For each of ``n_boot`` resamples:

1. draw ``m`` rows with replacement (``m = n``, or ``m = sample`` when ``sample`` is given and
   smaller than ``n``: the rows are then drawn from a fresh seeded subsample of ``sample`` rows, an
   m-out-of-n bootstrap that keeps the cost bounded on large bases);
2. refit the segmentation on the resampled rows with ``fit_predict`` (duplicates included, as in
   any bootstrap);
3. on the *unique* resampled rows, compare each original segment ``A`` with every cluster ``B`` of
   the refit (its noise, label -1, is not a cluster) by the Jaccard similarity
   ``|A ∩ B| / |A ∪ B|`` and keep the best match.

A segment's stability is its mean best Jaccard over the resamples (resamples in which it has no row
are skipped). Hennig's rule of thumb: a mean Jaccard below 0.6 means the segment is not stable
(it dissolves), above 0.75 it is stable; between them it is a real but fuzzy pattern. The share of
resamples in which the best Jaccard exceeds 0.5 ("recovered") is reported as well.

The adjusted Rand index (ARI) between the original labels and the refit labels on the unique
resampled rows summarises the agreement of whole partitions. Rows that are noise in the original
labels are left out of both measures; rows that become noise in a refit count as a disagreement.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.metrics import adjusted_rand_score

from cible.segmentation.validation._json import json_float

NOISE = -1
UNSTABLE_JACCARD = 0.6
STABLE_JACCARD = 0.75
RECOVERED_JACCARD = 0.5

FitPredict = Callable[[NDArray[np.float64]], ArrayLike]


@dataclass(frozen=True, eq=False)
class StabilityResult:
    """Clusterboot stability of each segment.

    Attributes
    ----------
    segments: original segment labels, sorted (noise excluded).
    jaccards: ``(n_boot, n_segments)`` best Jaccard per resample and segment; NaN when the segment
        had no row in the resample. Not to be modified.
    mean_jaccard: mean of each column of ``jaccards`` (NaN values skipped).
    recovered: share of resamples in which the segment's best Jaccard is > 0.5.
    aris: ARI of each resample.
    mean_ari: mean of ``aris``.
    n_boot: resamples run.
    resample_size: rows drawn per resample.
    """

    segments: tuple[int, ...]
    jaccards: NDArray[np.float64]
    mean_jaccard: dict[int, float]
    recovered: dict[int, float]
    aris: tuple[float, ...]
    mean_ari: float
    n_boot: int
    resample_size: int

    def stability_class(self, segment: int) -> str:
        """Hennig's reading of a segment's mean Jaccard: unstable, fuzzy or stable."""
        value = self.mean_jaccard[segment]
        if np.isnan(value) or value < UNSTABLE_JACCARD:
            return "unstable"
        return "stable" if value > STABLE_JACCARD else "fuzzy"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready plain types (NaN as ``None``)."""
        return {
            "method": "clusterboot (Hennig 2007)",
            "n_boot": self.n_boot,
            "resample_size": self.resample_size,
            "mean_ari": json_float(self.mean_ari),
            "aris": [json_float(a) for a in self.aris],
            "segments": [
                {
                    "segment": s,
                    "mean_jaccard": json_float(self.mean_jaccard[s]),
                    "recovered": json_float(self.recovered[s]),
                    "stability": self.stability_class(s),
                    "jaccards": [json_float(v) for v in self.jaccards[:, i]],
                }
                for i, s in enumerate(self.segments)
            ],
        }


def bootstrap_stability(
    X: ArrayLike,
    labels: ArrayLike,
    fit_predict: FitPredict,
    n_boot: int = 20,
    sample: int | None = None,
    random_state: int = 0,
) -> StabilityResult:
    """Hennig's (2007) clusterboot stability of the segments in ``labels``.

    ``fit_predict(X_boot)`` must refit the segmentation from scratch on ``X_boot`` and return one
    label per row of it (-1 for noise); it is called exactly ``n_boot`` times. ``sample`` bounds
    the rows of each resample (m-out-of-n bootstrap, see the module docstring). Neither ``X`` nor
    ``labels`` is modified.
    """
    data = np.asarray(X, dtype=np.float64)
    lab = np.asarray(labels).astype(np.int64, copy=False)
    if data.ndim != 2 or lab.shape != (data.shape[0],):
        raise ValueError(
            f"X must be 2-D with one label per row; got X {data.shape} and labels {lab.shape}"
        )
    if n_boot < 1:
        raise ValueError(f"n_boot must be >= 1, got {n_boot}")
    if sample is not None and sample < 2:
        raise ValueError(f"sample must be None or >= 2, got {sample}")
    n = len(lab)
    segments = np.unique(lab[lab != NOISE])
    m = n if sample is None else min(n, sample)
    rng = np.random.default_rng(random_state)
    jaccards = np.full((n_boot, len(segments)), np.nan)
    aris: list[float] = []
    for b in range(n_boot):
        pool = np.arange(n) if m == n else rng.choice(n, size=m, replace=False)
        drawn = pool[rng.integers(0, m, size=m)]
        boot = np.asarray(fit_predict(data[drawn])).astype(np.int64, copy=False)
        if boot.shape != (m,):
            raise ValueError(
                f"fit_predict returned {boot.shape[0] if boot.ndim else 0} labels "
                f"for {m} rows; it must return one label per row"
            )
        rows, first = np.unique(drawn, return_index=True)
        jaccards[b] = _best_jaccards(lab[rows], boot[first], segments)
        clustered = lab[rows] != NOISE
        aris.append(float(adjusted_rand_score(lab[rows][clustered], boot[first][clustered])))
    means, recovered = _per_segment(jaccards)
    return StabilityResult(
        segments=tuple(int(s) for s in segments),
        jaccards=jaccards,
        mean_jaccard={int(s): float(v) for s, v in zip(segments, means, strict=True)},
        recovered={int(s): float(v) for s, v in zip(segments, recovered, strict=True)},
        aris=tuple(aris),
        mean_ari=float(np.mean(aris)),
        n_boot=n_boot,
        resample_size=m,
    )


def _per_segment(
    jaccards: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per segment, over the resamples where it could be matched: the mean Jaccard and the share
    of resamples that recovered it (Jaccard > ``RECOVERED_JACCARD``); NaN when never matched."""
    with np.errstate(invalid="ignore"):
        present = ~np.isnan(jaccards)
        counts = present.sum(axis=0)
        means = np.where(counts > 0, np.nansum(jaccards, axis=0) / np.maximum(counts, 1), np.nan)
        recovered = np.where(
            counts > 0,
            np.sum(np.nan_to_num(jaccards, nan=0.0) > RECOVERED_JACCARD, axis=0)
            / np.maximum(counts, 1),
            np.nan,
        )
    return means, recovered


def _best_jaccards(
    original: NDArray[np.int64], boot: NDArray[np.int64], segments: NDArray[np.int64]
) -> NDArray[np.float64]:
    """Best Jaccard of each original segment with a (non-noise) boot cluster; NaN if absent."""
    clusters, boot_codes = np.unique(boot, return_inverse=True)
    cluster_sizes = np.bincount(boot_codes, minlength=len(clusters))
    seg_index = np.searchsorted(segments, original)
    in_segment = (original != NOISE) & (seg_index < len(segments))
    in_segment[in_segment] = segments[seg_index[in_segment]] == original[in_segment]
    table = np.zeros((len(segments), len(clusters)))
    np.add.at(table, (seg_index[in_segment], boot_codes[in_segment]), 1.0)
    seg_sizes = table.sum(axis=1)
    union = seg_sizes[:, None] + cluster_sizes[None, :] - table
    with np.errstate(invalid="ignore", divide="ignore"):
        jac = np.where(union > 0, table / union, 0.0)
    jac[:, clusters == NOISE] = 0.0
    best = jac.max(axis=1) if len(clusters) else np.zeros(len(segments))
    return np.where(seg_sizes > 0, best, np.nan)
