"""Where a customer lives, for the demographic and contextual families: the country (as an ISO
3166 alpha-2 code when it is recognised) and, for France, the département and région of the
postal code.

* :func:`country_codes` reads the country values the warehouse holds (customer records and event
  locations before ``as_of``) and maps each recognised one to its code: first the names and codes
  of :func:`cible.quality.regions.country_code` (``"EIRE"`` -> ``IE``, ``"UK"`` -> ``GB``), then
  the country classes of the ``holidays`` library (``"Norway"``, ``"NOR"``, ``"NO"`` -> ``NO``).
* :func:`departements` is the shipped table ``data/departements_fr.csv`` (département code ->
  name -> région): the 96 metropolitan départements, Corsica as 2A and 2B, and the overseas
  971-976 (975, Saint-Pierre-et-Miquelon, is an overseas collectivity, not a région: its
  "région" is its own name).
* :func:`departement_sql` derives the département from a French 5-digit postal code: the first
  two digits; 20xxx is Corse-du-Sud (2A) for 200xx-201xx and Haute-Corse (2B) otherwise; 97xxx
  takes the first three digits (97411 -> 974, La Réunion).

The mappings reach the SQL as inline ``VALUES`` (:func:`values_sql`), so a read-only
:class:`~cible.warehouse.base.WarehouseReader` is enough and every engine sees the same rows.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources

from cible.features.behaviour import _most_frequent
from cible.quality.regions import country_code
from cible.warehouse.base import WarehouseReader

FRANCE = "FR"


@dataclass(frozen=True)
class Departement:
    code: str
    name: str
    region_code: str
    region_name: str


@cache
def departements() -> tuple[Departement, ...]:
    """The rows of the shipped ``departements_fr.csv``."""
    text = resources.files("cible.features").joinpath("data/departements_fr.csv").read_text("utf-8")
    return tuple(
        Departement(
            r["departement_code"], r["departement_name"], r["region_code"], r["region_name"]
        )
        for r in csv.DictReader(text.splitlines())
    )


def _letters(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


@cache
def _holiday_countries() -> dict[str, str]:
    """Letters-only class name, alpha-2 and alpha-3 of every country of ``holidays`` -> alpha-2."""
    from holidays.registry import COUNTRIES

    index: dict[str, str] = {}
    for entry in COUNTRIES.values():
        class_name, alpha2, alpha3 = entry[0], entry[1], entry[2]
        for name in (class_name, alpha2, alpha3):
            index.setdefault(_letters(name), alpha2)
    return index


def country_iso(raw: object) -> str | None:
    """The ISO 3166 alpha-2 code of a country written as a code or an English name, or ``None``."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    known = country_code(raw)
    if known is not None:
        return known
    return _holiday_countries().get(_letters(raw))


def holiday_calendar_countries() -> frozenset[str]:
    """The alpha-2 codes the ``holidays`` library has a calendar for."""
    import holidays

    return frozenset(holidays.list_supported_countries())


def quote(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def values_sql(name: str, columns: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    """CTE ``name`` of string ``columns`` holding ``rows`` (no row: an empty relation)."""
    cols = ", ".join(columns)
    if not rows:
        nulls = ", ".join(f"CAST(NULL AS VARCHAR) AS {c}" for c in columns)
        return f"{name} AS (SELECT {nulls} WHERE 1 = 0)"
    body = ", ".join("(" + ", ".join(quote(v) for v in row) + ")" for row in rows)
    return f"{name} AS (SELECT * FROM (VALUES {body}) AS v({cols}))"


def country_codes(warehouse: WarehouseReader, as_of_sql: str) -> list[tuple[str, str]]:
    """``(value as held, alpha-2)`` for every recognised country value of the customer records
    and event locations before ``as_of`` (values trimmed)."""
    crm = warehouse.resolved_customers_sql()
    table = warehouse.fetch_arrow(
        f"SELECT DISTINCT trim(country) AS v FROM {crm} c "
        f"WHERE country IS NOT NULL AND (created_at IS NULL OR created_at < {as_of_sql}) "
        f"UNION SELECT DISTINCT trim(location) AS v FROM events "
        f"WHERE location IS NOT NULL AND timestamp < {as_of_sql}"
    )
    pairs = []
    for value in table.column("v").to_pylist():
        code = country_iso(value)
        if code is not None:
            pairs.append((str(value), code))
    return sorted(pairs)


def customer_country_sql(codes: list[tuple[str, str]]) -> str:
    """CTEs ending in ``customer_country(customer_id, country)``, over relations ``rc`` (customer
    records before as_of) and ``ev`` (events before as_of, ``location`` trimmed): the records'
    most frequent country (alpha-2 when recognised, else as given), else the most frequent event
    location that is a recognised country."""
    return f"""{values_sql("codes", ("raw", "iso"), codes)},
rc_country AS (SELECT rc.customer_id, coalesce(codes.iso, trim(rc.country)) AS country
  FROM rc LEFT JOIN codes ON codes.raw = trim(rc.country)),
ev_country AS (SELECT ev.customer_id, codes.iso AS country
  FROM ev JOIN codes ON codes.raw = ev.location),
{_most_frequent("rc_countries", "rc_country", "country")},
{_most_frequent("ev_countries", "ev_country", "country")},
customer_country AS (
  SELECT ids.customer_id, coalesce(r.v, e.v) AS country
  FROM (SELECT customer_id FROM rc UNION SELECT customer_id FROM ev) ids
  LEFT JOIN rc_countries r ON r.customer_id = ids.customer_id
  LEFT JOIN ev_countries e ON e.customer_id = ids.customer_id)"""


def departement_sql(postal_code: str) -> str:
    """The département code of a French postal code expression (NULL unless 5 digits)."""
    pc = postal_code
    return (
        f"CASE WHEN NOT regexp_matches({pc}, '^[0-9]{{5}}$') THEN NULL "
        f"WHEN substr({pc}, 1, 2) = '20' THEN "
        f"CASE WHEN substr({pc}, 3, 1) IN ('0', '1') THEN '2A' ELSE '2B' END "
        f"WHEN substr({pc}, 1, 2) = '97' THEN substr({pc}, 1, 3) "
        f"ELSE substr({pc}, 1, 2) END"
    )


def departements_sql(name: str) -> str:
    """CTE ``name`` (code, name, region) of the shipped département table."""
    rows = [(d.code, d.name, d.region_name) for d in departements()]
    return values_sql(name, ("code", "dep_name", "region"), rows)


def as_of_date_sql(as_of: date) -> str:
    return f"DATE '{as_of.isoformat()}'"
