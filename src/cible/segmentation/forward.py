"""Segments judged by what they predict: a holdout of the last days of the history.

The last ``holdout_days`` before ``as_of`` are held out. The *cutoff* is ``as_of -
holdout_days`` (midnight UTC): features and segments are computed on the events strictly before
it (:func:`cible.features.build_features` at the cutoff, whose SQL sees only ``timestamp <
cutoff``); the *next period* is ``cutoff <= timestamp < as_of``, so an order exactly at the cutoff
belongs to the future. The population is the customers who bought before the cutoff (the only
ones an RFM score exists for); for each, :func:`future_outcomes` counts the orders and the net
revenue (purchases plus refunds) of the next period.

Two measures of how much segment membership explains of that future, for any segmentation:

* :func:`purchase_rate_auc`: every customer is scored by the next-period purchase rate of their
  segment, and the score's ROC AUC against "bought in the next period" is reported (0.5: the
  segments say nothing, 1.0: some segments buy and the others never do). The rates are measured
  on the period they score (in-sample), so like any in-sample fit the AUC cannot fall when
  segments are split: compare segmentations with no more segments.
* :func:`revenue_variance_explained`: between-segment sum of squares / total sum of squares of
  next-period revenue (eta squared; 0 when the segments have the same mean revenue).

:func:`compare_forward` measures cible's segmentation (the chosen candidate, fitted on the data
before the cutoff) beside the RFM-quintile segmentation (:mod:`cible.segmentation.rfm_quintiles`) on the
same customers; :func:`backtest_candidates` measures every candidate of the grid, which the
selection can use as a tie-break or a gate (:mod:`cible.segmentation.selection_forward`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from sklearn.metrics import roc_auc_score

from cible.config import FEATURE_NAMES, SegmentationConfig
from cible.exceptions import SegmentationError
from cible.segmentation.naming import name_segments, purchase_cycle_days
from cible.segmentation.profiles import profile_segments
from cible.segmentation.rfm_quintiles import rfm_scores
from cible.segmentation.science import prepare
from cible.segmentation.segmentation_result import NOISE_SEGMENT_NAME
from cible.segmentation.selection import (
    Candidate,
    CandidateScore,
    fit_labels,
    select_segmentation,
)
from cible.segmentation.selection_forward import ForwardPreference
from cible.warehouse.base import WarehouseReader

EXACT = "DECIMAL(38, 6)"


def holdout_cutoff(as_of: date, holdout_days: int) -> date:
    """The first day of the next period: ``as_of - holdout_days``."""
    return as_of - timedelta(days=holdout_days)


def outcome_sql(warehouse: WarehouseReader, cutoff: date, end: date) -> str:
    """Per customer with an event in ``[cutoff, end)`` (midnight UTC): distinct purchase
    ``orders`` and net ``revenue`` (purchase and refund amounts)."""
    d = warehouse.dialect
    lo = d.timestamp_literal(datetime(cutoff.year, cutoff.month, cutoff.day, tzinfo=UTC))
    hi = d.timestamp_literal(datetime(end.year, end.month, end.day, tzinfo=UTC))
    return f"""
SELECT customer_id,
  CAST(count(DISTINCT CASE WHEN event_type = 'purchase' THEN coalesce(order_id, event_id) END)
       AS DOUBLE) AS orders,
  CAST(coalesce(sum(CASE WHEN event_type IN ('purchase', 'refund')
                    THEN CAST(coalesce(amount, 0) AS {EXACT}) END), 0) AS DOUBLE) AS revenue
