"""Small generated data with a planted signal for the prediction tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa

from cible.schemas.events import EVENTS_SCHEMA

START = datetime(2024, 1, 1, tzinfo=UTC)
END = datetime(2025, 4, 1, tzinfo=UTC)


def events_table(rows: list[dict[str, object]]) -> pa.Table:
    """Canonical events from partial rows (missing fields are null)."""
    cols: dict[str, list[object]] = {f.name: [] for f in EVENTS_SCHEMA}
    for i, row in enumerate(rows):
        values = {"event_id": f"e{i}", "source": "t", **row}
        for name in cols:
            cols[name].append(values.get(name))
    return pa.table(cols, schema=EVENTS_SCHEMA)


def purchase(
    cid: str, ts: datetime, amount: float = 10.0, order: str | None = None
) -> dict[str, object]:
    return {
        "customer_id": cid,
        "event_type": "purchase",
        "timestamp": ts,
        "order_id": order or f"{cid}-{ts.isoformat()}",
        "amount": amount,
        "product_id": f"p{int(amount) % 7}",
    }


def planted_events(n_customers: int = 240, seed: int = 0) -> pa.Table:
    """Purchases from 2024-01-01 to 2025-04-01 of three planted kinds of customers: loyal (a
    purchase every 20 days on average, throughout), lapsed (the same until a random day of 2024,
    then nothing) and occasional (one every 150 days). Loyal customers buy in the 90 days after
    2025-01-01; lapsed ones do not; their recency before the cutoff tells them apart. Half of the
    customers also click an e-mail once."""
    rng = np.random.default_rng(seed)
    rows: list[dict[str, object]] = []
    span = (END - START).days
    for i in range(n_customers):
        cid = f"C{i:04d}"
        kind = rng.choice(["loyal", "lapsed", "occasional"], p=[0.4, 0.4, 0.2])
        rate, stop = (1 / 150, span) if kind == "occasional" else (1 / 20, span)
        if kind == "lapsed":
            stop = int(rng.integers(30, 330))
        days = np.sort(rng.uniform(0, stop, size=int(rng.poisson(rate * stop)) + 1))
        for d in days:
            ts = START + timedelta(days=float(d))
            rows.append(purchase(cid, ts, amount=float(rng.gamma(2.0, 20.0)) + 1.0))
        if rng.random() < 0.5:
            click = START + timedelta(days=float(rng.uniform(0, span)))
            rows.append({"customer_id": cid, "event_type": "email_click", "timestamp": click})
    return events_table(rows)


def planted_table(n: int = 600, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """A table with two informative numbers, a categorical driver, noise and a few gaps."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.normal(size=n)
    plan = rng.choice(["basic", "plus", "pro"], size=n, p=[0.5, 0.3, 0.2])
    noise = rng.normal(size=n)
    logit = -1.2 + 1.6 * x1 - 1.0 * x2 + np.where(plan == "pro", 1.5, 0.0)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype("int64")
    X = pd.DataFrame({"x1": x1, "x2": x2, "plan": plan, "noise": noise})
    X.loc[X.index[::37], "x2"] = np.nan
    index = pd.Index([f"id{i:04d}" for i in range(n)], name="customer_id")
    X.index = index
    return X, pd.Series(y, index=index, name="label")


def drifting_table(n: int = 1600, seed: int = 0) -> pd.DataFrame:
    """A table in date order (one row per day from 2019-01-01, column ``signup``) whose label
    drifts: the base rate rises, x1's effect fades and x2's grows along time. A model judged on
    rows mixed at random looks better than it does on the latest rows."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / n
    x1 = rng.normal(size=n)
    x2 = rng.normal(size=n)
    plan = rng.choice(["basic", "pro"], size=n, p=[0.7, 0.3])
    logit = -1.6 + 1.6 * t + 2.5 * (1 - t) * x1 + 2.0 * t * x2 + np.where(plan == "pro", 1.0, 0.0)
    y = rng.random(n) < 1 / (1 + np.exp(-logit))
    signup = pd.Timestamp("2019-01-01") + pd.to_timedelta(np.arange(n), unit="D")
    return pd.DataFrame(
        {
            "customer_id": [f"c{i:05d}" for i in range(n)],
            "signup": signup.strftime("%Y-%m-%d"),
            "x1": x1.round(4),
            "x2": x2.round(4),
            "plan": plan,
            "answered": np.where(y, "yes", "no"),
        }
    )
