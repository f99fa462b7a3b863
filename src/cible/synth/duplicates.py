"""Customer records with planted duplicates, for duplicate-detection tests and benchmarks.

:func:`planted_customers` draws people (three in four French, one in four British: names, e-mail,
mobile phone, birth date, city and postal code), writes one record per person and adds duplicate
records of some of them, then shuffles. Every record is rendered with random but equivalent
formats: phones as ``06 12 34 56 78``, ``0612345678``, ``+33612345678``, ``+33 6 12 34 56 78`` or
``06.12.34.56.78``; birth dates as ``1985-03-12`` or ``12/03/1985``; cities as ``Sainte-Foy-lès-
Lyon``, ``Ste Foy les Lyon`` or ``STE-FOY-LES-LYON``. A duplicate also carries one or two defects:
a typo in the first or last name (letter substituted, dropped or swapped), first and last names
swapped, names in capitals without accents, e-mail in capitals, at another provider or missing,
phone missing or changed, birth date with day and month swapped or a digit typo or missing, city
or postal code missing. Originals miss a few fields too. The true entity of every record is
returned beside the records. Same seed, same records.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cible.synth.crm import typo
from cible.synth.names import CITIES, FEMALE_FIRST_NAMES, MALE_FIRST_NAMES, SURNAMES, ascii_fold

# fmt: off
ENGLISH_FIRST_NAMES: tuple[str, ...] = (
    "Oliver", "George", "Harry", "Jack", "Jacob", "Noah", "Charlie", "Thomas", "Oscar", "William",
    "James", "Henry", "Alfie", "Joshua", "Freddie", "Archie", "Ethan", "Isaac", "Alexander",
    "Joseph", "Edward", "Samuel", "Max", "Daniel", "Arthur", "Lucas", "Mohammed", "Logan",
    "Olivia", "Amelia", "Isla", "Ava", "Emily", "Isabella", "Mia", "Poppy", "Ella", "Lily",
    "Grace", "Sophia", "Evie", "Jessica", "Charlotte", "Sophie", "Chloe", "Ruby", "Freya",
    "Daisy", "Alice", "Matilda", "Harriet", "Eleanor", "Florence", "Rosie", "Hannah", "Lucy",
)
ENGLISH_SURNAMES: tuple[str, ...] = (
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas",
    "Johnson", "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards",
    "Hughes", "Green", "Hall", "Lewis", "Harris", "Clarke", "Patel", "Jackson", "Wood",
    "Turner", "Martin", "Cooper", "Hill", "Ward", "Morris", "Moore", "Clark", "Lee", "King",
    "Baker", "Harrison", "Morgan", "Allen", "James", "Scott", "Phillips", "Watson", "Davis",
    "Parker", "Price", "Bennett", "Young", "Griffiths", "Mitchell", "Kelly", "Cook", "Carter",
    "Richardson", "Bailey", "Collins", "Bell", "Shaw", "Murphy", "Miller", "Cox", "Richards",
    "Khan", "Marshall", "Anderson", "Simpson", "Ellis", "Adams", "Singh", "Begum", "Wilkinson",
    "Foster", "Chapman", "Powell", "Webb", "Rogers", "Gray", "Mason", "Ali", "Hunt", "O'Brien",
    "McDonald", "O'Connor", "Fletcher", "Lloyd", "Reid", "Kennedy",
)
# (town, outward codes): British postcodes are outward + " " + digit + two letters
ENGLISH_TOWNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("London", ("SW1A", "SE1", "N1", "E1", "W2", "NW3", "EC1V", "WC2H", "SW11", "E14")),
    ("Manchester", ("M1", "M4", "M14", "M20")), ("Birmingham", ("B1", "B5", "B15", "B29")),
    ("Leeds", ("LS1", "LS6", "LS8")), ("Bristol", ("BS1", "BS6", "BS8")),
    ("Liverpool", ("L1", "L8", "L17")), ("Sheffield", ("S1", "S10", "S11")),
    ("Newcastle upon Tyne", ("NE1", "NE2", "NE6")), ("Nottingham", ("NG1", "NG7")),
    ("Leicester", ("LE1", "LE2")), ("Brighton", ("BN1", "BN2")), ("Oxford", ("OX1", "OX4")),
    ("Cambridge", ("CB1", "CB2")), ("York", ("YO1", "YO10")), ("Bath", ("BA1", "BA2")),
    ("Stoke-on-Trent", ("ST1", "ST4")), ("St Albans", ("AL1", "AL3")),
)
# Paris, Lyon and Marseille are spread over their arrondissements' postal codes
FRENCH_TOWNS: tuple[tuple[str, str], ...] = (
    *((c, p) for c, p in CITIES if c not in {"Paris", "Lyon", "Marseille"}),
    *(("Paris", f"750{i:02d}") for i in range(1, 21)),
    *(("Lyon", f"6900{i}") for i in range(1, 10)),
    *(("Marseille", f"130{i:02d}") for i in range(1, 17)),
)
# fmt: on
DOMAINS_FR = ("gmail.com", "orange.fr", "free.fr", "hotmail.fr", "laposte.net", "wanadoo.fr")
DOMAINS_EN = ("gmail.com", "hotmail.co.uk", "outlook.com", "yahoo.co.uk", "btinternet.com")
_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
_CITY_ABBREVIATIONS = (("Saint-", "St "), ("Sainte-", "Ste "), ("-lès-", " les "), ("-", " "))


@dataclass(frozen=True)
class PlantedCustomers:
    """Records (``record_id``, ``first_name``, ``last_name``, ``email``, ``phone``,
    ``birth_date``, ``city``, ``postal_code``) and the true entity of each record (``truth``,
    indexed by record id)."""

    records: pd.DataFrame
    truth: pd.Series


@dataclass(frozen=True)
class _Person:
    english: bool
    first: str
    last: str
    email: str
    phone: str  # digits after the trunk prefix: 9 (FR) or 10 (GB)
    birth: str  # ISO
    city: str
    postal_code: str


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _draw_person(rng: np.random.Generator) -> _Person:
    english = bool(rng.uniform() < 0.25)
    if english:
        first = str(rng.choice(ENGLISH_FIRST_NAMES))
        last = str(rng.choice(ENGLISH_SURNAMES))
        town, outwards = ENGLISH_TOWNS[rng.integers(len(ENGLISH_TOWNS))]
        inward = f"{rng.integers(1, 10)}{rng.choice(list(_LETTERS))}{rng.choice(list(_LETTERS))}"
        city, postal = town, f"{rng.choice(outwards)} {inward}"
        phone = f"7{rng.integers(10**8, 10**9)}"
        domain = str(rng.choice(DOMAINS_EN))
    else:
        first = str(rng.choice(FEMALE_FIRST_NAMES + MALE_FIRST_NAMES))
        last = str(rng.choice(SURNAMES))
        city, postal = FRENCH_TOWNS[rng.integers(len(FRENCH_TOWNS))]
        phone = f"{rng.choice(['6', '7'])}{rng.integers(10**7, 10**8)}"
        domain = str(rng.choice(DOMAINS_FR))
    day = np.datetime64("1940-01-01") + rng.integers(0, 66 * 365)
    style = rng.integers(3)
    user = (
        f"{ascii_fold(first)}.{ascii_fold(last)}"
        if style == 0
        else f"{ascii_fold(first)[0]}{ascii_fold(last)}{rng.integers(1, 100)}"
        if style == 1
        else f"{ascii_fold(last)}.{ascii_fold(first)}{rng.integers(1950, 2010)}"
    )
    return _Person(english, first, last, f"{user}@{domain}", phone, str(day), city, postal)


def _render_phone(person: _Person, rng: np.random.Generator) -> str:
    country, digits = ("44", person.phone) if person.english else ("33", person.phone)
    national = "0" + digits
    style = rng.integers(5)
    if style == 0:
        return national
    if style == 1:
        return f"+{country}{digits}"
    if style == 2:
        return f"+{country} {digits[0]} {' '.join(digits[i : i + 2] for i in range(1, 9, 2))}"
    sep = " " if style == 3 else "."
    if person.english:
        return f"{national[:5]}{sep}{national[5:]}"
    return sep.join(national[i : i + 2] for i in range(0, 10, 2))


def _render_date(iso: str, rng: np.random.Generator) -> str:
    year, month, day = iso.split("-")
    return iso if rng.uniform() < 0.5 else f"{day}/{month}/{year}"


def _render_city(city: str, rng: np.random.Generator) -> str:
    style = rng.integers(4)
    if style == 0:
        return city
    if style == 1:
        out = city
        for long, short in _CITY_ABBREVIATIONS[:3]:
            out = out.replace(long, short)
        return out
    if style == 2:
        return _strip_accents(city).upper()
    return city.replace("-", " ")


def _render(person: _Person, rng: np.random.Generator, missing: float) -> dict[str, str | None]:
    gaps = rng.uniform(size=4) < missing
    return {
        "first_name": person.first,
        "last_name": person.last,
        "email": None if gaps[0] else person.email,
        "phone": None if gaps[1] else _render_phone(person, rng),
        "birth_date": None if gaps[2] else _render_date(person.birth, rng),
        "city": None if gaps[3] else _render_city(person.city, rng),
        "postal_code": person.postal_code,
    }


def _swap_day_month(iso: str) -> str:
    year, month, day = iso.split("-")
    return f"{year}-{day}-{month}" if int(day) <= 12 and day != month else iso


def _date_typo(iso: str, rng: np.random.Generator) -> str:
    digits = list(iso.replace("-", ""))
    i = int(rng.integers(2, 8))
    digits[i] = str((int(digits[i]) + int(rng.integers(1, 9))) % 10)
    return f"{''.join(digits[:4])}-{''.join(digits[4:6])}-{''.join(digits[6:])}"


def _defect(row: dict[str, str | None], person: _Person, rng: np.random.Generator) -> None:
    """Apply one randomly chosen defect to a duplicate's rendered row, in place."""
    kind = int(rng.integers(11))
    where = float(rng.uniform())
    if kind == 0:
        row["first_name"] = typo(person.first, int(rng.integers(3)), where)
    elif kind == 1:
        row["last_name"] = typo(person.last, int(rng.integers(3)), where)
    elif kind == 2:
        row["first_name"], row["last_name"] = row["last_name"], row["first_name"]
    elif kind == 3:
        row["first_name"] = _strip_accents(person.first).upper()
        row["last_name"] = _strip_accents(person.last).upper()
    elif kind == 4:
        row["email"] = person.email.upper() if where < 0.5 else None
    elif kind == 5:
        user = person.email.split("@")[0]
        row["email"] = f"{user}@{rng.choice(DOMAINS_EN if person.english else DOMAINS_FR)}"
    elif kind == 6:
        row["phone"] = None
    elif kind == 7:
        changed = person.phone[:-3] + f"{rng.integers(0, 1000):03d}"
        row["phone"] = _render_phone(_Person(**{**person.__dict__, "phone": changed}), rng)
    elif kind == 8:
        row["birth_date"] = _render_date(_swap_day_month(person.birth), rng)
    elif kind == 9:
        row["birth_date"] = (
            _render_date(_date_typo(person.birth, rng), rng) if where < 0.7 else None
        )
    else:
        row["city" if where < 0.5 else "postal_code"] = None


