"""Analytic Hierarchy Process: criterion weights from pairwise judgements, and their consistency.

A decision maker compares the criteria two by two on Saaty's 1-9 scale: ``a_ij`` says how much more
important criterion ``i`` is than criterion ``j`` (``a_ji = 1 / a_ij``, ``a_ii = 1``). If the
judgements were perfectly consistent there would be weights ``w`` with ``a_ij = w_i / w_j`` for every
pair; then ``A w = n w`` and ``w`` is the eigenvector of ``A`` for the eigenvalue ``n``.

Real judgements are not consistent. Following Saaty, the weights are the principal (Perron)
eigenvector of ``A``, normalised to sum 1, and the departure from consistency is measured by

* ``lambda_max``: the largest eigenvalue (``>= n`` for a positive reciprocal matrix, ``= n`` only when
  the matrix is consistent);
* the consistency index ``CI = (lambda_max - n) / (n - 1)``;
* the consistency ratio ``CR = CI / RI(n)``, where ``RI(n)`` (:data:`RANDOM_INDEX`) is the mean CI of
  random reciprocal matrices of size ``n``. ``CR <= 0.10`` is Saaty's usual acceptance threshold.
  Every 1x1 and 2x2 reciprocal matrix is consistent, so their CR is 0.

To help revise an inconsistent matrix, every judgement is compared with the ratio the weights imply:
its deviation is ``|log(a_ij * w_j / w_i)|`` (0 when the judgement agrees with the weights; the log
makes "twice too large" and "twice too small" equally bad).

Everything here is a pure function over a matrix; :func:`check_consistency` turns a too large CR
into a :class:`~cible.exceptions.ConfigError` that names the judgements to revise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cible.exceptions import ConfigError

#: Saaty's random consistency index RI(n) for n = 1..15 (index 0 is n = 1).
RANDOM_INDEX: tuple[float, ...] = (
    0.0,
    0.0,
    0.58,
    0.90,
    1.12,
    1.24,
    1.32,
    1.41,
    1.45,
    1.49,
    1.51,
    1.48,
    1.56,
    1.57,
    1.59,
)

#: Tolerance of the reciprocity and unit-diagonal checks (relative for reciprocity).
TOLERANCE = 1e-6


class InconsistentPair(NamedTuple):
    """One judgement ``a_ij`` (``i`` before ``j`` in the criteria) against the weights' ratio."""

    criterion_i: str
    criterion_j: str
    given: float
    implied: float
    deviation: float


