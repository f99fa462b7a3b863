"""Per-customer summaries for the CLV models, from a transaction log (pandas) or the warehouse (SQL).

Definitions (the standard ones of Fader, Hardie & Lee and of the ``lifetimes`` package). Time is
cut into counting periods (``"h"``: hours, ``"D"`` and ``"W"``: UTC calendar days); all purchases
in one period count as one, worth the period's total. ``recency`` and ``T`` are then expressed in
``time_unit``: with ``"W"`` they are the days since the customer's own first purchase divided by
7, i.e. 7-day weeks counted from that purchase, as Fader, Hardie & Lee count them for CDNOW
(``T`` = 38.86 weeks = 272 days). Calendar (Monday-to-Sunday) weeks would merge purchases a few
days apart and move every customer's origin to a Monday; with 7-day weeks the BG/NBD parameters
``r``, ``a`` and ``b`` are those of the daily fit and ``alpha`` is the daily one divided by 7:

==================  ================================================================================
frequency           number of periods with a purchase, minus one: the *repeat* purchase periods
recency             periods from the first to the last purchase period (0 without repeat purchase)
T                   periods from the first purchase period to the period holding the last instant
                    of the observation-end day
monetary_value      mean value of the repeat purchase periods (the first one excluded); 0 without
==================  ================================================================================

Only purchases on or before the (UTC) day ``observation_end`` count. A missing value counts as 0,
as in the behavioural features. In the warehouse, purchases are the events of type ``purchase``;
their lines are first grouped into orders (``order_id``, else the event itself) dated by their
first line, exactly as the behavioural features group them; ``as_of`` there is the first day *not*
observed (``observation_end`` is the day before).

Periods are computed on whole microseconds since the epoch with integer floor division, in pandas
and in SQL alike, so that both give identical summaries (no rounding at period boundaries).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Literal

import numpy as np
import pandas as pd

from cible.exceptions import CLVError
from cible.predict.clv.clv_result import UNIT_DAYS
from cible.warehouse.base import WarehouseReader

TimeUnit = Literal["h", "D", "W"]
_MICROS = 1_000_000
# The period purchases are counted in, and how many of them make one ``time_unit``.
_COUNTING: dict[str, tuple[int, int]] = {
    "h": (3600 * _MICROS, 1),
    "D": (86400 * _MICROS, 1),
    "W": (86400 * _MICROS, 7),
}
_EPOCH = pd.Timestamp("1970-01-01", tz="UTC")
SUMMARY_COLUMNS = ("frequency", "recency", "T", "monetary_value")


def check_time_unit(time_unit: str) -> float:
    """Days in one ``time_unit``; a clear error for an unsupported one."""
    if time_unit not in UNIT_DAYS:
        raise CLVError(f"time_unit {time_unit!r} is not supported; use one of {sorted(UNIT_DAYS)}")
    return UNIT_DAYS[time_unit]


def _period(micros: np.ndarray, time_unit: str) -> np.ndarray:
    """Index of the counting period (hour or UTC day) of each time."""
    return np.floor_divide(micros, _COUNTING[time_unit][0])


def periods_per_unit(time_unit: str) -> int:
    """Counting periods in one ``time_unit``: 7 days in a week, else 1."""
    check_time_unit(time_unit)
    return _COUNTING[time_unit][1]


def _end_micros(observation_end: date | datetime) -> int:
    """Microseconds since the epoch of the midnight (UTC) that ends day ``observation_end``."""
    stamp = pd.Timestamp(observation_end)
    stamp = stamp.tz_convert("UTC") if stamp.tzinfo is not None else stamp.tz_localize("UTC")
    return _as_micros(stamp.normalize() + pd.Timedelta(days=1))


def _as_micros(stamp: pd.Timestamp) -> int:
    return int((stamp - _EPOCH) // pd.Timedelta(microseconds=1))


def _utc_micros(times: pd.Series, column: str) -> np.ndarray:
    """Whole microseconds since the epoch of each time (naive times are taken as UTC)."""
    try:
        parsed = pd.to_datetime(times, utc=True)
    except (ValueError, TypeError) as e:
        raise CLVError(f"column {column!r} holds values that are not timestamps: {e}") from e
    missing = parsed.isna().to_numpy()
    if missing.any():
        raise CLVError(
            f"column {column!r} is empty in {int(missing.sum())} row(s) (first at row "
            f"{int(np.argmax(missing))}); every purchase needs a time"
        )
    return np.asarray((parsed - _EPOCH) // pd.Timedelta(microseconds=1), dtype=np.int64)


def _values(transactions: pd.DataFrame, column: str) -> np.ndarray:
    """The purchase values as floats, a missing one as 0."""
    try:
        values = pd.to_numeric(transactions[column])
    except (ValueError, TypeError) as e:
        raise CLVError(f"column {column!r} holds values that are not numbers: {e}") from e
    return np.asarray(values.fillna(0.0), dtype=np.float64)


def _check_columns(transactions: pd.DataFrame, needed: list[str]) -> None:
    absent = [c for c in needed if c not in transactions.columns]
    if absent:
        raise CLVError(
            f"the transactions lack column(s) {absent}; they have {list(transactions.columns)}"
        )
    if transactions.empty:
        raise CLVError("the transaction log is empty: there is nobody to summarise")
    missing = transactions[needed[0]].isna().to_numpy()
    if missing.any():
        raise CLVError(
            f"column {needed[0]!r} is empty in row {int(np.argmax(missing))}: every purchase "
            "needs a customer"
        )


def rfm_summary(
    transactions: pd.DataFrame,
    customer_col: str = "customer_id",
    time_col: str = "timestamp",
    value_col: str | None = None,
    observation_end: date | datetime | None = None,
    time_unit: TimeUnit = "D",
) -> pd.DataFrame:
    """One row per customer (index ``customer_col``, sorted): ``frequency``, ``recency``, ``T``
    (floats, in ``time_unit``) and, with ``value_col``, ``monetary_value``.

    ``observation_end`` (a day; a timestamp counts by its UTC day) defaults to the day of the last
    transaction. The input frame is not modified.
    """
    check_time_unit(time_unit)
    _check_columns(transactions, [customer_col, time_col, *([value_col] if value_col else [])])
    micros = _utc_micros(transactions[time_col], time_col)
    if observation_end is None:
        end = _end_micros(pd.Timestamp(int(micros.max()), unit="us", tz="UTC"))
    else:
        end = _end_micros(observation_end)
    keep = micros < end
    if not keep.any():
        raise CLVError(f"no transaction on or before the observation end {observation_end}")
    values = _values(transactions, value_col) if value_col else np.zeros(micros.size)
    codes, customers = pd.factorize(transactions[customer_col].to_numpy()[keep], sort=True)
    end_period = int(_period(np.array([end - 1]), time_unit)[0])
    out = _summarise_periods(codes, _period(micros[keep], time_unit), values[keep], end_period)
    per_unit = periods_per_unit(time_unit)
    out["recency"] /= per_unit
    out["T"] /= per_unit
    out.index = pd.Index(customers, name=customer_col)
    return out if value_col is not None else out.drop(columns="monetary_value")


def _summarise_periods(
    codes: np.ndarray, period: np.ndarray, value: np.ndarray, end_period: int
) -> pd.DataFrame:
    """The summary of each customer code ``0..k-1`` from its purchases' periods and values."""
    order = np.lexsort((period, codes))
    c, p, v = codes[order], period[order], value[order]
    new_period = np.flatnonzero(np.r_[True, (c[1:] != c[:-1]) | (p[1:] != p[:-1])])
    pc, pp, pv = c[new_period], p[new_period], np.add.reduceat(v, new_period)
    first_row = np.flatnonzero(np.r_[True, pc[1:] != pc[:-1]])
    last_row = np.r_[first_row[1:], pc.size] - 1
    count = last_row - first_row + 1
    repeat_value = np.add.reduceat(pv, first_row) - pv[first_row]
    repeats = count - 1
    monetary = np.divide(repeat_value, repeats, out=np.zeros(repeats.size), where=repeats > 0)
    return pd.DataFrame(
        {
            "frequency": repeats.astype(np.float64),
            "recency": (pp[last_row] - pp[first_row]).astype(np.float64),
            "T": (end_period - pp[first_row]).astype(np.float64),
            "monetary_value": monetary,
        }
    )


