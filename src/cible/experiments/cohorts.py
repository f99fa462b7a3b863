"""Acquisition-month cohorts: retention and revenue matrices.

A customer's cohort is the calendar month (UTC) of their first order; ``months_since`` is the
number of calendar months from that month to the month of an order (an order at 23:59:59 on the
31st belongs to that month, one at 00:00:00 on the 1st to the next). For cohort ``c`` and
``k = months_since``:

- ``retention[c][k]`` = customers of ``c`` with an order in month ``c + k`` / customers of ``c``
  (``k = 0`` is 1 by construction);
- ``revenue[c][k]`` = the sum of those orders' amounts;
- ``revenue_per_customer[c][k]`` = ``revenue[c][k]`` / customers of ``c``.

A cell after the last month with data is not observed yet: NaN (``None`` in JSON), never 0.
The counting is one SQL query in the shared (DuckDB) dialect, :func:`cohort_sql`, run by the
warehouse over any relation of ``customer_id, timestamp, amount``; :func:`cohort_matrices`
shapes its long result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cible.exceptions import ExperimentError
from cible.experiments._result import plain

LONG_COLUMNS = ("cohort", "months_since", "customers", "revenue")


def cohort_sql(relation: str) -> str:
    """Customers and revenue per (cohort month, months since), from ``relation`` with columns
    ``customer_id``, ``timestamp`` and ``amount`` (a table name or a parenthesised query)."""
    return f"""
WITH o AS (
  SELECT customer_id, CAST(date_trunc('month', timestamp) AS DATE) AS m,
         CAST(coalesce(amount, 0) AS DOUBLE) AS amount
  FROM {relation} AS src WHERE customer_id IS NOT NULL AND timestamp IS NOT NULL),
f AS (SELECT customer_id, min(m) AS cohort FROM o GROUP BY customer_id),
j AS (
  SELECT f.cohort, o.customer_id, o.amount,
         (EXTRACT(year FROM o.m) - EXTRACT(year FROM f.cohort)) * 12
           + EXTRACT(month FROM o.m) - EXTRACT(month FROM f.cohort) AS months_since
  FROM o JOIN f ON o.customer_id = f.customer_id)
SELECT cohort, CAST(months_since AS INTEGER) AS months_since,
       count(DISTINCT customer_id) AS customers, sum(amount) AS revenue
FROM j GROUP BY cohort, months_since ORDER BY cohort, months_since
"""


@dataclass(frozen=True, eq=False)
class CohortResult:
    """Matrices indexed by cohort (``YYYY-MM``), columns ``0..max months_since``; not to be
    modified."""

    sizes: pd.Series
    retention: pd.DataFrame
    revenue: pd.DataFrame
    revenue_per_customer: pd.DataFrame

    def to_dict(self) -> dict[str, Any]:
        def matrix(frame: pd.DataFrame) -> list[list[Any]]:
            return [[plain(float(v)) for v in row] for row in frame.to_numpy()]

        return {
            "definition": "cohort = calendar month (UTC) of the first order",
            "cohorts": [str(c) for c in self.retention.index],
            "months_since": [int(k) for k in self.retention.columns],
            "sizes": [int(v) for v in self.sizes],
            "retention": matrix(self.retention),
            "revenue": matrix(self.revenue),
            "revenue_per_customer": matrix(self.revenue_per_customer),
        }


def _month_index(value: Any) -> int:
    ts = pd.Timestamp(value)
    return ts.year * 12 + ts.month - 1


def cohort_matrices(long: pd.DataFrame) -> CohortResult:
    """The matrices from the rows of :func:`cohort_sql` (columns :data:`LONG_COLUMNS`)."""
    missing = [c for c in LONG_COLUMNS if c not in long.columns]
    if missing:
        raise ExperimentError(f"cohort rows lack columns {missing}; expected {list(LONG_COLUMNS)}")
    if long.empty:
        raise ExperimentError("no order to build cohorts from")
    frame = long.assign(
        cohort=[pd.Timestamp(c).strftime("%Y-%m") for c in long["cohort"]],
        c_index=[_month_index(c) for c in long["cohort"]],
    )
    last = int((frame["c_index"] + frame["months_since"]).max())
    months = np.arange(int(frame["months_since"].max()) + 1)
    customers = frame.pivot(index="cohort", columns="months_since", values="customers")
    revenue = frame.pivot(index="cohort", columns="months_since", values="revenue")
    customers = customers.reindex(columns=months).astype("float64")
    revenue = revenue.reindex(columns=months).astype("float64")
    start = frame.groupby("cohort")["c_index"].first().reindex(customers.index).to_numpy()
    observed = (start[:, None] + months[None, :]) <= last
    customers = customers.where(~observed | customers.notna(), 0.0).where(observed)
    revenue = revenue.where(~observed | revenue.notna(), 0.0).where(observed)
    sizes = customers[0].astype("int64")
    return CohortResult(
        sizes=sizes,
        retention=customers.div(sizes, axis=0),
        revenue=revenue,
        revenue_per_customer=revenue.div(sizes, axis=0),
    )
