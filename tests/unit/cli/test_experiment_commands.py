"""``cible experiment assign|analyze|uplift`` and ``cible cohorts`` from the command line: exit
codes, what they print, the files they write, and nothing left behind on an error."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from typer.testing import CliRunner

from cible.cli.main import app

runner = CliRunner()


def test_assign_writes_every_customer_once_stratified(tmp_path: Path) -> None:
    ids = pd.DataFrame({"customer_id": [f"c{i}" for i in range(300)], "seg": ["a", "b", "c"] * 100})
    ids.to_csv(tmp_path / "c.csv", index=False)
    out = tmp_path / "out"
    args = ["experiment", "assign", "--customers", str(tmp_path / "c.csv"), "--experiment-id", "e1"]
    r = runner.invoke(app, [*args, "--holdout", "0.1", "--stratify", "seg", "--out", str(out)])
    assert r.exit_code == 0, r.output
    table = pd.read_csv(out / "assignment.csv")
    assert sorted(table["customer_id"]) == sorted(ids["customer_id"])
    counts = json.loads((out / "assignment.json").read_text(encoding="utf-8"))["counts"]
    assert counts["a"] == {"control": 45, "holdout": 10, "treatment": 45}
    again = runner.invoke(
        app, [*args, "--holdout", "0.1", "--stratify", "seg", "--out", str(tmp_path / "o2")]
    )
    assert again.exit_code == 0
    pd.testing.assert_frame_equal(table, pd.read_csv(tmp_path / "o2" / "assignment.csv"))


def test_assign_error_is_exit_2_and_leaves_nothing(tmp_path: Path) -> None:
    pd.DataFrame({"customer_id": ["a", "a"]}).to_csv(tmp_path / "c.csv", index=False)
    out = tmp_path / "out"
    r = runner.invoke(
        app,
        [
            "experiment",
            "assign",
            "--customers",
            str(tmp_path / "c.csv"),
            "--experiment-id",
            "e",
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 2
    assert "repeated at rows 1 and 2" in r.output
    assert not out.exists() or list(out.iterdir()) == []


def test_analyze_and_uplift_on_a_small_generated_test(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    n = 2_000
    t = rng.integers(0, 2, n)
    x = rng.normal(size=n)
    y = (rng.random(n) < 0.2 + 0.2 * t * (x > 0)).astype(int)
    arm = np.where(t == 1, "mail", "none")
    pd.DataFrame({"id": [f"u{i}" for i in range(n)], "arm": arm, "x": x, "y": y}).to_csv(
        tmp_path / "d.csv", index=False
    )
    exp = {
        "id": "g",
        "source": {"path": "d.csv"},
        "unit": "id",
        "arm": "arm",
        "control": "none",
        "planned": {"none": 1, "mail": 1},
        "outcomes": ["y"],
    }
    up = {
        "source": {"path": "d.csv"},
        "unit": "id",
        "arm": "arm",
        "treatment": "mail",
        "control": "none",
        "outcome": "y",
        "numeric": ["x"],
        "models": [
            {"method": "t_learner", "base": "logistic"},
            {"method": "class_transformation", "base": "logistic"},
        ],
        "baseline": "t_learner/logistic",
        "target": "class_transformation/logistic",
        "audience_fraction": 0.5,
    }
    (tmp_path / "e.yaml").write_text(
        yaml.safe_dump({"experiment": exp, "uplift": up}), encoding="utf-8"
    )
    r = runner.invoke(
        app,
        [
            "experiment",
            "analyze",
            "--config",
            str(tmp_path / "e.yaml"),
            "--out",
            str(tmp_path / "a"),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "y mail:" in r.output
    r = runner.invoke(
        app,
        [
            "experiment",
            "uplift",
            "--config",
            str(tmp_path / "e.yaml"),
            "--out",
            str(tmp_path / "u"),
        ],
    )
    assert r.exit_code == 0, r.output
    body = json.loads((tmp_path / "u" / "uplift.json").read_text(encoding="utf-8"))
    assert body["held_out"]["n_test"] == 600
    members = pd.read_csv(tmp_path / "u" / "audience.csv")
    assert len(members) == 1_000
    # the audience is the half with x > 0, where the mail works
    chosen = pd.read_csv(tmp_path / "d.csv").set_index("id").loc[members["customer_id"], "x"]
    assert (chosen > 0).mean() > 0.95


def test_cohorts_needs_exactly_one_source(tmp_path: Path) -> None:
    r = runner.invoke(app, ["cohorts", "--out", str(tmp_path)])
    assert r.exit_code == 2
    assert "exactly one of --orders or --config" in r.output
    (tmp_path / "o.csv").write_text(
        "customer_id,order_date,amount\na,2024-01-01,3\n", encoding="utf-8"
    )
    r = runner.invoke(
        app, ["cohorts", "--orders", str(tmp_path / "o.csv"), "--out", str(tmp_path / "c")]
    )
    assert r.exit_code == 0, r.output
    assert "1 cohorts, 1 customers from 1 orders" in r.output