def _period_sql(warehouse: WarehouseReader, ts: str, time_unit: str) -> str:
    """SQL of the period index of timestamp ``ts``, the same integers as :func:`_period`."""
    shifted = f"({warehouse.dialect.epoch_micros(ts)})"
    length = _COUNTING[time_unit][0]
    # Integer floor division (``//`` truncates towards zero: correct it below the origin).
    return f"({shifted} // {length} - CASE WHEN {shifted} % {length} < 0 THEN 1 ELSE 0 END)"


def clv_summary_sql(warehouse: WarehouseReader, as_of: date, time_unit: TimeUnit = "D") -> str:
    """The warehouse query behind :func:`clv_summary` (see the module docstring)."""
    check_time_unit(time_unit)
    d = warehouse.dialect
    t = d.timestamp_literal(datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC))
    period = _period_sql(warehouse, "ts", time_unit)
    end = _end_micros(as_of - timedelta(days=1))
    end_period = int(_period(np.array([end - 1]), time_unit)[0])
    per_unit = periods_per_unit(time_unit)
    return f"""
WITH orders AS (
  SELECT customer_id, coalesce(order_id, event_id) AS oid, min(timestamp) AS ts,
         sum(coalesce(amount, 0)) AS amount
  FROM events WHERE event_type = 'purchase' AND timestamp < {t} GROUP BY 1, 2),
periods AS (
  SELECT customer_id, {period} AS period, sum(amount) AS amount FROM orders GROUP BY 1, 2),
bounds AS (
  SELECT customer_id, min(period) AS first_p, max(period) AS last_p, count(*) AS n
  FROM periods GROUP BY 1)
SELECT b.customer_id,
  CAST(b.n - 1 AS DOUBLE) AS frequency,
  CAST(b.last_p - b.first_p AS DOUBLE) / {per_unit} AS recency,
  CAST({end_period} - b.first_p AS DOUBLE) / {per_unit} AS "T",
  CAST(coalesce(avg(p.amount) FILTER (WHERE p.period > b.first_p), 0.0) AS DOUBLE)
    AS monetary_value
FROM bounds b JOIN periods p USING (customer_id)
GROUP BY b.customer_id, b.n, b.first_p, b.last_p
ORDER BY b.customer_id
"""


