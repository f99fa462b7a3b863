"""Standardisation at the edges of its rules: lengths, ranges and leading zeros."""

from __future__ import annotations

import pytest

from cible.quality.standardize_contact import standardize_email, standardize_postal_code
from cible.quality.standardize_core import Standardized


def ok(value: str) -> Standardized:
    return Standardized(value, True, None)


def _email_of_length(n: int) -> str:
    domain = "@example.fr"
    local = "a" * 60
    middle = "b" * (n - len(local) - len(domain) - 1)
    return f"{local}.{middle}{domain}" if n > 72 else "a" * (n - len(domain)) + domain


@pytest.mark.parametrize(("length", "accepted"), [(253, True), (254, True), (255, False)])
def test_an_email_of_exactly_254_characters_is_accepted(length: int, accepted: bool) -> None:
    email = _email_of_length(length)
    assert len(email) == length
    result = standardize_email(email.upper())
    expected = ok(email) if accepted else Standardized(None, False, "not an e-mail")
    assert result == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0199", Standardized(None, False, "not an Australian postcode (0200 to 9999)")),
        ("0200", ok("0200")),
        (200, ok("0200")),
        ("0201", ok("0201")),
        ("9999", ok("9999")),
        ("99", Standardized(None, False, "not an Australian postcode (4 digits)")),
    ],
)
def test_australian_postcodes_start_at_0200(raw: object, expected: Standardized) -> None:
    assert standardize_postal_code(raw, "AU") == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("00999", Standardized(None, False, "not a French postal code (departments start at 01)")),
        (999, Standardized(None, False, "not a French postal code (5 digits)")),
        ("1000", ok("01000")),
        ("01000", ok("01000")),
        (" 75 011 ", ok("75011")),
        ("750111", Standardized(None, False, "not a French postal code (5 digits)")),
    ],
)
def test_french_postcodes_restore_one_lost_zero_only(raw: object, expected: Standardized) -> None:
    assert standardize_postal_code(raw, "FR") == expected


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("12345 6789", "US", ok("12345-6789")),
        ("12345-678", "US", Standardized(None, False, "not a US ZIP code (5 digits or ZIP+4)")),
        ("ec1a1bb", " uk ", ok("EC1A 1BB")),
        ("m11ae", "GB", ok("M1 1AE")),
        (" ab  12 ", "de", Standardized("AB 12", False, "no rule for country DE")),
    ],
)
def test_other_countries(raw: str, country: str, expected: Standardized) -> None:
    assert standardize_postal_code(raw, country) == expected
