"""Identity resolution: which records are the same person, and one golden record per person.

Matching: ``find_duplicates(records, config)`` proposes candidate pairs with blocking rules and
exact keys (:mod:`~cible.identity.blocking`), compares them field by field
(:mod:`~cible.identity.compare`), scores them (weighted similarity or Fellegi-Sunter trained by EM:
:mod:`~cible.identity.scoring`, :mod:`~cible.identity.fellegi_sunter`) and clusters the matches
into entities (:mod:`~cible.identity.clustering`). ``IncrementalMatcher`` matches new records
against an existing result without re-running the whole base. See docs/dedup.md.

Golden records: :func:`build_golden` merges each entity by survivorship rules
(:mod:`~cible.identity.survivorship`), records every decision without personal values
(:mod:`~cible.identity.merge_log`), undoes a merge (:func:`undo_merge`, :func:`undo_entity`), points
events at the surviving customer id (:func:`rekey_events`; in SQL: ``Warehouse.rekey_customers``)
and calibrates the match threshold from a labelled sample (:func:`export_review_sample`,
:func:`calibrate`). See docs/golden-records.md.

The configuration models live in the configuration floor (:mod:`cible.config.matching`,
:mod:`cible.config.survivorship`, :mod:`cible.config.identity`). This package used to be
``cible.quality.dedup`` and ``cible.quality.golden``; those names still import, with a
``DeprecationWarning`` (:mod:`cible._moved`).
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
from cible.config.survivorship import CONSENT_FIELDS, CONSENT_RULE, SurvivorshipConfig
from cible.identity.calibration import CalibrationReport, calibrate
from cible.identity.fellegi_sunter import FellegiSunter
from cible.identity.golden import ID_MAP_COLUMNS, GoldenResult, build_golden
from cible.identity.incremental import IncrementalMatcher, IncrementalResult
from cible.identity.match import MatchResult, find_duplicates
from cible.identity.merge_log import MERGE_LOG_COLUMNS
from cible.identity.pair_metrics import pairwise_metrics
from cible.identity.rekey import ORIGINAL_ID, rekey_events
from cible.identity.review import export_review_sample
from cible.identity.undo import undo_entity, undo_merge

__all__ = [
    "CONSENT_FIELDS",
    "CONSENT_RULE",
    "ID_MAP_COLUMNS",
    "MERGE_LOG_COLUMNS",
    "ORIGINAL_ID",
    "BlockingKey",
    "BlockingRule",
    "CalibrationReport",
    "EMSettings",
    "FellegiSunter",
    "FieldComparison",
    "GoldenResult",
    "IncrementalMatcher",
    "IncrementalResult",
    "MatchResult",
    "MatchingConfig",
    "SurvivorshipConfig",
    "build_golden",
    "calibrate",
    "export_review_sample",
    "find_duplicates",
    "load_matching_config",
    "pairwise_metrics",
    "parse_matching_config",
    "rekey_events",
    "undo_entity",
    "undo_merge",
]
