"""Gower's distance (Gower, 1971) between rows that mix numeric and categorical columns.

For rows ``x`` and ``y`` and each column ``j``:

- numeric: ``d_j = |x_j - y_j| / R_j`` with ``R_j`` the range (max - min) of the column over the
  reference rows (:func:`gower_ranges`); a constant column (``R_j = 0``) gives ``d_j = 0``;
- categorical (values are category codes): ``d_j = 0`` when equal, 1 otherwise;

and ``D(x, y) = sum_j delta_j d_j / sum_j delta_j``, where ``delta_j = 0`` when ``x_j`` or ``y_j``
is missing (NaN), 1 otherwise: a missing value leaves its column out of that pair's mean. A pair
with no column observed on both sides gets 1 (nothing in common is known). Distances are in
[0, 1], symmetric, 0 on the diagonal for fully observed rows.

Implemented with numpy in row blocks (no dependency: the ``gower`` package on PyPI is a single
unmaintained module). Numeric values more than ``R_j`` apart (rows outside the reference range)
are clipped at ``d_j = 1``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: rows of ``X`` per block: a block holds ``block x len(Y) x n_columns`` floats
_BLOCK_CELLS = 4_000_000


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
    scale = np.where((R > 0) & ~cat, R, np.inf)  # d_j = 0 on constant numeric columns
    out = np.empty((A.shape[0], B.shape[0]))
    b_obs = ~np.isnan(B)
    block = max(1, _BLOCK_CELLS // max(1, B.shape[0] * p))
    for start in range(0, A.shape[0], block):
        a = A[start : start + block, None, :]
        both = ~np.isnan(a) & b_obs[None, :, :]
        with np.errstate(invalid="ignore"):
            numeric = np.minimum(np.abs(a - B[None, :, :]) / scale, 1.0)
            mismatch = (a != B[None, :, :]).astype(np.float64)
        d = np.where(cat, mismatch, numeric)
        total = np.where(both, d, 0.0).sum(axis=2)
        count = both.sum(axis=2)
        out[start : start + block] = np.where(count > 0, total / np.maximum(count, 1), 1.0)
    return out
