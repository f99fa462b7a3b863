"""Records -> standardised columns, sorted by record id (the positions every later step uses).

Each column the configuration reads is standardised once per distinct value with the functions of
:mod:`cible.quality`, then held as a numpy ``object`` array of ``str`` (``None`` when missing).
Records are sorted by their id (as text), so that for two positions ``i < j`` the id of ``i``
sorts before the id of ``j``: candidate pairs ``(i, j)`` with ``i < j`` are ``record_id_l <
record_id_r`` for free.

A column named ``attributes.<key>`` that the records lack is read from the JSON object of their
``attributes`` column (canonical customers keep their free columns there): ``{"store": "S1"}``
gives ``S1`` for ``attributes.store``; a record without the key has no value.

A value that ingestion could not standardise is NULL in its column and kept as read in the
record's ``raw_values`` (``{"phone": "555-0142"}``): when a column is missing and ``raw_values``
has it, the raw text is compared instead, through the same column standardiser (so an unreadable
phone is compared as its digits, a name lower-cased with accents folded and spaces collapsed).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

import jellyfish
import numpy as np
import pandas as pd

from cible.config.matching import BlockingKey, MatchingConfig, Standardizer
from cible.exceptions import DedupError
from cible.identity.address_key import address_key
from cible.quality.standardize_contact import standardize_email, standardize_phone
from cible.quality.standardize_core import as_text, match_key
from cible.quality.standardize_dates import standardize_date
from cible.quality.standardize_names import city_match_key
from cible.schemas.fields import RAW_VALUES

_NON_DIGITS = re.compile(r"[^0-9]")
_SPACES = re.compile(r"\s+")
_YEAR = re.compile(r"[0-9]{4}")


@dataclass(frozen=True)
class Prepared:
    """Standardised records: ``ids[i]`` and ``values[column][i]`` describe record ``i``."""

    ids: np.ndarray
    values: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.ids)


def _or_none(text: str | None) -> str | None:
    return text if text else None


def _email(raw: object) -> str | None:
    result = standardize_email(raw)
    if result.value is not None:
        return result.value
    text = as_text(raw)
    return text.lower() if text is not None else None


def _phone(region: str) -> Callable[[object], str | None]:
    def standardize(raw: object) -> str | None:
        result = standardize_phone(raw, default_region=region)
        if result.value is not None:
            return result.value
        text = as_text(raw)
        return _or_none(_NON_DIGITS.sub("", text)) if text is not None else None

    return standardize


def _date(raw: object) -> str | None:
    result = standardize_date(raw)
    return result.value if result.value is not None else as_text(raw)


def _digits(raw: object) -> str | None:
    text = as_text(raw)
    return _or_none(_NON_DIGITS.sub("", text)) if text is not None else None


PHONE_TAIL = 9


def _phone_tail(raw: object) -> str | None:
    """The last 9 digits: ``+33 6 12 34 56 78`` and ``06.12.34.56.78`` both give ``612345678``
    (country code and trunk 0 dropped, whatever the format and the region)."""
    digits = _digits(raw)
    return digits[-PHONE_TAIL:] if digits else None


def _postal(raw: object) -> str | None:
    text = as_text(raw)
    return _or_none(_SPACES.sub("", text).upper()) if text is not None else None


def _name(raw: object) -> str | None:
    """Accent- and case-folded name with apostrophes dropped: ``"O'Neil"`` -> ``"oneil"``."""
    text = as_text(raw)
    return _or_none(match_key(text.replace("'", "").replace("\u2019", ""))) if text else None


def standardizer(kind: Standardizer, region: str = "FR") -> Callable[[object], str | None]:
    """The function that standardises one raw value for matching (``None`` = missing)."""
    functions: dict[str, Callable[[object], str | None]] = {
        "none": as_text,
        "text": lambda raw: _or_none(match_key(raw)),
        "name": _name,
        "email": _email,
        "phone": _phone(region),
        "phone_tail": _phone_tail,
        "city": lambda raw: _or_none(city_match_key(raw)),
        "postal_code": _postal,
        "date": _date,
        "digits": _digits,
        "address": lambda raw: _or_none(address_key(raw)),
    }
    return functions[kind]


def map_unique(values: pd.Series, func: Callable[[object], str | None]) -> np.ndarray:
    """``func`` applied once per distinct value; an ``object`` array of ``str`` or ``None``."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = np.array([func(u) for u in uniques] + [None], dtype=object)
    return mapped[codes]  # code -1 (missing) picks the trailing None


def record_ids(records: pd.DataFrame, config: MatchingConfig) -> pd.Series:
    """The record ids as text (from ``id_column`` or the index); unique and non-empty."""
    if config.id_column is None:
        raw = pd.Series(records.index, index=records.index)
    elif config.id_column not in records.columns:
        raise DedupError(
            f"id column '{config.id_column}' is not in the records; columns are "
            f"{list(records.columns)}"
        )
    else:
        raw = records[config.id_column]
    ids = pd.Series([as_text(v) for v in raw.tolist()], index=records.index, dtype=object)
    empty = np.flatnonzero(ids.isna().to_numpy())
    if len(empty):
        raise DedupError(f"record id missing on row(s) {(empty + 1).tolist()[:10]} of the records")
    repeated = ids[ids.duplicated(keep=False)]
    if len(repeated):
        raise DedupError(
            f"record ids must be unique; {repeated.nunique()} id(s) repeat, first on row "
            f"{int(np.flatnonzero(ids.duplicated().to_numpy())[0]) + 1}"
        )
    return ids


