"""Metrics of a binary scorer: pure functions of labels and scores, returning typed results.

* ROC AUC; PR AUC (average precision); log-loss; Brier score;
* F1, precision, recall and the confusion matrix at a given threshold;
* calibration curve: ``CALIBRATION_BINS`` bins of equal size by score (quantile bins), mean
  score against observed positive rate;
* lift and cumulative gain by decile: customers sorted by score, highest first (ties kept in
  input order), cut into 10 groups of sizes differing by at most one.

:func:`max_f1_threshold` picks the threshold on out-of-fold training scores, never on test data.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    log_loss,
    precision_recall_curve,
    roc_auc_score,
    roc_curve,
)

from cible.predict.training_result import CalibrationBin, Curve, DecileRow, ModelMetrics

CALIBRATION_BINS = 10
DECILES = 10
CURVE_POINTS = 200


def _arrays(y_true: ArrayLike, scores: ArrayLike) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    y = np.asarray(y_true).astype(np.int64)
    p = np.asarray(scores, dtype=np.float64)
    if y.shape != p.shape or y.ndim != 1:
        raise ValueError(f"labels {y.shape} and scores {p.shape} must be 1-D of the same length")
    if not set(np.unique(y).tolist()) <= {0, 1}:
        raise ValueError("labels must be 0 or 1")
    if np.isnan(p).any():
        raise ValueError("scores contain NaN")
    return y, p


def max_f1_threshold(y_true: ArrayLike, scores: ArrayLike) -> float:
    """The score threshold (predict positive when ``score >= threshold``) maximising F1."""
    y, p = _arrays(y_true, scores)
    precision, recall, thresholds = precision_recall_curve(y, p)
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    best = int(np.argmax(f1[:-1])) if len(thresholds) else 0
    return float(thresholds[best]) if len(thresholds) else 0.5


def confusion(y: NDArray[np.int64], predicted: NDArray[np.bool_]) -> tuple[int, int, int, int]:
    """``(tn, fp, fn, tp)``."""
    tp = int(np.sum(predicted & (y == 1)))
    fp = int(np.sum(predicted & (y == 0)))
    fn = int(np.sum(~predicted & (y == 1)))
    return int(len(y) - tp - fp - fn), fp, fn, tp


def calibration_bins(
    y_true: ArrayLike, scores: ArrayLike, bins: int = CALIBRATION_BINS
) -> list[CalibrationBin]:
    y, p = _arrays(y_true, scores)
    order = np.argsort(p, kind="stable")
    out: list[CalibrationBin] = []
    for part in np.array_split(order, min(bins, len(order))):
        out.append(CalibrationBin(float(p[part].mean()), float(y[part].mean()), len(part)))
    return out


def decile_table(y_true: ArrayLike, scores: ArrayLike, groups: int = DECILES) -> list[DecileRow]:
    """Lift and cumulative gain per decile of score (decile 1 = highest scores)."""
    y, p = _arrays(y_true, scores)
    order = np.argsort(-p, kind="stable")
    base = float(y.mean())
    total_pos = int(y.sum())
    rows: list[DecileRow] = []
    seen = positives_so_far = 0
    for i, part in enumerate(np.array_split(order, min(groups, len(order))), start=1):
        pos = int(y[part].sum())
        seen += len(part)
        positives_so_far += pos
        rate = pos / len(part)
        cum_rate = positives_so_far / seen
        rows.append(
            DecileRow(
                decile=i,
                customers=len(part),
                positives=pos,
                rate=rate,
                lift=rate / base if base > 0 else float("nan"),
                cumulative_gain=positives_so_far / total_pos if total_pos else float("nan"),
                cumulative_lift=cum_rate / base if base > 0 else float("nan"),
                min_score=float(p[part].min()),
            )
        )
    return rows


def _thin(x: NDArray[np.float64], y: NDArray[np.float64], n: int = CURVE_POINTS) -> Curve:
    if len(x) > n:
        keep = np.unique(np.linspace(0, len(x) - 1, n).round().astype(int))
        x, y = x[keep], y[keep]
    return Curve([float(v) for v in x], [float(v) for v in y])


def compute_metrics(y_true: ArrayLike, scores: ArrayLike, threshold: float) -> ModelMetrics:
    """Every metric of the report for scores ``scores`` against labels ``y_true``."""
    y, p = _arrays(y_true, scores)
    if len(np.unique(y)) < 2:
        raise ValueError("metrics need both classes in the labels")
    predicted = p >= threshold
    tn, fp, fn, tp = confusion(y, predicted)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    fpr, tpr, _ = roc_curve(y, p)
    prec, rec, _ = precision_recall_curve(y, p)
    clipped = np.clip(p, 1e-15, 1 - 1e-15)
    return ModelMetrics(
        n=len(y),
        positives=int(y.sum()),
        roc_auc=float(roc_auc_score(y, p)),
        pr_auc=float(average_precision_score(y, p)),
        log_loss=float(log_loss(y, clipped, labels=[0, 1])),
        brier=float(brier_score_loss(y, p)),
        threshold=float(threshold),
        f1=float(f1),
        precision=float(precision),
        recall=float(recall),
        confusion=(tn, fp, fn, tp),
        calibration=calibration_bins(y, p),
        deciles=decile_table(y, p),
        roc=_thin(fpr, tpr),
        pr=_thin(rec[::-1], prec[::-1]),
    )
