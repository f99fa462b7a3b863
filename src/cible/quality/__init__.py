"""Data quality: standardisation of raw customer fields (a library, not yet in the pipeline)."""

from cible.quality.standardize import (
    Standardized,
    city_match_key,
    excel_serial_to_date,
    match_key,
    standardize_category,
    standardize_city,
    standardize_date,
    standardize_email,
    standardize_gender,
    standardize_name,
    standardize_phone,
    standardize_postal_code,
    standardize_series,
    standardize_timestamp_utc,
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
