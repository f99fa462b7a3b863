"""Business listings with planted duplicates: a matching test that does not look like Febrl.

:func:`planted_listings` draws businesses (site name, street address, 7-digit local phone, 5-digit
zip, e-mail), writes one listing per business and adds duplicate listings of some of them, then
shuffles. Two kinds of confusers make it hard for a matcher tuned on people: **chains** (several
sites with the same name and often the same corporate e-mail, at other addresses, phones and
zips) and **shared buildings** (different businesses at the same street address and zip, told
apart by the suite number). A duplicate carries one to three defects: name with or without its
legal suffix ("Inc", "LLC"), "&" written "and", a typo or in capitals; street type abbreviated
("Street" -> "St"), a typo in the street name or the suite dropped; phone in another format
(``555-0142``, ``5550142``, ``555 0142``, ``(555) 0142``), a digit typo or missing; zip typo or
missing; e-mail missing, in capitals or another address. About a third of the originals have no
e-mail. Same seed, same listings; the true business of every listing is returned beside them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cible.synth.crm import typo
from cible.synth.duplicates import ENGLISH_SURNAMES

# fmt: off
_ADJECTIVES = (
    "Golden", "Blue", "Green", "Red", "Silver", "Sunrise", "Harbor", "Maple", "Oak", "Pine",
    "Liberty", "Pioneer", "Summit", "Valley", "River", "Lakeside", "Hillside", "Royal", "Urban",
    "Corner", "Village", "Metro", "Family", "Premier", "Bright", "Lucky", "Happy", "Eagle",
)
_NOUNS = (
    "Dragon", "Anchor", "Lantern", "Bridge", "Garden", "Crown", "Star", "Rose", "Bear", "Fox",
    "Owl", "Bell", "Mill", "Forge", "Harvest", "Compass", "Falcon", "Willow", "Cedar", "Stone",
)
_TRADES = (
    "Bakery", "Cafe", "Plumbing", "Dental Care", "Auto Repair", "Hair Salon", "Pizza",
    "Hardware", "Florist", "Pharmacy", "Books", "Laundry", "Fitness", "Pet Grooming",
    "Law Office", "Insurance", "Tailors", "Deli", "Garage", "Veterinary Clinic", "Diner",
    "Electric", "Roofing", "Cleaners", "Optician", "Print Shop", "Tavern", "Grill",
)
_STREETS = (
    "Main", "Oak", "Maple", "Cedar", "Elm", "Washington", "Lake", "Hill", "Park", "Pine",
    "Walnut", "Spring", "North", "Ridge", "Church", "Willow", "Mill", "Market", "Union", "Center",
    "Highland", "Franklin", "Jackson", "Lincoln", "Madison", "Jefferson", "Sunset", "River",
)
_STREET_TYPES = (
    ("Street", "St"), ("Avenue", "Ave"), ("Road", "Rd"), ("Boulevard", "Blvd"),
    ("Drive", "Dr"), ("Lane", "Ln"),
)
_SUFFIXES = ("Inc", "LLC", "Co", "Ltd")
_PROVIDERS = ("gmail.com", "yahoo.com", "outlook.com", "aol.com")
# fmt: on
_PHONE_FORMATS = ("{a}-{b}", "{a}{b}", "{a} {b}", "({a}) {b}")


@dataclass(frozen=True)
class PlantedListings:
    """Listings (``listing_id`` and five text columns) and the true business of each listing."""

    records: pd.DataFrame
    truth: pd.Series


@dataclass(frozen=True)
class _Business:
    name: str
    suffix: str | None
    number: int
    street: str
    street_type: int
    suite: int | None
    phone: str
    zip: str
    email: str | None


def _pick(rng: np.random.Generator, options: tuple[str, ...]) -> str:
    return str(options[int(rng.integers(0, len(options)))])


def _name(rng: np.random.Generator) -> str:
    style = int(rng.integers(0, 4))
    trade = _pick(rng, _TRADES)
    if style == 0:
        return f"{_pick(rng, ENGLISH_SURNAMES)}'s {trade}"
    if style == 1:
        return f"{_pick(rng, _ADJECTIVES)} {_pick(rng, _NOUNS)} {trade}"
    if style == 2:
        return f"{_pick(rng, ENGLISH_SURNAMES)} & {_pick(rng, ENGLISH_SURNAMES)} {trade}"
    return f"The {_pick(rng, _ADJECTIVES)} {trade}"


def _slug(name: str) -> str:
    return "".join(c for c in name.lower() if c.isalnum())


def _business(rng: np.random.Generator, zips: list[str], name: str | None = None) -> _Business:
    name = name or _name(rng)
    email = None
    if rng.uniform() < 0.65:
        email = (
            f"info@{_slug(name)}.com"
            if rng.uniform() < 0.7
            else (
                f"{_slug(_pick(rng, ENGLISH_SURNAMES))}{int(rng.integers(1, 99))}@"
                f"{_pick(rng, _PROVIDERS)}"
            )
        )
    return _Business(
        name=name,
        suffix=_pick(rng, _SUFFIXES) if rng.uniform() < 0.4 else None,
        number=int(rng.integers(1, 9999)),
        street=_pick(rng, _STREETS),
        street_type=int(rng.integers(0, len(_STREET_TYPES))),
        suite=None,
        phone=f"{int(rng.integers(200, 999))}{int(rng.integers(0, 10000)):04d}",
        zip=zips[int(rng.integers(0, len(zips)))],
        email=email,
    )


def _businesses(n: int, rng: np.random.Generator) -> list[_Business]:
    """``n`` businesses; about 8% in chains and 8% in shared buildings."""
    zips = [f"{int(z):05d}" for z in rng.choice(np.arange(10000, 99999), size=40, replace=False)]
    out: list[_Business] = []
    while len(out) < n:
        draw = rng.uniform()
        first = _business(rng, zips)
        group = [first]
        if draw < 0.03:  # a chain: same name (and often e-mail), other sites
            for _ in range(int(rng.integers(2, 5))):
                site = _business(rng, zips, name=first.name)
                same_mail = first.email if rng.uniform() < 0.5 else site.email
                group.append(_replace(site, suffix=first.suffix, email=same_mail))
        elif draw < 0.06:  # a shared building: other businesses, same address, other suites
            group = [_replace(first, suite=100)]
            for k in range(int(rng.integers(1, 4))):
                other = _business(rng, zips)
                group.append(
                    _replace(
                        other,
                        number=first.number,
                        street=first.street,
                        street_type=first.street_type,
                        zip=first.zip,
                        suite=100 * (k + 2),
                    )
                )
        out.extend(group)
    return out[:n]


def _replace(business: _Business, **changes: object) -> _Business:
    return _Business(**{**vars(business), **changes})


def _render(b: _Business, rng: np.random.Generator, abbreviated: bool) -> dict[str, str | None]:
    street_type = _STREET_TYPES[b.street_type][1 if abbreviated else 0]
    address = f"{b.number} {b.street} {street_type}"
    if b.suite is not None:
        address += f" Suite {b.suite}"
    phone = _pick(rng, _PHONE_FORMATS).format(a=b.phone[:3], b=b.phone[3:])
    name = f"{b.name} {b.suffix}" if b.suffix else b.name
    return {
        "site_name": name,
        "street_address": address,
        "phone": phone,
        "zip": b.zip,
        "email": b.email,
    }


def _defect(row: dict[str, str | None], b: _Business, rng: np.random.Generator) -> None:
    where, kind = float(rng.uniform()), int(rng.integers(0, 3))
    field = int(rng.integers(0, 9))
    name, address = row["site_name"] or "", row["street_address"] or ""
    if field == 0:
        row["site_name"] = b.name if b.suffix else f"{b.name} {_pick(rng, _SUFFIXES)}"
    elif field == 1:
        row["site_name"] = typo(name, kind, where) if "&" not in name else name.replace("&", "and")
    elif field == 2:
        row["site_name"] = name.upper()
    elif field == 3:
        row["street_address"] = address.replace(b.street, typo(b.street, kind, where), 1)
    elif field == 4:
        row["street_address"] = address.split(" Suite ")[0] if b.suite else address.lower()
    elif field == 5:
        digits = b.phone
        i = int(where * 7) % 7
        changed = digits[:i] + str((int(digits[i]) + 1 + kind) % 10) + digits[i + 1 :]
        row["phone"] = None if kind == 0 else f"{changed[:3]}-{changed[3:]}"
    elif field == 6:
        row["zip"] = None if kind == 0 else typo(b.zip, 2, where)
    elif kind == 0:
        row["email"] = None
    elif kind == 1:
        row["email"] = row["email"].upper() if row["email"] else None
    else:
        row["email"] = f"{_slug(b.name)[:8]}@{_pick(rng, _PROVIDERS)}"


def planted_listings(
    n_records: int, *, duplicate_share: float = 0.3, seed: int = 0
) -> PlantedListings:
    """``n_records`` listings of which about ``duplicate_share`` are duplicates (ids ``L000001``...)."""
    if n_records < 1 or not 0 <= duplicate_share < 1:
        raise ValueError("n_records must be >= 1 and duplicate_share in [0, 1)")
    rng = np.random.default_rng(seed)
    n_businesses = max(1, round(n_records * (1 - duplicate_share)))
    businesses = _businesses(n_businesses, rng)
    owners = np.r_[np.arange(n_businesses), rng.integers(0, n_businesses, n_records - n_businesses)]
    rows = []
    for k, owner in enumerate(owners):
        b = businesses[owner]
        row = _render(b, rng, abbreviated=bool(rng.uniform() < 0.3))
        if k >= n_businesses:
            for _ in range(int(rng.integers(1, 4))):
                _defect(row, b, rng)
        rows.append(row)
    order = rng.permutation(n_records)
    ids = [f"L{i + 1:06d}" for i in range(n_records)]
    records = pd.DataFrame([rows[i] for i in order], dtype=object)
    records.insert(0, "listing_id", ids)
    truth = pd.Series(
        [f"B{owners[i]:06d}" for i in order], index=pd.Index(ids, name="listing_id"), name="entity"
    )
    return PlantedListings(records=records, truth=truth)
