"""What a column holds (a name, a date, a phone...), and how a column of that kind is compared.

:func:`infer_kind` looks at the column name first (``date_of_birth`` -> date, ``soc_sec_id`` ->
id, ``street_number`` -> number, ``suburb`` -> city), then at a sample of its values (e-mail
addresses, dates, digit strings, a handful of distinct values, several words). :data:`KIND_SPECS`
gives, per kind, the standardiser, the comparator, the Fellegi-Sunter levels, whether exact
matches are weighed by term frequency, and the blocking keys the kind offers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, get_args

import pandas as pd

from cible.config.matching import BlockingKey, Comparator, FieldComparison, Standardizer
from cible.exceptions import DedupError

Kind = Literal[
    "name",
    "date",
    "phone",
    "email",
    "postcode",
    "city",
    "address",
    "id",
    "number",
    "category",
    "text",
]
KINDS: tuple[str, ...] = get_args(Kind)

# Column-name words, checked in this order (the first kind with a matching word wins).
_NAME_WORDS: tuple[tuple[str, frozenset[str]], ...] = (
    ("email", frozenset({"email", "mail", "courriel"})),
    ("phone", frozenset({"phone", "tel", "telephone", "mobile", "cell", "fax", "gsm"})),
    ("date", frozenset({"dob", "date", "birth", "birthday", "born", "naissance"})),
    ("postcode", frozenset({"zip", "zipcode", "postcode", "postal", "postalcode", "plz", "cp"})),
    ("id", frozenset({"id", "ssn", "soc", "nir", "passport", "licence", "license", "siren"})),
    ("number", frozenset({"number", "num", "no", "nr", "numero"})),
    (
        "city",
        frozenset(
            {"city", "suburb", "town", "locality", "ville", "commune", "municipality", "place"}
        ),
    ),
    ("address", frozenset({"address", "addr", "street", "road", "adresse", "rue", "line"})),
    (
        "name",
        frozenset({"name", "surname", "forename", "given", "first", "last", "nom", "prenom"}),
    ),
    ("category", frozenset({"state", "country", "region", "gender", "sex", "county", "province"})),
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DATE = re.compile(r"^(\d{4}[-/.]?\d{2}[-/.]?\d{2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})$")
_DIGITS = re.compile(r"^[\d\s().+-]+$")
_SAMPLE = 2000
_SHARE = 0.8
_NAME_SHARE = 0.5  # a kind read from the column name needs half of the values in its shape
# "birth", "born" also name places and countries: a date announced by the name is checked
_SHAPES = {"date": _DATE}


@dataclass(frozen=True)
class KindSpec:
    """How a kind of column is standardised, compared and blocked."""

    comparator: Comparator
    standardize: Standardizer
    levels: tuple[float, ...]
    term_frequency: bool
    block: tuple[str, ...]  # key transforms proposed as blocking rules ("value", "nysiis", ...)


KIND_SPECS: dict[str, KindSpec] = {
    "name": KindSpec("name_words", "name", (1.0, 0.92, 0.85), True, ("nysiis",)),
    "date": KindSpec("date", "date", (1.0, 0.9, 0.8, 0.6), False, ("value",)),
    "phone": KindSpec("damerau_levenshtein", "phone_tail", (1.0, 0.85, 0.7), False, ("value",)),
    "email": KindSpec("jaro_winkler", "email", (1.0, 0.88), False, ("value",)),
    "postcode": KindSpec("postcode", "postal_code", (1.0, 0.9, 0.55, 0.4, 0.2), True, ("value",)),
    "city": KindSpec("jaro_winkler", "city", (1.0, 0.92, 0.85), True, ("value",)),
    "address": KindSpec("jaro_winkler", "address", (1.0, 0.9, 0.8), True, ("value",)),
    "id": KindSpec("damerau_levenshtein", "text", (1.0, 0.85, 0.7), False, ("value",)),
    "number": KindSpec("levenshtein", "digits", (1.0, 0.5), False, ()),
    "category": KindSpec("exact", "text", (1.0,), True, ()),
    "text": KindSpec("token_set", "text", (1.0, 0.9, 0.7), False, ()),
}


def _words(column: str) -> set[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", column)
    return {w for w in re.split(r"[^a-z0-9]+", spaced.lower()) if w}


def kinds_from_name(column: str) -> list[str]:
    """Every kind a column name announces, first the one checked first (``birth_place``:
    date, then city)."""
    words = _words(column)
    return [kind for kind, vocabulary in _NAME_WORDS if words & vocabulary]


def kind_from_name(column: str) -> str | None:
    """The kind a column name announces (``None`` when no known word is in it)."""
    kinds = kinds_from_name(column)
    return kinds[0] if kinds else None


def _sample(values: pd.Series) -> pd.Series:
    text = values.dropna().astype(str).str.strip()
    text = text[text != ""]
    if len(text) > _SAMPLE:
        text = text.sample(_SAMPLE, random_state=0)
    return text


def kind_from_values(values: pd.Series) -> str:
    """The kind a sample of values suggests (``text`` for several words, ``name`` otherwise)."""
    text = _sample(values)
    if text.empty:
        return "text"
    share = lambda pattern: float(text.str.match(pattern).mean())  # noqa: E731
    if share(_EMAIL) >= _SHARE:
        return "email"
    if share(_DATE) >= _SHARE:
        return "date"
    if share(_DIGITS) >= _SHARE:
        digits = text.str.replace(r"\D", "", regex=True).str.len().median()
        return "phone" if digits >= 9 else "id" if digits >= 6 else "number"
    if text.nunique() <= max(20, len(text) // 200):
        return "category"
    return "text" if text.str.count(r"\S+").median() >= 3 else "name"


def values_fit(kind: str, values: pd.Series) -> bool:
    """Whether the values can be of a kind the column name announced: a date has a shape (at
    least half of a sample must have it); other kinds are taken on the name."""
    pattern = _SHAPES.get(kind)
    if pattern is None:
        return True
    text = _sample(values)
    return text.empty or float(text.str.match(pattern).mean()) >= _NAME_SHARE


def infer_kind(column: str, values: pd.Series) -> tuple[str, str]:
    """``(kind, how it was found)``: the first kind the column name announces that its values
    fit (``birth_place`` holding "devon" is a city, not a date), else from its values."""
    for kind in kinds_from_name(column):
        if values_fit(kind, values):
            return kind, "column name"
    return kind_from_values(values), "values"


def check_kind(column: str, kind: str) -> str:
    if kind not in KIND_SPECS:
        raise DedupError(f"field '{column}': unknown kind '{kind}'; known kinds are {list(KINDS)}")
    return kind


def field_comparison(column: str, kind: str) -> FieldComparison:
    """The comparison of a column of ``kind``."""
    spec = KIND_SPECS[check_kind(column, kind)]
    return FieldComparison(
        column=column,
        comparator=spec.comparator,
        standardize=spec.standardize,
        levels=list(spec.levels),
        term_frequency=spec.term_frequency,
    )


def blocking_keys(column: str, kind: str) -> list[BlockingKey]:
    """The single-key blocking rules a column of ``kind`` offers (value, phonetic code...)."""
    return [BlockingKey(column=column, transform=t) for t in KIND_SPECS[kind].block]  # type: ignore[arg-type]