def _raw_of(column: str) -> Callable[[object], object]:
    def pick(raw: object) -> object:
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except ValueError:
                return None
        return raw.get(column) if isinstance(raw, dict) else None

    return pick


def with_raw_values(records: pd.DataFrame, column: str) -> pd.Series:
    """``records[column]``, its missing values taken from ``raw_values`` where it has them."""
    values = records[column]
    if RAW_VALUES not in records.columns or column == RAW_VALUES:
        return values
    gaps = values.isna().to_numpy() & records[RAW_VALUES].notna().to_numpy()
    if not gaps.any():
        return values
    raw = map_unique(records[RAW_VALUES][gaps], lambda r: as_text(_raw_of(column)(r)))
    filled = values.astype(object).to_numpy(copy=True)
    filled[gaps] = raw
    return pd.Series(filled, index=records.index, dtype=object)


ATTRIBUTES = "attributes"
_ATTRIBUTE_PREFIX = f"{ATTRIBUTES}."


def _attribute(key: str) -> Callable[[object], str | None]:
    pick = _raw_of(key)
    return lambda raw: as_text(pick(raw))


def with_attribute_columns(records: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``records`` (not modified) with every absent ``attributes.<key>`` of ``columns`` taken
    from the ``attributes`` JSON column; the same frame when nothing is to add."""
    wanted = [
        c
        for c in columns
        if c.startswith(_ATTRIBUTE_PREFIX)
        and c not in records.columns
        and len(c) > len(_ATTRIBUTE_PREFIX)
    ]
    if not wanted or ATTRIBUTES not in records.columns:
        return records
    # dicts are not hashable: distinct objects are found on their JSON text
    objects = records[ATTRIBUTES].map(
        lambda r: json.dumps(r, sort_keys=True) if isinstance(r, dict) else r
    )
    start = len(_ATTRIBUTE_PREFIX)
    added = {c: map_unique(objects, _attribute(c[start:])) for c in wanted}
    return records.assign(
        **{c: pd.Series(v, index=records.index, dtype=object) for c, v in added.items()}
    )


def prepare(records: pd.DataFrame, config: MatchingConfig) -> Prepared:
    """Standardise every column the configuration reads; rows sorted by record id."""
    records = with_attribute_columns(records, config.columns())
    missing = [c for c in config.columns() if c not in records.columns]
    if missing:
        raise DedupError(
            f"column(s) {missing} named in the matching configuration are not in the records; "
            f"columns are {list(records.columns)}"
        )
    ids = record_ids(records, config)
    order = np.argsort(ids.to_numpy(dtype=str), kind="stable")
    values: dict[str, np.ndarray] = {}
    for column in config.columns():
        func = standardizer(config.standardizer_of(column), config.phone_region)
        column_values = with_raw_values(records, column)
        values[column] = map_unique(column_values.iloc[order].reset_index(drop=True), func)
    return Prepared(ids=ids.to_numpy(dtype=object)[order], values=values)


def _phonetic(kind: str) -> Callable[[str], str]:
    functions: dict[str, Callable[[str], str]] = {
        "soundex": jellyfish.soundex,
        "nysiis": jellyfish.nysiis,
        "metaphone": jellyfish.metaphone,
    }
    encode = functions[kind]
    return lambda text: encode(text.replace(" ", ""))


def transform_value(key: BlockingKey) -> Callable[[str], str | None]:
    """The function deriving a blocking key part from one standardised value."""
    if key.transform in {"soundex", "nysiis", "metaphone"}:
        encode = _phonetic(key.transform)
        return lambda text: _or_none(encode(text))
    if key.transform == "prefix":
        n = key.length or 1
        return lambda text: text[:n]
    if key.transform == "suffix":
        n = key.length or 1
        return lambda text: text[-n:]
    if key.transform == "year":

        def year(text: str) -> str | None:
            found = _YEAR.search(text)
            return found.group(0) if found else None

        return year
    if key.transform == "first_token":
        return lambda text: _or_none(text.split(" ")[0]) if text.strip() else None
    return lambda text: text


def key_values(prepared: Prepared, key: BlockingKey) -> np.ndarray:
    """One blocking key part for every record (``None`` where the value is missing)."""
    func = transform_value(key)
    return map_unique(
        pd.Series(prepared.values[key.column], dtype=object),
        lambda v: func(v) if isinstance(v, str) else None,
    )


def phonetic_codes(values: np.ndarray, kind: str) -> np.ndarray:
    """Phonetic code of every value (``None`` stays ``None``)."""
    encode = _phonetic(kind)
    return map_unique(
        pd.Series(values, dtype=object),
        lambda v: _or_none(encode(v)) if isinstance(v, str) else None,
    )
