"""Golden records: survivorship, merge log, undo, event re-keying and threshold calibration.

The matcher (:func:`cible.quality.dedup.find_duplicates`) says which records are the same person
(``clusters``, ``pairs``); this package merges each entity into one golden record
(:func:`build_golden`), records every decision without personal values (``merge_log``), undoes a
merge (:func:`undo_merge`, :func:`undo_entity`), points events at the surviving customer id
(:func:`rekey_events`; in SQL: ``Warehouse.rekey_customers``) and calibrates the match threshold
from a labelled sample (:func:`export_review_sample`, :func:`calibrate`). See
docs/golden-records.md.
"""

from __future__ import annotations

from cible.config.survivorship import CONSENT_FIELDS, CONSENT_RULE, SurvivorshipConfig
from cible.quality.golden.build import ID_MAP_COLUMNS, GoldenResult, build_golden
from cible.quality.golden.calibration import CalibrationReport, calibrate
from cible.quality.golden.events import ORIGINAL_ID, rekey_events
from cible.quality.golden.merge_log import MERGE_LOG_COLUMNS
from cible.quality.golden.review import export_review_sample
from cible.quality.golden.undo import undo_entity, undo_merge

__all__ = [
    "CONSENT_FIELDS",
    "CONSENT_RULE",
    "ID_MAP_COLUMNS",
    "MERGE_LOG_COLUMNS",
    "ORIGINAL_ID",
    "CalibrationReport",
    "GoldenResult",
    "SurvivorshipConfig",
    "build_golden",
    "calibrate",
    "export_review_sample",
    "rekey_events",
    "undo_entity",
    "undo_merge",
]