def planted_customers(
    n_records: int, *, duplicate_share: float = 0.2, seed: int = 0
) -> PlantedCustomers:
    """``n_records`` customer records of which about ``duplicate_share`` are duplicates.

    Duplicates are spread over the people at random (a person may have several). Record ids are
    ``R0000001``..., shuffled with respect to entities.
    """
    if n_records < 1 or not 0 <= duplicate_share < 1:
        raise ValueError("n_records must be >= 1 and duplicate_share in [0, 1)")
    rng = np.random.default_rng(seed)
    n_people = max(1, round(n_records * (1 - duplicate_share)))
    people = [_draw_person(rng) for _ in range(n_people)]
    owners = np.r_[np.arange(n_people), rng.integers(0, n_people, size=n_records - n_people)]
    rows = []
    for k, owner in enumerate(owners):
        person = people[owner]
        row = _render(person, rng, missing=0.04)
        if k >= n_people:
            for _ in range(int(rng.integers(1, 3))):
                _defect(row, person, rng)
        rows.append(row)
    order = rng.permutation(n_records)
    ids = [f"R{i + 1:07d}" for i in range(n_records)]
    records = pd.DataFrame([rows[i] for i in order], dtype=object).astype("str")
    records.insert(0, "record_id", pd.Series(ids, dtype="str"))
    truth = pd.Series(
        [f"P{owners[i]:07d}" for i in order], index=pd.Index(ids, name="record_id"), name="entity"
    )
    return PlantedCustomers(records=records, truth=truth)
