"""Standardisation functions: golden values, edge cases and Hypothesis invariants."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cible.quality import (
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
from cible.schemas import GENDERS

CATEGORIES = {"Électronique": "electronics", "High-Tech": "electronics", "Livres": "books"}

FUNCTIONS: dict[str, Callable[[object], Standardized]] = {
    "email": standardize_email,
    "phone": standardize_phone,
    "phone_gb": lambda s: standardize_phone(s, default_region="GB"),
    "date": standardize_date,
    "date_month_first": lambda s: standardize_date(s, day_first=False),
    "date_formats": lambda s: standardize_date(s, formats=["%d %m %Y"]),
    "timestamp": standardize_timestamp_utc,
    "timestamp_paris": lambda s: standardize_timestamp_utc(s, "Europe/Paris"),
    "name": standardize_name,
    "city": standardize_city,
    "postal_fr": standardize_postal_code,
    "postal_gb": lambda s: standardize_postal_code(s, "GB"),
    "postal_us": lambda s: standardize_postal_code(s, "US"),
    "postal_de": lambda s: standardize_postal_code(s, "DE"),
    "gender": standardize_gender,
    "category": lambda s: standardize_category(s, CATEGORIES),
}

MISSING_INPUTS: list[object] = [None, "", "   ", "\t\n", math.nan, float("nan"), pd.NA, pd.NaT]
# plain ids: a node id with quotes, blanks or backslashes cannot be selected again by name
# (mutmut runs each mutant's tests by node id)
MISSING_IDS = ["none", "empty", "blanks", "tab-newline", "math-nan", "float-nan", "pd-na", "nat"]


def ok(value: str) -> Standardized:
    return Standardized(value, True, None)


def assert_idempotent(func: Callable[[object], Standardized], raw: object) -> None:
    first = func(raw)
    assert isinstance(first, Standardized)
    if first.value is not None:
        assert func(first.value) == first, (raw, first)


# --- missing values -------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(set(FUNCTIONS) - {"gender"}))
@pytest.mark.parametrize("raw", MISSING_INPUTS, ids=MISSING_IDS)
def test_missing_input_is_ok_without_value(name: str, raw: object) -> None:
    assert FUNCTIONS[name](raw) == Standardized(None, True, None)


@pytest.mark.parametrize("raw", MISSING_INPUTS, ids=MISSING_IDS)
def test_missing_gender_is_unknown(raw: object) -> None:
    assert standardize_gender(raw) == ok("unknown")


def test_missing_match_keys_are_empty() -> None:
    assert match_key(None) == ""
    assert match_key(math.nan) == ""
    assert city_match_key("  ") == ""


# --- e-mail ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Jean.Dupont@Example.FR ", "jean.dupont@example.fr"),
        ("a+tag@sub.domain.co.uk", "a+tag@sub.domain.co.uk"),
        ("o'neil@mail-server.com", "o'neil@mail-server.com"),
    ],
)
def test_email_golden(raw: str, expected: str) -> None:
    assert standardize_email(raw) == ok(expected)


# fmt: off
NOT_EMAILS = [
    "jean@localhost", "a b@c.fr", "a@@b.fr", "a@b@c.fr", "@example.com", "jean@-example.com",
    "jean@example-.com", "jean.@example.com", "jean..dupont@example.com", "jean@example.c0m",
    "jean@example..com", "not an email", "1234",
]
# fmt: on


@pytest.mark.parametrize("raw", NOT_EMAILS)
def test_email_rejected(raw: str) -> None:
    assert standardize_email(raw) == Standardized(None, False, "not an e-mail")


# --- phone ----------------------------------------------------------------------------------


FRENCH_FORMS = ["06 12 34 56 78", "+33612345678", "0612345678", "06.12.34.56.78"]


@pytest.mark.parametrize("raw", [*FRENCH_FORMS, "0033 6 12 34 56 78", " +33 (0)6 12 34 56 78 "])
def test_phone_french_forms(raw: str) -> None:
    assert standardize_phone(raw) == ok("+33612345678")


def test_phone_other_region() -> None:
    assert standardize_phone("020 7946 0958", default_region="GB") == ok("+442079460958")
    assert standardize_phone("+44 20 7946 0958") == ok("+442079460958")


@pytest.mark.parametrize("raw", ["0112", "06 12 34", "+33 0 00 00 00 00"])
def test_phone_invalid_flagged(raw: str) -> None:
    result = standardize_phone(raw)
    assert result == Standardized(None, False, "not a valid phone number (read in region FR)")


@pytest.mark.parametrize("raw", ["hello", "123456789012345678"])
def test_phone_unparseable_flagged(raw: str) -> None:
    assert standardize_phone(raw) == Standardized(
        None, False, "not a phone number (read in region FR)"
    )


# --- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-03-01", "2024-03-01"),
        ("2024/03/01", "2024-03-01"),
        ("20240301", "2024-03-01"),
        ("01/03/2024", "2024-03-01"),
        ("1/3/2024", "2024-03-01"),
        ("01.03.2024", "2024-03-01"),
        ("01-03-2024", "2024-03-01"),
        ("45292", "2024-01-01"),
        (45292, "2024-01-01"),
        (45292.0, "2024-01-01"),
        ("45292.75", "2024-01-01"),
        ("3 mars 2024", "2024-03-03"),
        ("March 3, 2024", "2024-03-03"),
        ("3 janv. 2024", "2024-01-03"),
        ("1er mai 2024", "2024-05-01"),
        ("14 Juillet 1789", "1789-07-14"),
        ("25 décembre 2023", "2023-12-25"),
        ("29 février 2024", "2024-02-29"),
        ("1st April 2024", "2024-04-01"),
        ("Aug 15, 2024", "2024-08-15"),
        (dt.date(2024, 3, 1), "2024-03-01"),
        (dt.datetime(2024, 3, 1, 23, 59), "2024-03-01"),
        (pd.Timestamp("2024-03-01 12:00"), "2024-03-01"),
    ],
)
def test_date_golden(raw: object, expected: str) -> None:
    assert standardize_date(raw) == ok(expected)


def test_date_ambiguity_resolved_only_by_day_first() -> None:
    assert standardize_date("03/04/2024") == ok("2024-04-03")
    assert standardize_date("03/04/2024", day_first=False) == ok("2024-03-04")
    assert standardize_date("03-04-2024", day_first=False) == ok("2024-03-04")
    # never swapped to rescue a date
    assert standardize_date("13/25/2024").ok is False
    assert standardize_date("25/12/2024", day_first=False).ok is False


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("31/02/2024", "not a calendar date: '31/02/2024'"),
        ("29/02/2023", "not a calendar date: '29/02/2023'"),
        ("2024-13-01", "not a calendar date: '2024-13-01'"),
        ("30 février 2024", "not a calendar date: '30 février 2024'"),
        ("03/04/24", "two-digit year is ambiguous: '03/04/24'"),
        ("3 brumaire 2024", "unknown month name 'brumaire'"),
        ("2024", "not a recognised date: '2024'"),
        ("61", "not a recognised date: '61'"),
        ("tomorrow", "not a recognised date: 'tomorrow'"),
        ("9999999", "Excel serial 9999999 is out of range"),
    ],
)
def test_date_flagged(raw: str, reason: str) -> None:
    assert standardize_date(raw) == Standardized(None, False, reason)


def test_excel_serial_1900_leap_year_bug() -> None:
    assert excel_serial_to_date(1) == dt.date(1900, 1, 1)
    assert excel_serial_to_date(59) == dt.date(1900, 2, 28)
    assert excel_serial_to_date(60) is None  # Excel's 1900-02-29 does not exist
    assert excel_serial_to_date(61) == dt.date(1900, 3, 1)
    assert excel_serial_to_date(45292) == dt.date(2024, 1, 1)
    assert excel_serial_to_date(2958465) == dt.date(9999, 12, 31)
    assert excel_serial_to_date(0) is None
    assert excel_serial_to_date(2958466) is None


def test_date_explicit_formats() -> None:
    assert standardize_date("2024|03|01", formats=["%Y|%m|%d"]) == ok("2024-03-01")
    assert standardize_date("2024-03-01", formats=["%Y|%m|%d"]) == ok("2024-03-01")
    # with explicit formats, the built-in rules are not tried
    assert standardize_date("01/03/2024", formats=["%Y|%m|%d"]) == Standardized(
        None, False, "no format matches '01/03/2024'"
    )


@pytest.mark.parametrize(
    ("raw", "tz", "expected"),
    [
        ("2024-03-01T10:00:00Z", "UTC", "2024-03-01T10:00:00Z"),
        ("2024-03-01T10:00:00.987Z", "UTC", "2024-03-01T10:00:00Z"),
        ("2024-03-01 10:00", "UTC", "2024-03-01T10:00:00Z"),
        ("2024-03-01 10:00", "Europe/Paris", "2024-03-01T09:00:00Z"),
        ("2024-07-01T10:00:00", "Europe/Paris", "2024-07-01T08:00:00Z"),
        ("2024-03-01T10:00:00+02:00", "Europe/Paris", "2024-03-01T08:00:00Z"),
        ("01/03/2024 10:00", "Europe/Paris", "2024-03-01T09:00:00Z"),
        ("01/03/2024 10:00:30", "UTC", "2024-03-01T10:00:30Z"),
        ("2024-03-01", "UTC", "2024-03-01T00:00:00Z"),
        (dt.datetime(2024, 3, 1, 10, tzinfo=dt.UTC), "Europe/Paris", "2024-03-01T10:00:00Z"),
        (pd.Timestamp("2024-03-01 10:00"), "Europe/Paris", "2024-03-01T09:00:00Z"),
    ],
)
def test_timestamp_golden(raw: object, tz: str, expected: str) -> None:
    assert standardize_timestamp_utc(raw, tz) == ok(expected)


def test_timestamp_month_first() -> None:
    assert standardize_timestamp_utc("03/04/2024 10:00", day_first=False) == ok(
        "2024-03-04T10:00:00Z"
    )


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (
            "2024-03-31 02:30",
            "local time 2024-03-31T02:30:00 is ambiguous or skipped in Europe/Paris",
        ),
        (
            "2024-10-27 02:30",
            "local time 2024-10-27T02:30:00 is ambiguous or skipped in Europe/Paris",
        ),
        ("31/02/2024 10:00", "not a recognised timestamp: '31/02/2024 10:00'"),
        ("yesterday", "not a recognised timestamp: 'yesterday'"),
    ],
)
def test_timestamp_flagged(raw: str, reason: str) -> None:
    assert standardize_timestamp_utc(raw, "Europe/Paris") == Standardized(None, False, reason)


def test_timestamp_unknown_zone_raises() -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        standardize_timestamp_utc("2024-03-01", "Mars/Olympus")


# --- names and cities -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("jean-PIERRE de la fontaine", "Jean-Pierre de la Fontaine"),
        ("o'neil", "O'Neil"),
        ("O’NEIL", "O'Neil"),
        ("valéry giscard d'estaing", "Valéry Giscard d'Estaing"),
        ("marine le pen", "Marine Le Pen"),
        ("vincent van gogh", "Vincent van Gogh"),
        ("de gaulle", "De Gaulle"),
        ("  hélène   DUPONT ", "Hélène Dupont"),
        ("He\u0301le\u0300ne", "Hélène"),  # decomposed accents -> NFC
        ("J. martin", "J. Martin"),
    ],
)
def test_name_golden(raw: str, expected: str) -> None:
    assert standardize_name(raw) == ok(expected)


@pytest.mark.parametrize("raw", ["R2D2", "jean@dupont", "---", "12", "Jean (Pierrot)"])
def test_name_flagged(raw: str) -> None:
    assert standardize_name(raw) == Standardized(None, False, "not a person name")


def test_match_key() -> None:
    assert match_key("Hélène") == "helene"
    assert match_key("  JEAN-Pierre ") == "jean pierre"
    assert match_key("O'Neil") == "o neil"
    assert match_key("Straße") == "strasse"
    # display keeps accents, the key folds them
    assert standardize_name("hélène").value == "Hélène"


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=40))
@settings(max_examples=300, deadline=None)
def test_match_key_of_ascii_text_is_the_unicode_folding(text: str) -> None:
    import unicodedata

    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    kept = [ch if ch.isalnum() else " " for ch in folded if not unicodedata.combining(ch)]
    expected = " ".join("".join(kept).split())
    assert match_key(text) == (expected if text.strip() else "")


def test_match_key_ascii_boundaries() -> None:
    assert match_key("A-1\x1fb_2") == "a 1 b 2"  # control and underscore are separators
    assert match_key("--") == ""
    assert match_key("Z9") == "z9"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ste foy les lyon", "Sainte-Foy-les-Lyon"),
        ("St Etienne", "Saint-Etienne"),
        ("ST. ETIENNE", "Saint-Etienne"),
        ("Saint-Étienne", "Saint-Étienne"),
        ("saint étienne", "Saint-Étienne"),
        ("Sainte-Foy-lès-Lyon", "Sainte-Foy-lès-Lyon"),
        ("aix en provence", "Aix-en-Provence"),
        ("le puy en velay", "Le Puy-en-Velay"),
        ("LE MANS", "Le Mans"),
        ("villeneuve d'ascq", "Villeneuve-d'Ascq"),
        ("boulogne sur mer", "Boulogne-sur-Mer"),
        ("PARIS", "Paris"),
    ],
)
def test_city_golden(raw: str, expected: str) -> None:
    assert standardize_city(raw) == ok(expected)


@pytest.mark.parametrize("raw", ["Paris 15", "Lyon CEDEX 03", "75001", "?"])
def test_city_flagged(raw: str) -> None:
    assert standardize_city(raw) == Standardized(None, False, "not a city name")


def test_city_match_key_shared() -> None:
    keys = {city_match_key(s) for s in ["Ste-Foy", "Sainte Foy", "STE FOY", "ste. foy"]}
    assert keys == {"sainte foy"}
    assert city_match_key("Saint-Étienne") == city_match_key("st etienne") == "saint etienne"
    assert city_match_key("Paris 15") == "paris 15"


# --- postal codes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("75001", "FR", "75001"),
        ("75 001", "FR", "75001"),
        ("1000", "FR", "01000"),
        (1000, "FR", "01000"),
        (1000.0, "FR", "01000"),
        ("sw1a1aa", "GB", "SW1A 1AA"),
        (" SW1A  1AA ", "UK", "SW1A 1AA"),
        ("m1 1ae", "gb", "M1 1AE"),
        ("GIR0AA", "GB", "GIR 0AA"),
        ("90210", "US", "90210"),
        ("90210-1234", "US", "90210-1234"),
        ("902101234", "US", "90210-1234"),
    ],
)
def test_postal_code_golden(raw: object, country: str, expected: str) -> None:
    assert standardize_postal_code(raw, country) == ok(expected)


@pytest.mark.parametrize(
    ("raw", "country", "reason"),
    [
        ("750011", "FR", "not a French postal code (5 digits)"),
        ("75OO1", "FR", "not a French postal code (5 digits)"),
        ("100", "FR", "not a French postal code (5 digits)"),
        ("00100", "FR", "not a French postal code (departments start at 01)"),
        ("12345", "GB", "not a UK postcode"),
        ("9021", "US", "not a US ZIP code (5 digits or ZIP+4)"),
    ],
)
def test_postal_code_flagged(raw: str, country: str, reason: str) -> None:
    assert standardize_postal_code(raw, country) == Standardized(None, False, reason)


def test_postal_code_other_country_kept_and_flagged() -> None:
    assert standardize_postal_code(" d-10115 ", "de") == Standardized(
        "D-10115", False, "no rule for country DE"
    )


# --- gender and categories ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        *[(s, "female") for s in ["F", "Femal", "female", "Femme", "Mme", "woman", "W", "FEMALE "]],
        *[(s, "male") for s in ["M", "Male", "Homme", "M.", "man", "m"]],
        *[(s, "unknown") for s in ["U", "unknown", "", "N/A", "n/a", "NA"]],
        *[(s, "other") for s in ["other", "non-binary", "Non binary", "X"]],
    ],
)
def test_gender_golden(raw: str, expected: str) -> None:
    assert standardize_gender(raw) == ok(expected)


@pytest.mark.parametrize("raw", ["Fem", "yes", "1", "2", "?", "mal"])
def test_gender_flagged(raw: str) -> None:
    assert standardize_gender(raw) == Standardized(None, False, "not a known gender value")


def test_gender_canonical_values_are_schema_genders() -> None:
    assert {standardize_gender(g).value for g in GENDERS} == set(GENDERS)


def test_category_golden() -> None:
    assert standardize_category("  électronique ", CATEGORIES) == ok("electronics")
    assert standardize_category("HIGH TECH", CATEGORIES) == ok("electronics")
    assert standardize_category("high-tech", CATEGORIES) == ok("electronics")
    assert standardize_category("LIVRES", CATEGORIES) == ok("books")
    assert standardize_category("books", CATEGORIES) == ok("books")  # a target maps to itself
    assert standardize_category("Jouets", CATEGORIES) == Standardized(
        None, False, "not in the category mapping"
    )


def test_category_ambiguous_mapping_raises() -> None:
    with pytest.raises(ValueError, match="category mapping is ambiguous"):
        standardize_category("x", {"Livres": "books", "LIVRES": "other"})
    with pytest.raises(ValueError, match="category mapping is not idempotent"):
        standardize_category("x", {"a": "b", "b": "c"})


# --- pandas ---------------------------------------------------------------------------------


def test_standardize_series() -> None:
    series = pd.Series([" A@B.fr ", None, "nope", math.nan], index=[10, 11, 12, 13])
    before = series.copy()
    frame = standardize_series(series, standardize_email)
    pd.testing.assert_series_equal(series, before)
    assert list(frame.columns) == ["value", "ok", "reason"]
    assert list(frame.index) == [10, 11, 12, 13]
    assert frame["value"].tolist() == ["a@b.fr", None, None, None]
    assert frame["ok"].tolist() == [True, True, False, True]
    assert frame["reason"].tolist() == [None, None, "not an e-mail", None]
    assert int((~frame["ok"]).sum()) == 1


def test_standardize_series_kwargs() -> None:
    series = pd.Series([1000, 75001, 123])
    frame = standardize_series(series, standardize_postal_code, country="FR")
    assert frame["value"].tolist() == ["01000", "75001", None]
    assert frame["ok"].dtype == bool
    dates = standardize_series(pd.Series(["03/04/2024"]), standardize_date, day_first=False)
    assert dates["value"].tolist() == ["2024-03-04"]


# --- invariants -----------------------------------------------------------------------------

ANY_TEXT = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="0123456789 /.-:+TZ", max_size=25),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzÉéèàç '-.ABCDEFSTst", max_size=30),
)
ANY_VALUE: st.SearchStrategy[Any] = st.one_of(
    ANY_TEXT, st.none(), st.integers(), st.floats(allow_nan=True, allow_infinity=True)
)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@settings(max_examples=100, deadline=None)
@given(raw=ANY_VALUE)
def test_never_raises_and_idempotent_on_arbitrary_input(name: str, raw: object) -> None:
    func = FUNCTIONS[name]
    result = func(raw)
    assert isinstance(result, Standardized)
    assert result.ok or result.reason is not None
    assert_idempotent(func, raw)


@settings(max_examples=200, deadline=None)
@given(raw=ANY_VALUE)
def test_match_keys_idempotent(raw: object) -> None:
    assert match_key(match_key(raw)) == match_key(raw)
    key = city_match_key(raw)
    assert match_key(key) == key


@settings(max_examples=100, deadline=None)
@given(raw=ANY_VALUE)
def test_gender_always_canonical_or_flagged(raw: object) -> None:
    result = standardize_gender(raw)
    assert result.value in (*GENDERS, None)
    assert result.ok == (result.value is not None)


@settings(max_examples=100, deadline=None)
@given(
    local=st.from_regex(r"[A-Za-z0-9_+]{1,10}(\.[A-Za-z0-9]{1,5})?", fullmatch=True),
    domain=st.from_regex(r"[A-Za-z0-9]{1,10}(-[A-Za-z0-9]{1,5})?", fullmatch=True),
    tld=st.sampled_from(["fr", "COM", "co.uk", "Org"]),
    pad=st.sampled_from(["", " ", "\t"]),
)
def test_email_valid_generated(local: str, domain: str, tld: str, pad: str) -> None:
    raw = f"{pad}{local}@{domain}.{tld}{pad}"
    result = standardize_email(raw)
    assert result == ok(f"{local}@{domain}.{tld}".lower())
    assert_idempotent(standardize_email, raw)


@settings(max_examples=100, deadline=None)
@given(
    digits=st.lists(st.integers(0, 9), min_size=7, max_size=7),
    # mobile ranges valid in the phonenumbers metadata (06 3x is not allocated)
    head=st.sampled_from(["061", "062", "064", "065", "066", "067", "068", "075", "076", "078"]),
    form=st.sampled_from(["{p}", "+33{q}", "0033 {q}", "{s}", "{t}"]),
)
def test_phone_valid_generated(digits: list[int], head: str, form: str) -> None:
    national = head + "".join(map(str, digits))  # 10 digits, starting with 0
    pairs = [national[i : i + 2] for i in range(0, 10, 2)]
    raw = form.format(p=national, q=national[1:], s=" ".join(pairs), t=".".join(pairs))
    result = standardize_phone(raw)
    assert result == ok(f"+33{national[1:]}")
    assert_idempotent(standardize_phone, raw)


@settings(max_examples=150, deadline=None)
@given(
    day=st.dates(min_value=dt.date(1000, 1, 1)), style=st.integers(0, 4), day_first=st.booleans()
)
def test_date_valid_generated(day: dt.date, style: int, day_first: bool) -> None:
    months = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
              "septembre", "octobre", "novembre", "décembre"]  # fmt: skip
    first, second = (day.day, day.month) if day_first else (day.month, day.day)
    raw = [
        day.isoformat(),
        f"{first:02d}/{second:02d}/{day.year:04d}",
        f"{day.day} {months[day.month - 1]} {day.year:04d}",
        f"{day.strftime('%B')} {day.day}, {day.year:04d}",
        f"{day.year:04d}{day.month:02d}{day.day:02d}",
    ][style]
    result = standardize_date(raw, day_first=day_first)
    assert result == ok(day.isoformat())
    assert standardize_date(result.value, day_first=day_first) == result


@settings(max_examples=100, deadline=None)
@given(day=st.dates(min_value=dt.date(1927, 6, 1), max_value=dt.date(9999, 12, 31)))
def test_excel_serial_round_trip(day: dt.date) -> None:
    serial = (day - dt.date(1899, 12, 30)).days
    assert standardize_date(str(serial)) == ok(day.isoformat())


@settings(max_examples=100, deadline=None)
@given(
    moment=st.datetimes(min_value=dt.datetime(1900, 1, 2), max_value=dt.datetime(9998, 12, 31)),
    tz=st.sampled_from(["UTC", "Europe/Paris", "America/New_York"]),
)
def test_timestamp_valid_generated(moment: dt.datetime, tz: str) -> None:
    result = standardize_timestamp_utc(moment.isoformat(), tz)
    if result.ok:
        assert result.value is not None
        assert standardize_timestamp_utc(result.value, tz) == result
    else:
        assert result.reason is not None and "ambiguous or skipped" in result.reason


@settings(max_examples=100, deadline=None)
@given(
    words=st.lists(
        st.text(alphabet="abcdeéèfghijklmnopqrstuvwxyzÀÉÔÇ", min_size=1, max_size=8),
        min_size=1,
        max_size=4,
    ),
    sep=st.sampled_from([" ", "-", "'", "  "]),
)
def test_name_and_city_valid_generated(words: list[str], sep: str) -> None:
    raw = sep.join(words)
    for func in (standardize_name, standardize_city):
        result = func(raw)
        assert result.ok and result.value is not None
        assert match_key(result.value) == match_key(raw) or func is standardize_city
        assert_idempotent(func, raw)


@settings(max_examples=100, deadline=None)
@given(code=st.integers(1000, 98999))
def test_postal_code_fr_numeric_generated(code: int) -> None:
    result = standardize_postal_code(code)
    assert result == ok(f"{code:05d}")
    assert standardize_postal_code(float(code)) == result
    assert_idempotent(standardize_postal_code, code)


# --- additions for ingestion: Excel timestamps as dates, Australian postcodes ----------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1953-10-12 00:00:00", "1953-10-12"),
        ("1953-10-12T00:00:00", "1953-10-12"),
        ("2024-03-01 14:30", "2024-03-01"),
        ("2024-03-01T14:30:05.123+02:00", "2024-03-01"),
    ],
)
def test_date_from_iso_timestamp(raw: str, expected: str) -> None:
    assert standardize_date(raw) == ok(expected)
    assert standardize_date(raw, formats=["%d/%m/%Y"]) == ok(expected)


def test_date_from_impossible_iso_timestamp_flagged() -> None:
    assert standardize_date("2024-02-30 00:00:00") == Standardized(
        None, False, "not a calendar date: '2024-02-30 00:00:00'"
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("2000", "2000"), (" 4211 ", "4211"), (800, "0800"), ("800", "0800"), (2000.0, "2000")],
)
def test_postal_code_australia(raw: object, expected: str) -> None:
    assert standardize_postal_code(raw, "AU") == ok(expected)
    assert standardize_postal_code(expected, "au") == ok(expected)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("20000", "not an Australian postcode (4 digits)"),
        ("NSW 2000", "not an Australian postcode (4 digits)"),
        ("0100", "not an Australian postcode (0200 to 9999)"),
    ],
)
def test_postal_code_australia_flagged(raw: str, reason: str) -> None:
    assert standardize_postal_code(raw, "AU") == Standardized(None, False, reason)
