"""The matching key of a street address: one spelling per street word, ordinal and direction.

Two guides, two clerks or two forms write the same address differently: ``"435 S. La Cienega
Blv."`` and ``"435 s. la cienega blvd."``, ``"747 Ninth Ave."`` and ``"747 9th avenue"``,
``"3570 Las Vegas Blvd. South"`` and ``"3570 las vegas blvd s"``. :func:`address_key` folds case,
accents and punctuation (:func:`cible.quality.match_key`), then writes each street type
(``boulevard``, ``blvd``, ``blv`` -> ``blvd``), ordinal (``ninth`` -> ``9th``) and direction
(``south`` -> ``s``) one way, word by word. It is a key for comparing, never a value shown or
stored: the record keeps what was given.
"""

from __future__ import annotations

from cible.quality import match_key

_STREET_TYPES: dict[str, tuple[str, ...]] = {
    "ave": ("avenue", "av", "ave", "aven", "avn", "avnue"),
    "blvd": ("boulevard", "blvd", "blv", "boul", "boulv", "bd"),
    "st": ("street", "st", "str", "strt"),
    "rd": ("road", "rd"),
    "dr": ("drive", "dr", "drv"),
    "ln": ("lane", "ln"),
    "pl": ("place", "pl"),
    "ct": ("court", "ct", "crt"),
    "sq": ("square", "sq"),
    "hwy": ("highway", "hwy", "hiway"),
    "pkwy": ("parkway", "pkwy", "pky"),
    "ter": ("terrace", "ter", "terr"),
    "cres": ("crescent", "cres", "cr"),
    "cir": ("circle", "cir"),
    "ste": ("suite", "ste"),
    "apt": ("apartment", "apt"),
    "fl": ("floor", "fl"),
}
_DIRECTIONS: dict[str, tuple[str, ...]] = {
    "n": ("north", "n"),
    "s": ("south", "s"),
    "e": ("east", "e"),
    "w": ("west", "w"),
    "ne": ("northeast", "ne"),
    "nw": ("northwest", "nw"),
    "se": ("southeast", "se"),
    "sw": ("southwest", "sw"),
}
_ORDINALS = (
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
)


def _ordinal(number: int) -> str:
    if 10 <= number % 100 <= 20:
        return f"{number}th"
    return f"{number}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(number % 10, 'th') }"


WORDS: dict[str, str] = {
    spelling: canonical
    for table in (_STREET_TYPES, _DIRECTIONS)
    for canonical, spellings in table.items()
    for spelling in spellings
}
WORDS.update({word: _ordinal(i) for i, word in enumerate(_ORDINALS, start=1)})


def address_key(raw: object) -> str:
    """``"747 Ninth Avenue, Suite 2"`` -> ``"747 9th ave ste 2"``; missing -> ``""``.

    Only whole words are rewritten (``"st"`` inside ``"stockton"`` is not), so a street called
    "Court Street" becomes ``"ct st"``: both records of it get the same key, which is what matching
    needs.
    """
    return " ".join(WORDS.get(word, word) for word in match_key(raw).split())
