"""The CDNOW sample through cible's config path: a whitespace-separated file without header is
ingested, and BG/NBD with ``time_unit: W`` gives Fader, Hardie and Lee's published parameters
(r 0.243, alpha 4.414, a 0.793, b 2.426) for the 39-week calibration period ending 1997-09-30."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from cible.config import CibleConfig, load_config
from cible.predict.clv import clv_summary, fit_clv
from cible.services.ingest import ingest
from cible.warehouse.duckdb import DuckDBWarehouse

pytestmark = pytest.mark.integration

DATA = Path(__file__).resolve().parents[1] / "data" / "CDNOW_sample.txt"
CALIBRATION_AS_OF = date(1997, 10, 1)  # events strictly before: the last day seen is 1997-09-30
PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


def _config(tmp: Path) -> Path:
    config = {
        "project": "CDNOW sample",
        "as_of": CALIBRATION_AS_OF.isoformat(),
        "sources": [
            {
                "name": "cdnow",
                "kind": "events",
                "path": str(DATA),
                "format": "csv",
                "delimiter": "whitespace",
                "columns": ["master_id", "customer", "date", "cds", "dollars"],
                "on_duplicate_rows": "keep",  # two identical lines are two purchases
                "fields": {
                    "customer_id": "customer",
                    "timestamp": {"column": "date", "format": "%Y%m%d"},
                    "event_type": {"value": "purchase"},
                    "quantity": "cds",
                    "amount": "dollars",
                },
            }
        ],
        "predict": {"target": "purchase", "clv": {"time_unit": "W"}},
    }
    path = tmp / "cdnow.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[CibleConfig, DuckDBWarehouse]:
    tmp = tmp_path_factory.mktemp("cdnow")
    config = load_config(_config(tmp))
    wh = DuckDBWarehouse(":memory:")
    summary = ingest(config, wh, tmp / "out", write_quality_files=False)
    source = summary.sources[0]
    assert (source.read, source.accepted, source.quarantined) == (6_919, 6_919, 0)
    return config, wh


@pytest.fixture(scope="module")
def warehouse(loaded: tuple[CibleConfig, DuckDBWarehouse]) -> DuckDBWarehouse:
    return loaded[1]


def test_weeks_are_seven_days_from_the_first_purchase(warehouse: DuckDBWarehouse) -> None:
    weeks = clv_summary(warehouse, CALIBRATION_AS_OF, "W")
    days = clv_summary(warehouse, CALIBRATION_AS_OF, "D")
    assert len(weeks) == 2_357
    assert weeks["frequency"].sum() == 2_457  # repeat purchase days in the calibration period
    # customer 0001 first bought on 1997-01-01: T = 272 days = 38.86 weeks (FHL's first row)
    assert weeks.loc["0001", "T"] == pytest.approx(272 / 7)
    assert days.loc["0001", "T"] == 272.0
    assert (weeks["recency"] * 7).to_numpy() == pytest.approx(days["recency"].to_numpy())
    assert weeks["T"].max() == pytest.approx(38.86, abs=0.005)


def test_bgnbd_in_weeks_gives_the_published_cdnow_parameters(
    loaded: tuple[CibleConfig, DuckDBWarehouse],
) -> None:
    config, warehouse = loaded
    assert config.predict is not None
    result = fit_clv(warehouse, CALIBRATION_AS_OF, config.predict.clv)
    assert result.time_unit == "W"
    assert result.bgnbd.n_customers == 2_357
    for name, value in PUBLISHED.items():
        assert result.bgnbd.params[name] == pytest.approx(value, rel=0.01), name
    per_day = result.bgnbd_per(1.0)
    assert per_day["alpha"] == pytest.approx(4.414 * 7, rel=0.01)
    assert per_day["r"] == result.bgnbd.params["r"]
    assert result.to_dict()["bgnbd_per_week"]["alpha"] == pytest.approx(4.414, rel=0.01)
