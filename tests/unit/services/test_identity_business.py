"""Business listings through ingestion: organisation, address_line and attributes.<key> are
canonical customer data the matcher compares (`cible dedup` on ingested customers)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from cible.config import load_config
from cible.identity import MatchingConfig, find_duplicates
from cible.services.identity import run_dedup
from tests.conftest import WriteConfig
from tests.unit.identity.frames import customers

LISTINGS = (
    "id,site,street,zip,store\n"
    "B1,Café de la Gare,12 rue de la Gare,75010,S1\n"
    "B2,CAFE DE LA GARE,12 Rue de la Gare ,75010,S1\n"
    "B3,Boulangerie Martin,3 avenue Foch,75010,S2\n"
    "B4,Boulangerie Martin,3 av. Foch,69001,S3\n"
)
MATCHING = {
    "method": "threshold",
    "threshold": 0.9,
    "fields": [
        {"column": "organisation", "comparator": "jaro_winkler"},
        {"column": "address_line", "comparator": "token_set"},
        {"column": "attributes.store", "comparator": "exact"},
    ],
    "blocking": [{"keys": ["postal_code"]}, {"keys": ["attributes.store"]}],
}


def test_organisation_address_and_attributes_are_matched(
    tmp_path: Path, write_config: WriteConfig
) -> None:
    (tmp_path / "listings.csv").write_text(LISTINGS, encoding="utf-8")
    cfg = write_config(
        {
            "sources": [
                {
                    "name": "listings",
                    "kind": "customers",
                    "path": "listings.csv",
                    "fields": {
                        "customer_id": "id",
                        "organisation": "site",
                        "address_line": "street",
                        "postal_code": "zip",
                        "attributes": {"columns": ["store"]},
                    },
                }
            ],
            "dedup": {"matching": MATCHING},
        }
    )
    out = tmp_path / "out"
    run = run_dedup(load_config(cfg), out)
    clusters = pd.read_csv(out / "clusters.csv", dtype=str)
    assert clusters["entity_id"].tolist() == ["B1", "B1", "B3", "B4"]
    golden = pd.read_csv(out / "golden.csv", dtype=str)
    assert golden.set_index("customer_id").loc["B1", "organisation"] in (
        "Café de la Gare",
        "CAFE DE LA GARE",
    )
    assert run.outcome.summary()["largest_entity"] == 2
    assert json.loads((out / "dedup.json").read_text())["largest_entity_id"] == "B1"


def test_attributes_from_dicts_or_json_text_and_absent_keys() -> None:
    records = customers(
        [
            {"customer_id": "a", "attributes": json.dumps({"store": "S1"})},
            {"customer_id": "b", "attributes": json.dumps({"store": "S1", "x": 1})},
            {"customer_id": "c", "attributes": json.dumps({"other": "S1"})},
            {"customer_id": "d", "attributes": None},
        ]
    )
    config = MatchingConfig.model_validate(
        {
            "id_column": "customer_id",
            "threshold": 1.0,
            "fields": [{"column": "attributes.store", "comparator": "exact"}],
            "blocking": [{"keys": ["attributes.store"]}],
        }
    )
    before = records.copy()
    result = find_duplicates(records, config)
    pd.testing.assert_frame_equal(records, before)
    assert result.clusters["entity_id"].tolist() == ["a", "a", "c", "d"]
    as_dicts = records.assign(attributes=[{"store": "S1"}, {"store": "S1"}, {}, None])
    again = find_duplicates(as_dicts, config)
    assert again.clusters["entity_id"].tolist() == ["a", "a", "c", "d"]
