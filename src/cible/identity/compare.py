"""Comparators: one similarity in [0, 1] per candidate pair and field (NaN when a side is missing).

String comparators run in C++ through :func:`rapidfuzz.process.cpdist` on the distinct pairs of
values only (names repeat a lot: ``("martin", "martin")`` is computed once). The others are numpy
expressions over values parsed once per record.

============================  ============================================================
comparator                    similarity
============================  ============================================================
``exact``                     1 when equal, else 0
``jaro_winkler``              Jaro-Winkler similarity (rewards a common prefix)
``name_words``                Jaro-Winkler, or 0.9 x the token-set ratio when higher: a word
                              more, less or moved (``katsu`` / ``restaurant katsu``) gives 0.9
``levenshtein``               1 - edits / length of the longer value
``damerau_levenshtein``       same, a swap of two adjacent characters counting one edit
``token_set``                 token-set ratio: word order and repeated words ignored
``date``                      1 equal; 0.9 day and month swapped; 0.8 one digit typo
                              (substitution, insertion, deletion or two adjacent digits
                              swapped) in ``YYYYMMDD``; 0.6 two typos; else 0
``numeric``                   1 - abs(a - b) / scale (or / max(abs(a), abs(b)) without scale)
``phonetic``                  1 when the phonetic codes (Soundex, NYSIIS, Metaphone) agree
``postcode``                  1 equal; 0.9 one typo (as for dates); else 0.8 times the share
                              of the longer code in the common prefix (``TQ138DF`` and
                              ``TQ138HU``, same sector: 0.8 * 5/7; ``TQ12...``, same area: 0.8
                              * 2/7), since postcodes nest from left to right
============================  ============================================================
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA, DamerauLevenshtein, JaroWinkler, Levenshtein
from rapidfuzz.process import cpdist

from cible.config.matching import FieldComparison
from cible.identity.prepare import Prepared, phonetic_codes

DATE_SWAPPED, DATE_ONE_TYPO, DATE_TWO_TYPOS = 0.9, 0.8, 0.6
POSTCODE_ONE_TYPO, POSTCODE_PREFIX_SCALE = 0.9, 0.8
WORD_SET_SCALE = 0.9

_SCORERS: dict[str, Callable[..., Any]] = {
    "jaro_winkler": JaroWinkler.normalized_similarity,
    "levenshtein": Levenshtein.normalized_similarity,
    "damerau_levenshtein": DamerauLevenshtein.normalized_similarity,
}


def _token_set(a: str, b: str, **kwargs: Any) -> float:
    return float(fuzz.token_set_ratio(a, b, **kwargs)) / 100.0


def _codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    return codes, np.asarray(uniques, dtype=object)


def _on_distinct_pairs(
    values: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    compute: Callable[[list[str], list[str]], np.ndarray],
) -> np.ndarray:
    """Apply ``compute`` to the distinct (left value, right value) pairs; NaN where missing."""
    codes, uniques = _codes(values)
    ca, cb = codes[left], codes[right]
    present = (ca >= 0) & (cb >= 0)
    out = np.full(len(left), np.nan)
    if not present.any():
        return out
    width = np.int64(max(len(uniques), 1))
    encoded = ca[present].astype(np.int64) * width + cb[present]
    distinct, inverse = np.unique(encoded, return_inverse=True)
    da, db = distinct // width, distinct % width
    scores = compute(uniques[da].tolist(), uniques[db].tolist())
    out[present] = np.asarray(scores, dtype=np.float64)[inverse]
    return out


def name_words_similarity(a: list[str], b: list[str]) -> np.ndarray:
    """Jaro-Winkler, or ``WORD_SET_SCALE`` x the token-set ratio when that is higher: a name
    with a word more, less or moved (``"katsu"`` / ``"restaurant katsu"``, ``"hotel bel air"`` /
    ``"bel air hotel"``: 0.9) is a near agreement, below the close level (0.92) of one typo."""
    jw = np.asarray(cpdist(a, b, scorer=JaroWinkler.normalized_similarity, workers=1))
    words = np.asarray(cpdist(a, b, scorer=fuzz.token_set_ratio, workers=1)) / 100.0
    return np.maximum(jw, WORD_SET_SCALE * words).astype(np.float64)


def string_similarity(
    values: np.ndarray, left: np.ndarray, right: np.ndarray, comparator: str
) -> np.ndarray:
    """A rapidfuzz similarity in [0, 1] for every pair."""
    if comparator == "name_words":
        return _on_distinct_pairs(values, left, right, name_words_similarity)
    scorer = _token_set if comparator == "token_set" else _SCORERS[comparator]

    def compute(a: list[str], b: list[str]) -> np.ndarray:
        return np.asarray(cpdist(a, b, scorer=scorer, workers=1), dtype=np.float64)

    return _on_distinct_pairs(values, left, right, compute)


def exact_similarity(values: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    codes, _ = _codes(values)
    ca, cb = codes[left], codes[right]
    return np.where((ca >= 0) & (cb >= 0), (ca == cb).astype(np.float64), np.nan)


def _date_digits(values: np.ndarray) -> np.ndarray:
    """``YYYYMMDD`` digits of every value, ``None`` when the value does not have 8 digits."""
    digits = pd.Series(values, dtype=object).str.replace(r"[^0-9]", "", regex=True)
    eight = digits.str.len().to_numpy(dtype=float, na_value=0) == 8
    out = digits.to_numpy(dtype=object, copy=True)
    out[~eight] = None
    return out


def date_similarity(values: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Dates compared on their digits: equal, day/month swapped, one or two typos."""
    digits = _date_digits(values)

    def compute(a: list[str], b: list[str]) -> np.ndarray:
        sa, sb = pd.Series(a, dtype=str), pd.Series(b, dtype=str)
        equal = (sa == sb).to_numpy()
        swapped = (
            (sa.str[:4] == sb.str[:4]) & (sa.str[4:6] == sb.str[6:8]) & (sa.str[6:8] == sb.str[4:6])
        ).to_numpy()
        edits = np.asarray(cpdist(a, b, scorer=OSA.distance, workers=1))
        return np.select(
            [equal, swapped, edits <= 1, edits <= 2],
            [1.0, DATE_SWAPPED, DATE_ONE_TYPO, DATE_TWO_TYPOS],
            default=0.0,
        )

    out = _on_distinct_pairs(digits, left, right, compute)
    # values that are not 8-digit dates: exact comparison of the text
    raw = exact_similarity(values, left, right)
    fallback = np.isnan(out) & ~np.isnan(raw)
    out[fallback] = raw[fallback]
    return out


