"""Demographic features at as_of 2025-02-01, hand-computed, on DuckDB and PostgreSQL: ages at
their birthday boundaries, the age bands' edges, genders, countries, French départements and
régions (Corsica, overseas) and mapped attributes; records created at as_of are not seen."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pandas as pd

from cible.config import DemographicConfig
from cible.features.demographic import build_demographic
from cible.warehouse.base import Warehouse
from tests.unit.features.world import MIDNIGHT, US, buy, load, view

AS_OF = date(2025, 2, 1)


def _ages(wh: Warehouse, births: dict[str, date | None]) -> pd.Series:
    load(wh, [], [{"customer_id": c, "birth_date": b} for c, b in births.items()])
    return build_demographic(wh, AS_OF, DemographicConfig())["age"]


def test_age_in_whole_years_with_the_birthday_on_as_of(engine: Warehouse) -> None:
    ages = _ages(
        engine,
        {
            "on_birthday": date(2000, 2, 1),  # 25 years exactly at as_of
            "day_after": date(2000, 2, 2),  # turns 25 tomorrow
            "day_before": date(2000, 1, 31),
            "leap": date(2004, 2, 29),  # 20 on 2024-02-29; 2025-02-01 is before the 21st
            "born_on_as_of": date(2025, 2, 1),
            "born_after": date(2025, 2, 2),  # after as_of: no age
            "missing": None,
        },
    )
    assert ages["on_birthday"] == 25.0
    assert ages["day_after"] == 24.0
    assert ages["day_before"] == 25.0
    assert ages["leap"] == 20.0
    assert ages["born_on_as_of"] == 0.0
    assert math.isnan(ages["born_after"]) and math.isnan(ages["missing"])


def test_age_band_edges(engine: Warehouse) -> None:
    def born(age: int, late: bool = False) -> date:
        # as_of minus ``age`` years; a day later when ``late`` (one year younger)
        return date(2025 - age, 2, 1) + timedelta(days=1 if late else 0)

    births = {
        "a17": born(18, late=True),
        "a18": born(18),
        "a24": born(25, late=True),
        "a25": born(25),
        "a34": born(35, late=True),
        "a35": born(35),
        "a44": born(45, late=True),
        "a45": born(45),
        "a54": born(55, late=True),
        "a55": born(55),
        "a64": born(65, late=True),
        "a65": born(65),
        "none": None,
    }
    load(engine, [], [{"customer_id": c, "birth_date": b} for c, b in births.items()])
    f = build_demographic(engine, AS_OF, DemographicConfig())
    assert f.loc["a17", "age"] == 17.0 and f.loc["a65", "age"] == 65.0
    assert f["age_band"].to_dict() == {
        "a17": "<18",
        "a18": "18-24",
        "a24": "18-24",
        "a25": "25-34",
        "a34": "25-34",
        "a35": "35-44",
        "a44": "35-44",
        "a45": "45-54",
        "a54": "45-54",
        "a55": "55-64",
        "a64": "55-64",
        "a65": "65+",
        "none": None,
    }


def test_gender_is_the_most_frequent_of_the_records_ties_to_the_smallest(
    engine: Warehouse,
) -> None:
    load(
        engine,
        [view("NONE", MIDNIGHT - timedelta(days=1))],
        [
            {"customer_id": "M", "source": "crm", "gender": "male"},
            {"customer_id": "M", "source": "shop", "gender": "male"},
            {"customer_id": "M", "source": "app", "gender": "female"},
            {"customer_id": "TIE", "source": "crm", "gender": "male"},
            {"customer_id": "TIE", "source": "shop", "gender": "female"},
            {"customer_id": "U", "gender": "unknown"},
        ],
    )
    g = build_demographic(engine, AS_OF, DemographicConfig())["gender"]
    assert g.to_dict() == {"M": "male", "NONE": None, "TIE": "female", "U": "unknown"}


def test_french_departements_and_regions_from_postal_codes(engine: Warehouse) -> None:
    records = {
        "paris": ("France", "75001"),
        "ajaccio": ("FR", "20000"),  # 200xx: Corse-du-Sud
        "bonifacio": ("FR", "20169"),  # 201xx: Corse-du-Sud
        "bastia": ("FR", "20200"),  # 202xx: Haute-Corse
        "biguglia": ("FR", "20620"),  # 206xx: Haute-Corse
        "reunion": ("France", "97411"),  # 97xxx: three digits, 974 La Réunion
        "mayotte": ("FR", "97600"),
        "bourg": ("FR", "01000"),
        "short": ("FR", "1000"),  # a lost leading zero: not a French code, no guess
        "monaco": ("FR", "98000"),  # 980: not in the table
        "berlin": ("Germany", "75001"),  # another country's code: no French région
        "nowhere": (None, "75001"),
    }
    load(
        engine,
        [],
        [{"customer_id": c, "country": k, "postal_code": p} for c, (k, p) in records.items()],
    )
    f = build_demographic(engine, AS_OF, DemographicConfig())
    got = {c: (f.loc[c, "country"], f.loc[c, "departement"], f.loc[c, "region"]) for c in records}
    assert got == {
        "paris": ("FR", "75", "Île-de-France"),
        "ajaccio": ("FR", "2A", "Corse"),
        "bonifacio": ("FR", "2A", "Corse"),
        "bastia": ("FR", "2B", "Corse"),
        "biguglia": ("FR", "2B", "Corse"),
        "reunion": ("FR", "974", "La Réunion"),
        "mayotte": ("FR", "976", "Mayotte"),
        "bourg": ("FR", "01", "Auvergne-Rhône-Alpes"),
        "short": ("FR", None, None),
        "monaco": ("FR", None, None),
        "berlin": ("DE", None, None),
        "nowhere": (None, None, None),
    }


def test_country_from_records_else_from_the_events_recognised_locations(
    engine: Warehouse,
) -> None:
    day = MIDNIGHT - timedelta(days=3)
    load(
        engine,
        [
            view("EV", day, location="France"),
            view("EV", day, location="France"),
            view("EV", day, location="Germany"),
            view("EV", day, location="Store 12"),  # not a country: never the customer's
            view("EV", day, location="Store 12"),
            view("EV", day, location="Store 12"),
            view("STORE", day, location="Store 12"),
            view("CRM", day, location="Germany"),
            view("FAR", day, location=" EIRE "),
        ],
        [
            {"customer_id": "CRM", "country": "United Kingdom"},
            {"customer_id": "ODD", "country": "Atlantis"},  # unknown: kept as given
        ],
    )
    c = build_demographic(engine, AS_OF, DemographicConfig())["country"]
    assert c.to_dict() == {
        "CRM": "GB",
        "EV": "FR",
        "FAR": "IE",
        "ODD": "Atlantis",
        "STORE": None,
    }


def test_records_created_at_as_of_and_events_at_as_of_are_not_seen(engine: Warehouse) -> None:
    load(
        engine,
        [view("LATE_EVENT", MIDNIGHT, location="France"), view("A", MIDNIGHT - US)],
        [
            {"customer_id": "A", "source": "crm", "gender": "male", "created_at": MIDNIGHT - US},
            {"customer_id": "A", "source": "shop", "gender": "female", "created_at": MIDNIGHT},
            {"customer_id": "A", "source": "app", "gender": "female", "created_at": MIDNIGHT},
            {"customer_id": "EDGE", "birth_date": date(1990, 1, 1), "created_at": MIDNIGHT},
        ],
    )
    f = build_demographic(engine, AS_OF, DemographicConfig())
    assert list(f.index) == ["A"]
    assert f.loc["A", "gender"] == "male"  # the two records of as_of are not yet there
    later = build_demographic(engine, AS_OF + timedelta(days=1), DemographicConfig())
    assert later.loc["A", "gender"] == "female"
    assert later.loc["EDGE", "age"] == 35.0
    assert later.loc["LATE_EVENT", "country"] == "FR"


def test_mapped_attributes_numeric_and_categorical(engine: Warehouse) -> None:
    config = DemographicConfig.model_validate(
        {
            "attributes": {
                "children": {"key": "Kidhome", "kind": "numeric"},
                "marital_status": {"key": "Marital_Status"},
            }
        }
    )
    load(
        engine,
        [buy("NOREC", MIDNIGHT - timedelta(days=1))],
        [
            {"customer_id": "A", "attributes": {"Kidhome": 2, "Marital_Status": "Married"}},
            {"customer_id": "B", "attributes": {"Kidhome": "many"}},  # not a number: NULL
            {"customer_id": "C", "attributes": {"Other": 1}},
            {"customer_id": "D", "attributes": {"Kidhome": "0", "Marital_Status": "Single"}},
        ],
    )
    f = build_demographic(engine, AS_OF, config)
    assert list(f.columns[-2:]) == ["children", "marital_status"]
    assert f.loc["A", "children"] == 2.0 and f.loc["D", "children"] == 0.0
    assert all(math.isnan(f.loc[c, "children"]) for c in ("B", "C", "NOREC"))
    assert f["marital_status"].to_dict() == {
        "A": "Married",
        "B": None,
        "C": None,
        "D": "Single",
        "NOREC": None,
    }
