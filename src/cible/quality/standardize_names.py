"""Person names, French city names, gender and free categories.

Display values keep their accents (``standardize_name``, ``standardize_city``); matching uses
separate keys that fold accents, case and punctuation (``match_key``, ``city_match_key``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from cible.quality.standardize_core import (
    MISSING,
    Standardized,
    as_text,
    collapse_spaces,
    failed,
    match_key,
)

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})
_HYPHENS = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2013": "-", "\u2014": "-"})
_SEPARATORS = re.compile(r"([-'])")

# lowercase when not the first word of the name ("Charles de Gaulle", "van Gogh");
# "la"/"le"/"les" only right after "de" ("de la Fontaine"; but "Marine Le Pen")
_NAME_PARTICLES = frozenset(
    {
        "de",
        "du",
        "des",
        "d",
        "van",
        "von",
        "der",
        "den",
        "da",
        "di",
        "del",
        "della",
        "dos",
        "das",
        "do",
        "y",
    }
)
_NAME_ARTICLES = frozenset({"la", "le", "les", "l"})
# lowercase inside French city names when not the first word ("Sainte-Foy-lès-Lyon")
_CITY_SMALL_WORDS = frozenset(
    {
        "de",
        "du",
        "des",
        "d",
        "la",
        "le",
        "les",
        "lès",
        "l",
        "sur",
        "sous",
        "en",
        "et",
        "au",
        "aux",
        "lez",
    }
)
_CITY_ARTICLES = frozenset({"le", "la", "les"})
_SAINTS = {"st": "Saint", "st.": "Saint", "ste": "Sainte", "ste.": "Sainte"}


def _capitalise(part: str) -> str:
    """``"PIERRE"`` -> ``"Pierre"``; idempotent also for ``ß`` and title-case letters."""
    lower = part.lower()
    return lower[:1].title() + lower[1:]


def _is_name_char(ch: str) -> bool:
    return ch in " -'." or unicodedata.category(ch)[0] in {"L", "M"}


def _case_word(word: str, first: bool, previous: str | None) -> str:
    """Case one space-separated word of a person name, part by part around ``-`` and ``'``."""
    pieces = _SEPARATORS.split(word)
    out: list[str] = []
    for index, piece in enumerate(pieces):
        if piece in {"-", "'"} or not piece:
            out.append(piece)
            continue
        lower = piece.lower()
        is_first = first and index == 0
        before = previous if index == 0 else None
        if (
            not is_first
            and index == 0
            and (lower in _NAME_PARTICLES or (lower in _NAME_ARTICLES and before in {"de", "d"}))
        ):
            out.append(lower)
        elif not is_first and lower == "d" and pieces[index + 1 : index + 2] == ["'"]:
            out.append(lower)  # "d'Estaing"
        else:
            out.append(_capitalise(piece))
    return "".join(out)


def standardize_name(raw: object) -> Standardized:
    """Person name for display: NFC, spaces collapsed, title case that knows particles.

    ``"jean-PIERRE de la fontaine"`` -> ``"Jean-Pierre de la Fontaine"``, ``"o'neil"`` ->
    ``"O'Neil"``, ``"valéry giscard d'estaing"`` -> ``"Valéry Giscard d'Estaing"``. Particles
    (de, du, des, d', van, von, ...) are lowercase except as the first word; le/la/les only after
    de. Accents are kept. A value with digits or symbols (anything but letters, spaces, ``-``,
    ``'`` and ``.``) is flagged ``"not a person name"``.
    """
    text = as_text(raw)
    if text is None:
        return MISSING
    text = collapse_spaces(text.translate(_APOSTROPHES).translate(_HYPHENS))
    if not all(_is_name_char(ch) for ch in text) or not any(ch.isalpha() for ch in text):
        return failed("not a person name")
    words = text.split(" ")
    cased: list[str] = []
    previous: str | None = None
    for position, word in enumerate(words):
        cased.append(_case_word(word, position == 0, previous))
        previous = word.lower()
    return Standardized(unicodedata.normalize("NFC", " ".join(cased)), True, None)


def _city_tokens(text: str) -> list[str]:
    """Words of a city name, split on spaces and hyphens, "St"/"Ste" expanded."""
    tokens = [t for t in re.split(r"[\s-]+", text) if t]
    return [_SAINTS.get(t.lower(), t) for t in tokens]


def _case_city_token(token: str, first: bool) -> str:
    pieces = _SEPARATORS.split(token)
    out: list[str] = []
    for index, piece in enumerate(pieces):
        if piece == "'" or not piece:
            out.append(piece)
            continue
        lower = piece.lower()
        if not (first and index == 0) and lower in _CITY_SMALL_WORDS:
            out.append(lower)
        else:
            out.append(_capitalise(piece))
    return "".join(out)