FROM events WHERE timestamp >= {lo} AND timestamp < {hi}
GROUP BY customer_id
"""


def future_outcomes(
    warehouse: WarehouseReader, customers: pd.Index, cutoff: date, end: date
) -> pd.DataFrame:
    """``purchased`` (bool) and ``revenue`` (float) of every customer of ``customers`` in the
    next period ``[cutoff, end)``; customers without an event there have ``False`` and 0."""
    frame = warehouse.fetch_arrow(outcome_sql(warehouse, cutoff, end)).to_pandas()
    frame["customer_id"] = frame["customer_id"].astype(str)
    got = frame.set_index("customer_id").reindex(customers.astype(str))
    return pd.DataFrame(
        {
            "purchased": got["orders"].fillna(0.0).to_numpy() > 0,
            "revenue": got["revenue"].fillna(0.0).to_numpy(dtype=np.float64),
        },
        index=customers,
    )


def purchase_rate_auc(segments: ArrayLike, purchased: ArrayLike) -> float:
    """ROC AUC of each customer's segment purchase rate as a score of ``purchased``; NaN when
    everyone or no one purchased."""
    seg = pd.Series(np.asarray(segments))
    y = np.asarray(purchased, dtype=bool)
    if len(seg) != len(y):
        raise ValueError(f"purchase_rate_auc: {len(seg)} segment labels for {len(y)} outcomes")
    if y.all() or not y.any():
        return float("nan")
    rate = pd.Series(y.astype(np.float64)).groupby(seg.to_numpy()).transform("mean")
    return float(roc_auc_score(y, rate.to_numpy()))


def revenue_variance_explained(segments: ArrayLike, revenue: ArrayLike) -> float:
    """Between-segment sum of squares / total sum of squares of ``revenue``; NaN when the
    revenue does not vary."""
    x = np.asarray(revenue, dtype=np.float64)
    seg = np.asarray(segments)
    if len(seg) != len(x):
        raise ValueError(f"revenue_variance_explained: {len(seg)} labels for {len(x)} values")
    total = float(((x - x.mean()) ** 2).sum())
    if total == 0.0:
        return float("nan")
    grouped = pd.Series(x).groupby(seg)
    between = float((grouped.size() * (grouped.mean() - x.mean()) ** 2).sum())
    return between / total


@dataclass(frozen=True)
class SegmentationForward:
    """What one segmentation explains of the next period: the two measures and, per segment,
    ``segment``, ``customers``, ``purchase_rate``, ``mean_revenue`` (by decreasing rate)."""

    name: str
    n_segments: int
    auc: float
    variance_explained: float
    segments: pd.DataFrame

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "segments": self.n_segments,
            "purchase_auc": _num(self.auc),
            "revenue_variance_explained": _num(self.variance_explained),
            "by_segment": [
                {
                    "segment": str(seg),
                    "customers": int(n),
                    "purchase_rate": _num(rate),
                    "mean_revenue": _num(rev),
                }
                for seg, n, rate, rev in segment_rows(self.segments)
            ],
        }


def segment_rows(table: pd.DataFrame) -> list[tuple[object, int, float, float]]:
    """The rows of a :class:`SegmentationForward` table: segment, customers, rate, revenue."""
    return list(
        zip(
            table["segment"].tolist(),
            [int(n) for n in table["customers"].tolist()],
            [float(x) for x in table["purchase_rate"].tolist()],
            [float(x) for x in table["mean_revenue"].tolist()],
            strict=True,
        )
    )


def measure(name: str, segments: ArrayLike, outcomes: pd.DataFrame) -> SegmentationForward:
    """Both measures of ``segments`` (one label per row of ``outcomes``) and the per-segment table."""
    seg = np.asarray(segments)
    y = outcomes["purchased"].to_numpy(dtype=bool)
    revenue = outcomes["revenue"].to_numpy(dtype=np.float64)
    table = (
        pd.DataFrame({"segment": seg, "bought": y.astype(np.float64), "revenue": revenue})
        .groupby("segment")
        .agg(
            customers=("bought", "size"),
            purchase_rate=("bought", "mean"),
            mean_revenue=("revenue", "mean"),
        )
        .reset_index()
        .sort_values(["purchase_rate", "segment"], ascending=[False, True], kind="mergesort")
        .reset_index(drop=True)
    )
    return SegmentationForward(
        name=name,
        n_segments=len(table),
        auc=purchase_rate_auc(seg, y),
        variance_explained=revenue_variance_explained(seg, revenue),
        segments=table,
    )


@dataclass(frozen=True)
class ForwardResult:
    """cible's segments and the RFM segments on the same customers, measured on the next period."""

    as_of: date
    cutoff: date
    holdout_days: int
    n_customers: int
    purchase_rate: float
    cible: SegmentationForward
    rfm: SegmentationForward
    candidate: str
    used_in_selection: str = "none"
    candidates: list[dict[str, Any]] = field(default_factory=list)

    @property
    def cible_wins(self) -> bool:
        """cible's AUC above the RFM segments' with no more segments."""
        return self.cible.auc > self.rfm.auc and self.cible.n_segments <= self.rfm.n_segments

    def to_dict(self) -> dict[str, Any]:
        note = (
            "the holdout also chose the segmentation (use_in_selection), so cible's figures are "
            "optimistic: they are not measured on data the choice did not see"
            if self.used_in_selection != "none"
            else "the holdout played no part in choosing the segmentation"
        )
        return {
            "as_of": self.as_of.isoformat(),
            "cutoff": self.cutoff.isoformat(),
            "holdout_days": self.holdout_days,
            "rule": "features and segments before the cutoff (timestamp < cutoff); next period "
            "cutoff <= timestamp < as_of; buyers before the cutoff only",
            "customers": self.n_customers,
            "next_period_purchase_rate": _num(self.purchase_rate),
            "cible_candidate": self.candidate,
            "cible_beats_rfm_with_no_more_segments": self.cible_wins,
            "used_in_selection": self.used_in_selection,
            "note": note,
            "cible": self.cible.to_dict(),
            "rfm": self.rfm.to_dict(),
            "candidates": self.candidates,
        }