@dataclass(frozen=True)
class AHPResult:
    """Weights and consistency of one pairwise comparison matrix.

    ``inconsistent_pairs`` holds every pair ``i < j`` sorted by decreasing deviation (ties keep the
    matrix order); ``consistency_ratio`` is 0 when ``n <= 2``.
    """

    criteria: tuple[str, ...]
    weights: dict[str, float]
    lambda_max: float
    consistency_index: float
    consistency_ratio: float
    random_index: float
    inconsistent_pairs: tuple[InconsistentPair, ...]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping (for reports)."""
        return {
            "criteria": list(self.criteria),
            "weights": dict(self.weights),
            "lambda_max": self.lambda_max,
            "consistency_index": self.consistency_index,
            "consistency_ratio": self.consistency_ratio,
            "random_index": self.random_index,
            "inconsistent_pairs": [p._asdict() for p in self.inconsistent_pairs],
        }


def validate_matrix(matrix: ArrayLike, criteria: list[str]) -> NDArray[np.float64]:
    """Check a pairwise comparison matrix and return it as a float array (a new array).

    Raises :class:`~cible.exceptions.ConfigError` when the criteria are empty, repeated or more than
    15, or the matrix is not square with one row per criterion, has a missing, infinite or
    non-positive entry, a diagonal entry other than 1, or a pair that is not reciprocal
    (``a_ji`` must equal ``1 / a_ij`` within a relative tolerance of 1e-6).
    """
    names = [str(c) for c in criteria]
    n = len(names)
    if n == 0:
        raise ConfigError("AHP needs at least one criterion")
    if len(set(names)) != n:
        dups = sorted({c for c in names if names.count(c) > 1})
        raise ConfigError(f"AHP criteria must be unique; repeated: {dups}")
    if n > len(RANDOM_INDEX):
        raise ConfigError(
            f"AHP supports at most {len(RANDOM_INDEX)} criteria (Saaty's random index is "
            f"tabulated up to n = {len(RANDOM_INDEX)}), got {n}"
        )
    try:
        a = np.array(matrix, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"the AHP matrix must be {n} x {n} numbers: {e}") from e
    if a.shape != (n, n):
        raise ConfigError(
            f"the AHP matrix must be {n} x {n} (one row and column per criterion {names}), "
            f"got shape {a.shape}"
        )
    bad = np.argwhere(~np.isfinite(a) | (a <= 0.0))
    if bad.size:
        i, j = (int(v) for v in bad[0])
        raise ConfigError(
            f"AHP matrix entries must be positive numbers: matrix[{i}][{j}] = {a[i, j]:g} "
            f"({names[i]} vs {names[j]})"
        )
    for i in range(n):
        if abs(a[i, i] - 1.0) > TOLERANCE:
            raise ConfigError(
                f"the AHP matrix diagonal must be 1 (a criterion is as important as itself): "
                f"matrix[{i}][{i}] = {a[i, i]:g} ({names[i]})"
            )
    for i in range(n):
        for j in range(i + 1, n):
            if abs(a[i, j] * a[j, i] - 1.0) > TOLERANCE:
                raise ConfigError(
                    f"the AHP matrix is not reciprocal: matrix[{i}][{j}] = {a[i, j]:g} but "
                    f"matrix[{j}][{i}] = {a[j, i]:g}, expected {_reciprocal(a[i, j])} "
                    f"({names[i]} vs {names[j]})"
                )
    return a


def ahp_weights(matrix: ArrayLike, criteria: list[str]) -> AHPResult:
    """Principal-eigenvector weights, ``lambda_max``, CI, CR and the judgements ranked by deviation.

    The matrix is checked with :func:`validate_matrix` first. The weights are the real part of the
    eigenvector (:func:`numpy.linalg.eig`) of the largest real eigenvalue, divided by its sum. A
    tiny negative CI from rounding (``lambda_max`` a few ulps below ``n``) is reported as 0.
    """
    a = validate_matrix(matrix, criteria)
    names = tuple(str(c) for c in criteria)
    n = len(names)
    eigenvalues, eigenvectors = np.linalg.eig(a)
    k = int(np.argmax(eigenvalues.real))
    lambda_max = float(eigenvalues[k].real)
    vector = eigenvectors[:, k].real
    w = vector / vector.sum()
    if n <= 2:
        ci = 0.0
        cr = 0.0
    else:
        ci = max(0.0, (lambda_max - n) / (n - 1))
        cr = ci / RANDOM_INDEX[n - 1]
    pairs = [
        InconsistentPair(
            criterion_i=names[i],
            criterion_j=names[j],
            given=float(a[i, j]),
            implied=float(w[i] / w[j]),
            deviation=abs(math.log(a[i, j] * w[j] / w[i])),
        )
        for i in range(n)
        for j in range(i + 1, n)
    ]
    pairs.sort(key=lambda p: p.deviation, reverse=True)
    return AHPResult(
        criteria=names,
        weights={c: float(v) for c, v in zip(names, w, strict=True)},
        lambda_max=lambda_max,
        consistency_index=ci,
        consistency_ratio=cr,
        random_index=RANDOM_INDEX[n - 1],
        inconsistent_pairs=tuple(pairs),
    )


def check_consistency(result: AHPResult, max_cr: float = 0.1) -> AHPResult:
    """Return ``result`` if its CR is at most ``max_cr``, else raise a ConfigError.

    The message gives the CR and the (up to) three judgements that deviate most from the ratios of
    the weights, with the value a consistent judgement would have, e.g. ``AHP consistency ratio
    0.24 > 0.10: revise the judgements behavioural vs demographic (given 5, consistent would be
    about 1.3), ...``.
    """
    if result.consistency_ratio <= max_cr:
        return result
    worst = [p for p in result.inconsistent_pairs if p.deviation > 0.0][:3]
    advice = ", ".join(
        f"{p.criterion_i} vs {p.criterion_j} (given {_judgement(p.given)}, "
        f"consistent would be about {p.implied:.2g})"
        for p in worst
    )
    raise ConfigError(
        f"AHP consistency ratio {result.consistency_ratio:.2f} > {max_cr:.2f}: revise the "
        f"judgements {advice}"
    )


def _judgement(value: float) -> str:
    """A judgement as written on Saaty's scale: ``5``, ``1/3`` (not 0.333333), ``0.4``."""
    if value >= 1.0:
        return f"{value:g}"
    inverse = 1.0 / value
    if abs(inverse - round(inverse)) <= TOLERANCE * inverse:
        return f"1/{round(inverse)}"
    return f"{value:.3g}"


def _reciprocal(value: float) -> str:
    """``1/3`` for 3, ``5`` for 0.2: the reciprocal as a reader would write it."""
    return f"1/{value:g}" if value >= 1.0 else f"{1.0 / value:g}"
