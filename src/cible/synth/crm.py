"""The French CRM export ``customers.csv``: identities, planted gaps and planted duplicates.

Identities are drawn from :mod:`cible.synth.names`. Planted defects on real customers: about 5%
empty ``telephone``, 3% empty ``date_naissance``, 4% empty ``ville`` (the postal code stays),
phones in four French formats, a few e-mails with capitals or surrounding spaces. A duplicate is
a second account of the same person under a new ``client_id``, created after the first one, whose
row differs by one of: a typo in the surname, a typo in the first name (a letter substituted,
dropped or two letters swapped), the phone written in another format (or given where the first
account had none), or the e-mail in capitals. Everything else (e-mail address, birth date, city)
is the same.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cible.synth import text_arrays
from cible.synth.names import CITIES, FEMALE_FIRST_NAMES, MALE_FIRST_NAMES, SURNAMES, ascii_fold
from cible.synth.personas import WINDOW_DAYS

CUSTOMER_COLUMNS = (
    "client_id",
    "civilite",
    "prenom",
    "nom",
    "email",
    "telephone",
    "date_naissance",
    "ville",
    "code_postal",
    "pays",
    "date_creation",
    "optin_email",
    "optin_sms",
    "optin_push",
)
FIRST_NAMES = FEMALE_FIRST_NAMES + MALE_FIRST_NAMES
MISSING_PHONE, MISSING_BIRTH_DATE, MISSING_CITY = 0.05, 0.03, 0.04
_NO_CIVILITY = 0.03
_CAPITALISED_EMAIL, _SPACED_EMAIL = 0.02, 0.01
_OPTIN_RATES = (0.6, 0.3, 0.25)
_BIRTH_FIRST, _BIRTH_LAST = np.datetime64("1941-01-01"), np.datetime64("2007-12-31")
_SUBSTITUTES = "aeioulnrst"
_TYPO_KINDS = 3


@dataclass(frozen=True)
class Identities:
    """Rendered CRM fields of a set of accounts (Arrow string arrays, null = empty field), plus
    the raw values duplicates are derived from."""

    civility: pa.Array
    first_name: pa.Array
    last_name: pa.Array
    email: pa.Array
    phone: pa.Array
    birth_date: pa.Array
    city: pa.Array
    postal_code: pa.Array
    created: pa.Array
    optins: tuple[pa.Array, pa.Array, pa.Array]
    phone_digits: np.ndarray
    phone_format: np.ndarray
    created_day: np.ndarray


def _masked(values: pa.Array, missing: np.ndarray) -> pa.Array:
    """``values`` with nulls where ``missing`` is true."""
    return pc.if_else(pa.array(missing), pa.nulls(len(values), pa.string()), values)


def phones(digits: np.ndarray, style: np.ndarray) -> pa.Array:
    """French mobile numbers (9 digits after the leading 0) in four styles: ``06 12 34 56 78``,
    ``+33612345678``, ``0612345678``, ``06.12.34.56.78``."""
    n = len(digits)
    lead, rest = np.divmod(digits, 10**8)
    pairs = [(rest // 10 ** (6 - 2 * i)) % 100 for i in range(4)]

    def grouped(sep: str) -> pa.Array:
        parts: list[text_arrays.Part] = ["0", (lead, 1)]
        for pair in pairs:
            parts += [sep, (pair, 2)]
        return text_arrays.fixed_width(n, parts)

    international = text_arrays.fixed_width(n, ["+33", (digits, 9)])
    compact = text_arrays.fixed_width(n, ["0", (digits, 9)])
    return pc.choose(
        pa.array(style.astype(np.int8)), grouped(" "), international, compact, grouped(".")
    )


def _emails(
    rng: np.random.Generator, first: np.ndarray, last: np.ndarray, number: np.ndarray
) -> pa.Array:
    """``prenom.nom<number>@example.com`` folded to ASCII; a few capitalised or padded."""
    folded_first = [ascii_fold(x) for x in FIRST_NAMES]
    folded_last = [ascii_fold(x) for x in SURNAMES]
    local = [text_arrays.labels(folded_first, first), ".", text_arrays.labels(folded_last, last)]
    tail = [text_arrays.integers(number), "@example.com"]
    plain = text_arrays.join([*local, *tail], "")
    capital = text_arrays.join(
        [
            text_arrays.labels([x.capitalize() for x in folded_first], first),
            ".",
            text_arrays.labels([x.capitalize() for x in folded_last], last),
            *tail,
        ],
        "",
    )
    u = rng.uniform(size=len(first))
    style = np.where(
        u < _CAPITALISED_EMAIL, 1, np.where(u < _CAPITALISED_EMAIL + _SPACED_EMAIL, 2, 0)
    )
    return pc.choose(
        pa.array(style.astype(np.int8)), plain, capital, text_arrays.join([" ", plain, " "], "")
    )


def creation_days(rng: np.random.Generator, first_event_day: np.ndarray) -> np.ndarray:
    """Epoch day the account was created, strictly before the day of its first event: up to a
    week before for customers who appear in the second year, years before for the others."""
    first_epoch_day = text_arrays.window_day_to_epoch_day(first_event_day)
    recent = first_event_day >= WINDOW_DAYS / 2
    back = np.where(
        recent,
        rng.integers(0, 7, size=len(first_event_day)),
        np.minimum(rng.exponential(700.0, size=len(first_event_day)), 5000).astype(np.int64),
    )
    return first_epoch_day - 1 - back


def draw_identities(
    rng: np.random.Generator, number: np.ndarray, created_day: np.ndarray
) -> Identities:
    """Identities of accounts numbered ``number`` (used in e-mails) created on ``created_day``."""
    n = len(number)
    female = rng.uniform(size=n) < 0.52
    n_female = len(FEMALE_FIRST_NAMES)
    first = np.where(
        female, rng.integers(0, n_female, size=n), rng.integers(n_female, len(FIRST_NAMES), size=n)
    )
    last = rng.integers(0, len(SURNAMES), size=n)
    civility = np.where(rng.uniform(size=n) < _NO_CIVILITY, -1, np.where(female, 0, 1))
    city = rng.integers(0, len(CITIES), size=n)
    span = int((_BIRTH_LAST - _BIRTH_FIRST).astype(np.int64))
    birth = _BIRTH_FIRST.astype(np.int64) + rng.integers(0, span + 1, size=n)
    digits = rng.integers(6, 8, size=n) * 10**8 + rng.integers(0, 10**8, size=n)
    # not every 06/07 block is allocated (0639, 069x, 070x-072x are not): keep the numbers in
    # 064-068 and 074-078 so that every one is valid (same draws, so the world is otherwise the same)
    digits = digits // 10**8 * 10**8 + 4 * 10**7 + digits % (5 * 10**7)
    phone_format = rng.integers(0, 4, size=n)
    optins = tuple(
        text_arrays.labels(["non", "oui"], (rng.uniform(size=n) < rate).astype(np.int64))
        for rate in _OPTIN_RATES
    )
    return Identities(
        civility=text_arrays.labels(["Mme", "M."], civility),
        first_name=text_arrays.labels(FIRST_NAMES, first),
        last_name=text_arrays.labels(SURNAMES, last),
        email=_emails(rng, first, last, number),
        phone=_masked(phones(digits, phone_format), rng.uniform(size=n) < MISSING_PHONE),
        birth_date=_masked(
            text_arrays.french_dates(birth), rng.uniform(size=n) < MISSING_BIRTH_DATE
        ),
        city=_masked(
            text_arrays.labels([c for c, _ in CITIES], city), rng.uniform(size=n) < MISSING_CITY
        ),
        postal_code=text_arrays.labels([p for _, p in CITIES], city),
        created=text_arrays.french_dates(created_day),
        optins=(optins[0], optins[1], optins[2]),
        phone_digits=digits,
        phone_format=phone_format,
        created_day=created_day,
    )


def subset(identities: Identities, rows: np.ndarray) -> Identities:
    """The identities at positions ``rows``."""
    index = pa.array(rows)
    values = {}
    for field in dataclasses.fields(identities):
        value = getattr(identities, field.name)
        if isinstance(value, np.ndarray):
            values[field.name] = value[rows]
        elif isinstance(value, tuple):
            values[field.name] = tuple(pc.take(v, index) for v in value)
        else:
            values[field.name] = pc.take(value, index)
    return Identities(**values)


def customer_lines(ids: pa.Array, identities: Identities) -> pa.Array:
    """``;``-separated lines of ``customers.csv`` (without header)."""
    fields = [
        ids,
        identities.civility,
        identities.first_name,
        identities.last_name,
        identities.email,
        identities.phone,
        identities.birth_date,
        identities.city,
        identities.postal_code,
        "France",
        identities.created,
        *identities.optins,
    ]
    return text_arrays.join(fields, ";")


def typo(name: str, kind: int, where: float) -> str:
    """``name`` with one letter substituted (kind 0), dropped (1) or swapped with the next (2)."""
    if len(name) < 3:
        return name + name[-1]
    i = 1 + int(where * (len(name) - 2))
    if kind == 2 and i + 1 < len(name) and name[i] != name[i + 1]:
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    if kind == 0:
        letter = _SUBSTITUTES[int(where * 1000) % len(_SUBSTITUTES)]
        if letter != name[i].lower():
            return name[:i] + letter + name[i + 1 :]
    return name[:i] + name[i + 1 :]


def duplicate_identities(rng: np.random.Generator, originals: Identities) -> Identities:
    """Second accounts of the same people, each differing by one variant (see module doc)."""
    n = len(originals.phone_digits)
    variant = rng.integers(0, 4, size=n)
    kinds = rng.integers(0, _TYPO_KINDS, size=n)
    where = rng.uniform(size=n)
    firsts = originals.first_name.to_pylist()
    lasts = originals.last_name.to_pylist()
    new_last = [
        typo(s, k, w) if v == 0 else s
        for s, k, w, v in zip(lasts, kinds, where, variant, strict=True)
    ]
    new_first = [
        typo(s, k, w) if v == 1 else s
        for s, k, w, v in zip(firsts, kinds, where, variant, strict=True)
    ]
    other_format = (originals.phone_format + rng.integers(1, 4, size=n)) % 4
    phone_changed = pa.array(variant == 2)
    phone = pc.if_else(phone_changed, phones(originals.phone_digits, other_format), originals.phone)
    email = pc.if_else(pa.array(variant == 3), pc.utf8_upper(originals.email), originals.email)
    end_day = text_arrays.window_day_to_epoch_day(np.array([WINDOW_DAYS - 10]))[0]
    room = np.maximum(end_day - originals.created_day - 1, 1)
    created_day = originals.created_day + 1 + (rng.uniform(size=n) * room).astype(np.int64)
    return dataclasses.replace(
        originals,
        first_name=pa.array(new_first, pa.string()),
        last_name=pa.array(new_last, pa.string()),
        phone=phone,
        email=email,
        created=text_arrays.french_dates(created_day),
        phone_format=np.where(variant == 2, other_format, originals.phone_format),
        created_day=created_day,
    )


JUNK_KINDS = ("empty client_id", "impossible date_creation", "extra field")
_BAD_DATES = ("31/02/2025", "2025-13-45", "30/02/2026", "00/11/2024")


def junk_customer_lines(rng: np.random.Generator, number: np.ndarray) -> pa.Array:
    """Malformed rows that belong to no true customer, cycling through :data:`JUNK_KINDS`:
    an empty ``client_id``, an impossible ``date_creation``, one ``;``-separated field too many.
    ``number`` gives their fresh account numbers (unused for the empty-id rows)."""
    n = len(number)
    kind = np.arange(n) % len(JUNK_KINDS)
    first_event = rng.uniform(0.0, WINDOW_DAYS, size=n)
    identities = draw_identities(rng, number, creation_days(rng, first_event))
    ids = _masked(text_arrays.identifiers("C", number, 7), kind == 0)
    bad_date = text_arrays.labels(_BAD_DATES, rng.integers(0, len(_BAD_DATES), size=n))
    created = pc.if_else(pa.array(kind == 1), bad_date, identities.created)
    lines = customer_lines(ids, dataclasses.replace(identities, created=created))
    extra = text_arrays.join([lines, "client fidèle"], ";")
    return pc.if_else(pa.array(kind == 2), extra, lines)
