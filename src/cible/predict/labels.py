"""Labelled sets from the event history: features before a cutoff, the label in a window after it.

For a cutoff ``c`` and a horizon of ``h`` days, the label window is ``[c, c + h)`` (midnight UTC):

* ``purchase``: 1 when the customer makes a purchase in the window;
* ``churn``: 1 when a customer who had bought before ``c`` makes no purchase in the window;
* ``event``: 1 when the customer has an event of the given type (e.g. ``email_click``) in it.

Features come from :func:`~cible.predict.pointintime.point_in_time_features`, which only sees
events before ``c``; the label query only reads events inside the window. The window must be fully
observed: a window running past the last event would call buyers of the missing days churners.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from cible.config.predict import PredictConfig
from cible.exceptions import PredictError
from cible.predict.pointintime import midnight_utc
from cible.predict.predict_features import point_in_time_features
from cible.warehouse.base import WarehouseReader

LABEL_NAME = "label"


@dataclass(frozen=True)
class LabelledSet:
    """Features ``X`` (index: customer id) and the 0/1 label ``y`` on the same index; ``times``
    (table mode with ``split.column``) the time of each row as a number, for a time split."""

    X: pd.DataFrame
    y: pd.Series
    description: str
    cutoff: date | None = None
    window_end: date | None = None
    times: NDArray[np.float64] | None = None

    @property
    def positive_rate(self) -> float:
        return float(self.y.mean())


def label_window(cutoff: date, horizon_days: int) -> tuple[date, date]:
    """The label window ``[start, end)`` after ``cutoff``."""
    return cutoff, cutoff + timedelta(days=horizon_days)


def default_cutoff(as_of: date, horizon_days: int) -> date:
    """The latest cutoff whose label window ends by ``as_of`` (fully observed)."""
    return as_of - timedelta(days=horizon_days)


def describe_target(cfg: PredictConfig, cutoff: date) -> str:
    start, end = label_window(cutoff, cfg.horizon_days)
    last = (end - timedelta(days=1)).isoformat()
    what = {
        "purchase": "a purchase",
        "churn": "no purchase (churn, among customers who had bought)",
        "event": f"an event of type '{cfg.event_type}'",
    }.get(cfg.target, cfg.target)
    return f"{what} in the {cfg.horizon_days} days from {start.isoformat()} to {last}"


def positives_sql(warehouse: WarehouseReader, cfg: PredictConfig, cutoff: date) -> str:
    """Customers with a qualifying event inside the label window (and only there)."""
    start, end = label_window(cutoff, cfg.horizon_days)
    lit = warehouse.dialect.timestamp_literal
    event_type = "purchase" if cfg.target in ("purchase", "churn") else str(cfg.event_type)
    return (
        "SELECT DISTINCT customer_id FROM events "
        f"WHERE event_type = '{event_type}' "
        f"AND timestamp >= {lit(midnight_utc(start))} AND timestamp < {lit(midnight_utc(end))}"
    )


def check_window_observed(warehouse: WarehouseReader, cutoff: date, horizon_days: int) -> None:
    """Refuse a label window that runs past the last event in the warehouse."""
    _, end = label_window(cutoff, horizon_days)
    last = warehouse.last_event_time()
    if last is None:
        raise PredictError("the warehouse holds no event: ingest sources before predicting")
    last_day = last.date()
    if last_day < end - timedelta(days=1):
        latest = last_day + timedelta(days=1) - timedelta(days=horizon_days)
        raise PredictError(
            f"the label window {cutoff.isoformat()} + {horizon_days} days ends after the last "
            f"event ({last_day.isoformat()}): labels would be incomplete; use a cutoff on or "
            f"before {latest.isoformat()} or a shorter horizon_days"
        )


def population(features: pd.DataFrame, cfg: PredictConfig) -> pd.DataFrame:
    """The customers labelled and scored: everyone, or buyers only (``frequency > 0``)."""
    return features[features["frequency"] > 0] if cfg.buyers_only() else features


def build_training_set(warehouse: WarehouseReader, cfg: PredictConfig, cutoff: date) -> LabelledSet:
    """Features at ``cutoff`` (events before it) and labels from the window after it."""
    check_window_observed(warehouse, cutoff, cfg.horizon_days)
    X = population(point_in_time_features(warehouse, cutoff), cfg)
    positives = warehouse.fetch_arrow(positives_sql(warehouse, cfg, cutoff)).column(0)
    had_event = X.index.isin([str(v) for v in positives.to_pylist()])
    label = ~had_event if cfg.target == "churn" else had_event
    y = pd.Series(label.astype("int64"), index=X.index, name=LABEL_NAME)
    check_two_classes(y, describe_target(cfg, cutoff))
    _, end = label_window(cutoff, cfg.horizon_days)
    return LabelledSet(X, y, describe_target(cfg, cutoff), cutoff, end)


def build_scoring_set(warehouse: WarehouseReader, cfg: PredictConfig, as_of: date) -> pd.DataFrame:
    """Features of the customers to score at ``as_of`` (events before it), same columns."""
    return population(point_in_time_features(warehouse, as_of), cfg)


def check_two_classes(y: pd.Series, what: str) -> None:
    counts = y.value_counts()
    if len(counts) < 2:
        raise PredictError(
            f"the label ({what}) needs both positive and negative rows; got "
            f"{int((y == 1).sum()):,} positive and {int((y == 0).sum()):,} negative"
        )
