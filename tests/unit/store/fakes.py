"""A tiny picklable segment model for the store tests: prospects (no order) are 0, customers
with net revenue under 100 are 1, the others 2."""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal

import joblib
import numpy as np
import pandas as pd

from cible.config import FEATURE_NAMES
from cible.store import LiveEvent


class ThresholdModel:
    feature_names: tuple[str, ...] = FEATURE_NAMES
    segment_names: Mapping[int, str] = {0: "Prospects", 1: "Small", 2: "Big"}
    cible_version = "test"

    def __init__(self, threshold: float = 100.0) -> None:
        self.threshold = threshold
        self.calls = 0

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        self.calls += 1
        freq = features["frequency"].to_numpy()
        money = features["monetary"].to_numpy()
        return np.where(freq == 0, 0, np.where(money < self.threshold, 1, 2))

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        joblib.dump(self, buf)
        return buf.getvalue()


def at(day: int, hour: int = 12, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2024, 3, day, hour, minute, second, tzinfo=UTC)


def ev(
    event_id: str,
    customer: str,
    when: datetime,
    kind: str = "page_view",
    amount: str | None = None,
    order: str | None = None,
) -> LiveEvent:
    return LiveEvent(
        event_id=event_id,
        customer_id=customer,
        event_type=kind,
        timestamp=when,
        amount=Decimal(amount) if amount is not None else None,
        order_id=order,
    )