def _common_prefix(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Length of the common prefix of every pair of strings."""
    width = int(max(a.str.len().max(), b.str.len().max(), 0))
    same = np.zeros((len(a), width), dtype=bool)
    for k in range(width):
        same[:, k] = (a.str[k : k + 1] == b.str[k : k + 1]).to_numpy() & (a.str.len() > k)
    return np.cumprod(same, axis=1).sum(axis=1) if width else np.zeros(len(a), dtype=int)


def postcode_similarity(values: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Postcodes: equal, one typo, else the share of the common prefix (sector, district, area)."""

    def compute(a: list[str], b: list[str]) -> np.ndarray:
        sa, sb = pd.Series(a, dtype=str), pd.Series(b, dtype=str)
        longer = np.maximum(sa.str.len().to_numpy(), sb.str.len().to_numpy())
        prefix = _common_prefix(sa, sb) / np.maximum(longer, 1)
        edits = np.asarray(cpdist(a, b, scorer=OSA.distance, workers=1))
        return np.select(
            [(sa == sb).to_numpy(), edits <= 1],
            [1.0, POSTCODE_ONE_TYPO],
            default=POSTCODE_PREFIX_SCALE * prefix,
        )

    return _on_distinct_pairs(values, left, right, compute)


def numeric_similarity(
    values: np.ndarray, left: np.ndarray, right: np.ndarray, scale: float | None
) -> np.ndarray:
    numbers = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(float)
    a, b = numbers[left], numbers[right]
    gap = np.abs(a - b)
    if scale is not None:
        sim = 1.0 - gap / scale
    else:
        size = np.maximum(np.abs(a), np.abs(b))
        with np.errstate(invalid="ignore", divide="ignore"):
            sim = np.where(size == 0, 1.0, 1.0 - gap / size)
    return np.where(np.isnan(a) | np.isnan(b), np.nan, np.clip(sim, 0.0, 1.0))


def compare_field(
    prepared: Prepared, field: FieldComparison, left: np.ndarray, right: np.ndarray
) -> np.ndarray:
    """Similarity of every candidate pair on one field (float64, NaN when a side is missing)."""
    values = prepared.values[field.column]
    if field.comparator == "exact":
        return exact_similarity(values, left, right)
    if field.comparator == "phonetic":
        return exact_similarity(phonetic_codes(values, field.phonetic), left, right)
    if field.comparator == "date":
        return date_similarity(values, left, right)
    if field.comparator == "numeric":
        return numeric_similarity(values, left, right, field.scale)
    if field.comparator == "postcode":
        return postcode_similarity(values, left, right)
    return string_similarity(values, left, right, field.comparator)


def crossed_similarity(
    prepared: Prepared,
    field: FieldComparison,
    other: FieldComparison,
    left: np.ndarray,
    right: np.ndarray,
) -> np.ndarray:
    """Similarity of ``field`` on the left record and ``other`` on the right one."""
    values = np.concatenate([prepared.values[field.column], prepared.values[other.column]])
    crossed = Prepared(ids=prepared.ids, values={field.column: values})
    return compare_field(crossed, field, left, right + len(prepared))


def unswap(
    prepared: Prepared,
    fields: list[FieldComparison],
    sims: dict[str, np.ndarray],
    left: np.ndarray,
    right: np.ndarray,
) -> None:
    """Pairs whose ``swap_with`` fields agree better crosswise take the crossed similarities.

    A pair is swapped when both crossed similarities are above both direct ones (a side missing
    is never swapped); ``sims`` is updated in place.
    """
    by_label = {f.label: f for f in fields}
    for f in fields:
        if f.swap_with is None or (f.label > f.swap_with and by_label[f.swap_with].swap_with):
            continue
        g = by_label[f.swap_with]
        fg = crossed_similarity(prepared, f, g, left, right)
        gf = crossed_similarity(prepared, g, f, left, right)
        swapped = np.fmin(fg, gf) > np.fmax(sims[f.label], sims[g.label])
        swapped &= ~(
            np.isnan(fg) | np.isnan(gf) | np.isnan(sims[f.label]) | np.isnan(sims[g.label])
        )
        sims[f.label] = np.where(swapped, fg, sims[f.label])
        sims[g.label] = np.where(swapped, gf, sims[g.label])


def compare_pairs(
    prepared: Prepared, fields: list[FieldComparison], left: np.ndarray, right: np.ndarray
) -> dict[str, np.ndarray]:
    """``{field name: similarities}`` for every compared field (swapped names undone)."""
    sims = {f.label: compare_field(prepared, f, left, right) for f in fields}
    if any(f.swap_with for f in fields):
        unswap(prepared, fields, sims, left, right)
    return sims
