"""Contact fields: e-mail, phone number (E.164) and postal code."""

from __future__ import annotations

import re

import phonenumbers

from cible.quality.standardize_core import MISSING, Standardized, as_text, failed

# Pragmatic, not RFC 5322: an ASCII local part without spaces or quotes, one @, and a domain of
# at least two dot-separated labels (letters, digits, inner hyphens) ending in an alphabetic TLD.
_EMAIL = re.compile(
    r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}",
    re.ASCII,
)


def standardize_email(raw: object) -> Standardized:
    """Trim and lowercase an e-mail address, then check its syntax.

    ``"  Jean.Dupont@Example.FR "`` -> ``"jean.dupont@example.fr"``; ``"jean@localhost"`` and
    ``"a b@c.fr"`` -> not ok, reason ``"not an e-mail"``.
    """
    text = as_text(raw)
    if text is None:
        return MISSING
    email = text.lower()
    if len(email) > 254 or _EMAIL.fullmatch(email) is None:
        return failed("not an e-mail")
    return Standardized(email, True, None)


def standardize_phone(raw: object, default_region: str = "FR") -> Standardized:
    """Phone number -> E.164 (``"+33612345678"``) with the ``phonenumbers`` library.

    Numbers without an international prefix are read in ``default_region`` (an ISO 3166 code);
    ``"06 12 34 56 78"``, ``"0612345678"``, ``"06.12.34.56.78"`` and ``"0033 6 12 34 56 78"`` all
    give ``"+33612345678"``. A number that does not parse or is not valid
    (``phonenumbers.is_valid_number``) is flagged, never repaired.
    """
    text = as_text(raw)
    if text is None:
        return MISSING
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        return failed(f"not a phone number (read in region {default_region})")
    if not phonenumbers.is_valid_number(number):
        return failed(f"not a valid phone number (read in region {default_region})")
    return Standardized(
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), True, None
    )


_GB_POSTCODE = re.compile(r"(?:[A-Z]{1,2}[0-9][A-Z0-9]?|GIR)[0-9][A-Z]{2}")
_US_ZIP = re.compile(r"([0-9]{5})(?:-?([0-9]{4}))?")
_FR_POSTCODE = re.compile(r"[0-9]{4,5}")


def _postal_fr(text: str) -> Standardized:
    compact = re.sub(r"\s+", "", text)
    if _FR_POSTCODE.fullmatch(compact) is None:
        return failed("not a French postal code (5 digits)")
    # a numeric column drops the leading zero of "01000" (Ain) -> "1000": restore it
    code = compact.zfill(5)
    if code.startswith("00"):
        return failed("not a French postal code (departments start at 01)")
    return Standardized(code, True, None)


def _postal_gb(text: str) -> Standardized:
    compact = re.sub(r"\s+", "", text.upper())
    if _GB_POSTCODE.fullmatch(compact) is None:
        return failed("not a UK postcode")
    return Standardized(f"{compact[:-3]} {compact[-3:]}", True, None)


def _postal_us(text: str) -> Standardized:
    match = _US_ZIP.fullmatch(re.sub(r"\s+", "", text))
    if match is None:
        return failed("not a US ZIP code (5 digits or ZIP+4)")
    zip5, plus4 = match.groups()
    return Standardized(zip5 if plus4 is None else f"{zip5}-{plus4}", True, None)


def _postal_au(text: str) -> Standardized:
    compact = re.sub(r"\s+", "", text)
    if re.fullmatch(r"[0-9]{3,4}", compact) is None:
        return failed("not an Australian postcode (4 digits)")
    # a numeric column drops the leading zero of Northern Territory codes ("0800" -> "800")
    code = compact.zfill(4)
    if code < "0200":
        return failed("not an Australian postcode (0200 to 9999)")
    return Standardized(code, True, None)


def standardize_postal_code(raw: object, country: str = "FR") -> Standardized:
    """Postal code for ``country`` (ISO 3166 alpha-2; ``"UK"`` is read as ``"GB"``).

    * FR: 5 digits, inner spaces removed (``"75 001"`` -> ``"75001"``) and a leading zero lost by
      a numeric column restored (``"1000"`` or ``1000.0`` -> ``"01000"``).
    * GB: uppercase, one space before the last 3 characters, checked against the postcode pattern
      (``"sw1a1aa"`` -> ``"SW1A 1AA"``).
    * US: 5 digits or ZIP+4 (``"123456789"`` -> ``"12345-6789"``).
    * AU: 4 digits from 0200, a leading zero lost by a numeric column restored (``800`` ->
      ``"0800"``, Darwin).
    * any other country: trimmed and uppercased as given, with ``ok=False`` and reason
      ``"no rule for country XX"`` (the value is kept, not checked).
    """
    text = as_text(raw)
    if text is None:
        return MISSING
    code = country.strip().upper()
    if code == "FR":
        return _postal_fr(text)
    if code in {"GB", "UK"}:
        return _postal_gb(text)
    if code == "US":
        return _postal_us(text)
    if code == "AU":
        return _postal_au(text)
    return Standardized(" ".join(text.upper().split()), False, f"no rule for country {code}")
