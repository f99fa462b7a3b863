"""The demographic and contextual families on the real UCI Online Retail log (ingested with the
shipped example configuration): the country and the seasonality of three customers, recomputed
by hand in pandas from the raw file, in the shop's time zone (Europe/London)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import holidays
import pandas as pd
import pytest

from cible.config import FeaturesConfig, load_config
from cible.features import build_feature_table
from cible.services.ingest import ingest
from cible.warehouse.duckdb import DuckDBWarehouse
from tests.conftest import shared_dataset

pytestmark = pytest.mark.integration
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "online_retail.yaml"
AS_OF = date(2011, 12, 10)
CUSTOMERS = {"12347": "IS", "12348": "FI", "12583": "FR"}  # Iceland, Finland, France
CONFIG = FeaturesConfig.model_validate(
    {
        "families": ["behaviour", "demographic", "contextual"],
        "contextual": {"time_zone": "Europe/London"},
    }
)


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    shared_dataset("online_retail", "online_retail.parquet")
    out = tmp_path_factory.mktemp("online_retail_families")
    warehouse = DuckDBWarehouse(out / "warehouse.duckdb")
    try:
        ingest(load_config(EXAMPLE), warehouse, out)
        return build_feature_table(warehouse, AS_OF, CONFIG)
    finally:
        warehouse.close()


@pytest.fixture(scope="module")
def orders() -> pd.DataFrame:
    """Per invoice of the three customers: its first line's local time and the country of its
    lines, by hand from the file (the example's rules: "C" invoices are refunds, "A" ones
    quarantined, lines at 0.00 free items, none of them purchases)."""
    raw = pd.read_parquet(shared_dataset("online_retail", "online_retail.parquet"))
    raw = raw[raw["CustomerID"].isin([float(c) for c in CUSTOMERS])]
    invoice = raw["InvoiceNo"].astype(str)
    buys = raw[~invoice.str.startswith(("C", "A")) & (raw["UnitPrice"] != 0)]
    out = buys.groupby(["CustomerID", "InvoiceNo"], as_index=False).agg(
        t=("InvoiceDate", "min"), country=("Country", "first")
    )
    out["customer_id"] = out["CustomerID"].astype(int).astype(str)
    out["t"] = pd.to_datetime(out["t"])
    return out


def _near_holiday(day: date, country: str) -> bool:
    calendar = holidays.country_holidays(country, years=[day.year - 1, day.year, day.year + 1])
    return any(abs((day - h).days) <= 3 for h in calendar)


def test_country_from_the_event_locations(table: pd.DataFrame, orders: pd.DataFrame) -> None:
    by_hand = orders.groupby("customer_id")["country"].agg(lambda s: s.mode()[0]).to_dict()
    assert by_hand == {"12347": "Iceland", "12348": "Finland", "12583": "France"}
    assert table.loc[list(CUSTOMERS), "country"].to_dict() == CUSTOMERS
    assert table.loc[list(CUSTOMERS), "region"].isna().all()  # no postal code in this log
    assert table.loc["17850", "country"] == "GB"  # "United Kingdom"


def test_seasonality_weekend_and_holiday_shares(table: pd.DataFrame, orders: pd.DataFrame) -> None:
    seasons = {
        "winter_share": (12, 1, 2),
        "spring_share": (3, 4, 5),
        "summer_share": (6, 7, 8),
        "autumn_share": (9, 10, 11),
    }
    for cid, country in CUSTOMERS.items():
        mine = orders[orders["customer_id"] == cid]
        month = mine["t"].dt.month
        expected = {name: float(month.isin(months).mean()) for name, months in seasons.items()}
        expected["weekend_share"] = float((mine["t"].dt.day_of_week >= 5).mean())
        expected["holiday_share"] = float(
            mine["t"].dt.date.map(lambda d, c=country: _near_holiday(d, c)).mean()
        )
        got = table.loc[cid, list(expected)].astype(float).to_dict()
        assert got == pytest.approx(expected), cid
    # the figures, pinned: 12347's 7 orders in Jan, Apr, Jun, Aug, Oct and twice in Dec
    assert table.loc["12347", "winter_share"] == pytest.approx(3 / 7)
    assert table.loc["12347", "summer_share"] == pytest.approx(2 / 7)
    assert table.loc["12348", "weekend_share"] == pytest.approx(1 / 4)
    assert table.loc["12583", "spring_share"] == pytest.approx(2 / 15)


def test_the_time_of_day_shares_add_up_for_every_buyer(table: pd.DataFrame) -> None:
    buyers = table[table["frequency"] > 0]
    parts = ["morning_share", "afternoon_share", "evening_share", "night_share"]
    assert (buyers[parts].sum(axis=1) - 1).abs().max() < 1e-12
    assert len(buyers) == 4_338
    assert table.loc[table["frequency"] == 0, "winter_share"].isna().all()


def test_segmentation_with_the_country_as_a_categorical_criterion(table: pd.DataFrame) -> None:
    """The mixed grid on the real buyers: k-means on the numeric features, k-prototypes and
    Gower k-medoids with the country; silhouettes on Gower's distance; country shares in the
    profiles add up to the buyers' shares counted by hand."""
    from cible.config import SegmentationConfig, SelectionConfig
    from cible.segmentation.customer_segments import segment_customers

    config = SegmentationConfig(
        features=["recency_days", "frequency", "monetary", "country"],
        k_min=2,
        k_max=5,
        selection=SelectionConfig(algorithms=["kmeans", "kprototypes", "gower"]),
    )
    frame = table.loc[:, ["recency_days", "frequency", "monetary", "country"]]
    result = segment_customers(frame, config)
    sel = result.science.selection
    scored = {c.candidate.name: c for c in sel.candidates}
    assert len(scored) == 12 and all(c.error is None for c in scored.values())
    assert all(-1.0 <= c.silhouette <= 1.0 for c in scored.values())
    assert sel.chosen.passed
    buyers = frame[frame["frequency"] > 0]
    by_hand = buyers["country"].value_counts() / len(buyers)  # a missing country: in no column
    assert by_hand.index[0] == "GB"
    clustered = set(result.label_map.values())
    profiles = result.profiles[result.profiles["segment_id"].isin(clustered)]
    assert int(profiles["size"].sum()) == len(buyers)
    for country in by_hand.index[:5]:
        column = profiles[f"country={country}_share"]
        weighted = float((column * profiles["size"]).sum() / profiles["size"].sum())
        assert weighted == pytest.approx(float(by_hand[country]))
