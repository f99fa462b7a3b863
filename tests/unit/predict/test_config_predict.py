from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from cible.config import load_config
from cible.config.predict import PredictConfig
from cible.exceptions import ConfigError
from tests.conftest import WriteConfig, orders_source


def test_defaults_and_score_names() -> None:
    cfg = PredictConfig()
    assert cfg.target == "purchase" and cfg.horizon_days == 90 and cfg.cutoff is None
    assert cfg.models == [
        "logistic",
        "decision_tree",
        "random_forest",
        "hist_gradient_boosting",
        "mlp",
    ]
    assert cfg.class_weight == "auto" and cfg.threshold == "max_f1"
    assert cfg.split.by == "random" and cfg.split.column is None
    assert cfg.score_column() == "purchase_propensity" and not cfg.buyers_only()
    assert PredictConfig(target="churn").score_column() == "churn_risk"
    assert PredictConfig(target="churn").buyers_only()
    table = {"path": "t.csv"}
    assert (
        PredictConfig(target="column", label_column="Has Replied?", table=table).score_column()
        == "has_replied_propensity"
    )
    assert (
        PredictConfig(target="column", label_column="2nd", table=table).score_column()
        == "y_2nd_propensity"
    )
    assert PredictConfig(score_name="buy_soon").score_column() == "buy_soon"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"target": "event"}, "target 'event' needs event_type"),
        ({"event_type": "email_click"}, "event_type is only used with target: event"),
        (
            {"target": "column", "label_column": "y"},
            "target: column and a table: source go together",
        ),
        ({"label_column": "y"}, "label_column and positive are only used with target: column"),
        ({"models": ["logistic", "logistic"]}, "models are listed more than once"),
        (
            {"models": ["logistic"], "param_grids": {"mlp": {"alpha": [1.0]}}},
            r"param_grids names model\(s\) \['mlp'\]",
        ),
        (
            {"param_grids": {"random_forest": {"n_estimators": [50]}}},
            r"a forest needs whole numbers >= 100 trees",
        ),
        ({"param_grids": {"logistic": {"C": []}}}, "need at least one value"),
        ({"threshold": 1.5}, r"threshold must be in \(0, 1\)"),
        ({"feature_selection": {"n_features": 1.5}}, "n_features as a fraction must be < 1"),
        ({"score_name": "Bad Name"}, "should match pattern"),
        ({"colour": "blue"}, "Extra inputs are not permitted"),
        (
            {
                "target": "column",
                "label_column": "y",
                "table": {"path": "t.csv"},
                "cutoff": "2025-01-01",
            },
            "cutoff applies to event history",
        ),
    ],
)
def test_invalid(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        PredictConfig.model_validate(kwargs)


def test_cible_yaml_predict_section(write_config: WriteConfig) -> None:
    cfg = load_config(
        write_config(
            {"sources": [orders_source()], "predict": {"cutoff": "2025-01-01", "horizon_days": 30}}
        )
    )
    assert cfg.predict is not None and cfg.predict.cutoff == date(2025, 1, 1)
    assert load_config(write_config({"sources": [orders_source()]})).predict is None
    with pytest.raises(ConfigError, match=r"predict\.horizon_dayz: unknown key"):
        load_config(write_config({"sources": [orders_source()], "predict": {"horizon_dayz": 3}}))


def test_table_mode_needs_no_source(write_config: WriteConfig, tmp_path: Path) -> None:
    table = {"target": "column", "label_column": "y", "table": {"path": "t.csv"}}
    cfg = load_config(write_config({"predict": table}))
    assert cfg.sources == [] and cfg.predict is not None and cfg.predict.table is not None
    with pytest.raises(ConfigError, match="at least one source is needed"):
        load_config(write_config({"predict": {"target": "purchase"}}))
    with pytest.raises(ConfigError, match="at least one source is needed"):
        load_config(write_config({"project": "x"}))


def test_positive_value_from_yaml() -> None:
    table = {"path": "t.csv"}
    with pytest.raises(ValidationError, match="quote it"):
        PredictConfig(target="column", label_column="y", table=table, positive=True)  # type: ignore[arg-type]
    cfg = PredictConfig(target="column", label_column="y", table=table, positive=1)  # type: ignore[arg-type]
    assert cfg.positive == "1"
