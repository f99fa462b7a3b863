from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from cible.cli.main import app
from tests.conftest import ORDERS_CSV, WriteConfig, orders_source

runner = CliRunner()


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == "cible 0.1.0"


def test_ingest_reports_counts(tmp_path: Path, write_config: WriteConfig) -> None:
    (tmp_path / "orders.csv").write_text(ORDERS_CSV)
    cfg = write_config({"sources": [orders_source()]})
    result = runner.invoke(app, ["ingest", "--config", str(cfg), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "orders" in result.output
    assert (tmp_path / "out" / "quarantine.csv").is_file()


def test_missing_source_file_exits_2_and_names_it(
    tmp_path: Path, write_config: WriteConfig
) -> None:
    cfg = write_config({"sources": [orders_source("gone.csv")]})
    result = runner.invoke(app, ["run", "--config", str(cfg), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "file not found" in result.output and "gone.csv" in result.output
    assert not (tmp_path / "out" / "report.html").exists()


def test_empty_file_exits_2(tmp_path: Path, write_config: WriteConfig) -> None:
    (tmp_path / "orders.csv").write_text("order_id,customer_id,order_date,qty,price,status\n")
    cfg = write_config({"sources": [orders_source()]})
    result = runner.invoke(app, ["ingest", "--config", str(cfg), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "orders.csv has no data rows" in result.output


def test_unknown_config_key_exits_2(tmp_path: Path, write_config: WriteConfig) -> None:
    cfg = write_config({"sources": [orders_source()], "colour": "blue"})
    result = runner.invoke(app, ["run", "--config", str(cfg), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "colour: unknown key" in result.output


def test_mapped_column_absent_exits_2(tmp_path: Path, write_config: WriteConfig) -> None:
    (tmp_path / "orders.csv").write_text(ORDERS_CSV)
    src = orders_source()
    src["fields"] = {**src["fields"], "order_id": "invoice"}  # type: ignore[dict-item]
    cfg = write_config({"sources": [src]})
    result = runner.invoke(app, ["ingest", "--config", str(cfg), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "'invoice' (for field 'order_id') not in the file" in result.output


def test_generate_rejects_out_of_range(tmp_path: Path) -> None:
    result = runner.invoke(app, ["generate", "--out", str(tmp_path), "--customers", "10"])
    assert result.exit_code == 2
    assert "between 1,000 and 1,000,000" in result.output


def test_unknown_segmentation_feature_exits_2(tmp_path: Path, write_config: WriteConfig) -> None:
    (tmp_path / "orders.csv").write_text(ORDERS_CSV)
    cfg = write_config(
        {"sources": [orders_source()], "segmentation": {"features": ["frequency", "loyalty"]}}
    )
    result = runner.invoke(app, ["run", "--config", str(cfg), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "segmentation.features ['loyalty'] are not computed features" in result.output


def test_dedup_and_undo_commands(tmp_path: Path, write_config: WriteConfig) -> None:
    from tests.unit.services.test_identity import _config

    cfg = _config(write_config, tmp_path)
    out = tmp_path / "out"
    result = runner.invoke(app, ["dedup", "--config", str(cfg), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "customers after merging" in result.output
    assert (out / "clusters.csv").exists() and (out / "merge_log.csv").exists()
    bad = runner.invoke(app, ["undo-merge", "--config", str(cfg), "--out", str(out)])
    assert bad.exit_code == 2
    assert "exactly one" in bad.output
    ok = runner.invoke(
        app, ["undo-merge", "--config", str(cfg), "--out", str(out), "--record", "C4"]
    )
    assert ok.exit_code == 0, ok.output
    assert "records merged away" in ok.output


def test_predict_command_table_mode(tmp_path: Path, write_config: WriteConfig) -> None:
    from tests.unit.predict.data import planted_table

    X, y = planted_table(200)
    X.assign(y=y).to_csv(tmp_path / "t.csv", index=False)
    cfg = write_config(
        {
            "predict": {
                "target": "column",
                "label_column": "y",
                "table": {"path": "t.csv"},
                "models": ["logistic"],
                "param_grids": {"logistic": {"C": [1.0]}},
            }
        }
    )
    result = runner.invoke(app, ["predict", "--config", str(cfg), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "Logistic regression *" in result.output
    assert "chosen: best cross-validated roc_auc" in result.output
    assert (tmp_path / "out" / "scores.parquet").is_file()


def test_predict_prints_the_time_order_warning(tmp_path: Path, write_config: WriteConfig) -> None:
    from tests.unit.predict.data import drifting_table

    drifting_table(400).to_csv(tmp_path / "t.csv", index=False)
    predict = {
        "target": "column",
        "label_column": "answered",
        "table": {"path": "t.csv", "id_column": "customer_id"},
        "models": ["logistic"],
        "param_grids": {"logistic": {"C": [1.0]}},
    }
    cfg = write_config({"predict": predict})
    result = runner.invoke(app, ["predict", "--config", str(cfg), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "warning: rows look time-ordered: column 'signup' is sorted down the file" in (
        " ".join(result.output.split())
    )
    assert (tmp_path / "out" / "scores.csv").is_file()
    timed = write_config({"predict": {**predict, "split": {"by": "time", "column": "signup"}}})
    result = runner.invoke(app, ["predict", "--config", str(timed), "--out", str(tmp_path / "t")])
    assert result.exit_code == 0, result.output
    assert "warning:" not in result.output


def test_predict_without_section_exits_2(tmp_path: Path, write_config: WriteConfig) -> None:
    cfg = write_config({"sources": [orders_source()]})
    result = runner.invoke(app, ["predict", "--config", str(cfg), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "no predict: section" in result.output


def test_calibrate_command(tmp_path: Path) -> None:
    reviewed = tmp_path / "reviewed.csv"
    reviewed.write_text(
        "record_id_l,record_id_r,score,rule,label\n"
        "a,e,0.95,fuzzy,1\nb,f,0.9,fuzzy,1\nc,g,0.8,fuzzy,0\nd,h,0.7,fuzzy,\n"
    )
    result = runner.invoke(
        app, ["calibrate", str(reviewed), "--out", str(tmp_path / "out"), "--threshold", "0.75"]
    )
    assert result.exit_code == 0, result.output
    assert (
        "Suggested threshold 0.85: pairs precision 1.000, recall 1.000 (3 labelled pairs)"
        in result.output
    )
    assert "Current threshold 0.75: pairs precision 0.667, recall 1.000" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("record_id_l,record_id_r,score,rule,label\na,e,0.95,fuzzy,yes\n")
    failed = runner.invoke(app, ["calibrate", str(bad), "--out", str(tmp_path / "out")])
    assert failed.exit_code == 2
    assert "yes" in failed.output


def test_dedup_incremental_flag(tmp_path: Path, write_config: WriteConfig) -> None:
    from tests.unit.services.test_identity import _config

    cfg = _config(write_config, tmp_path)
    out = tmp_path / "out"
    assert runner.invoke(app, ["dedup", "-c", str(cfg), "-o", str(out)]).exit_code == 0
    result = runner.invoke(app, ["dedup", "-c", str(cfg), "-o", str(out), "--incremental"])
    assert result.exit_code == 0, result.output
    assert "customers after merging" in result.output


def test_ingest_keeps_every_record_of_damaged_and_mixed_encoding_files(
    tmp_path: Path, write_config: WriteConfig
) -> None:
    """The two files of issue [nothing-lost]: an unclosed quote loses only its record, and a
    UTF-8 file with one Latin-1 line keeps every accent, up to the warehouse."""
    import json

    import duckdb

    lines = [f"O{i:05d},C{i % 7},2025-01-02 10:00:00,1,2.5,completed" for i in range(1, 301)]
    lines[9] = 'O00010,"C3,2025-01-02 10:00:00,1,2.5,completed'
    (tmp_path / "orders.csv").write_text(
        "order_id,customer_id,order_date,qty,price,status\n" + "\n".join(lines) + "\n"
    )
    cities = ["Besançon", "Nîmes", "Orléans", "Saint-Étienne"]
    crm = b"id;ville;nom\n"
    for i in range(1, 41):
        row = f"C{i};{cities[i % 4]};Lefèvre{i}\n"
        crm += row.encode("latin-1" if i == 17 else "utf-8")
    (tmp_path / "crm.csv").write_bytes(crm)
    crm_source = {
        "name": "crm",
        "kind": "customers",
        "path": "crm.csv",
        "fields": {
            "customer_id": "id",
            "city": "ville",
            "last_name": {"column": "nom", "standardize": "none"},
        },
    }
    cfg = write_config({"sources": [orders_source(), crm_source]})
    out = tmp_path / "out"
    result = runner.invoke(app, ["ingest", "--config", str(cfg), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "crm: 1 line(s) not in utf-8, decoded as cp1252" in result.output
    summary = json.loads((out / "ingest_summary.json").read_text())
    orders, crm_summary = summary["sources"]
    assert (orders["read"], orders["accepted"], orders["quarantined"]) == (300, 299, 1)
    assert orders["quarantine_by_rule"] == {"malformed_row": 1}
    assert (crm_summary["read"], crm_summary["accepted"], crm_summary["quarantined"]) == (40, 40, 0)
    assert (crm_summary["fallback_encoding"], crm_summary["fallback_lines"]) == ("cp1252", 1)
    quarantine = (out / "quarantine.csv").read_text()
    assert "orders.csv row 10: unbalanced quote" in quarantine
    con = duckdb.connect(str(out / "warehouse.duckdb"), read_only=True)
    try:
        got = dict(con.sql("SELECT customer_id, last_name FROM customers").fetchall())
        towns = {c for (c,) in con.sql("SELECT DISTINCT city FROM customers").fetchall()}
    finally:
        con.close()
    assert got == {f"C{i}": f"Lefèvre{i}" for i in range(1, 41)}
    assert towns == set(cities)
