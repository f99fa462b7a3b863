"""Gower's distance (Gower, 1971) between rows that mix numeric and categorical columns.

For rows ``x`` and ``y`` and each column ``j``:

- numeric: ``d_j = |x_j - y_j| / R_j`` with ``R_j`` the range (max - min) of the column over the
  reference rows (:func:`gower_ranges`); a constant column (``R_j = 0``) gives ``d_j = 0``;
- categorical (values are category codes): ``d_j = 0`` when equal, 1 otherwise;

and ``D(x, y) = sum_j delta_j d_j / sum_j delta_j``, where ``delta_j = 0`` when ``x_j`` or ``y_j``
is missing (NaN), 1 otherwise: a missing value leaves its column out of that pair's mean. A pair
with no column observed on both sides gets 1 (nothing in common is known). Distances are in
[0, 1], symmetric, 0 on the diagonal for fully observed rows.

Implemented with numpy and scipy (``cdist`` city-block and Hamming when no value is missing and
no pair is more than a range apart; column by column otherwise). The ``gower`` package on PyPI
(a single unmaintained module) is not a dependency. Numeric values more than ``R_j`` apart (rows outside the reference range)
are clipped at ``d_j = 1``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.spatial.distance import cdist


def gower_ranges(X: ArrayLike, categorical: Sequence[int] = ()) -> NDArray[np.float64]:
    """The range (max - min, NaN ignored) of every column of ``X``; 0 for categorical columns
    and for columns with no observed value."""
    data = np.asarray(X, dtype=np.float64)
    if data.ndim != 2:
        raise ValueError(f"gower_ranges needs a 2-D array, got shape {data.shape}")
    observed = ~np.isnan(data)
    ranges = np.zeros(data.shape[1])
    for j in range(data.shape[1]):
        if j in set(categorical) or not observed[:, j].any():
            continue
        column = data[observed[:, j], j]
        ranges[j] = float(column.max() - column.min())
    return ranges


def gower_distances(
    X: ArrayLike,
    Y: ArrayLike | None = None,
    *,
    categorical: Sequence[int] = (),
    ranges: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """``(len(X), len(Y))`` Gower distances (module docstring); ``Y`` defaults to ``X``.

    ``categorical``: positions of the categorical columns (their values are compared for
    equality). ``ranges``: the numeric ranges, by default :func:`gower_ranges` of ``X`` (of
    ``X`` and ``Y`` stacked when ``Y`` is given) -- pass the ranges of the training rows to
    compare new rows on the same scale.
    """
    A = np.asarray(X, dtype=np.float64)
    B = A if Y is None else np.asarray(Y, dtype=np.float64)
    if A.ndim != 2 or B.ndim != 2 or A.shape[1] != B.shape[1]:
        raise ValueError(
            f"gower_distances needs 2-D arrays with the same columns, got {A.shape} and {B.shape}"
        )
    p = A.shape[1]
    cat = np.zeros(p, dtype=bool)
    for j in categorical:
        if not 0 <= int(j) < p:
            raise ValueError(f"categorical column {j} is not in 0..{p - 1}")
        cat[int(j)] = True
    if ranges is None:
        R = gower_ranges(A if Y is None else np.vstack([A, B]), list(np.flatnonzero(cat)))
    else:
        R = np.asarray(ranges, dtype=np.float64)
        if R.shape != (p,):
            raise ValueError(f"ranges must have one value per column ({p}), got {R.shape}")
    fast = _fast(A, B, R, cat)
    if fast is not None:
        return fast
    total = np.zeros((A.shape[0], B.shape[0]))
    count = np.zeros_like(total)
    for j in range(p):  # column by column: 2-D arrays, no (rows x rows x columns) temporaries
        a, b = A[:, j, None], B[None, :, j]
        if cat[j]:
            d = (a != b).astype(np.float64)
        elif R[j] > 0:
            d = np.minimum(np.abs(a - b) / R[j], 1.0)
        else:  # a constant column never differs (d_j = 0), but counts in the mean
            d = np.zeros_like(total)
        missing_a, missing_b = np.isnan(a), np.isnan(b)
        if missing_a.any() or missing_b.any():
            both = ~missing_a & ~missing_b
            total += np.where(both, d, 0.0)
            count += both
        else:
            total += d
            count += 1.0
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(count > 0, total / count, 1.0)
    return out


def _fast(
    A: NDArray[np.float64], B: NDArray[np.float64], R: NDArray[np.float64], cat: NDArray[np.bool_]
) -> NDArray[np.float64] | None:
    """The same distances from two C loops (scipy's city-block on the range-scaled numeric
    columns, Hamming on the categorical ones) when no value is missing and no pair is more than
    a range apart (nothing to leave out or clip); ``None`` otherwise."""
    if np.isnan(A).any() or np.isnan(B).any():
        return None
    numeric = ~cat & (R > 0)
    both = np.vstack([A[:, numeric], B[:, numeric]])
    if both.size and np.any(both.max(axis=0) - both.min(axis=0) > R[numeric]):
        return None
    total = np.zeros((A.shape[0], B.shape[0]))
    if numeric.any():
        total += cdist(A[:, numeric] / R[numeric], B[:, numeric] / R[numeric], "cityblock")
    if cat.any():
        total += cdist(A[:, cat], B[:, cat], "hamming") * int(cat.sum())
    return total / A.shape[1]
