"""``cible refresh --config``: drift in a DuckDB warehouse, then re-score / alert / retrain."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
import yaml
from typer.testing import CliRunner

from cible.cli.main import app
from cible.config.refresh import load_refresh_config
from cible.exceptions import ConfigError
from cible.services.refresh import run_refresh
from cible.store import ProfileStore
from cible.warehouse.duckdb import DuckDBWarehouse
from tests.unit.store.fakes import ThresholdModel, at, ev

runner = CliRunner()
AS_OF = datetime(2024, 4, 1, tzinfo=UTC)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    rng = np.random.default_rng(5)
    with DuckDBWarehouse(tmp_path / "wh.duckdb") as wh:
        for name, shift in (("ref", 0.0), ("same", 0.0), ("shifted", 0.5)):
            data = {
                f"x{i}": rng.standard_normal(4_000) + (shift if i == 0 else 0) for i in range(4)
            }
            wh.register("__t", pa.table(data))
            wh.execute(f"CREATE TABLE {name} AS SELECT * FROM __t")
            wh.unregister("__t")
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with ProfileStore.open(url) as store:
        store.apply_events(
            [
                ev("e1", "a", at(1), "purchase", "60", "o1"),
                ev("e2", "b", at(1), "purchase", "500", "o2"),
            ],
            as_of=AS_OF,
        )
        store.publish(ThresholdModel(100.0))
    return tmp_path


def _config(root: Path, current: str, **policy: object) -> Path:
    body = {
        "store": f"sqlite:///{root / 'store.db'}",
        "warehouse": "wh.duckdb",
        "reference": "ref",
        "current": current,
        "numeric": ["x0", "x1", "x2", "x3"],
        "policy": {"on_major_drift": "alert", **policy},
        "out": "refresh",
    }
    path = root / f"refresh_{current}.yaml"
    path.write_text(yaml.safe_dump(body))
    return path


def test_a_quiet_refresh_rescores_and_a_second_run_changes_nothing(project: Path) -> None:
    path = _config(project, "same")
    first = runner.invoke(app, ["refresh", "--config", str(path), "--as-of", "2024-04-01"])
    assert first.exit_code == 0, first.output
    assert "refresh: rescore (no feature drifted); 2 customers re-scored" in first.output
    second = run_refresh(load_refresh_config(path), as_of=AS_OF)
    assert (second.decision.action, second.scored, second.changed) == ("rescore", 2, 0)
    written = json.loads((project / "refresh" / "refresh.json").read_text())
    assert written["action"] == "rescore" and written["segment_sizes"]["drifted"] is False
    drift = json.loads((project / "refresh" / "drift.json").read_text())
    assert drift["drifted_features"] == []


def test_drift_on_one_of_four_features_alerts_without_touching_the_store(
    project: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = _config(project, "shifted", major_share=0.5)
    with caplog.at_level(logging.WARNING, logger="cible.refresh"):
        result = run_refresh(load_refresh_config(path), as_of=AS_OF)
    assert result.decision.action == "alert" and result.decision.drifted == ("x0",)
    assert (result.scored, result.new_version) == (0, None)
    assert "segment drift: drift on x0" in caplog.text


def test_major_drift_retrains_through_the_injected_step(project: Path) -> None:
    body = yaml.safe_load(_config(project, "shifted").read_text())
    body["policy"] = {"on_major_drift": "retrain", "major_share": 0.25}
    body["pipeline"] = "cible.yaml"
    path = project / "retrain.yaml"
    path.write_text(yaml.safe_dump(body))
    calls: list[str] = []

    def retrain(cfg: object) -> int:
        calls.append("retrain")
        return 7

    result = run_refresh(load_refresh_config(path), as_of=AS_OF, retrain=retrain)
    assert (result.decision.action, result.new_version, calls) == ("retrain", 7, ["retrain"])


def test_a_bad_refresh_file_names_the_key(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "store": "x",
                "warehouse": "w",
                "reference": "r",
                "current": "c",
                "numeric": ["a"],
                "policy": {"on_drift": "x"},
                "colour": 1,
            }
        )
    )
    with pytest.raises(ConfigError, match=r"colour: unknown key") as info:
        load_refresh_config(path)
    assert "policy.on_drift" in str(info.value)
    path.write_text(
        yaml.safe_dump(
            {"store": "x", "warehouse": "w", "reference": "r", "current": "c", "numeric": ["a"]}
        )
    )
    with pytest.raises(ConfigError, match="give pipeline"):
        load_refresh_config(path)
    out = runner.invoke(app, ["refresh", "--config", str(path)])
    assert out.exit_code == 2 and "give pipeline" in out.output


def test_the_rescore_day_defaults_to_today_and_refuses_a_time_of_day() -> None:
    from cible.services.refresh import rescore_day

    late = datetime(2026, 12, 4, 23, 59, 59, 999_999, tzinfo=UTC)
    assert rescore_day(None, now=late) == datetime(2026, 12, 4, tzinfo=UTC)
    midnight = datetime(2026, 12, 4, tzinfo=UTC)
    assert rescore_day(None, now=midnight) == midnight  # exactly at midnight: that day
    assert rescore_day(datetime(2026, 12, 4)) == midnight  # naive means UTC
    with pytest.raises(ConfigError, match=r"--as-of 2026-12-04T00:00:01\+00:00: give a day"):
        rescore_day(datetime(2026, 12, 4, 0, 0, 1, tzinfo=UTC))


def test_a_refresh_without_as_of_rescores_at_todays_midnight(project: Path) -> None:
    out = runner.invoke(app, ["refresh", "--config", str(_config(project, "same"))])
    assert out.exit_code == 0, out.output
    assert "refresh: rescore (no feature drifted); 2 customers re-scored" in out.output