def clv_summary(warehouse: WarehouseReader, as_of: date, time_unit: TimeUnit = "D") -> pd.DataFrame:
    """:func:`rfm_summary` of the warehouse purchases strictly before ``as_of`` (midnight UTC),
    i.e. with ``observation_end`` the day before; index ``customer_id`` (str), float columns
    ``frequency``, ``recency``, ``T``, ``monetary_value``."""
    frame = warehouse.fetch_arrow(clv_summary_sql(warehouse, as_of, time_unit)).to_pandas()
    if frame.empty:
        raise CLVError(f"no purchase event before as_of {as_of.isoformat()}: nothing to model")
    frame["customer_id"] = frame["customer_id"].astype(str)
    return frame.set_index("customer_id")[list(SUMMARY_COLUMNS)].astype("float64")


def observation_end_of(as_of: date) -> date:
    """The last day observed when events strictly before ``as_of`` count."""
    return as_of - timedelta(days=1)


def holdout_purchases_sql(
    warehouse: WarehouseReader, calibration_as_of: date, as_of: date, time_unit: TimeUnit = "D"
) -> str:
    """Purchase periods per customer in ``[calibration_as_of, as_of)`` (see :func:`holdout_purchases`)."""
    check_time_unit(time_unit)
    d = warehouse.dialect
    start, end = (
        d.timestamp_literal(datetime(v.year, v.month, v.day, tzinfo=UTC))
        for v in (calibration_as_of, as_of)
    )
    period = _period_sql(warehouse, "ts", time_unit)
    return f"""
WITH orders AS (
  SELECT customer_id, coalesce(order_id, event_id) AS oid, min(timestamp) AS ts
  FROM events WHERE event_type = 'purchase' AND timestamp < {end} GROUP BY 1, 2),
cohort AS (SELECT DISTINCT customer_id FROM orders WHERE ts < {start})
SELECT c.customer_id,
  CAST(count(DISTINCT {period}) FILTER (WHERE o.ts >= {start}) AS DOUBLE) AS holdout_purchases
FROM cohort c JOIN orders o USING (customer_id)
GROUP BY c.customer_id
ORDER BY c.customer_id
"""


def holdout_purchases(
    warehouse: WarehouseReader, calibration_as_of: date, as_of: date, time_unit: TimeUnit = "D"
) -> pd.Series:
    """Number of purchase periods in ``[calibration_as_of, as_of)`` of every customer who bought
    before ``calibration_as_of`` (index ``customer_id``): the "actual" side of a holdout check.

    Orders are dated by their first line, as in :func:`clv_summary`; purchases are counted per
    counting period (an hour, or a day for ``"D"`` and ``"W"``), as in the summary.
    """
    if not calibration_as_of < as_of:
        raise CLVError(
            f"the calibration end {calibration_as_of} must be before as_of {as_of} for a holdout"
        )
    sql = holdout_purchases_sql(warehouse, calibration_as_of, as_of, time_unit)
    frame = warehouse.fetch_arrow(sql).to_pandas()
    frame["customer_id"] = frame["customer_id"].astype(str)
    return frame.set_index("customer_id")["holdout_purchases"].astype("float64")
