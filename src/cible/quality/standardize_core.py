"""The result type and the small helpers shared by every standardisation function.

Every ``standardize_*`` function takes one raw value (``str``, number, ``None``, ``NaN``, ...)
and returns a :class:`Standardized`:

========================  ======  ===========  =============================================
case                      value   ok           reason
========================  ======  ===========  =============================================
standardised              str     ``True``     ``None``
missing / empty input     None    ``True``     ``None``
cannot be standardised    None    ``False``    what was wrong (never a guess)
kept as given, unchecked  str     ``False``    why no rule applied (postal code, other country)
========================  ======  ===========  =============================================

Every function is pure and idempotent: standardising a standardised value gives it back.
"""

from __future__ import annotations

import math
import numbers
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import pandas as pd

_SPACES = re.compile(r"\s+")
_NOT_ASCII_ALNUM = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True, slots=True)
class Standardized:
    """Outcome of standardising one value (see the module docstring for the four cases)."""

    value: str | None
    ok: bool
    reason: str | None = None


MISSING = Standardized(None, True, None)


def failed(reason: str) -> Standardized:
    """A value that cannot be standardised: no value, ``ok=False`` and the reason."""
    return Standardized(None, False, reason)


def as_text(raw: object) -> str | None:
    """Raw cell -> stripped text, or ``None`` when missing (None, NaN, NA, NaT, blank).

    Integral floats (``1000.0``, what a numeric column makes of ``"1000"``) become ``"1000"``.
    """
    if raw is None:
        return None
    if isinstance(raw, str):
        text = raw
    elif isinstance(raw, bool):
        text = str(raw)
    elif isinstance(raw, numbers.Integral):
        text = str(int(raw))
    elif isinstance(raw, numbers.Real):
        number = float(raw)
        if not math.isfinite(number):
            return None
        text = str(int(number)) if number.is_integer() else repr(number)
    else:
        try:
            if pd.isna(cast(Any, raw)) is True:  # pd.NA, pd.NaT, numpy datetime NaT
                return None
        except (TypeError, ValueError):
            pass
        text = str(raw)
    text = text.strip()
    return text or None


def collapse_spaces(text: str) -> str:
    """Unicode NFC, runs of whitespace -> one space, stripped."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def match_key(raw: object) -> str:
    """Key for matching, not for display: accents, case and punctuation folded.

    ``"Hélène"`` -> ``"helene"``; ``"  JEAN-Pierre "`` -> ``"jean pierre"``; missing -> ``""``.
    Every character that is not a letter or digit becomes a space; spaces are collapsed.
    """
    text = as_text(raw)
    if text is None:
        return ""
    if text.isascii():  # the same key without the per-character loop (NFKD leaves ASCII as is)
        return " ".join(_NOT_ASCII_ALNUM.sub(" ", text.lower()).split())
    text = unicodedata.normalize("NFKD", text).casefold()
    text = unicodedata.normalize("NFKD", text)
    kept = [ch if ch.isalnum() else " " for ch in text if not unicodedata.combining(ch)]
    return " ".join("".join(kept).split())


def standardize_series(
    series: pd.Series, func: Callable[..., Standardized], **kwargs: Any
) -> pd.DataFrame:
    """Apply ``func`` to every cell; return a new frame with columns value, ok, reason.

    The frame keeps the series' index; ``value`` and ``reason`` are ``object`` columns holding
    ``str`` or ``None``; ``ok`` is ``bool``, so ``(~frame["ok"]).sum()`` counts the failures.
    The input series is not modified.
    """
    results = [func(cell, **kwargs) for cell in series.tolist()]
    return pd.DataFrame(
        {
            "value": pd.Series([r.value for r in results], index=series.index, dtype=object),
            "ok": pd.Series([r.ok for r in results], index=series.index, dtype=bool),
            "reason": pd.Series([r.reason for r in results], index=series.index, dtype=object),
        }
    )
