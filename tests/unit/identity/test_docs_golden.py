"""docs/golden-records.md must stay true to the code."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

from cible.config.survivorship import SurvivorRule, SurvivorshipRule
from cible.identity import CONSENT_RULE, MERGE_LOG_COLUMNS, SurvivorshipConfig

DOC = Path(__file__).resolve().parents[3] / "docs" / "golden-records.md"


def test_doc_lists_merge_log_columns_rules_and_settings() -> None:
    text = DOC.read_text(encoding="utf-8")
    for column in MERGE_LOG_COLUMNS:
        assert f"| `{column}` |" in text, column
    for rule in (*get_args(SurvivorshipRule), CONSENT_RULE):
        assert f"| `{rule}` |" in text, rule
    for survivor in get_args(SurvivorRule):
        assert f"`{survivor}`" in text, survivor
    for key, field in SurvivorshipConfig.model_fields.items():
        default = field.get_default(call_default_factory=True)
        assert f"| `{key}` | `{default}` |" in text, key
