"""Never erase a value: raw values kept, failed-value warnings, the lost-values gate, overrides."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cible.cli.main import app
from cible.config import load_config
from cible.exceptions import DataQualityError
from cible.services.ingest import ingest
from cible.warehouse.duckdb import DuckDBWarehouse
from tests.conftest import WriteConfig

runner = CliRunner()


def _phones(n_good: int, n_bad: int) -> str:
    """``n_good`` valid French mobiles then ``n_bad`` 7-digit US numbers (no area code)."""
    good = [f"G{i};06 12 34 {i // 100:02d} {i % 100:02d}" for i in range(n_good)]
    bad = [f"B{i};555-{i:04d}" for i in range(n_bad)]
    return "id;tel\n" + "\n".join(good + bad) + "\n"


def _project(
    tmp_path: Path, write_config: WriteConfig, csv: str, **top: object
) -> tuple[Path, Path]:
    (tmp_path / "c.csv").write_text(csv, encoding="utf-8")
    source = {
        "name": "crm",
        "kind": "customers",
        "path": "c.csv",
        "fields": {"customer_id": "id", "phone": "tel"},
    }
    return write_config({"sources": [source], **top}), tmp_path / "out"


def _ingest(cfg: Path, out: Path) -> tuple[dict[str, object], int, list[tuple[str, str | None]]]:
    with DuckDBWarehouse(out / "w.duckdb") as wh:
        summary = ingest(load_config(cfg), wh, out)
        rows = wh.fetch_arrow(
            "SELECT customer_id, raw_values FROM customers WHERE raw_values IS NOT NULL "
            "ORDER BY customer_id"
        ).to_pylist()
        n = wh.count("customers")
    [source] = summary.as_dict()["sources"]  # type: ignore[misc]
    return source, n, [(r["customer_id"], r["raw_values"]) for r in rows]


def test_unreadable_phones_kept_raw_with_a_warning(
    tmp_path: Path, write_config: WriteConfig
) -> None:
    cfg, out = _project(tmp_path, write_config, _phones(7, 3))
    source, n, raw = _ingest(cfg, out)
    assert n == 10 and source["quarantined"] == 0
    assert raw == [
        ("B0", '{"phone":"555-0000"}'),
        ("B1", '{"phone":"555-0001"}'),
        ("B2", '{"phone":"555-0002"}'),
    ]
    [warning] = source["warnings"]  # type: ignore[misc]
    assert warning["message"] == (
        "source 'crm' field 'phone' (column 'tel'): 3 of 10 values (30.0%) failed rule "
        "standardize:phone; 3 nulled (kept as read in raw_values)"
    )
    assert (warning["values"], warning["failed"], warning["lost"], warning["share"]) == (
        10,
        3,
        3,
        0.3,
    )
    assert warning["rule"] == "standardize:phone" and warning["allowed"] == 0.05
    written = json.loads((out / "ingest_summary.json").read_text())
    assert written["sources"][0]["warnings"] == [warning]


def test_cli_prints_the_warning_and_exits_0(tmp_path: Path, write_config: WriteConfig) -> None:
    cfg, out = _project(tmp_path, write_config, _phones(7, 3))
    result = runner.invoke(app, ["ingest", "--config", str(cfg), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (
        "warning: source 'crm' field 'phone' (column 'tel'): 3 of 10 values (30.0%) failed rule "
        "standardize:phone" in result.output
    )
    assert "555-" not in result.output  # personal values are never printed


@pytest.mark.parametrize(("n_good", "n_bad", "warned"), [(19, 1, False), (18, 1, True)])
def test_warning_boundary_at_5_percent(
    tmp_path: Path, write_config: WriteConfig, n_good: int, n_bad: int, warned: bool
) -> None:
    # 1 of 20 = exactly 5%: no warning; 1 of 19 = 5.26%: a warning
    cfg, out = _project(tmp_path, write_config, _phones(n_good, n_bad))
    source, _, _ = _ingest(cfg, out)
    assert len(source["warnings"]) == int(warned)  # type: ignore[arg-type]


def test_most_values_lost_stops_with_exit_2_and_loads_nothing(
    tmp_path: Path, write_config: WriteConfig
) -> None:
    cfg, out = _project(tmp_path, write_config, _phones(1, 9))
    result = runner.invoke(app, ["ingest", "--config", str(cfg), "--out", str(out)])
    assert result.exit_code == 2
    assert (
        "source 'crm' field 'phone' (column 'tel'): 90.0% of its values lost (rule "
        "standardize:phone) > allowed 50.0% (quality.thresholds.max_lost_rate.default); to go on "
        "anyway, allow it: quality.thresholds.max_lost_rate: {phone: 1.0}" in result.output
    )
    with DuckDBWarehouse(out / "w.duckdb") as wh:
        assert wh.count("customers") == 0
    assert not (out / "ingest_summary.json").exists()
    assert not (out / "quarantine.csv").exists()
    assert (out / "quality.json").is_file()  # why it stopped
    breach = json.loads((out / "quality.json").read_text())["breaches"][0]
    assert (breach["measure"], breach["measured"], breach["allowed"]) == ("lost_rate", 0.9, 0.5)


def test_cible_run_stops_too(tmp_path: Path, write_config: WriteConfig) -> None:
    cfg, out = _project(tmp_path, write_config, _phones(1, 9))
    result = runner.invoke(app, ["run", "--config", str(cfg), "--out", str(out)])
    assert result.exit_code == 2
    assert "90.0% of its values lost" in result.output
    assert not (out / "report.html").exists()


@pytest.mark.parametrize(("n_bad", "stops"), [(50, False), (51, True)])
def test_gate_boundary_at_half(
    tmp_path: Path, write_config: WriteConfig, n_bad: int, stops: bool
) -> None:
    # 50 of 100 lost = exactly 50%: runs; 51 of 100: stops
    cfg, out = _project(tmp_path, write_config, _phones(100 - n_bad, n_bad))
    if stops:
        with pytest.raises(DataQualityError, match=r"51\.0% of its values lost"):
            _ingest(cfg, out)
    else:
        _, n, raw = _ingest(cfg, out)
        assert (n, len(raw)) == (100, 50)


def test_override_by_field(tmp_path: Path, write_config: WriteConfig) -> None:
    thresholds = {"thresholds": {"max_lost_rate": {"phone": 1.0}}}
    cfg, out = _project(tmp_path, write_config, _phones(1, 9), quality=thresholds)
    assert load_config(cfg).quality.thresholds.max_lost_rate == {"default": 0.5, "phone": 1.0}
    source, n, raw = _ingest(cfg, out)
    assert (n, len(raw)) == (10, 9)
    assert [w["share"] for w in source["warnings"]] == [0.9]  # type: ignore[attr-defined]


def test_on_invalid_keep_loses_nothing(tmp_path: Path, write_config: WriteConfig) -> None:
    # kept as given: failed (warned) but not lost, so the gate lets it through
    cfg, out = _project(tmp_path, write_config, _phones(1, 9), standardize={"on_invalid": "keep"})
    source, n, raw = _ingest(cfg, out)
    [warning] = source["warnings"]  # type: ignore[misc]
    assert (n, len(raw), warning["failed"], warning["lost"]) == (10, 9, 9, 0)
    assert warning["message"].endswith(
        "failed rule standardize:phone; 9 kept as given (also in raw_values)"
    )


def test_typo_birth_date_is_kept_raw_when_standardisation_is_off(
    tmp_path: Path, write_config: WriteConfig
) -> None:
    csv = "id;dob\nP1;1558-87-21\nP2;1980-04-03\nP3;1975-01-02\n"
    (tmp_path / "c.csv").write_text(csv, encoding="utf-8")
    source = {
        "name": "people",
        "kind": "customers",
        "path": "c.csv",
        "fields": {"customer_id": "id", "birth_date": "dob"},
    }
    cfg = write_config({"sources": [source], "standardize": {"auto": False}})
    out = tmp_path / "out"
    with DuckDBWarehouse(out / "w.duckdb") as wh:
        summary = ingest(load_config(cfg), wh, out)
        rows = wh.fetch_arrow(
            "SELECT customer_id, CAST(birth_date AS VARCHAR) AS d, raw_values FROM customers "
            "ORDER BY customer_id"
        ).to_pylist()
    assert [(r["customer_id"], r["d"], r["raw_values"]) for r in rows] == [
        ("P1", None, '{"birth_date":"1558-87-21"}'),
        ("P2", "1980-04-03", None),
        ("P3", "1975-01-02", None),
    ]
    [s] = summary.sources
    assert (s.read, s.accepted, s.quarantined) == (3, 3, 0)
    assert [w.rules for w in s.warnings] == ["invalid:birth_date"]


def test_required_fields_and_events_still_quarantine(
    tmp_path: Path, write_config: WriteConfig
) -> None:
    (tmp_path / "c.csv").write_text("id;dob\n;1980-04-03\nP2;x\n", encoding="utf-8")
    (tmp_path / "e.csv").write_text(
        "cid,ts,amount\nP2,2025-01-02 10:00:00,two\nP2,2025-01-03 10:00:00,3\n"
        "P2,2025-01-04 10:00:00,4\n",
        encoding="utf-8",
    )
    customers = {
        "name": "people",
        "kind": "customers",
        "path": "c.csv",
        "fields": {"customer_id": "id", "birth_date": "dob"},
    }
    events = {
        "name": "orders",
        "kind": "events",
        "path": "e.csv",
        "fields": {
            "customer_id": "cid",
            "timestamp": "ts",
            "amount": "amount",
            "event_type": {"value": "purchase"},
        },
    }
    cfg = write_config({"sources": [customers, events], "standardize": {"auto": False}})
    out = tmp_path / "out"
    with DuckDBWarehouse(out / "w.duckdb") as wh:
        summary = ingest(load_config(cfg), wh, out)
        raw = wh.fetch_arrow("SELECT raw_values FROM events").column(0).to_pylist()
    by_name = {s.name: s for s in summary.sources}
    assert by_name["people"].quarantine_by_rule == {"required:customer_id": 1}
    assert by_name["orders"].quarantine_by_rule == {"invalid:amount": 1}
    assert (by_name["orders"].accepted, raw) == (2, [None, None])


def test_quarantined_failures_are_named_as_such(tmp_path: Path, write_config: WriteConfig) -> None:
    csv = _phones(8, 2)
    cfg, out = _project(tmp_path, write_config, csv, standardize={"on_invalid": "quarantine"})
    source, n, raw = _ingest(cfg, out)
    [warning] = source["warnings"]  # type: ignore[misc]
    assert (n, raw, source["quarantined"]) == (8, [], 2)
    assert (warning["failed"], warning["lost"], warning["quarantined"]) == (2, 2, 2)
    assert warning["message"].endswith(
        "(20.0%) failed rule standardize:phone; 2 rows quarantined (quarantine.csv)"
    )
