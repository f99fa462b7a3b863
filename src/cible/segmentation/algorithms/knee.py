"""The knee of an ascending curve, Kneedle-style (Satopää et al., 2011).

Both axes are rescaled to ``[0, 1]`` (x from the index, y from the first and last values); the knee
is the point farthest from the chord joining the first and last points. For the sorted k-distance
curve of DBSCAN (convex, rising steeply at the end) it is where the slow rise turns into the steep
one: the usual choice for ``eps``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

# Distances (in the rescaled unit square) at or below this are "on the chord": no knee.
_ON_CHORD = 1e-12


def knee_point(y: ArrayLike) -> int:
    """Index of the knee of ``y``, a 1-D finite curve sorted ascending.

    The curve is rescaled to the unit square, ``x_i = i / (n - 1)`` and
    ``y_i = (y_i - y_0) / (y_{n-1} - y_0)``; the knee is the index that maximises the distance
    ``|x_i - y_i| / sqrt(2)`` to the chord ``y = x`` (ties go to the smaller index).

    When no point lies off the chord (fewer than 3 points, a constant curve or a straight line)
    there is no knee and the last index is returned: for DBSCAN this means the largest k-distance,
    so that structureless data becomes one cluster rather than all noise.

    Raises ``ValueError`` when ``y`` is empty, not 1-D, not finite or not sorted ascending.
    """
    values = np.asarray(y, dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"knee_point needs a non-empty 1-D curve, got shape {values.shape}")
    if not np.all(np.isfinite(values)):
        raise ValueError("knee_point needs finite values; the curve contains NaN or infinity")
    steps = np.diff(values)
    if np.any(steps < 0):
        first = int(np.argmax(steps < 0))
        raise ValueError(
            "knee_point needs a curve sorted ascending; "
            f"y[{first + 1}]={float(values[first + 1])!r} < y[{first}]={float(values[first])!r}"
        )
    n = values.size
    span = values[-1] - values[0]
    if n < 3 or span == 0:
        return n - 1
    x_norm = np.arange(n, dtype=np.float64) / (n - 1)
    y_norm = (values - values[0]) / span
    distance = np.abs(x_norm - y_norm) / np.sqrt(2.0)
    best = int(np.argmax(distance))
    if distance[best] <= _ON_CHORD:
        return n - 1
    return best
