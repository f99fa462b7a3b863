"""CLV on the real UCI Online Retail log (ingested with the shipped example configuration).

What the models say about this data set, pinned so that a change shows:

* 4,338 customers bought before 2011-12-10 (as in the pipeline test);
* the BG/NBD fits the repeat-purchase histogram to within 2% of the customers in every bin, but
  finds almost no evidence of drop-out in one year of a wholesaler's log (a -> 0, P(alive) ~ 1):
  the fit says so in its warnings;
* fitted before 2011-09-11, it under-predicts the last 90 days (Sep-Dec 2011, the Christmas peak:
  4,482 purchase days against 3,326 predicted): the model has no seasonality.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from cible.config import load_config
from cible.predict.clv import CLVConfig, CLVResult, fit_clv
from cible.services.ingest import ingest
from cible.warehouse.duckdb import DuckDBWarehouse
from tests.conftest import shared_dataset

pytestmark = pytest.mark.integration
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "online_retail.yaml"


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> CLVResult:
    shared_dataset("online_retail", "online_retail.parquet")
    out = tmp_path_factory.mktemp("clv_online_retail")
    warehouse = DuckDBWarehouse(out / "warehouse.duckdb")
    try:
        ingest(load_config(EXAMPLE), warehouse, out)
        return fit_clv(warehouse, date(2011, 12, 10), CLVConfig(holdout_days=90))
    finally:
        warehouse.close()


def test_models_and_their_fit(result: CLVResult) -> None:
    assert len(result.customers) == 4_338
    assert result.bgnbd.params["r"] == pytest.approx(0.8265, rel=0.01)
    assert result.bgnbd.params["alpha"] == pytest.approx(68.91, rel=0.01)  # days
    assert result.bgnbd.params["a"] < 0.01  # next to no drop-out
    assert result.gamma_gamma.params == pytest.approx(
        {"p": 2.111, "q": 3.437, "v": 479.6}, rel=0.01
    )
    assert result.gamma_gamma.n_customers == 2_790
    assert abs(result.frequency_monetary_correlation) < 0.05
    ff = result.frequency_fit
    assert ((ff["actual"] - ff["expected"]).abs() < 0.02 * len(result.customers)).all()
    assert result.warnings and "P(alive) is near 1" in result.warnings[0]


def test_holdout_shows_the_christmas_peak(result: CLVResult) -> None:
    h = result.holdout_fit
    assert h is not None
    actual = (h["customers"] * h["actual"]).sum()
    predicted = (h["customers"] * h["predicted"]).sum()
    assert actual == 4_482
    assert predicted == pytest.approx(3_326, rel=0.01)
    # still ordered: who bought more before buys more after, in the data and in the model
    assert h["actual"].is_monotonic_increasing and h["predicted"].is_monotonic_increasing


def test_values_are_reported(result: CLVResult) -> None:
    c = result.customers
    assert (c["clv"] >= 0).all() and c["p_alive"].between(0, 1).all()
    assert c["clv"].sum() == pytest.approx(8.855e6, rel=0.01)  # GBP over 365 days, 10%/year
    json.dumps(result.to_dict(), allow_nan=False)
