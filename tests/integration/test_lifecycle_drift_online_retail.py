"""Drift on the real Online Retail file: the customers of December 2010 against those of
September-November 2011, and two pairs of adjacent quiet months (docs/lifecycle.md).

Per customer active in a window: ``monetary`` (spend), ``frequency`` (orders), ``basket``
(spend per order), ``lines_per_order``; cancellations, zero prices and lines without customer id
left out. Default policy: Benjamini-Hochberg q < 0.05 AND normalised Wasserstein >= 0.05.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cible.lifecycle.drift import DriftPolicy, detect_drift
from cible.warehouse.duckdb import DuckDBWarehouse
from tests.conftest import shared_dataset

pytestmark = pytest.mark.integration
FEATURES = ["monetary", "frequency", "basket", "lines_per_order"]


@pytest.fixture(scope="module")
def warehouse() -> Iterator[DuckDBWarehouse]:
    path = shared_dataset("online_retail", "online_retail.parquet")
    wh = DuckDBWarehouse(":memory:")
    wh.execute(
        "CREATE TABLE lines AS SELECT CAST(CustomerID AS BIGINT) AS customer_id, "
        "InvoiceNo AS invoice, CAST(InvoiceDate AS TIMESTAMP) AS ts, "
        f"Quantity * UnitPrice AS amount FROM '{path}' WHERE CustomerID IS NOT NULL "
        "AND InvoiceNo NOT LIKE 'C%' AND Quantity > 0 AND UnitPrice > 0"
    )
    yield wh
    wh.close()


def window(start: str, end: str) -> str:
    return (
        "(SELECT customer_id, sum(amount) AS monetary, count(DISTINCT invoice) AS frequency, "
        "sum(amount) / count(DISTINCT invoice) AS basket, "
        "count(*) / count(DISTINCT invoice) AS lines_per_order FROM lines "
        f"WHERE ts >= TIMESTAMP '{start}' AND ts < TIMESTAMP '{end}' GROUP BY customer_id)"
    )


def test_december_2010_against_september_november_2011_drifts_on_monetary_and_frequency(
    warehouse: DuckDBWarehouse,
) -> None:
    report = detect_drift(
        warehouse,
        window("2010-12-01", "2011-01-01"),
        window("2011-09-01", "2011-12-01"),
        numeric=FEATURES,
        policy=DriftPolicy(),
    )
    monetary, frequency = report.feature("monetary"), report.feature("frequency")
    assert (monetary.reference_rows, monetary.current_rows) == (885, 2_851)
    assert monetary.drifted and frequency.drifted
    assert monetary.q_value < 1e-20 and monetary.effect > 0.8
    assert frequency.q_value < 1e-15 and frequency.effect > 0.5
    assert monetary.tests["psi"].score > 0.2  # PSI agrees: a major shift
    # a stricter gate still flags them: they are not borderline
    strict = detect_drift(
        warehouse,
        window("2010-12-01", "2011-01-01"),
        window("2011-09-01", "2011-12-01"),
        numeric=["monetary", "frequency"],
        policy=DriftPolicy(alpha=0.001, min_effect=0.5),
    )
    assert strict.drifted_features == ["monetary", "frequency"]


@pytest.mark.parametrize(
    ("reference", "current"),
    [
        (("2011-02-01", "2011-03-01"), ("2011-03-01", "2011-04-01")),
        (("2011-06-01", "2011-07-01"), ("2011-07-01", "2011-08-01")),
    ],
    ids=["february-march-2011", "june-july-2011"],
)
def test_two_adjacent_quiet_months_do_not_drift(
    warehouse: DuckDBWarehouse, reference: tuple[str, str], current: tuple[str, str]
) -> None:
    report = detect_drift(warehouse, window(*reference), window(*current), numeric=FEATURES)
    assert report.drifted_features == []
    assert all(f.q_value > 0.4 for f in report.features)
