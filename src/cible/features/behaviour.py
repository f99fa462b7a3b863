"""Behavioural features v1, computed in warehouse SQL at an ``as_of`` date.

Only events strictly before ``as_of`` (midnight UTC) count. Purchases are grouped into orders by
``order_id`` (a line without one is its own order). Amounts are summed as DECIMAL(38, 6), exactly,
so that a feature does not depend on the order in which a parallel engine adds the lines.

=========================  ====================================================================
feature                    definition
=========================  ====================================================================
recency_days               days from the last purchase to as_of (NULL without purchase)
frequency                  number of distinct purchase orders
monetary                   net revenue: purchase amounts plus (negative) refund amounts
avg_basket                 gross purchase amount / frequency (0 without purchase)
tenure_days                days from the first event (or the customer record's created_at) to as_of
mean_interpurchase_days    (last order - first order) / (frequency - 1); with a single order, the
                           days since it (the gap is at least that long); NULL without purchase
refund_rate                refunded amount / gross purchase amount, clipped to [0, 1]
events_30d, events_90d     events of any type in the 30 / 90 days before as_of
=========================  ====================================================================

The population is every customer id seen in ``events`` or ``customers`` before as_of.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd

from cible.config import FEATURE_NAMES
from cible.exceptions import FeatureError
from cible.warehouse.base import WarehouseReader

EXACT = "DECIMAL(38, 6)"  # exact sums of amounts: the result does not depend on summation order


def default_as_of(warehouse: WarehouseReader) -> date:
    """The day after the last event: features then see the whole history."""
    last = warehouse.last_event_time()
    if last is None:
        raise FeatureError("the warehouse holds no event: ingest sources before computing features")
    return (last.astimezone(UTC) + timedelta(days=1)).date()


def feature_sql(warehouse: WarehouseReader, as_of: date) -> str:
    d = warehouse.dialect
    t = d.timestamp_literal(datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC))
    days = d.days_between
    return f"""
WITH ev AS (SELECT * FROM events WHERE timestamp < {t}),
orders AS (
  SELECT customer_id, coalesce(order_id, event_id) AS oid, min(timestamp) AS ts,
         sum(CAST(coalesce(amount, 0) AS {EXACT})) AS amount
  FROM ev WHERE event_type = 'purchase' GROUP BY 1, 2),
per_order AS (
  SELECT customer_id, count(*) AS freq, sum(amount) AS gross, min(ts) AS first_o, max(ts) AS last_o
  FROM orders GROUP BY 1),
activity AS (
  SELECT customer_id, min(timestamp) AS first_ts,
         count(*) FILTER (WHERE timestamp >= {d.minus_days(t, 30)}) AS e30,
         count(*) FILTER (WHERE timestamp >= {d.minus_days(t, 90)}) AS e90,
         sum(CAST(coalesce(amount, 0) AS {EXACT})) FILTER (WHERE event_type = 'refund') AS refunded
  FROM ev GROUP BY 1),
known AS (
  SELECT customer_id, min(created_at) AS created FROM {warehouse.resolved_customers_sql()} rc
  WHERE created_at IS NULL OR created_at < {t} GROUP BY 1),
population AS (
  SELECT customer_id FROM activity UNION SELECT customer_id FROM known)
SELECT p.customer_id,
  CASE WHEN o.freq > 0 THEN {days("o.last_o", t)} END AS recency_days,
  CAST(coalesce(o.freq, 0) AS DOUBLE) AS frequency,
  CAST(coalesce(o.gross, 0) + coalesce(a.refunded, 0) AS DOUBLE) AS monetary,
  CASE WHEN o.freq > 0 THEN CAST(o.gross AS DOUBLE) / o.freq ELSE 0 END AS avg_basket,
  coalesce({days("least(coalesce(a.first_ts, k.created), coalesce(k.created, a.first_ts))", t)}, 0)
    AS tenure_days,
  CASE WHEN o.freq >= 2 THEN {days("o.first_o", "o.last_o")} / (o.freq - 1)
       WHEN o.freq = 1 THEN {days("o.last_o", t)} END AS mean_interpurchase_days,
  CASE WHEN o.gross > 0
       THEN least(1.0, greatest(0.0, -CAST(coalesce(a.refunded, 0) AS DOUBLE) / CAST(o.gross AS DOUBLE)))
       ELSE 0.0 END AS refund_rate,
  CAST(coalesce(a.e30, 0) AS DOUBLE) AS events_30d,
  CAST(coalesce(a.e90, 0) AS DOUBLE) AS events_90d
FROM population p
LEFT JOIN per_order o USING (customer_id)
LEFT JOIN activity a USING (customer_id)
LEFT JOIN known k USING (customer_id)
ORDER BY p.customer_id
"""


def build_features(warehouse: WarehouseReader, as_of: date) -> pd.DataFrame:
    """One row per customer (index ``customer_id``), float columns :data:`FEATURE_NAMES`."""
    frame = warehouse.fetch_arrow(feature_sql(warehouse, as_of)).to_pandas()
    if frame.empty:
        raise FeatureError(f"no customer has an event or a record before as_of {as_of.isoformat()}")
    frame["customer_id"] = frame["customer_id"].astype(str)
    out = frame.set_index("customer_id")[list(FEATURE_NAMES)].astype("float64")
    return out


def _most_frequent(name: str, relation: str, column: str) -> str:
    """CTE ``name``: per customer, the most frequent non-null ``column`` of ``relation``; a tie
    goes to the smallest value, so every engine gives the same answer."""
    return (
        f"{name} AS (SELECT customer_id, v FROM (SELECT customer_id, {column} AS v, "
        f"row_number() OVER (PARTITION BY customer_id ORDER BY count(*) DESC, {column}) AS r "
        f"FROM {relation} WHERE {column} IS NOT NULL GROUP BY customer_id, {column}) ranked "
        "WHERE r = 1)"
    )


def context_sql(warehouse: WarehouseReader, as_of: date) -> str:
    t = warehouse.dialect.timestamp_literal(
        datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC)
    )
    crm = warehouse.resolved_customers_sql()
    return f"""
WITH ev AS (SELECT customer_id, channel, location FROM events WHERE timestamp < {t}),
rc AS (SELECT customer_id, country FROM {crm} c),
{_most_frequent("channels", "ev", "channel")},
{_most_frequent("locations", "ev", "location")},
{_most_frequent("countries", "rc", "country")},
ids AS (SELECT customer_id FROM ev UNION SELECT customer_id FROM rc)
SELECT i.customer_id, ch.v AS channel, coalesce(co.v, lo.v) AS country
FROM ids i
LEFT JOIN channels ch ON ch.customer_id = i.customer_id
LEFT JOIN locations lo ON lo.customer_id = i.customer_id
LEFT JOIN countries co ON co.customer_id = i.customer_id
ORDER BY i.customer_id
"""


def build_context(warehouse: WarehouseReader, as_of: date) -> pd.DataFrame:
    """Categorical context per customer (index ``customer_id``): the ``channel`` used most often
    and the ``country`` (CRM record, else the most frequent event location). Used to test whether
    segments differ in composition (representativeness), not for clustering."""
    frame = warehouse.fetch_arrow(context_sql(warehouse, as_of)).to_pandas()
    frame["customer_id"] = frame["customer_id"].astype(str)
    return frame.set_index("customer_id")[["channel", "country"]]
