"""Reference tables: states and regions (names and codes) and country names.

Used to find the same entity written several ways in one column (``"NSW"`` and
``"New South Wales"``) and to read a country column as an ISO 3166 alpha-2 code for postal codes.
Names are matched through :func:`~cible.quality.match_key` (case, accents and punctuation folded),
so ``"Ile de France"``, ``"ÎLE-DE-FRANCE"`` and ``"Île-de-France"`` are one region.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from cible.quality.standardize_core import match_key

_AU = {
    "NSW": "New South Wales",
    "VIC": "Victoria",
    "QLD": "Queensland",
    "WA": "Western Australia",
    "SA": "South Australia",
    "TAS": "Tasmania",
    "ACT": "Australian Capital Territory",
    "NT": "Northern Territory",
}

_US = {
    "AL": "Alabama",
    "AK": "Alaska",
    "AZ": "Arizona",
    "AR": "Arkansas",
    "CA": "California",
    "CO": "Colorado",
    "CT": "Connecticut",
    "DE": "Delaware",
    "DC": "District of Columbia",
    "FL": "Florida",
    "GA": "Georgia",
    "HI": "Hawaii",
    "ID": "Idaho",
    "IL": "Illinois",
    "IN": "Indiana",
    "IA": "Iowa",
    "KS": "Kansas",
    "KY": "Kentucky",
    "LA": "Louisiana",
    "ME": "Maine",
    "MD": "Maryland",
    "MA": "Massachusetts",
    "MI": "Michigan",
    "MN": "Minnesota",
    "MS": "Mississippi",
    "MO": "Missouri",
    "MT": "Montana",
    "NE": "Nebraska",
    "NV": "Nevada",
    "NH": "New Hampshire",
    "NJ": "New Jersey",
    "NM": "New Mexico",
    "NY": "New York",
    "NC": "North Carolina",
    "ND": "North Dakota",
    "OH": "Ohio",
    "OK": "Oklahoma",
    "OR": "Oregon",
    "PA": "Pennsylvania",
    "RI": "Rhode Island",
    "SC": "South Carolina",
    "SD": "South Dakota",
    "TN": "Tennessee",
    "TX": "Texas",
    "UT": "Utah",
    "VT": "Vermont",
    "VA": "Virginia",
    "WA": "Washington",
    "WV": "West Virginia",
    "WI": "Wisconsin",
    "WY": "Wyoming",
}

# ISO 3166-2:FR codes of the 13 metropolitan regions (2016); overseas regions by their alpha-2.
_FR = {
    "ARA": "Auvergne-Rhône-Alpes",
    "BFC": "Bourgogne-Franche-Comté",
    "BRE": "Bretagne",
    "CVL": "Centre-Val de Loire",
    "COR": "Corse",
    "GES": "Grand Est",
    "HDF": "Hauts-de-France",
    "IDF": "Île-de-France",
    "NOR": "Normandie",
    "NAQ": "Nouvelle-Aquitaine",
    "OCC": "Occitanie",
    "PDL": "Pays de la Loire",
    "PAC": "Provence-Alpes-Côte d'Azur",
    "GP": "Guadeloupe",
    "MQ": "Martinique",
    "GF": "Guyane",
    "RE": "La Réunion",
    "YT": "Mayotte",
}
_FR_ALIASES = {
    "PACA": "PAC",
    "Région parisienne": "IDF",
    "Brittany": "BRE",
    "Normandy": "NOR",
    "Corsica": "COR",
    "Réunion": "RE",
    "French Guiana": "GF",
    "Centre": "CVL",
}

REGION_NAMES: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {"AU": MappingProxyType(_AU), "US": MappingProxyType(_US), "FR": MappingProxyType(_FR)}
)
"""Country -> region code -> official name."""


def _index(names: Mapping[str, str], aliases: Mapping[str, str]) -> dict[str, str]:
    index = {match_key(code): code for code in names}
    index.update({match_key(name): code for code, name in names.items()})
    index.update({match_key(alias): code for alias, code in aliases.items()})
    return index


_REGION_INDEX: dict[str, dict[str, str]] = {
    "AU": _index(_AU, {}),
    "US": _index(_US, {}),
    "FR": _index(_FR, _FR_ALIASES),
}


def region_index(country: str) -> Mapping[str, str]:
    """``match_key`` of every name, code and alias of ``country``'s regions -> region code."""
    index = _REGION_INDEX.get(country.upper())
    if index is None:
        raise ValueError(f"no region table for {country!r}; available: {sorted(_REGION_INDEX)}")
    return MappingProxyType(index)


def region_code(raw: object, country: str) -> str | None:
    """The region code of ``raw`` in ``country`` (AU, US or FR), or ``None``.

    ``region_code("New South Wales", "AU")`` -> ``"NSW"``; ``region_code("nsw", "AU")`` ->
    ``"NSW"``; ``region_code("ile de france", "FR")`` -> ``"IDF"``.
    """
    return region_index(country).get(match_key(raw))


_COUNTRIES: dict[str, tuple[str, ...]] = {
    "FR": ("France", "FRA", "République française"),
    "GB": ("United Kingdom", "UK", "GBR", "Great Britain", "England", "Scotland", "Wales"),
    "US": ("United States", "USA", "United States of America", "U.S.A."),
    "AU": ("Australia", "AUS"),
    "BE": ("Belgium", "Belgique", "BEL"),
    "CH": ("Switzerland", "Suisse", "CHE"),
    "DE": ("Germany", "Deutschland", "Allemagne", "DEU"),
    "ES": ("Spain", "España", "Espagne", "ESP"),
    "IT": ("Italy", "Italia", "Italie", "ITA"),
    "NL": ("Netherlands", "Nederland", "Pays-Bas", "NLD"),
    "LU": ("Luxembourg", "LUX"),
    "CA": ("Canada", "CAN"),
    "IE": ("Ireland", "EIRE", "Irlande", "IRL"),
    "PT": ("Portugal", "PRT"),
}
_COUNTRY_INDEX: dict[str, str] = {
    match_key(name): code for code, names in _COUNTRIES.items() for name in (code, *names)
}


def country_code(raw: object) -> str | None:
    """ISO 3166 alpha-2 code of a country written as a code or a common name, or ``None``.

    ``"Australia"`` -> ``"AU"``, ``"uk"`` -> ``"GB"``, ``"France"`` -> ``"FR"``; a country outside
    the small table (``"Peru"``) -> ``None``.
    """
    return _COUNTRY_INDEX.get(match_key(raw))
