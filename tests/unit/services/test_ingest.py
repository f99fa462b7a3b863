from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from cible.config import load_config
from cible.exceptions import MissingColumnError, SourceNotFoundError
from cible.services.ingest import ingest
from cible.warehouse.duckdb import DuckDBWarehouse
from tests.conftest import ORDERS_CSV, WriteConfig, orders_source

CUSTOMERS_CSV = "id;email;created\nC1;a@x.fr;02/01/2024\nC2;b@x.fr;31/02/2024\n"


def _customers_source() -> dict[str, object]:
    return {
        "name": "crm",
        "kind": "customers",
        "path": "customers.csv",
        "fields": {
            "customer_id": "id",
            "email": "email",
            # an optional field that cannot be typed is nulled (raw kept) unless asked otherwise
            "created_at": {"column": "created", "format": "%d/%m/%Y", "on_invalid": "quarantine"},
        },
    }


@pytest.fixture
def project(tmp_path: Path, write_config: WriteConfig) -> Path:
    (tmp_path / "orders.csv").write_text(ORDERS_CSV)
    (tmp_path / "customers.csv").write_text(CUSTOMERS_CSV, encoding="utf-8-sig")
    return write_config({"sources": [_customers_source(), orders_source()]})


def test_ingest_writes_summary_and_quarantine(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with DuckDBWarehouse(out / "w.duckdb") as wh:
        summary = ingest(load_config(project), wh, out)
        assert wh.count("events") == 3
        assert wh.count("customers") == 1
    data = json.loads((out / "ingest_summary.json").read_text())
    by_name = {s["name"]: s for s in data["sources"]}
    assert (
        by_name["orders"]["read"],
        by_name["orders"]["accepted"],
        by_name["orders"]["quarantined"],
    ) == (9, 3, 6)
    assert (by_name["crm"]["read"], by_name["crm"]["accepted"], by_name["crm"]["quarantined"]) == (
        2,
        1,
        1,
    )
    assert by_name["crm"]["encoding"] == "utf-8-sig" and by_name["crm"]["delimiter"] == ";"
    assert data["totals"] == {
        "read": 11,
        "accepted": 4,
        "quarantined": 7,
        "inserted": 4,
        "already_present": 0,
    }
    assert data["balanced"] is True
    assert summary.balanced
    q = pd.read_csv(out / "quarantine.csv")
    assert len(q) == 7
    assert set(q.columns) == {
        "source",
        "file",
        "row",
        "column",
        "value",
        "rule",
        "message",
        "record",
    }
    crm = q[q["source"] == "crm"].iloc[0]
    assert (
        crm["message"]
        == "customers.csv row 2 column 'created': '31/02/2024' is not a timestamp in format %d/%m/%Y"
    )
    assert not list(out.glob(".cible-stage-*"))


def test_reingesting_the_same_files_adds_nothing(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with DuckDBWarehouse(out / "w.duckdb") as wh:
        ingest(load_config(project), wh, out)
        again = ingest(load_config(project), wh, out)
        assert wh.count("events") == 3
        assert wh.count("customers") == 1
    assert [(s.inserted, s.already_present) for s in again.sources] == [(0, 1), (0, 3)]


def test_a_missing_column_writes_nothing(
    project: Path, tmp_path: Path, write_config: WriteConfig
) -> None:
    src = orders_source()
    src["fields"] = {**src["fields"], "quantity": "quantite"}  # type: ignore[dict-item]
    cfg = write_config({"sources": [_customers_source(), src]})
    out = tmp_path / "out"
    with DuckDBWarehouse(out / "w.duckdb") as wh:
        with pytest.raises(MissingColumnError, match="'quantite'"):
            ingest(load_config(cfg), wh, out)
        assert wh.count("customers") == 0  # the valid first source was not loaded either
        assert wh.count("events") == 0
    assert not (out / "quarantine.csv").exists()
    assert not (out / "ingest_summary.json").exists()


def test_a_missing_file_writes_nothing(tmp_path: Path, write_config: WriteConfig) -> None:
    (tmp_path / "customers.csv").write_text(CUSTOMERS_CSV)
    cfg = write_config({"sources": [_customers_source(), orders_source("absent.csv")]})
    out = tmp_path / "out"
    with DuckDBWarehouse(out / "w.duckdb") as wh:
        with pytest.raises(
            SourceNotFoundError, match=r"source 'orders': file not found: .*absent\.csv"
        ):
            ingest(load_config(cfg), wh, out)
        assert wh.count("customers") == 0
    assert list(out.iterdir()) == [out / "w.duckdb"]
