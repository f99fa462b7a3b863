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
