"""Held-out evaluation of an uplift model: uplift and Qini curves, their normalised areas, and
the uplift in the top k% (the formulas of scikit-uplift 0.5, ``sklift.metrics``, checked against
it in the tests).

Customers are ranked by predicted uplift, highest first; at each distinct score ``i`` customers
are targeted, ``n_t(i)`` / ``n_c(i)`` of them treated / control, ``y_t(i)`` / ``y_c(i)``
responders among them.

- uplift curve: ``(y_t/n_t - y_c/n_c) · i`` (0 where an arm is empty);
- Qini curve: ``y_t - y_c · n_t / n_c``, the extra responders among the treated;
- Qini coefficient: the area between the model's Qini curve and the straight line of random
  targeting, divided by the same area for the perfect ranking (with negative effects: treated
  responders first, control responders last); 0 is random, 1 perfect, < 0 worse than random.
  The uplift AUC is the same ratio on uplift curves;
- uplift at k: among the first ``int(n · k)`` customers, the response rate of the treated minus
  that of the control ("overall" strategy).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from cible.exceptions import ExperimentError
from cible.experiments._result import plain


def _sorted(y: ArrayLike, uplift: ArrayLike, t: ArrayLike) -> tuple[np.ndarray, ...]:
    yy, uu, tt = (np.asarray(a, dtype=np.float64) for a in (y, uplift, t))
    if not yy.shape == uu.shape == tt.shape or yy.ndim != 1:
        raise ExperimentError(
            f"y, uplift and treatment must be 1-d of one length, got {yy.shape}, {uu.shape}, {tt.shape}"
        )
    if not set(np.unique(tt)) <= {0.0, 1.0} or not {0.0, 1.0} <= set(np.unique(tt)):
        raise ExperimentError("treatment must be 0/1 with both arms present")
    order = np.argsort(uu, kind="mergesort")[::-1]
    return yy[order], uu[order], tt[order]


def _cumulative(y: ArrayLike, uplift: ArrayLike, t: ArrayLike) -> tuple[np.ndarray, ...]:
    ys, us, ts = _sorted(y, uplift, t)
    idx = np.r_[np.where(np.diff(us))[0], us.size - 1]
    n_t = np.cumsum(ts)[idx]
    y_t = np.cumsum(ys * ts)[idx]
    y_c = np.cumsum(ys * (1 - ts))[idx]
    n_all = (idx + 1).astype(np.float64)
    return n_all, n_t, n_all - n_t, y_t, y_c


def _from_zero(x: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.r_[0.0, x], np.r_[0.0, v]


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.divide(a, b, out=np.zeros_like(a), where=b != 0)


def uplift_curve(y: ArrayLike, uplift: ArrayLike, t: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    n_all, n_t, n_c, y_t, y_c = _cumulative(y, uplift, t)
    return _from_zero(n_all, (_div(y_t, n_t) - _div(y_c, n_c)) * n_all)


def qini_curve(y: ArrayLike, uplift: ArrayLike, t: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    n_all, n_t, n_c, y_t, y_c = _cumulative(y, uplift, t)
    return _from_zero(n_all, y_t - y_c * _div(n_t, n_c))


def _area(x: np.ndarray, v: np.ndarray) -> float:
    return float(np.trapezoid(v, x))


def _normalised(
    curve: Any, y: ArrayLike, uplift: ArrayLike, t: ArrayLike, perfect: np.ndarray
) -> float:
    x, v = curve(y, uplift, t)
    xp, vp = curve(y, perfect, t)
    base = _area(np.array([0.0, xp[-1]]), np.array([0.0, vp[-1]]))
    return (_area(x, v) - base) / (_area(xp, vp) - base)


def qini_coefficient(y: ArrayLike, uplift: ArrayLike, t: ArrayLike) -> float:
    """sklift ``qini_auc_score(negative_effect=True)``."""
    yy, tt = np.asarray(y, dtype=np.float64), np.asarray(t, dtype=np.float64)
    return _normalised(qini_curve, y, uplift, t, yy * tt - yy * (1 - tt))


def uplift_auc(y: ArrayLike, uplift: ArrayLike, t: ArrayLike) -> float:
    """sklift ``uplift_auc_score``."""
    yy, tt = np.asarray(y, dtype=np.float64), np.asarray(t, dtype=np.float64)
    control_responders = np.sum((yy == 1) & (tt == 0))
    treated_non_responders = np.sum((yy == 0) & (tt == 1))
    summand = yy if control_responders > treated_non_responders else tt
    return _normalised(uplift_curve, y, uplift, t, 2 * (yy == tt) + summand)


def uplift_at_k(y: ArrayLike, uplift: ArrayLike, t: ArrayLike, k: float) -> float:
    """Treated minus control response rate among the top ``int(n · k)`` by predicted uplift."""
    if not 0 < k < 1:
        raise ExperimentError(f"k must be a fraction in (0, 1), got {k}")
    ys, _, ts = _sorted(y, uplift, t)
    top = int(ys.size * k)
    yt, tt = ys[:top], ts[:top]
    if not (tt == 1).any() or not (tt == 0).any():
        return float("nan")
    return float(yt[tt == 1].mean() - yt[tt == 0].mean())


@dataclass(frozen=True)
class UpliftEvaluation:
    """The held-out figures of one model, and its curves (x = customers targeted)."""

    model: str
    qini_coefficient: float
    uplift_auc: float
    uplift_top_10: float
    uplift_top_30: float
    qini_x: tuple[float, ...]
    qini_y: tuple[float, ...]
    uplift_x: tuple[float, ...]
    uplift_y: tuple[float, ...]

    def summary(self) -> dict[str, Any]:
        return plain(
            {
                "model": self.model,
                "qini_coefficient": self.qini_coefficient,
                "uplift_auc": self.uplift_auc,
                "uplift_top_10": self.uplift_top_10,
                "uplift_top_30": self.uplift_top_30,
            }
        )


def _thin(
    x: np.ndarray, v: np.ndarray, points: int = 200
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    if x.size <= points:
        return tuple(x.tolist()), tuple(v.tolist())
    keep = np.unique(np.linspace(0, x.size - 1, points).astype(int))
    return tuple(x[keep].tolist()), tuple(v[keep].tolist())


def evaluate_uplift(model: str, y: ArrayLike, uplift: ArrayLike, t: ArrayLike) -> UpliftEvaluation:
    qx, qy = _thin(*qini_curve(y, uplift, t))
    ux, uy = _thin(*uplift_curve(y, uplift, t))
    return UpliftEvaluation(
        model=model,
        qini_coefficient=qini_coefficient(y, uplift, t),
        uplift_auc=uplift_auc(y, uplift, t),
        uplift_top_10=uplift_at_k(y, uplift, t, 0.1),
        uplift_top_30=uplift_at_k(y, uplift, t, 0.3),
        qini_x=qx,
        qini_y=qy,
        uplift_x=ux,
        uplift_y=uy,
    )
