"""The data-quality step: report files, the threshold gate, `cible quality`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cible.cli.main import app
from cible.config import load_config
from cible.exceptions import DataQualityError
from cible.services.ingest import ingest
from cible.services.quality import run_quality
from cible.warehouse.duckdb import DuckDBWarehouse
from tests.conftest import ORDERS_CSV, WriteConfig, orders_source

CUSTOMERS_CSV = "id;email;tel\nC1;a@x.fr;06 12 34 56 78\nC2;not-an-email;0612\nC3;;\n"
BREACH = (
    "source 'orders' column 'timestamp': invalid rate 12.5% > allowed 5.0% "
    "(quality.thresholds.max_invalid_rate.timestamp)"
)


def _config(tmp_path: Path, write_config: WriteConfig, **quality: Any) -> Path:
    (tmp_path / "orders.csv").write_text(ORDERS_CSV)
    (tmp_path / "customers.csv").write_text(CUSTOMERS_CSV)
    customers = {
        "name": "crm",
        "kind": "customers",
        "path": "customers.csv",
        "fields": {"customer_id": "id", "email": "email", "phone": "tel"},
    }
    return write_config(
        {"sources": [customers, orders_source()], **({"quality": quality} if quality else {})}
    )


def _columns(data: dict[str, Any], source: str) -> dict[str, dict[str, Any]]:
    [src] = [s for s in data["sources"] if s["source"] == source]
    return {c["name"]: c for c in src["columns"]}


def test_ingest_writes_the_quality_report(tmp_path: Path, write_config: WriteConfig) -> None:
    out = tmp_path / "out"
    with DuckDBWarehouse(out / "w.duckdb") as wh:
        summary = ingest(load_config(_config(tmp_path, write_config)), wh, out)
    assert summary.quality is not None and summary.quality.breaches == ()
    data = json.loads((out / "quality.json").read_text())
    crm = _columns(data, "crm")
    assert (crm["email"]["n_missing"], crm["email"]["n_invalid"]) == (1, 1)
    assert crm["email"]["invalid_reasons"] == [{"value": "not an e-mail", "count": 1}]
    assert crm["phone"]["invalid_rate"] == pytest.approx(1 / 3)
    orders = _columns(data, "orders")
    # 8 parsed rows (the malformed one has no columns); '2025-02-30 10:00:00' is not a timestamp
    assert orders["timestamp"]["n_rows"] == 8
    assert orders["timestamp"]["n_invalid"] == 1
    assert "event_type" not in orders  # a constant ({value: purchase}) is not measured
    html = (out / "quality.html").read_text()
    assert "not an e-mail" in html and "not-an-email" not in html


def test_a_breach_stops_before_the_warehouse(tmp_path: Path, write_config: WriteConfig) -> None:
    cfg = _config(tmp_path, write_config, thresholds={"max_invalid_rate": {"timestamp": 0.05}})
    out = tmp_path / "out"
    with DuckDBWarehouse(out / "w.duckdb") as wh:
        with pytest.raises(DataQualityError) as caught:
            ingest(load_config(cfg), wh, out)
        assert wh.count("customers") == 0 and wh.count("events") == 0
    assert caught.value.breaches == (BREACH,)
    assert BREACH in str(caught.value)
    assert str(out / "quality.html") in str(caught.value)
    data = json.loads((out / "quality.json").read_text())
    assert data["breaches"][0]["measured"] == pytest.approx(0.125)
    assert data["breaches"][0]["allowed"] == pytest.approx(0.05)
    assert not (out / "quarantine.csv").exists()


def test_breaches_reported_without_stopping(tmp_path: Path, write_config: WriteConfig) -> None:
    cfg = _config(
        tmp_path,
        write_config,
        thresholds={"max_missing_rate": {"default": 0.2}},
        stop_on_breach=False,
    )
    out = tmp_path / "out"
    with DuckDBWarehouse(out / "w.duckdb") as wh:
        summary = ingest(load_config(cfg), wh, out)
        assert wh.count("events") == 3
    assert summary.quality is not None
    # 1 of 3 e-mails and phones missing (33%); orders' customer_id 1 of 8 (12.5%) is allowed
    assert [(b.source, b.column) for b in summary.quality.breaches] == [
        ("crm", "email"),
        ("crm", "phone"),
    ]


def test_run_quality_loads_nothing(tmp_path: Path, write_config: WriteConfig) -> None:
    out = tmp_path / "q"
    report = run_quality(load_config(_config(tmp_path, write_config)), out)
    assert sorted(p.name for p in out.iterdir()) == ["quality.html", "quality.json"]
    assert [s.source for s in report.sources] == ["crm", "orders"]
    assert report.imputation is None


def test_cli_quality(tmp_path: Path, write_config: WriteConfig) -> None:
    runner = CliRunner()
    cfg = _config(tmp_path, write_config)
    result = runner.invoke(app, ["quality", "--config", str(cfg), "--out", str(tmp_path / "q")])
    assert result.exit_code == 0, result.output
    assert "crm: 3 rows, 3 columns" in result.output
    assert "quality.html" in result.output
    cfg = _config(tmp_path, write_config, thresholds={"max_invalid_rate": {"timestamp": 0.05}})
    result = runner.invoke(app, ["quality", "--config", str(cfg), "--out", str(tmp_path / "q2")])
    assert result.exit_code == 2
    assert "invalid rate 12.5% > allowed 5.0%" in " ".join(result.output.split())
    assert (tmp_path / "q2" / "quality.json").is_file()
