"""Data quality: standardisation of raw customer fields (a library, not yet in the pipeline).

One raw value in, one :class:`Standardized` result out. The functions live in ``standardize_core``
(result type, helpers, pandas), ``standardize_contact`` (e-mail, phone, postal code),
``standardize_dates`` and ``standardize_names`` (names, cities, gender, categories). Every function
is pure, idempotent and never guesses: see :class:`Standardized` for how a value that cannot be
standardised is reported.
"""

from __future__ import annotations

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
    "Standardized",
    "city_match_key",
    "excel_serial_to_date",
    "match_key",
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
