"""Demographic features, computed in warehouse SQL at an ``as_of`` date.

Only customer records created before ``as_of`` (midnight UTC; a record without ``created_at``
always counts) and events strictly before it are seen, as in :mod:`cible.features.behaviour`.
A customer with several records (sources, merged duplicates) takes, per field, the most frequent
non-null value of its records; a tie goes to the smallest value. Records hold their values as
last ingested: the warehouse keeps no history of a changed address or gender.

=========================  ====================================================================
feature                    definition
=========================  ====================================================================
age                        whole years from ``birth_date`` to as_of (a birthday on as_of counts:
                           born 2000-02-01, 25 at 2025-02-01); NULL when birth_date is missing
                           or after as_of
age_band (categorical)     ``<18``, ``18-24``, ``25-34``, ``35-44``, ``45-54``, ``55-64``,
                           ``65+`` from age; NULL when age is
gender (categorical)       female, male, other or unknown, as standardised at ingest; NULL when
                           no record gives one
country (categorical)      the records' country as an ISO 3166 alpha-2 code when recognised
                           (:mod:`cible.features.places`), else as given (trimmed); without one,
                           the most frequent event location that is a recognised country
departement (categorical)  for FR: the département of the 5-digit postal code (``75``, ``2A``,
                           ``2B``, ``974``), from the shipped table; NULL elsewhere or when the
                           code is not in the table
region (categorical)       for FR: the région of that département (``Île-de-France``, ``Corse``,
                           ``La Réunion``); NULL elsewhere
<name> (mapped)            ``features.demographic.attributes``: the field ``key`` of the
                           records' ``attributes`` (JSON); ``kind: numeric`` reads it as a number
                           (NULL when it is not one), ``categorical`` as text
=========================  ====================================================================
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd

from cible.config import DEMOGRAPHIC_NAMES, DemographicConfig
from cible.features.behaviour import _most_frequent
from cible.features.places import (
    FRANCE,
    as_of_date_sql,
    country_codes,
    customer_country_sql,
    departement_sql,
    departements_sql,
)
from cible.warehouse.base import WarehouseReader

AGE_BANDS: tuple[tuple[int, str], ...] = (
    (18, "<18"),
    (25, "18-24"),
    (35, "25-34"),
    (45, "35-44"),
    (55, "45-54"),
    (65, "55-64"),
)
"""(upper bound, exclusive; label) of every band but the last, ``65+``."""
OPEN_BAND = "65+"


def demographic_names(config: DemographicConfig) -> tuple[str, ...]:
    return (*DEMOGRAPHIC_NAMES, *config.attributes)


def categorical_names(config: DemographicConfig) -> tuple[str, ...]:
    mapped = tuple(n for n, a in config.attributes.items() if a.kind == "categorical")
    return (*(n for n in DEMOGRAPHIC_NAMES if n != "age"), *mapped)


def _age_sql(birth: str, as_of: date) -> str:
    y, m, d = as_of.year, as_of.month, as_of.day
    return (
        f"CASE WHEN {birth} <= {as_of_date_sql(as_of)} THEN "
        f"CAST({y} - extract(year FROM {birth}) - CASE WHEN extract(month FROM {birth}) > {m} "
        f"OR (extract(month FROM {birth}) = {m} AND extract(day FROM {birth}) > {d}) "
        "THEN 1 ELSE 0 END AS INTEGER) END"
    )


def _band_sql(age: str) -> str:
    whens = " ".join(f"WHEN {age} < {upper} THEN '{label}'" for upper, label in AGE_BANDS)
    return f"CASE WHEN {age} IS NULL THEN NULL {whens} ELSE '{OPEN_BAND}' END"


def demographic_sql(warehouse: WarehouseReader, as_of: date, config: DemographicConfig) -> str:
    t = warehouse.dialect.timestamp_literal(
        datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC)
    )
    crm = warehouse.resolved_customers_sql()
    attrs = config.attributes
    attribute_ctes = "".join(
        ",\n"
        + _most_frequent(
            f"attr_{name}", "rc", f"json_extract_string(CAST(attributes AS JSON), '$.{a.key}')"
        )
        for name, a in attrs.items()
    )
    attribute_joins = "".join(
        f"\nLEFT JOIN attr_{n} ON attr_{n}.customer_id = i.customer_id" for n in attrs
    )
    attribute_columns = "".join(f", attr_{n}.v AS {n}" for n in attrs)
    return f"""
WITH rc AS (SELECT * FROM {crm} c WHERE created_at IS NULL OR created_at < {t}),
ev AS (SELECT customer_id, trim(location) AS location FROM events WHERE timestamp < {t}),
{customer_country_sql(country_codes(warehouse, t))},
{departements_sql("deps")},
{_most_frequent("births", "rc", "birth_date")},
{_most_frequent("genders", "rc", "gender")},
{_most_frequent("postcodes", "rc", "trim(postal_code)")}{attribute_ctes},
ids AS (SELECT customer_id FROM ev UNION SELECT customer_id FROM rc),
base AS (
  SELECT i.customer_id, {_age_sql("b.v", as_of)} AS age, g.v AS gender,
         cc.country, pc.v AS postal_code{attribute_columns}
  FROM ids i
  LEFT JOIN births b ON b.customer_id = i.customer_id
  LEFT JOIN genders g ON g.customer_id = i.customer_id
  LEFT JOIN postcodes pc ON pc.customer_id = i.customer_id
  LEFT JOIN customer_country cc ON cc.customer_id = i.customer_id{attribute_joins})
SELECT base.*, {_band_sql("base.age")} AS age_band, deps.code AS departement, deps.region AS region
FROM base
LEFT JOIN deps ON base.country = '{FRANCE}' AND deps.code = {departement_sql("base.postal_code")}
ORDER BY base.customer_id
"""


def build_demographic(
    warehouse: WarehouseReader, as_of: date, config: DemographicConfig
) -> pd.DataFrame:
    """One row per customer seen before as_of (index ``customer_id``): ``age`` and numeric
    mapped attributes as float, the others as text (``None`` when missing)."""
    frame = warehouse.fetch_arrow(demographic_sql(warehouse, as_of, config)).to_pandas()
    frame["customer_id"] = frame["customer_id"].astype(str)
    out = frame.set_index("customer_id")[list(demographic_names(config))].copy()
    numeric = ["age", *(n for n, a in config.attributes.items() if a.kind == "numeric")]
    for name in out.columns:
        if name in numeric:
            out[name] = pd.to_numeric(out[name], errors="coerce").astype("float64")
        else:
            out[name] = out[name].astype(object).where(out[name].notna(), None)
    return out
