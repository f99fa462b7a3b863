"""Documentation that must stay true to the code."""

from __future__ import annotations

from pathlib import Path

from cible.schemas import CUSTOMER_FIELDS, EVENT_FIELDS, EVENT_TYPES

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_data_model_lists_every_field_with_its_type() -> None:
    text = (DOCS / "data-model.md").read_text(encoding="utf-8")
    for spec in (*CUSTOMER_FIELDS, *EVENT_FIELDS):
        assert f"| `{spec.name}` | {spec.kind} |" in text, spec.name
    for event_type in EVENT_TYPES:
        assert f"`{event_type}`" in text, event_type


def test_predict_doc_lists_every_config_key() -> None:
    from cible.config.predict import (
        CLVConfig,
        FeatureSelectionConfig,
        PredictConfig,
        SearchConfig,
        TableConfig,
    )

    text = (DOCS / "predict.md").read_text(encoding="utf-8")
    reference = text.split("## Configuration reference", 1)[1].split("\n## ", 1)[0]
    for name in PredictConfig.model_fields:
        assert f"| `{name}` |" in reference, name
    for model in (SearchConfig, FeatureSelectionConfig, TableConfig, CLVConfig):
        for name in model.model_fields:
            assert f"`{name}`" in reference or f"{name}:" in reference, f"{model.__name__}.{name}"