def standardize_city(raw: object) -> Standardized:
    """French city name as in official names: Saint/Sainte spelt out, words hyphenated.

    ``"St Etienne"`` -> ``"Saint-Etienne"``, ``"ste foy les lyon"`` -> ``"Sainte-Foy-les-Lyon"``,
    ``"Saint-Étienne"`` unchanged (accents are kept, never added), ``"le puy en velay"`` ->
    ``"Le Puy-en-Velay"`` (a leading article Le/La/Les stays separated by a space). Small words
    (de, la, les, lès, sur, sous, en, ...) are lowercase except first. Digits or symbols
    (``"Paris 15"``, ``"Lyon CEDEX 03"``) are flagged ``"not a city name"``.
    """
    text = as_text(raw)
    if text is None:
        return MISSING
    text = collapse_spaces(text.translate(_APOSTROPHES).translate(_HYPHENS))
    if not all(_is_name_char(ch) for ch in text) or not any(ch.isalpha() for ch in text):
        return failed("not a city name")
    tokens = [_case_city_token(t, i == 0) for i, t in enumerate(_city_tokens(text))]
    if len(tokens) > 1 and tokens[0].lower() in _CITY_ARTICLES:
        city = f"{tokens[0]} {'-'.join(tokens[1:])}"
    else:
        city = "-".join(tokens)
    return Standardized(unicodedata.normalize("NFC", city), True, None)


def city_match_key(raw: object) -> str:
    """Key for matching cities: ``"Ste-Foy"``, ``"Sainte Foy"``, ``"STE FOY"`` -> ``"sainte foy"``."""
    standardized = standardize_city(raw)
    return match_key(standardized.value if standardized.value is not None else raw)


_GENDER_WORDS: dict[str, str] = {}
for _gender, _words in {
    "female": (
        "female",
        "f",
        "femal",
        "femme",
        "woman",
        "w",
        "mme",
        "madame",
        "mrs",
        "ms",
        "mlle",
        "mademoiselle",
        "miss",
    ),
    "male": ("male", "m", "homme", "h", "man", "mr", "monsieur"),
    "other": ("other", "x", "non binary", "nonbinary", "nb", "autre", "non binaire"),
    "unknown": (
        "unknown",
        "u",
        "n a",
        "na",
        "inconnu",
        "non renseigne",
        "nc",
        "not specified",
        "unspecified",
    ),
}.items():
    for _word in _words:
        _GENDER_WORDS[_word] = _gender


def standardize_gender(raw: object) -> Standardized:
    """Gender -> one of ``cible.schemas.GENDERS``: female, male, other, unknown.

    ``"F"``, ``"Femme"``, ``"Mme"``, ``"woman"``, ``"W"`` -> female; ``"M"``, ``"M."``,
    ``"Homme"``, ``"man"`` -> male; ``"other"``, ``"non-binary"``, ``"X"`` -> other; ``"U"``,
    ``"N/A"``, empty or missing -> unknown. Anything else is flagged, never guessed.
    """
    text = as_text(raw)
    if text is None:
        return Standardized("unknown", True, None)
    gender = _GENDER_WORDS.get(match_key(text))
    if gender is None:
        return failed("not a known gender value")
    return Standardized(gender, True, None)


def _category_index(mapping: Mapping[str, str]) -> dict[str, str]:
    index: dict[str, str] = {}
    for source, target in mapping.items():
        key = match_key(source)
        if index.get(key, target) != target:
            raise ValueError(
                f"category mapping is ambiguous: {source!r} folds to {key!r}, "
                f"already mapped to {index[key]!r}, now to {target!r}"
            )
        index[key] = target
    for target in set(mapping.values()):
        key = match_key(target)
        if index.setdefault(key, target) != target:
            raise ValueError(
                f"category mapping is not idempotent: target {target!r} folds to {key!r}, "
                f"which is mapped to {index[key]!r}"
            )
    return index


def standardize_category(raw: object, mapping: Mapping[str, str]) -> Standardized:
    """Map a free category to a canonical one through a user table, matched by ``match_key``.

    ``mapping`` maps raw spellings to canonical values; keys match whatever their case, accents
    and spacing (``{"High-Tech": "electronics"}`` matches ``"HIGH TECH"``), and every canonical
    value maps to itself. ``ValueError`` if two keys fold together but map to different values.
    Unmapped values are flagged ``"not in the category mapping"``.
    """
    index = _category_index(mapping)
    text = as_text(raw)
    if text is None:
        return MISSING
    target = index.get(match_key(text))
    if target is None:
        return failed("not in the category mapping")
    return Standardized(target, True, None)
