"""cible predict end to end on small generated data: event mode, table mode, and the pipeline."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from cible.config import load_config
from cible.exceptions import ConfigError
from cible.services.pipeline import run_pipeline
from cible.services.predict import run_predict
from tests.conftest import WriteConfig
from tests.unit.predict.data import planted_events, planted_table

FAST = {
    "models": ["logistic", "decision_tree"],
    "param_grids": {
        "logistic": {"C": [1.0]},
        "decision_tree": {"max_depth": [3], "min_samples_leaf": [10]},
    },
    "permutation_repeats": 2,
}


def _events_source(tmp_path: Path) -> dict[str, object]:
    frame = planted_events(240, seed=0).to_pandas()
    frame = frame[["customer_id", "event_type", "timestamp", "order_id", "amount", "product_id"]]
    frame["timestamp"] = frame["timestamp"].dt.strftime("%Y-%m-%d %H:%M:%S")
    frame.to_csv(tmp_path / "events.csv", index=False)
    return {
        "name": "events",
        "kind": "events",
        "path": "events.csv",
        "types": {"amount": "float"},
        "fields": {
            "customer_id": "customer_id",
            "event_type": "event_type",
            "timestamp": {"column": "timestamp", "format": "%Y-%m-%d %H:%M:%S"},
            "order_id": "order_id",
            "amount": "amount",
            "product_id": "product_id",
        },
    }


def test_event_mode_writes_scores_metrics_and_report(
    tmp_path: Path, write_config: WriteConfig
) -> None:
    cfg = load_config(
        write_config(
            {"sources": [_events_source(tmp_path)], "predict": {"cutoff": "2025-01-01", **FAST}}
        )
    )
    run = run_predict(cfg, tmp_path / "out")
    out = tmp_path / "out"
    assert sorted(p.name for p in run.files) == [
        "metrics.json",
        "predict_report.html",
        "scores.csv",
        "scores.parquet",
        "tree_rules.txt",
    ]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["cutoff"] == "2025-01-01" and metrics["scored_at"] == "2025-04-01"
    assert metrics["target"] == "a purchase in the 90 days from 2025-01-01 to 2025-03-31"
    assert metrics["score_name"] == "purchase_propensity"
    assert [m["model"] for m in metrics["comparison"]] == ["logistic", "decision_tree"]
    assert metrics["n_train"] + metrics["n_test"] == 240
    assert metrics["models"][0]["test"]["roc_auc"] == pytest.approx(0.938, abs=0.005)
    assert len(metrics["models"][0]["test"]["deciles"]) == 10
    scores = pd.read_parquet(out / "scores.parquet")
    assert len(scores) == 240 and scores["customer_id"].is_unique
    as_csv = pd.read_csv(out / "scores.csv", dtype={"customer_id": str})
    assert list(as_csv.columns) == list(scores.columns)
    assert as_csv["customer_id"].tolist() == scores["customer_id"].tolist()
    assert as_csv["purchase_propensity"].to_numpy() == pytest.approx(
        scores["purchase_propensity"].to_numpy(), rel=1e-12
    )
    assert {
        "purchase_propensity",
        "purchase_propensity_flag",
        "purchase_propensity_reason_1",
    } <= set(scores.columns)
    # frequent buyers are more likely to buy again: the score follows the purchase rate
    assert (
        scores["purchase_propensity"].corr(
            scores["customer_id"].map(run.outcome.labelled.X["frequency"])
        )
        > 0.3
    )
    html = (out / "predict_report.html").read_text(encoding="utf-8")
    assert "Model comparison" in html and "Decision tree rules" in html
    assert "<script src" not in html and html.count("Plotly") > 10
    assert run.ingest is not None and run.seconds["train"] > 0
    # lifetime value (on by default in event mode) joins the same scores table
    assert metrics["clv"]["bgnbd"]["n_customers"] == 240
    assert metrics["clv"]["gamma_gamma"]["n_customers"] == 236
    assert set(metrics["clv"]["bgnbd"]["params"]) == {"r", "alpha", "a", "b"}
    assert {"p_alive", "expected_purchases", "expected_avg_value", "clv"} <= set(scores.columns)
    assert scores["clv"].notna().all() and (scores["clv"] >= 0).all()
    assert scores["p_alive"].between(0, 1).all()
    assert 'id="clv"' in html and "Customer lifetime value" in html
    assert run.seconds["clv"] > 0


def test_default_cutoff_is_the_latest_observed_window(
    tmp_path: Path, write_config: WriteConfig
) -> None:
    cfg = load_config(
        write_config(
            {"sources": [_events_source(tmp_path)], "predict": {"horizon_days": 30, **FAST}}
        )
    )
    run = run_predict(cfg, tmp_path / "out")
    last = run.outcome.labelled
    assert last.cutoff is not None and last.window_end is not None
    assert (last.window_end - last.cutoff).days == 30
    assert last.window_end <= date(2025, 4, 1)


def test_table_mode(tmp_path: Path, write_config: WriteConfig) -> None:
    X, y = planted_table(300)
    X.assign(answered=y.map({1: "Y", 0: "N"})).reset_index().to_csv(tmp_path / "t.csv", index=False)
    table = {"path": "t.csv", "id_column": "customer_id"}
    cfg = load_config(
        write_config(
            {
                "predict": {
                    "target": "column",
                    "label_column": "answered",
                    "positive": "Y",
                    "table": table,
                    **FAST,
                }
            }
        )
    )
    run = run_predict(cfg, tmp_path / "out")
    scores = pd.read_parquet(tmp_path / "out" / "scores.parquet")
    assert scores["customer_id"].tolist() == list(X.index)
    assert "answered_propensity" in scores.columns
    assert run.ingest is None and run.outcome.meta["mode"] == "table"


def test_no_predict_section(tmp_path: Path, write_config: WriteConfig) -> None:
    cfg = load_config(write_config({"sources": [_events_source(tmp_path)]}))
    with pytest.raises(ConfigError, match="no predict: section"):
        run_predict(cfg, tmp_path / "out")


def test_pipeline_segments_on_the_propensity(tmp_path: Path, write_config: WriteConfig) -> None:
    segmentation = {
        "features": ["recency_days", "frequency", "monetary", "purchase_propensity"],
        "k_min": 2,
        "k_max": 3,
        "selection": {"algorithms": ["kmeans"]},
        "validation": {"bootstrap": 0},
        "maps": {"tsne": False},
    }
    cfg = load_config(
        write_config(
            {
                "sources": [_events_source(tmp_path)],
                "predict": {"cutoff": "2025-01-01", **FAST},
                "segmentation": segmentation,
            }
        )
    )
    result = run_pipeline(cfg, tmp_path / "out")
    features = pd.read_parquet(tmp_path / "out" / "features.parquet")
    scores = pd.read_parquet(tmp_path / "out" / "scores.parquet")
    assert "purchase_propensity" in features.columns
    joined = features.merge(scores, on="customer_id", suffixes=("", "_s"))
    assert (joined["purchase_propensity"] == joined["purchase_propensity_s"]).all()
    assert "purchase_propensity" in result.segmentation.feature_names
    assert (tmp_path / "out" / "predict_report.html").is_file()
    assert result.seconds["predict"] > 0


def test_clv_can_be_turned_off(tmp_path: Path, write_config: WriteConfig) -> None:
    predict = {"cutoff": "2025-01-01", **FAST, "clv": {"enabled": False}}
    cfg = load_config(write_config({"sources": [_events_source(tmp_path)], "predict": predict}))
    run = run_predict(cfg, tmp_path / "out")
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["clv"] is None
    assert "clv" not in run.outcome.scores.columns
    assert "clv" not in run.seconds
