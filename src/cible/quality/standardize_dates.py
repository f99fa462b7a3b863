"""Dates -> ISO 8601 ``YYYY-MM-DD`` and timestamps -> ISO 8601 UTC ``YYYY-MM-DDTHH:MM:SSZ``.

Ambiguity policy: a numeric date such as ``"03/04/2024"`` is read **only** through the explicit
``day_first`` flag (``True``, the French default: 3 April; ``False``: March 4). Day and month are
never swapped to rescue a date: ``"13/25/2024"`` is flagged, not read as 25 December. Two-digit
years (``"03/04/24"``) are flagged too: choosing a century would be a guess.

Excel serial numbers: Excel counts days from 1900-01-01 = 1 but believes 1900 was a leap year
(the Lotus 1-2-3 bug), so serial 60 is the non-existent 1900-02-29. Serials 1..59 use origin
1899-12-31; serials above 60 are one day late and use origin 1899-12-30 (``45292`` ->
``2024-01-01``); serial 60 is flagged. In free text, a bare number is read as a serial only with
5 to 7 digits (1927-05-18 to 9999-12-31): a shorter number is more likely a year or a day.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cible.quality.standardize_core import MISSING, Standardized, as_text, failed

_EXCEL_MAX_SERIAL = 2958465  # 9999-12-31
_SERIAL = re.compile(r"([0-9]{5,7})(?:\.[0-9]+)?")
_ISO = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
# an ISO timestamp given for a date (what Excel and databases export: "1953-10-12 00:00:00")
_ISO_DATETIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[ T][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?"
    r"(?:Z|[+-][0-9]{2}:?[0-9]{2})?"
)
_YMD = re.compile(r"([0-9]{4})[/.]([0-9]{1,2})[/.]([0-9]{1,2})|([0-9]{4})([0-9]{2})([0-9]{2})")
_NUMERIC = re.compile(r"([0-9]{1,2})[/.\- ]([0-9]{1,2})[/.\- ]([0-9]{4}|[0-9]{2})")
_ORDINAL = r"([0-9]{1,2})(?:er|re|e|eme|st|nd|rd|th)?"
_DAY_MONTH_YEAR = re.compile(_ORDINAL + r" ([a-z]+) ([0-9]{4})")
_MONTH_DAY_YEAR = re.compile(r"([a-z]+) " + _ORDINAL + r" ([0-9]{4})")

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        "janvier janv jan january",
        "fevrier fevr fev feb february",
        "mars mar march",
        "avril avr apr april",
        "mai may",
        "juin jun june",
        "juillet juil jul july",
        "aout aou aug august",
        "septembre sept sep september",
        "octobre oct october",
        "novembre nov november",
        "decembre dec december",
    ),
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _number


def excel_serial_to_date(serial: int) -> dt.date | None:
    """Excel (1900 date system) serial -> date, or ``None`` for 60 and out-of-range serials.

    ``1`` -> 1900-01-01, ``59`` -> 1900-02-28, ``61`` -> 1900-03-01, ``45292`` -> 2024-01-01.
    """
    if serial < 1 or serial > _EXCEL_MAX_SERIAL or serial == 60:
        return None
    origin = dt.date(1899, 12, 31) if serial < 60 else dt.date(1899, 12, 30)
    return origin + dt.timedelta(days=serial)


def _make(year: int, month: int, day: int, text: str) -> Standardized:
    try:
        return Standardized(dt.date(year, month, day).isoformat(), True, None)
    except ValueError:
        return failed(f"not a calendar date: {text!r}")


def _fold(text: str) -> str:
    """Lowercase, accents removed, '.' and ',' dropped, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.replace(".", " ").replace(",", " ").split())


def _text_month(text: str) -> Standardized | None:
    folded = _fold(text)
    match = _DAY_MONTH_YEAR.fullmatch(folded)
    if match is not None:
        day, month_name, year = match.groups()
    else:
        match = _MONTH_DAY_YEAR.fullmatch(folded)
        if match is None:
            return None
        month_name, day, year = match.groups()
    month = _MONTHS.get(month_name)
    if month is None:
        return failed(f"unknown month name {month_name!r}")
    return _make(int(year), month, int(day), text)


def _with_formats(text: str, formats: Sequence[str]) -> Standardized | None:
    for fmt in formats:
        try:
            return Standardized(dt.datetime.strptime(text, fmt).date().isoformat(), True, None)
        except ValueError:
            continue
    return None


