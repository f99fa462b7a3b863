"""Table mode on date-ordered rows with planted drift: a random split flatters the model, the time
split tests it on the latest rows; the random split warns that the rows look time-ordered."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from cible.config import load_config
from cible.services.predict import PredictRun, run_predict
from tests.conftest import WriteConfig
from tests.unit.predict.data import drifting_table

MODELS = {
    "models": ["logistic", "decision_tree"],
    "param_grids": {
        "logistic": {"C": [1.0]},
        "decision_tree": {"max_depth": [3], "min_samples_leaf": [20]},
    },
    "permutation_repeats": 2,
}


def _run(tmp_path: Path, write_config: WriteConfig, **predict: object) -> PredictRun:
    drifting_table().to_csv(tmp_path / "t.csv", index=False)
    config = {
        "predict": {
            "target": "column",
            "label_column": "answered",
            "table": {"path": "t.csv", "id_column": "customer_id"},
            **MODELS,
            **predict,
        }
    }
    return run_predict(load_config(write_config(config)), tmp_path / "out")


def test_random_split_flatters_and_warns(tmp_path: Path, write_config: WriteConfig) -> None:
    run = _run(tmp_path, write_config)
    training = run.outcome.training
    assert training.split_by == "random" and training.best == "logistic"
    assert training.report().test.roc_auc == pytest.approx(0.8165, abs=2e-3)
    # the date column is text unique on every row: never a feature, in either split
    assert training.feature_names == ["x1", "x2", "plan"]
    sorted_date, drift = run.outcome.warnings
    assert sorted_date.startswith(
        "rows look time-ordered: column 'signup' is sorted down the file (2019-01-01 to 2023-05-19)"
    )
    assert "set predict.split: {by: time, column: signup}" in sorted_date
    assert drift.startswith(
        "the label drifts along the row order (positive rate 33.2% in the first quarter of "
        "rows, 51.7% in the last"
    )
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["warnings"] == [sorted_date, drift]
    assert metrics["split"] == "random, stratified (25% test)" and metrics["split_by"] == "random"
    html = (tmp_path / "out" / "predict_report.html").read_text(encoding="utf-8")
    assert '<section id="warnings">' in html and "column &#39;signup&#39; is sorted" in html


def test_time_split_tests_on_the_latest_rows(tmp_path: Path, write_config: WriteConfig) -> None:
    run = _run(tmp_path, write_config, split={"by": "time", "column": "signup"})
    training = run.outcome.training
    assert training.split_by == "time" and training.best == "logistic"
    assert (training.n_train, training.n_test) == (1_200, 400)
    # the honest figure: the model learned on 2019-2022 and is judged on the last 400 days
    assert training.report().test.roc_auc == pytest.approx(0.7532, abs=2e-3)
    assert training.report().test.roc_auc < 0.8165 - 0.05
    assert run.outcome.warnings == ()
    assert "signup" not in training.feature_names
    meta = run.outcome.meta
    assert meta["split"] == ("by time (column 'signup'): the latest 25% of rows are the test split")
    # class weighting was a candidate of each search; both models' choices are reported
    assert {r.class_weight for r in training.reports} <= {"balanced", "none"}
    assert training.class_weight == training.report().class_weight
    html = (tmp_path / "out" / "predict_report.html").read_text(encoding="utf-8")
    assert "raises answered propensity</td>" in html  # the top customers' reasons, for people
    assert "by time (column &#39;signup&#39;)" in html
    scores = pd.read_csv(tmp_path / "out" / "scores.csv")
    assert len(scores) == 1_600
    assert (
        scores["answered_propensity_reason_1_text"]
        .dropna()
        .str.contains(r"^(?:x1|x2|plan) = \S+ raises answered propensity$")
        .all()
    )


def test_time_split_on_row_order_gives_the_same_split(
    tmp_path: Path, write_config: WriteConfig
) -> None:
    # the file is in date order: without a column the row order is the clock, same split
    run = _run(tmp_path, write_config, split={"by": "time"})
    assert run.outcome.training.report().test.roc_auc == pytest.approx(0.7532, abs=2e-3)
    assert run.outcome.meta["split"].startswith("by time (row order)")
    # the date column, not the clock here, stays out of the features as unique text
    assert run.outcome.training.feature_names == ["x1", "x2", "plan"]
