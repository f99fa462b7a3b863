"""Data quality: standardisation of raw customer fields and the data-quality report.

Standardisation: one raw value in, one :class:`Standardized` result out. The functions live in
``standardize_core`` (result type, helpers, pandas), ``standardize_contact`` (e-mail, phone, postal
code), ``standardize_dates`` and ``standardize_names`` (names, cities, gender, categories). Every
function is pure, idempotent and never guesses: see :class:`Standardized` for how a value that
cannot be standardised is reported. Ingestion applies them to the mapped fields
(:mod:`cible.ingest.standardize`).

Report: :func:`quality_report` measures a frame into a typed :class:`QualityReport`
(:mod:`cible.quality.report`); ingestion measures every source the same way.
"""

from __future__ import annotations

from cible.quality.report import quality_report
from cible.quality.results import QualityReport
from cible.quality.standardize_contact import (
    standardize_email,
    standardize_phone,
    standardize_postal_code,
)
from cible.quality.standardize_core import Standardized, match_key, standardize_series
from cible.quality.standardize_dates import (
    excel_serial_to_date,
    standardize_date,
    standardize_timestamp_utc,
)
from cible.quality.standardize_names import (
    city_match_key,
    standardize_category,
    standardize_city,
    standardize_gender,
    standardize_name,
)

__all__ = [
    "QualityReport",
    "Standardized",
    "city_match_key",
    "excel_serial_to_date",
    "match_key",
    "quality_report",
    "standardize_category",
    "standardize_city",
    "standardize_date",
    "standardize_email",
    "standardize_gender",
    "standardize_name",
    "standardize_phone",
    "standardize_postal_code",
    "standardize_series",
    "standardize_timestamp_utc",
]
