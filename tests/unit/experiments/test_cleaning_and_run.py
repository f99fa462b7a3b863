"""Cleaning counts every removed row; the analyze use case writes JSON and HTML; bad input is an
error naming file, row, column and value; the config refuses what it cannot use."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from cible.config.experiments import load_analyze_config, load_uplift_config
from cible.exceptions import ConfigError, ExperimentError, MissingColumnError
from cible.experiments.cleaning import clean
from cible.services.experiments import parse_arms, run_analyze

ROWS = pd.DataFrame(
    {
        "user": ["u1", "u2", "u3", "u3", "u4", "u5"],
        "group": ["control", "treatment", "control", "control", "treatment", "control"],
        "page": ["old", "new", "old", "old", "old", "old"],
        "y": [0, 1, 1, 0, 1, 0],
    }
)


@pytest.mark.parametrize(("policy", "dup_rows", "left"), [("keep_first", 1, 4), ("drop_all", 2, 3)])
def test_counts_of_mismatched_and_repeated_rows(policy: str, dup_rows: int, left: int) -> None:
    before = ROWS.copy()
    data, s = clean(
        ROWS,
        source="f.csv",
        unit="user",
        arm="group",
        arms=["control", "treatment"],
        consistency=("page", {"control": "old", "treatment": "new"}),
        duplicates=policy,
    )
    assert (s.rows_read, s.mismatched_removed, s.duplicate_rows_removed, s.duplicate_units) == (
        6,
        1,
        dup_rows,
        1,
    )
    assert s.rows_analysed == len(data) == left
    assert s.rows_read == s.mismatched_removed + s.duplicate_rows_removed + s.rows_analysed
    pd.testing.assert_frame_equal(ROWS, before)
    if policy == "keep_first":
        assert data.loc[data["user"] == "u3", "_row"].tolist() == [3]


def test_refuse_repeated_units_and_unknown_arms() -> None:
    kw = {"source": "f.csv", "unit": "user", "arm": "group", "consistency": None}
    with pytest.raises(ExperimentError, match=r"repeated \(first at rows 3 and 4\)"):
        clean(ROWS, arms=["control", "treatment"], duplicates="refuse", **kw)  # type: ignore[arg-type]
    with pytest.raises(
        ExperimentError, match=r"f.csv row 2 column 'group': 'treatment' is not a planned arm"
    ):
        clean(ROWS, arms=["control"], duplicates="keep_first", **kw)  # type: ignore[arg-type]


def _config(tmp_path: Path, rows: pd.DataFrame, **extra: object) -> Path:
    rows.to_csv(tmp_path / "ab.csv", index=False)
    body = {
        "id": "t",
        "source": {"path": "ab.csv"},
        "unit": "user",
        "arm": "group",
        "control": "control",
        "planned": {"control": 1, "treatment": 1},
        "outcomes": ["y"],
        **extra,
    }
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump({"experiment": body}), encoding="utf-8")
    return path


def test_analyze_writes_p_value_and_report(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    n = 400
    rows = pd.DataFrame(
        {
            "user": [f"u{i}" for i in range(n)],
            "group": np.where(np.arange(n) % 2 == 0, "control", "treatment"),
            "y": rng.integers(0, 2, n),
            "spend": rng.gamma(2, 5, n),
            "pre": rng.gamma(2, 5, n),
            "seg": rng.choice(["a", "b"], n),
            "ts": pd.date_range("2024-01-01", periods=n, freq="h").astype(str),
        }
    )
    cfg = load_analyze_config(
        _config(
            tmp_path,
            rows,
            revenue="spend",
            covariate="pre",
            segments=["seg"],
            time="ts",
            bootstrap={"n_resamples": 200},
        )
    )
    run = run_analyze(cfg, tmp_path / "out")
    body = json.loads(run.json_path.read_text(encoding="utf-8"))
    c = rows[rows["group"] == "control"]["y"]
    assert body["primary"]["rate_control"] == pytest.approx(c.mean())
    assert 0 <= body["primary"]["p_value"] <= 1
    assert body["cleaning"]["rows_analysed"] == n
    assert body["segments"][0]["segment_column"] == "seg"
    assert len(body["comparisons"][0]["sequential"]["looks"]) == 10
    assert body["revenue"][0]["cuped"]["theta"] is not None
    assert "chart-seq-y-treatment" in run.report_path.read_text(encoding="utf-8")


def test_analyze_names_a_bad_outcome_value(tmp_path: Path) -> None:
    rows = ROWS.assign(y=[0, 1, 2, 0, 1, 0]).drop(columns="page")
    cfg = load_analyze_config(_config(tmp_path, rows))
    with pytest.raises(ExperimentError, match=r"ab.csv row 3 column 'y': 2 is not 0 or 1"):
        run_analyze(cfg, tmp_path / "out")
    assert not (tmp_path / "out" / "analysis.json").exists()


def test_missing_column_and_config_errors(tmp_path: Path) -> None:
    cfg = load_analyze_config(_config(tmp_path, ROWS, revenue="nope"))
    with pytest.raises(MissingColumnError, match=r"no column \['nope'\]"):
        run_analyze(cfg, tmp_path / "out")
    with pytest.raises(ConfigError, match="control 'x' is not an arm"):
        load_analyze_config(_config(tmp_path, ROWS, control="x"))
    with pytest.raises(ConfigError, match=r"experiment.alpah: unknown key"):
        load_analyze_config(_config(tmp_path, ROWS, alpah=0.1))
    (tmp_path / "u.yaml").write_text(
        "uplift: {source: {path: a.csv}, arm: a, treatment: t, control: c, outcome: y, numeric: [x], models: [{method: t_learner, base: hgb}], baseline: t_learner/hgb, target: blend/hgb}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="target 'blend/hgb' is not one of models"):
        load_uplift_config(tmp_path / "u.yaml")


def test_parse_arms() -> None:
    assert parse_arms("control=1,treatment=3") == {"control": 1.0, "treatment": 3.0}
    assert parse_arms("a,b") == {"a": 1.0, "b": 1.0}
    with pytest.raises(ExperimentError, match="'x' is not a number"):
        parse_arms("a=x")


def test_analyze_names_a_bad_timestamp(tmp_path: Path) -> None:
    rows = ROWS.drop(columns="page").assign(
        ts=["2024-01-01 10:00"] * 4 + ["yesterday", "2024-01-02"]
    )
    rows = rows.drop_duplicates("user")
    cfg = load_analyze_config(_config(tmp_path, rows, time="ts"))
    with pytest.raises(
        ExperimentError, match=r"row 4 column 'ts': 'yesterday' is not an ISO 8601 timestamp"
    ):
        run_analyze(cfg, tmp_path / "out")
