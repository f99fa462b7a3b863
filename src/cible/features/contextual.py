"""Contextual features: when a customer buys, computed in warehouse SQL at an ``as_of`` date.

Orders are built as in :mod:`cible.features.behaviour`: purchase lines strictly before ``as_of``
(midnight UTC) grouped by ``order_id`` (a line without one is its own order), an order's time
being its first line's. That time is read in ``features.contextual.time_zone`` (default UTC): its
month, weekday, hour and date are local. Every feature is a share of the customer's orders, in
[0, 1]; NULL for a customer without order.

=========================  ====================================================================
feature                    definition
=========================  ====================================================================
winter_share               orders in December, January or February (meteorological seasons,
                           northern hemisphere)
spring_share               orders in March, April or May
summer_share               orders in June, July or August
autumn_share               orders in September, October or November
holiday_share              orders whose local date is at most ``holiday_window_days`` (default 3)
                           days before or after a public holiday of the customer's country
                           (``holidays`` library; the country as in :mod:`.demographic`), or of
                           ``holiday_country`` when configured; NULL when the country has no
                           calendar there
weekend_share              orders on Saturday or Sunday (the weekday share is 1 - weekend_share)
morning_share              orders from 06:00 to 11:59
afternoon_share            orders from 12:00 to 17:59
evening_share              orders from 18:00 to 21:59
night_share                orders from 22:00 to 05:59
=========================  ====================================================================

The four season shares add up to 1, and so do the four time-of-day shares.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd

from cible.config import CONTEXTUAL_NAMES, ContextualConfig
from cible.features.places import (
    country_codes,
    customer_country_sql,
    holiday_calendar_countries,
    quote,
    values_sql,
)
from cible.warehouse.base import WarehouseReader

SEASONS: dict[str, tuple[int, ...]] = {
    "winter_share": (12, 1, 2),
    "spring_share": (3, 4, 5),
    "summer_share": (6, 7, 8),
    "autumn_share": (9, 10, 11),
}
DAY_PARTS: dict[str, str] = {
    "morning_share": "h >= 6 AND h < 12",
    "afternoon_share": "h >= 12 AND h < 18",
    "evening_share": "h >= 18 AND h < 22",
    "night_share": "h >= 22 OR h < 6",
}


def holiday_rows(countries: set[str], first: date, last: date) -> list[tuple[str, str]]:
    """``(country, ISO date)`` of every public holiday of ``countries`` from ``first`` to
    ``last`` (inclusive), from the ``holidays`` library; countries without a calendar give none."""
    import holidays

    supported = holiday_calendar_countries()
    rows: list[tuple[str, str]] = []
    for country in sorted(countries & supported):
        calendar = holidays.country_holidays(country, years=range(first.year, last.year + 1))
        rows.extend((country, d.isoformat()) for d in sorted(calendar) if first <= d <= last)
    return rows


def _share(condition: str) -> str:
    return f"avg(CASE WHEN {condition} THEN 1.0 ELSE 0.0 END)"


def contextual_sql(warehouse: WarehouseReader, as_of: date, config: ContextualConfig) -> str:
    t = warehouse.dialect.timestamp_literal(
        datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC)
    )
    codes = country_codes(warehouse, t)
    window = config.holiday_window_days
    span = warehouse.fetch_arrow(
        f"SELECT min(timestamp) AS lo, max(timestamp) AS hi FROM events "
        f"WHERE event_type = 'purchase' AND timestamp < {t}"
    ).to_pylist()[0]
    countries = {config.holiday_country} if config.holiday_country else {c for _, c in codes}
    rows: list[tuple[str, str]] = []
    if span["lo"] is not None:  # a day of margin either side: local dates may differ from UTC
        first = span["lo"].date() - timedelta(days=window + 1)
        last = span["hi"].date() + timedelta(days=window + 1)
        rows = holiday_rows({c for c in countries if c}, first, last)
    supported = sorted(holiday_calendar_countries())
    calendar = (
        quote(config.holiday_country)
        if config.holiday_country
        else "CASE WHEN cc.country IN (" + ", ".join(quote(c) for c in supported) + ") "
        "THEN cc.country END"
    )
    seasons = ",\n  ".join(
        f"{_share('m IN (' + ', '.join(map(str, months)) + ')')} AS {name}"
        for name, months in SEASONS.items()
    )
    parts = ",\n  ".join(f"{_share(cond)} AS {name}" for name, cond in DAY_PARTS.items())
    zone = quote(config.time_zone)
    return f"""
WITH ev AS (SELECT customer_id, trim(location) AS location FROM events WHERE timestamp < {t}),
rc AS (SELECT * FROM {warehouse.resolved_customers_sql()} c
  WHERE created_at IS NULL OR created_at < {t}),
{customer_country_sql(codes)},
orders AS (
  SELECT customer_id, coalesce(order_id, event_id) AS oid, min(timestamp) AS ts
  FROM events WHERE event_type = 'purchase' AND timestamp < {t} GROUP BY 1, 2),
local_orders AS (
  SELECT o.customer_id, o.oid, (o.ts AT TIME ZONE {zone}) AS lt, {calendar} AS cal
  FROM orders o LEFT JOIN customer_country cc ON cc.customer_id = o.customer_id),
parts AS (
  SELECT customer_id, oid, cal, CAST(extract(month FROM lt) AS INTEGER) AS m,
         CAST(extract(isodow FROM lt) AS INTEGER) AS wd, CAST(extract(hour FROM lt) AS INTEGER) AS h,
         CAST(lt AS DATE) AS d
  FROM local_orders),
{values_sql("hol_text", ("country", "day"), rows)},
hol AS (SELECT country, CAST(day AS DATE) AS day FROM hol_text),
near AS (
  SELECT DISTINCT p.customer_id, p.oid FROM parts p JOIN hol ON hol.country = p.cal
  WHERE p.d >= hol.day - {window} AND p.d <= hol.day + {window})
SELECT p.customer_id,
  {seasons},
  CASE WHEN max(p.cal) IS NOT NULL THEN {_share("n.oid IS NOT NULL")} END AS holiday_share,
  {_share("p.wd >= 6")} AS weekend_share,
  {parts}
FROM parts p LEFT JOIN near n ON n.customer_id = p.customer_id AND n.oid = p.oid
GROUP BY p.customer_id
ORDER BY p.customer_id
"""


def build_contextual(
    warehouse: WarehouseReader, as_of: date, config: ContextualConfig
) -> pd.DataFrame:
    """One row per customer with an order before as_of (index ``customer_id``), float columns
    :data:`~cible.config.CONTEXTUAL_NAMES`; a caller reindexes on its population (NULL, i.e.
    NaN, for customers without order)."""
    frame = warehouse.fetch_arrow(contextual_sql(warehouse, as_of, config)).to_pandas()
    frame["customer_id"] = frame["customer_id"].astype(str)
    return frame.set_index("customer_id")[list(CONTEXTUAL_NAMES)].astype("float64")
