"""``cible cohorts``: acquisition-month cohorts from a CSV of orders or from the warehouse of a
run (purchase events), written as ``cohorts.json`` beside ``cohorts.html``.

Both paths run the same SQL (:func:`cible.experiments.cohorts.cohort_sql`): the CSV is loaded
into a throw-away in-memory DuckDB. Orders without a customer id cannot join a cohort: they are
counted in ``orders_without_customer``, never silently dropped; an unreadable date or amount is an
error naming the file, row and column.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from cible.config import DuckDBWarehouseConfig, PostgreSQLWarehouseConfig, SparkWarehouseConfig
from cible.config.experiments import ExperimentSource
from cible.exceptions import ExperimentError
from cible.experiments.cohorts import CohortResult, cohort_matrices, cohort_sql
from cible.services.experiment_data import read_columns
from cible.services.outputs import run_meta, staged, write_json

WAREHOUSE_ORDERS = (
    "(SELECT customer_id, timestamp, amount FROM events WHERE event_type = 'purchase')"
)


@dataclass(frozen=True)
class CohortRun:
    result: CohortResult
    orders: int
    orders_without_customer: int
    json_path: Path


def _bad(frame: pd.DataFrame, bad: pd.Series, path: Path, column: str, rule: str) -> None:
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise ExperimentError(
            f"{path} row {i + 1:,} column {column!r}: {frame[column].iloc[i]!r} {rule} "
            f"({int(bad.sum()):,} such rows)"
        )


def orders_from_csv(
    path: Path, customer: str, date: str, amount: str, date_format: str | None = None
) -> tuple[pd.DataFrame, int]:
    """The orders as ``customer_id, timestamp (UTC, naive), amount`` and the count of orders
    without a customer id."""
    raw = read_columns(ExperimentSource(path=path), [customer, date, amount])
    ts = pd.to_datetime(raw[date], format=date_format, errors="coerce", utc=True)
    _bad(
        raw,
        ts.isna() & raw[date].notna(),
        path,
        date,
        f"is not a date{f' in format {date_format}' if date_format else ''}",
    )
    _bad(raw, raw[date].isna(), path, date, "is missing")
    value = pd.to_numeric(raw[amount], errors="coerce")
    _bad(raw, value.isna() & raw[amount].notna(), path, amount, "is not a number")
    ids = raw[customer].astype("string").str.strip()
    missing = ids.isna() | (ids == "")
    orders = pd.DataFrame(
        {"customer_id": ids, "timestamp": ts.dt.tz_localize(None), "amount": value.fillna(0.0)}
    )
    return orders[~missing.to_numpy()].reset_index(drop=True), int(missing.sum())


def _long_from_orders(orders: pd.DataFrame) -> pd.DataFrame:
    from cible.warehouse.duckdb import DuckDBWarehouse

    wh = DuckDBWarehouse(":memory:")
    try:
        wh.register("cible_orders", pa.Table.from_pandas(orders, preserve_index=False))
        return wh.fetch_arrow(cohort_sql("cible_orders")).to_pandas()
    finally:
        wh.close()


def _write(
    result: CohortResult, meta: dict[str, str], extra: dict[str, Any], out_dir: Path
) -> Path:
    from cible.reporting.cohorts import render_cohort_report

    with staged(out_dir) as path:
        write_json(path("cohorts.json"), {"meta": meta, **extra, **result.to_dict()})
        path("cohorts.html").write_text(render_cohort_report(result, meta), encoding="utf-8")
    return out_dir / "cohorts.json"


def run_cohorts_csv(
    path: Path,
    out_dir: Path,
    *,
    customer: str,
    date: str,
    amount: str,
    date_format: str | None = None,
) -> CohortRun:
    orders, without = orders_from_csv(path, customer, date, amount, date_format)
    if orders.empty:
        raise ExperimentError(f"{path}: no order with a customer id")
    result = cohort_matrices(_long_from_orders(orders))
    extra = {"orders": len(orders), "orders_without_customer": without}
    json_path = _write(result, run_meta("cohorts", source=path.name), extra, out_dir)
    return CohortRun(result, len(orders), without, json_path)


def run_cohorts_warehouse(
    warehouse: DuckDBWarehouseConfig | PostgreSQLWarehouseConfig | SparkWarehouseConfig,
    run_dir: Path,
    out_dir: Path,
) -> CohortRun:
    """From the purchase events of the warehouse of a run (``run_dir`` = its ``--out``, which
    anchors a relative DuckDB path)."""
    from cible.warehouse.registry import open_warehouse

    wh = open_warehouse(warehouse, run_dir)
    try:
        long = wh.fetch_arrow(cohort_sql(WAREHOUSE_ORDERS)).to_pandas()
        orders = int(wh.scalar("SELECT count(*) FROM events WHERE event_type = 'purchase'") or 0)
    finally:
        wh.close()
    result = cohort_matrices(long)
    extra = {"orders": orders, "orders_without_customer": 0}
    json_path = _write(result, run_meta("cohorts", source="warehouse events"), extra, out_dir)
    return CohortRun(result, orders, 0, json_path)
