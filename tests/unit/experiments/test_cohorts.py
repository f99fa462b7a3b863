"""Cohorts on a hand-made order table: exact retention and revenue, an order exactly at a month
boundary, months not yet observed, the CSV path's counts and errors."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from cible.exceptions import ExperimentError
from cible.experiments.cohorts import cohort_matrices, cohort_sql
from cible.services.cohorts import orders_from_csv, run_cohorts_csv
from cible.warehouse.duckdb import DuckDBWarehouse

ORDERS = """customer_id,order_date,amount
a,2024-01-31 23:59:59,10
a,2024-02-01 00:00:00,20
b,2024-01-15 08:00:00,5
b,2024-03-02 00:00:00,7
c,2024-02-29 23:59:59,1
d,2024-03-01 00:00:00,4
,2024-02-11 00:00:00,99
"""


def _long(orders: pd.DataFrame) -> pd.DataFrame:
    wh = DuckDBWarehouse(":memory:")
    wh.register("o", pa.Table.from_pandas(orders, preserve_index=False))
    try:
        return wh.fetch_arrow(cohort_sql("o")).to_pandas()
    finally:
        wh.close()


@pytest.fixture
def csv(tmp_path: Path) -> Path:
    path = tmp_path / "orders.csv"
    path.write_text(ORDERS, encoding="utf-8")
    return path


def test_exact_matrices_with_orders_at_month_boundaries(csv: Path) -> None:
    orders, without = orders_from_csv(csv, "customer_id", "order_date", "amount")
    assert without == 1
    r = cohort_matrices(_long(orders))
    # a: Jan (23:59:59 on the 31st) then Feb (00:00:00 on the 1st); b: Jan, Mar;
    # c: Feb (the 29th, leap year); d: Mar (00:00:00 on the 1st)
    assert r.sizes.to_dict() == {"2024-01": 2, "2024-02": 1, "2024-03": 1}
    ret = r.retention.to_numpy().tolist()
    assert ret[0] == [1.0, 0.5, 0.5]
    assert ret[1][:2] == [1.0, 0.0] and math.isnan(ret[1][2])  # April not observed
    assert ret[2][0] == 1.0 and math.isnan(ret[2][1]) and math.isnan(ret[2][2])
    rev = r.revenue.to_numpy().tolist()
    assert rev[0] == [15.0, 20.0, 7.0]
    assert r.revenue_per_customer.iloc[0].tolist() == [7.5, 10.0, 3.5]
    d = r.to_dict()
    assert d["retention"][1] == [1.0, 0.0, None]
    assert d["cohorts"] == ["2024-01", "2024-02", "2024-03"]


def test_one_second_earlier_moves_the_order_to_the_previous_month() -> None:
    orders = pd.DataFrame(
        {
            "customer_id": ["x", "x"],
            "timestamp": pd.to_datetime(["2024-01-10 00:00:00", "2024-01-31 23:59:59"]),
            "amount": [1.0, 2.0],
        }
    )
    r = cohort_matrices(_long(orders))
    assert r.revenue.columns.tolist() == [0]
    assert r.revenue.iloc[0, 0] == 3.0
    later = orders.assign(timestamp=pd.to_datetime(["2024-01-10 00:00:00", "2024-02-01 00:00:00"]))
    assert cohort_matrices(_long(later)).revenue.iloc[0].tolist() == [1.0, 2.0]


def test_run_writes_json_and_html(csv: Path, tmp_path: Path) -> None:
    run = run_cohorts_csv(
        csv, tmp_path / "out", customer="customer_id", date="order_date", amount="amount"
    )
    assert run.orders == 6 and run.orders_without_customer == 1
    text = run.json_path.read_text(encoding="utf-8")
    assert '"orders_without_customer": 1' in text
    html = (tmp_path / "out" / "cohorts.html").read_text(encoding="utf-8")
    assert "chart-retention" in html and "<script" in html


def test_bad_date_and_amount_name_row_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "customer_id,order_date,amount\na,2024-01-01,1\nb,31/02/2024,2\n", encoding="utf-8"
    )
    with pytest.raises(
        ExperimentError, match=r"row 2 column 'order_date': '31/02/2024' is not a date"
    ):
        orders_from_csv(bad, "customer_id", "order_date", "amount")
    bad.write_text("customer_id,order_date,amount\na,2024-01-01,one\n", encoding="utf-8")
    with pytest.raises(ExperimentError, match=r"row 1 column 'amount': 'one' is not a number"):
        orders_from_csv(bad, "customer_id", "order_date", "amount")


def test_empty_rows_are_refused() -> None:
    with pytest.raises(ExperimentError, match="no order"):
        cohort_matrices(pd.DataFrame(columns=["cohort", "months_since", "customers", "revenue"]))


def test_warehouse_purchase_events_give_the_same_matrices(csv: Path, tmp_path: Path) -> None:
    from cible.config import DuckDBWarehouseConfig
    from cible.services.cohorts import run_cohorts_warehouse

    orders, _ = orders_from_csv(csv, "customer_id", "order_date", "amount")
    wh = DuckDBWarehouse(tmp_path / "run" / "warehouse.duckdb")
    events = orders.assign(
        event_id=[f"e{i}" for i in range(len(orders))], source="shop", event_type="purchase"
    )
    refund = pd.DataFrame(
        {
            "event_id": ["r1"],
            "customer_id": ["a"],
            "source": ["shop"],
            "event_type": ["refund"],
            "timestamp": pd.to_datetime(["2024-03-05"]),
            "amount": [-10.0],
        }
    )
    wh.register("ev", pa.Table.from_pandas(pd.concat([events, refund]), preserve_index=False))
    wh.execute(
        "INSERT INTO events (event_id, customer_id, source, event_type, timestamp, amount) "
        "SELECT event_id, customer_id, source, event_type, timestamp, amount FROM ev"
    )
    wh.close()
    run = run_cohorts_warehouse(DuckDBWarehouseConfig(), tmp_path / "run", tmp_path / "out")
    expected = cohort_matrices(_long(orders))
    pd.testing.assert_frame_equal(run.result.revenue, expected.revenue)
    pd.testing.assert_frame_equal(run.result.retention, expected.retention)
    assert run.orders == 6  # the refund is not an order
