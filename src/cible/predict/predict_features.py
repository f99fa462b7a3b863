"""Prediction features: the behavioural features plus recent-activity counts, at ``as_of``.

The nine behavioural features of :mod:`cible.features.behaviour` describe a customer's whole
history; propensity also depends on how the history is spread in time, so the prediction table
adds, from purchases strictly before ``as_of``:

=========================  ====================================================================
feature                    definition
=========================  ====================================================================
orders_30d / 90d / 180d    distinct purchase orders in the 30 / 90 / 180 days before as_of
revenue_90d / 180d         gross purchase amount in the 90 / 180 days before as_of
active_months              distinct calendar months with a purchase
distinct_products          distinct ``product_id`` bought
=========================  ====================================================================

For training, call these through :func:`cible.predict.pointintime.point_in_time_features`, which
computes them over the warehouse restricted to events before the cutoff.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from cible.config import FEATURE_NAMES
from cible.exceptions import LeakageError
from cible.features import build_features
from cible.features.behaviour import EXACT
from cible.predict.pointintime import PointInTimeView, midnight_utc
from cible.warehouse.base import WarehouseReader

RECENT_FEATURE_NAMES: tuple[str, ...] = (
    "orders_30d",
    "orders_90d",
    "orders_180d",
    "revenue_90d",
    "revenue_180d",
    "active_months",
    "distinct_products",
)
PREDICT_FEATURE_NAMES: tuple[str, ...] = (*FEATURE_NAMES, *RECENT_FEATURE_NAMES)
# The event columns that build_predict_features reads: all a point-in-time view needs to copy.
PREDICT_EVENT_COLUMNS: tuple[str, ...] = (
    "event_id",
    "customer_id",
    "event_type",
    "timestamp",
    "order_id",
    "amount",
    "product_id",
)


def recent_activity_sql(warehouse: WarehouseReader, as_of: date) -> str:
    d = warehouse.dialect
    t = d.timestamp_literal(midnight_utc(as_of))
    return f"""
WITH buys AS (SELECT * FROM events WHERE event_type = 'purchase' AND timestamp < {t}),
orders AS (
  SELECT customer_id, coalesce(order_id, event_id) AS oid, min(timestamp) AS ts,
         sum(CAST(coalesce(amount, 0) AS {EXACT})) AS amount
  FROM buys GROUP BY 1, 2),
per_customer AS (
  SELECT customer_id,
         count(*) FILTER (WHERE ts >= {d.minus_days(t, 30)}) AS o30,
         count(*) FILTER (WHERE ts >= {d.minus_days(t, 90)}) AS o90,
         count(*) FILTER (WHERE ts >= {d.minus_days(t, 180)}) AS o180,
         sum(amount) FILTER (WHERE ts >= {d.minus_days(t, 90)}) AS r90,
         sum(amount) FILTER (WHERE ts >= {d.minus_days(t, 180)}) AS r180,
         count(DISTINCT date_trunc('month', ts)) AS months
  FROM orders GROUP BY 1),
products AS (
  SELECT customer_id, count(DISTINCT product_id) AS n_products FROM buys GROUP BY 1)
SELECT c.customer_id,
  CAST(c.o30 AS DOUBLE) AS orders_30d,
  CAST(c.o90 AS DOUBLE) AS orders_90d,
  CAST(c.o180 AS DOUBLE) AS orders_180d,
  CAST(coalesce(c.r90, 0) AS DOUBLE) AS revenue_90d,
  CAST(coalesce(c.r180, 0) AS DOUBLE) AS revenue_180d,
  CAST(c.months AS DOUBLE) AS active_months,
  CAST(coalesce(p.n_products, 0) AS DOUBLE) AS distinct_products
FROM per_customer c LEFT JOIN products p USING (customer_id)
"""


def build_predict_features(warehouse: WarehouseReader, as_of: date) -> pd.DataFrame:
    """One row per customer known before ``as_of`` (index ``customer_id``), float columns
    :data:`PREDICT_FEATURE_NAMES`, sorted by customer id. A customer without purchase has zero
    recent-activity counts."""
    base = build_features(warehouse, as_of)
    recent = warehouse.fetch_arrow(recent_activity_sql(warehouse, as_of)).to_pandas()
    recent["customer_id"] = recent["customer_id"].astype(str)
    recent = recent.set_index("customer_id")[list(RECENT_FEATURE_NAMES)]
    out = base.join(recent, how="left")
    out[list(RECENT_FEATURE_NAMES)] = out[list(RECENT_FEATURE_NAMES)].fillna(0.0)
    return out[list(PREDICT_FEATURE_NAMES)].astype("float64").sort_index()


def point_in_time_features(
    warehouse: WarehouseReader, cutoff: date, as_of: date | None = None
) -> pd.DataFrame:
    """Prediction features of every customer known before ``cutoff``, computed at ``as_of``
    (default: the cutoff) over :class:`PointInTimeView` ``(warehouse, cutoff)`` holding the
    event columns those features read (:data:`~cible.predict.predict_features.PREDICT_EVENT_COLUMNS`).

    Raises :class:`~cible.exceptions.LeakageError` when ``as_of`` is after ``cutoff``: features
    at a later date would be computed over the label window.
    """
    as_of = as_of or cutoff
    if as_of > cutoff:
        raise LeakageError(
            f"features asked for at {as_of.isoformat()}, after the cutoff {cutoff.isoformat()}: "
            "they would see events of the label window; use a date on or before the cutoff"
        )
    with PointInTimeView(warehouse, cutoff, event_columns=PREDICT_EVENT_COLUMNS) as view:
        return build_predict_features(view, as_of)