@dataclass(frozen=True)
class Backtest:
    """Every candidate fitted before the cutoff: its measures and labels (by candidate name)."""

    measures: dict[str, SegmentationForward]
    labels: dict[str, NDArray[np.int16]]
    rfm: SegmentationForward

    def preference(self, mode: str) -> ForwardPreference:
        """The selection's tie-break, gate or preference (``mode``) from these measures; the
        gate's threshold is the RFM segmentation's AUC, ``best`` allows at most its segments."""
        auc = {name: m.auc for name, m in self.measures.items()}
        if mode not in ("tiebreak", "gate", "best"):
            raise ValueError(f"use_in_selection must be 'tiebreak', 'gate' or 'best', got {mode!r}")
        return ForwardPreference(
            mode=mode,  # type: ignore[arg-type]
            auc=auc,
            threshold=self.rfm.auc,
            segments={name: m.n_segments for name, m in self.measures.items()},
            rfm_segments=self.rfm.n_segments,
        )


def _past_buyers(past: pd.DataFrame, config: SegmentationConfig) -> pd.DataFrame:
    missing = sorted(set(config.features) - set(past.columns))
    if missing:
        raise SegmentationError(
            f"forward: segmentation.features {missing} are not computed at the cutoff"
        )
    return past[past["frequency"].to_numpy(dtype=np.float64) > 0]


def backtest_candidates(
    past: pd.DataFrame,
    outcomes: pd.DataFrame,
    config: SegmentationConfig,
    candidates: list[Candidate],
    on_candidate: Callable[[Candidate], None] | None = None,
) -> Backtest:
    """Fit ``candidates`` on the buyers of ``past`` (features at the cutoff; ``outcomes`` indexed
    the same) and measure each, and the RFM segments, on the next period."""
    buyers = _past_buyers(past, config)
    out = outcomes.loc[buyers.index]
    prep = prepare(buyers, config)
    measures: dict[str, SegmentationForward] = {}
    labels: dict[str, NDArray[np.int16]] = {}

    def keep(score: CandidateScore, lab: NDArray[np.int64]) -> None:
        name = score.candidate.name
        labels[name] = lab.astype(np.int16)
        measures[name] = measure(name, lab, out)

    select_segmentation(
        prep.weighted,
        config,
        categorical=prep.categorical,
        candidates=candidates,
        on_labels=keep,
        on_candidate=on_candidate,
    )
    rfm = measure("RFM quintiles", rfm_scores(buyers)["rfm_segment"].to_numpy(), out)
    return Backtest(measures, labels, rfm)


def compare_forward(
    past: pd.DataFrame,
    outcomes: pd.DataFrame,
    config: SegmentationConfig,
    chosen: Candidate,
    *,
    as_of: date,
    cutoff: date,
    backtest: Backtest | None = None,
) -> ForwardResult:
    """cible's ``chosen`` candidate fitted on the buyers of ``past`` beside the RFM segments,
    measured on ``outcomes``; ``backtest`` (from :func:`backtest_candidates`) avoids a refit."""
    mode = config.forward.use_in_selection
    buyers = _past_buyers(past, config)
    out = outcomes.loc[buyers.index]
    if backtest is None or chosen.name not in backtest.measures:
        labels = fit_labels(chosen, prepare(buyers, config).weighted, config)
        rfm = measure("RFM quintiles", rfm_scores(buyers)["rfm_segment"].to_numpy(), out)
        backtest = Backtest({chosen.name: measure(chosen.name, labels, out)}, {}, rfm)
    else:
        labels = backtest.labels[chosen.name].astype(np.int64)
    cible = measure("cible", named_labels(buyers, labels), out)
    rows = [
        {
            "candidate": name,
            "segments": m.n_segments,
            "purchase_auc": _num(m.auc),
            "revenue_variance_explained": _num(m.variance_explained),
        }
        for name, m in backtest.measures.items()
    ]
    return ForwardResult(
        as_of=as_of,
        cutoff=cutoff,
        holdout_days=(as_of - cutoff).days,
        n_customers=len(buyers),
        purchase_rate=float(out["purchased"].mean()),
        cible=cible,
        rfm=backtest.rfm,
        candidate=chosen.name,
        used_in_selection=mode,
        candidates=rows if len(rows) > 1 else [],
    )


def named_labels(buyers: pd.DataFrame, labels: NDArray[np.int64]) -> NDArray[np.object_]:
    """The segment name of each label, named from the profiles at the cutoff
    (:func:`~cible.segmentation.naming.name_segments`, unique names; noise: "Atypical")."""
    columns = [f for f in FEATURE_NAMES if f in buyers.columns]
    clustered = labels >= 0
    ids = pd.Series(labels[clustered], index=buyers.index[clustered])
    profiles = profile_segments(buyers.loc[clustered, columns], ids)
    names = name_segments(profiles, cycle_days=purchase_cycle_days(buyers))
    return np.asarray([names.get(int(x), NOISE_SEGMENT_NAME) for x in labels], dtype=object)


def _num(x: float) -> float | None:
    return round(float(x), 6) if np.isfinite(x) else None
