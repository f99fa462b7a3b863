"""The matching key of street addresses: street types, ordinals and directions one way."""

from __future__ import annotations

import pytest

from cible.identity.address_key import WORDS, _ordinal, address_key
from cible.identity.prepare import standardizer


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("435 S. La Cienega Blv.", "435 s la cienega blvd"),
        ("435 s. la cienega blvd.", "435 s la cienega blvd"),
        ("435 South La Cienega Boulevard", "435 s la cienega blvd"),
        ("747 Ninth Ave.", "747 9th ave"),
        ("747 9th avenue", "747 9th ave"),
        ("570 fourth st.", "570 4th st"),
        ("22 Hawthorne Street, Suite 2", "22 hawthorne st ste 2"),
        ("3434 Peachtree Rd. NE", "3434 peachtree rd ne"),
        ("12 Court Street", "12 ct st"),
        ("600 Stockton St.", "600 stockton st"),  # "st" inside a word is left alone
        ("1 Twelfth Place", "1 12th pl"),
        ("Rue de la Paix", "rue de la paix"),  # words it does not know are kept
    ],
)
def test_address_key(raw: str, key: str) -> None:
    assert address_key(raw) == key


def test_missing_and_empty() -> None:
    assert address_key(None) == ""
    assert address_key("  ") == ""
    to_key = standardizer("address")
    assert to_key(None) is None and to_key(" , ") is None
    assert to_key("435 S. La Cienega Blv.") == "435 s la cienega blvd"


def test_ordinals_at_the_teens() -> None:
    assert [_ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 111, 112)] == [
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "12th",
        "13th",
        "21st",
        "22nd",
        "23rd",
        "111th",
        "112th",
    ]
    assert WORDS["eleventh"] == "11th" and WORDS["third"] == "3rd"
