"""cible.propensity: a planted signal, the notebook view, pandas/polars/Arrow, the CLI's files,
errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from typer.testing import CliRunner

import cible
from cible.cli.main import app
from cible.exceptions import ConfigError, EmptySourceError, MissingColumnError, PredictError
from tests.conftest import WriteConfig
from tests.unit.predict.data import planted_table

FAST = {
    "models": ["logistic", "decision_tree"],
    "param_grids": {"logistic": {"C": [1.0]}, "decision_tree": {"max_depth": [3]}},
    "permutation_repeats": 2,
}
PREDICT_FILES = [
    "scores.parquet",
    "scores.csv",
    "metrics.json",
    "predict_report.html",
    "tree_rules.txt",
]


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    X, y = planted_table(300)
    return X.assign(bought=y).reset_index()


@pytest.fixture(scope="module")
def result(table: pd.DataFrame) -> cible.PropensityResult:
    return cible.propensity(table, label="bought", id="customer_id", **FAST)


def test_the_planted_signal_is_learnt(result: cible.PropensityResult) -> None:
    assert result.score_name == "bought_propensity"
    assert result.best == "logistic"
    auc = {m["name"]: m["test"]["roc_auc"] for m in result.metrics()["models"]}
    # the planted logit is linear: the logistic regression is chosen (cv 0.858 against 0.781)
    assert auc == {
        "logistic": pytest.approx(0.7637, abs=1e-3),
        "decision_tree": pytest.approx(0.7530, abs=1e-3),
    }
    scores = result.to_pandas()
    assert len(scores) == 300 and scores["customer_id"].is_unique
    assert list(scores.columns[:4]) == [
        "customer_id",
        "bought_propensity",
        "bought_propensity_flag",
        "bought_propensity_decile",
    ]
    assert result.scores.between(0.0, 1.0).all()


def test_the_notebook_view_shows_the_comparison_and_the_top_scores(
    result: cible.PropensityResult,
) -> None:
    html = result._repr_html_()
    assert '<section id="comparison">' in html and '<tr class="chosen">' in html
    assert "Logistic regression" in html and "Decision tree" in html
    top = result.to_pandas().sort_values("bought_propensity", ascending=False).iloc[0]
    assert f'<td class="text">{top["customer_id"]}</td>' in html
    assert "plotly" not in html.lower()


def test_pandas_polars_and_arrow_give_the_same_scores(
    table: pd.DataFrame, result: cible.PropensityResult
) -> None:
    before = table.copy()
    for other in (pl.from_pandas(table), pa.Table.from_pandas(table, preserve_index=False)):
        got = cible.propensity(other, label="bought", id="customer_id", **FAST)
        pd.testing.assert_frame_equal(got.to_pandas(), result.to_pandas())
        assert _timeless(got.metrics()) == _timeless(result.metrics())
    pd.testing.assert_frame_equal(table, before)  # the fixture's frame, used by the first call


def _timeless(value: Any) -> Any:
    """``value`` without its fit times (the one part of the metrics that varies run to run)."""
    if isinstance(value, dict):
        return {k: _timeless(v) for k, v in value.items() if k != "fit_seconds"}
    if isinstance(value, list):
        return [_timeless(v) for v in value]
    return value


def test_save_writes_what_cible_predict_writes_for_the_same_table(
    tmp_path: Path, write_config: WriteConfig, table: pd.DataFrame, result: cible.PropensityResult
) -> None:
    table.to_parquet(tmp_path / "frame", index=False)  # named like the API's table: same metadata
    spec = {
        "target": "column",
        "label_column": "bought",
        "table": {"path": "frame", "format": "parquet", "id_column": "customer_id"},
    }
    cfg = write_config({"predict": {**spec, **FAST}})
    cli_out, api_out = tmp_path / "cli", tmp_path / "api"
    done = CliRunner().invoke(app, ["predict", "--config", str(cfg), "--out", str(cli_out)])
    assert done.exit_code == 0, done.output
    assert [p.name for p in result.save(api_out)] == PREDICT_FILES
    assert sorted(p.name for p in cli_out.iterdir()) == sorted(PREDICT_FILES)
    pd.testing.assert_frame_equal(
        pd.read_parquet(api_out / "scores.parquet"), pd.read_parquet(cli_out / "scores.parquet")
    )
    assert (api_out / "scores.csv").read_text() == (cli_out / "scores.csv").read_text()
    assert (api_out / "tree_rules.txt").read_text() == (cli_out / "tree_rules.txt").read_text()
    api, cli = (json.loads((d / "metrics.json").read_text()) for d in (api_out, cli_out))
    api.pop("generated_at"), cli.pop("generated_at")  # the minute each was written
    assert _timeless(api) == _timeless(cli)


def test_report_is_the_cli_report(tmp_path: Path, result: cible.PropensityResult) -> None:
    html = result.report(tmp_path / "p.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and '<section id="comparison">' in html
    assert "plotly" in html.lower()


def test_a_missing_label_or_id_column_is_named(table: pd.DataFrame) -> None:
    with pytest.raises(MissingColumnError, match=r"column\(s\) \['churned'\] not in the table"):
        cible.propensity(table, label="churned", **FAST)
    with pytest.raises(
        MissingColumnError, match=r"\['cid'\] not in the table; columns: \['customer_id'"
    ):
        cible.propensity(table, label="bought", id="cid", **FAST)


def test_an_empty_frame_a_single_class_and_a_bad_setting_are_refused(table: pd.DataFrame) -> None:
    with pytest.raises(EmptySourceError, match=r"cible.propensity\(\): the frame has no row"):
        cible.propensity(table.iloc[:0], label="bought", **FAST)
    with pytest.raises(PredictError, match="bought"):
        cible.propensity(table.assign(bought=1), label="bought", **FAST)
    with pytest.raises(
        ConfigError, match=r"(?s)cible.propensity\(\): invalid configuration.*test_size"
    ):
        cible.propensity(table, label="bought", test_size=0.95, **FAST)
