"""Validation of the per-customer summaries the CLV models take (frequency, recency, T, monetary).

Every check names the rule and the first offending position, so that a bad summary is found
without printing customer data.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cible.exceptions import CLVError

FloatArray = NDArray[np.float64]


def as_vector(values: ArrayLike, name: str) -> FloatArray:
    """``values`` as a new 1-D float array of finite numbers (a scalar becomes length 1)."""
    try:
        out = np.array(values, dtype=np.float64, copy=True, ndmin=1)
    except (TypeError, ValueError) as e:
        raise CLVError(f"{name} must be numeric: {e}") from e
    if out.ndim != 1:
        raise CLVError(f"{name} must be one-dimensional, got shape {out.shape}")
    bad = ~np.isfinite(out)
    if bad.any():
        raise CLVError(
            f"{name} has {int(bad.sum())} missing or infinite value(s) (first at position "
            f"{int(np.argmax(bad))}); every value must be a finite number"
        )
    return out


def _first(mask: NDArray[np.bool_]) -> int:
    return int(np.argmax(mask))


def check_rft(
    frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Validate a BG/NBD summary: integer ``frequency >= 0``, ``0 <= recency <= T``.

    Scalars are broadcast against arrays so that one customer can be scored with ``T`` shared.
    """
    x, tx, big_t = (
        as_vector(v, n) for v, n in ((frequency, "frequency"), (recency, "recency"), (T, "T"))
    )
    try:
        x, tx, big_t = np.broadcast_arrays(x, tx, big_t)
    except ValueError as e:
        raise CLVError(
            f"frequency, recency and T must have the same length (got {x.size}, {tx.size}, "
            f"{big_t.size})"
        ) from e
    checks = (
        (x < 0, "frequency is negative", "frequency counts repeat purchases: 0, 1, 2..."),
        (x != np.round(x), "frequency is not a whole number", "frequency must be an integer"),
        (tx < 0, "recency is negative", "recency must lie in [0, T]"),
        (tx > big_t, "recency is larger than T", "recency must lie in [0, T]"),
        (
            (x == 0) & (tx != 0),
            "recency is not 0 while frequency is 0",
            "recency is 0 without a repeat purchase",
        ),
    )
    for mask, what, rule in checks:
        if mask.any():
            i = _first(mask)
            raise CLVError(
                f"{what} for {int(mask.sum())} customer(s) (first at position {i}: frequency "
                f"{x[i]:g}, recency {tx[i]:g}, T {big_t[i]:g}); {rule}"
            )
    return x.copy(), tx.copy(), big_t.copy()


def check_monetary(frequency: ArrayLike, monetary: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Validate a Gamma-Gamma input: integer ``frequency >= 0`` and ``monetary`` of the same length."""
    x, m = as_vector(frequency, "frequency"), as_vector(monetary, "monetary_value")
    try:
        x, m = np.broadcast_arrays(x, m)
    except ValueError as e:
        raise CLVError(
            f"frequency and monetary_value must have the same length (got {x.size}, {m.size})"
        ) from e
    bad = (x < 0) | (x != np.round(x))
    if bad.any():
        i = _first(bad)
        raise CLVError(
            f"frequency must be a whole number >= 0: {int(bad.sum())} bad value(s) (first at "
            f"position {i}: {x[i]:g})"
        )
    return x.copy(), m.copy()
