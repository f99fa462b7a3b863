"""`cible dedup` on a plain table (dedup.input), the guards on the console, and `cible calibrate`
on the run's entities."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from cible.cli.main import app
from cible.config import load_config
from cible.exceptions import ConfigError
from tests.conftest import WriteConfig

runner = CliRunner()

PEOPLE = (
    "rec_id,name,surname,postcode\n"
    "r1,anna,smith,1000\n"
    "r2,anna,smyth,1000\n"
    "r3,ana,smith,1000\n"
    "r4,boris,jones,2000\n"
    "r5,boris,jones,2000\n"
    "r6,carl,brown,2000\n"
    "r7,dora,white,3000\n"
)


def _dedup(**extra: Any) -> dict[str, Any]:
    return {
        "dedup": {
            "input": {"path": "data/people.csv", "id_column": "rec_id"},
            "matching": {
                "threshold": 0.85,
                "fields": [{"column": "name"}, {"column": "surname"}],
                "blocking": [{"keys": ["postcode"]}],
            },
            **extra,
        }
    }


def _write(tmp_path: Path, write_config: WriteConfig, **extra: Any) -> Path:
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "data" / "people.csv").write_text(PEOPLE, encoding="utf-8")
    return write_config(_dedup(**extra))


def test_dedup_on_a_plain_table_writes_clusters(tmp_path: Path, write_config: WriteConfig) -> None:
    cfg = _write(tmp_path, write_config)
    out = tmp_path / "out"
    result = runner.invoke(app, ["dedup", "--config", str(cfg), "--out", str(out)])
    assert result.exit_code == 0, result.output
    clusters = pd.read_csv(out / "clusters.csv", dtype=str)
    assert clusters.to_dict(orient="list") == {
        "record_id": ["r1", "r2", "r3", "r4", "r5", "r6", "r7"],
        "entity_id": ["r1", "r1", "r1", "r4", "r4", "r6", "r7"],
    }
    summary = json.loads((out / "dedup.json").read_text())
    assert (summary["records"], summary["entities"], summary["largest_entity"]) == (7, 4, 3)
    assert summary["largest_entity_id"] == "r1" and summary["guard_findings"] == []
    assert "largest entity" in result.output and "r1: 3 records (42.86%)" in result.output
    pairs = pd.read_parquet(out / "identity_pairs.parquet")
    assert len(pairs) == 6  # 3 pairs in postcode 1000, 3 in 2000
    assert not (out / "golden.csv").exists()


def test_a_giant_entity_is_refused_and_nothing_is_written(
    tmp_path: Path, write_config: WriteConfig
) -> None:
    cfg = _write(tmp_path, write_config, guards={"max_entity_size": 2, "max_entity_share": 0.0})
    out = tmp_path / "out"
    result = runner.invoke(app, ["dedup", "--config", str(cfg), "--out", str(out)])
    assert result.exit_code == 2
    assert "refused by dedup.guards" in result.output
    assert "entity r1 holds 3 of 7 records" in " ".join(result.output.split())
    assert not (out / "clusters.csv").exists()


def test_a_giant_entity_can_be_kept_with_a_warning(
    tmp_path: Path, write_config: WriteConfig
) -> None:
    guards = {"max_entity_size": 2, "max_entity_share": 0.0, "on_violation": "warn"}
    cfg = _write(tmp_path, write_config, guards=guards)
    out = tmp_path / "out"
    result = runner.invoke(app, ["dedup", "--config", str(cfg), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "warning:" in result.output
    findings = json.loads((out / "dedup.json").read_text())["guard_findings"]
    assert [f["rule"] for f in findings] == ["giant_entity"]
    # exactly at the limit: allowed
    at_limit = _write(tmp_path, write_config, guards={"max_entity_size": 3, "max_entity_share": 0})
    again = runner.invoke(app, ["dedup", "--config", str(at_limit), "--out", str(tmp_path / "o2")])
    assert again.exit_code == 0, again.output


def test_bad_tables_exit_2_naming_file_column_and_value(
    tmp_path: Path, write_config: WriteConfig
) -> None:
    cfg = _write(tmp_path, write_config)
    (tmp_path / "data" / "people.csv").write_text(PEOPLE + "r2,eve,adams,4000\n")
    result = runner.invoke(app, ["dedup", "--config", str(cfg), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "people.csv: id column 'rec_id' value 'r2' appears on rows 2, 8" in result.output
    (tmp_path / "data" / "people.csv").write_text(PEOPLE.replace("surname", "family"))
    result = runner.invoke(app, ["dedup", "--config", str(cfg), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "column 'surname' named in dedup.matching.fields[1].column" in result.output


def test_review_then_calibrate_on_the_run(tmp_path: Path, write_config: WriteConfig) -> None:
    cfg = _write(tmp_path, write_config, review_sample=6, review_bins=5)
    out = tmp_path / "out"
    assert runner.invoke(app, ["dedup", "--config", str(cfg), "--out", str(out)]).exit_code == 0
    sample = pd.read_csv(out / "review_sample.csv", dtype=str, encoding="utf-8-sig")
    assert len(sample) == 6 and {"name_l", "surname_r", "source_l"} <= set(sample.columns)
    assert set(sample["source_l"]) == {"people.csv"}
    truth = {"r1": "A", "r2": "A", "r3": "A", "r4": "B", "r5": "B", "r6": "C"}
    same = [
        truth[a] == truth[b]
        for a, b in zip(sample["record_id_l"], sample["record_id_r"], strict=True)
    ]
    sample["label"] = [str(int(s)) for s in same]
    sample.to_csv(out / "review_sample.csv", index=False)
    result = runner.invoke(app, ["calibrate", str(out / "review_sample.csv"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "calibration.json").read_text())
    assert report["current_threshold"] == 0.85
    assert report["current_threshold_source"].endswith("dedup.json")
    assert report["suggestion_basis"] == "closure_f1"
    assert report["at_current"]["closure_f1"] == 1.0
    assert "entities precision 1.000, recall 1.000, F1 1.000" in " ".join(result.output.split())


def test_input_needs_one_id_column(tmp_path: Path, write_config: WriteConfig) -> None:
    data = _dedup()
    del data["dedup"]["input"]["id_column"]
    with pytest.raises(ConfigError, match=r"dedup\.input needs id_column"):
        load_config(write_config(data))
    data["dedup"]["input"]["id_column"] = "rec_id"
    data["dedup"]["matching"]["id_column"] = "other"
    with pytest.raises(ConfigError, match="give the id column once"):
        load_config(write_config(data))
    data["dedup"]["matching"]["id_column"] = "rec_id"
    cfg = load_config(write_config(data))
    assert cfg.dedup is not None and cfg.dedup.matching.id_column == "rec_id"
    assert cfg.resolve_path(Path("data/people.csv")) == tmp_path / "data" / "people.csv"


def test_cible_run_refuses_a_plain_table(tmp_path: Path, write_config: WriteConfig) -> None:
    from tests.conftest import ORDERS_CSV, orders_source

    (tmp_path / "orders.csv").write_text(ORDERS_CSV)
    cfg = _dedup()
    cfg["sources"] = [orders_source()]
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "people.csv").write_text(PEOPLE)
    result = runner.invoke(
        app, ["run", "--config", str(write_config(cfg)), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 2
    assert "dedup.input deduplicates a plain table with `cible dedup`" in result.output
