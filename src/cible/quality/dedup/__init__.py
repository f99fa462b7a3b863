"""Duplicate detection and identity resolution.

``find_duplicates(records, config)`` proposes candidate pairs with blocking rules and exact keys,
compares them field by field, scores them (weighted similarity or Fellegi-Sunter trained by EM),
and clusters the matches into entities. ``IncrementalMatcher`` matches new records against an
existing result without re-running the whole base. See docs/dedup.md.
"""

from __future__ import annotations

from cible.config.matching import (
    BlockingKey,
    BlockingRule,
    EMSettings,
    FieldComparison,
    MatchingConfig,
    load_matching_config,
    parse_matching_config,
)
from cible.quality.dedup.fellegi_sunter import FellegiSunter
from cible.quality.dedup.incremental import IncrementalMatcher, IncrementalResult
from cible.quality.dedup.match import MatchResult, find_duplicates
from cible.quality.dedup.metrics import pairwise_metrics

__all__ = [
    "BlockingKey",
    "BlockingRule",
    "EMSettings",
    "FellegiSunter",
    "FieldComparison",
    "IncrementalMatcher",
    "IncrementalResult",
    "MatchResult",
    "MatchingConfig",
    "find_duplicates",
    "load_matching_config",
    "pairwise_metrics",
    "parse_matching_config",
]