def _built_in(text: str, day_first: bool) -> Standardized:
    match = _YMD.fullmatch(text)
    if match is not None:
        groups = [g for g in match.groups() if g is not None]
        return _make(int(groups[0]), int(groups[1]), int(groups[2]), text)
    match = _SERIAL.fullmatch(text)
    if match is not None:
        serial = int(match.group(1))
        serial_date = excel_serial_to_date(serial)
        if serial_date is None:
            return failed(f"Excel serial {serial} is out of range")
        return Standardized(serial_date.isoformat(), True, None)
    match = _NUMERIC.fullmatch(text)
    if match is not None:
        first, second, year = match.groups()
        if len(year) == 2:
            return failed(f"two-digit year is ambiguous: {text!r}")
        day, month = (first, second) if day_first else (second, first)
        return _make(int(year), int(month), int(day), text)
    from_text = _text_month(text)
    if from_text is not None:
        return from_text
    return failed(f"not a recognised date: {text!r}")


def standardize_date(
    raw: object, *, day_first: bool = True, formats: Sequence[str] | None = None
) -> Standardized:
    """Date -> ISO 8601 ``"YYYY-MM-DD"`` (see the module docstring for the ambiguity rules).

    Accepted: ISO ``2024-03-01`` (always, so the result is idempotent) and ISO timestamps
    (``"1953-10-12 00:00:00"``, as Excel exports dates; the time of day is dropped), ``2024/03/01``,
    ``20240301``; ``dd/mm/yyyy`` (also ``-``, ``.``, space) read with ``day_first``; Excel
    serials (``"45292"``, ``45292.0``); French and English month names (``"3 mars 2024"``,
    ``"3 janv. 2024"``, ``"1er mai 2024"``, ``"March 3, 2024"``); ``datetime.date`` /
    ``datetime`` / ``pandas.Timestamp`` objects. When ``formats`` (``strptime`` formats) is
    given, only ISO and those formats are tried. Impossible dates (``"31/02/2024"``) are flagged.
    """
    text = as_text(raw)
    if text is None:  # also None, NaN, pandas.NaT
        return MISSING
    if isinstance(raw, dt.date):  # datetime and pandas.Timestamp are dates too
        return Standardized(f"{raw.year:04d}-{raw.month:02d}-{raw.day:02d}", True, None)
    match = _ISO.fullmatch(text) or _ISO_DATETIME.fullmatch(text)
    if match is not None:
        return _make(int(match.group(1)), int(match.group(2)), int(match.group(3)), text)
    if formats is not None:
        result = _with_formats(text, formats)
        return result if result is not None else failed(f"no format matches {text!r}")
    return _built_in(text, day_first)


_TIMESTAMP = re.compile(
    r"([0-9]{1,2})[/.\-]([0-9]{1,2})[/.\-]([0-9]{4})[ T]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?"
)


def _parse_timestamp(text: str, day_first: bool) -> dt.datetime | None:
    iso = text[:-1] + "+00:00" if text[-1:] in {"Z", "z"} else text
    try:
        return dt.datetime.fromisoformat(iso)
    except ValueError:
        pass
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        return None
    first, second, year, hour, minute, second_ = match.groups()
    day, month = (first, second) if day_first else (second, first)
    try:
        return dt.datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second_ or 0)
        )
    except ValueError:
        return None


def standardize_timestamp_utc(
    raw: object, tz: str = "UTC", *, day_first: bool = True
) -> Standardized:
    """Timestamp -> ISO 8601 UTC ``"YYYY-MM-DDTHH:MM:SSZ"`` (fractions of a second dropped).

    Accepted: ISO forms (``T`` or space, optional seconds and fraction, ``Z`` or ``+02:00``), a
    plain ISO date (midnight), ``dd/mm/yyyy HH:MM[:SS]`` read with ``day_first``, and
    ``datetime`` / ``pandas.Timestamp`` objects. A naive timestamp is read in ``tz`` (an IANA
    zone name, ``ValueError`` if unknown); a local time that does not exist or occurs twice in
    ``tz`` (daylight-saving change) is flagged rather than guessed.
    """
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(
            f"unknown time zone {tz!r}; expected an IANA name such as 'Europe/Paris'"
        ) from error
    text = as_text(raw)
    if text is None:  # also None, NaN, pandas.NaT
        return MISSING
    parsed: dt.datetime | None
    if isinstance(raw, dt.datetime):
        parsed = raw
    else:
        parsed = _parse_timestamp(text, day_first)
        if parsed is None:
            return failed(f"not a recognised timestamp: {text!r}")
    try:
        if parsed.tzinfo is None:
            early = parsed.replace(tzinfo=zone, fold=0)
            late = parsed.replace(tzinfo=zone, fold=1)
            if early.utcoffset() != late.utcoffset():
                return failed(f"local time {parsed.isoformat()} is ambiguous or skipped in {tz}")
            parsed = early
        utc = parsed.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        return failed("timestamp out of range")
    stamp = (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}"
        f"T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}Z"
    )
    return Standardized(stamp, True, None)
