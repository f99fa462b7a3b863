"""Vectorised survivorship: for each entity, the surviving record and, per field, the record whose
value wins (see :mod:`cible.config.survivorship` for the rules).

Everything works on record *positions* (rows of the records frame) and entity codes
``0..n_entities-1``, with NumPy sorts: one ``lexsort`` per field, no Python loop over entities.
When no record of an entity has a value for a field, the surviving record (whose value is then
missing too) is chosen and ``has_value`` is ``False``: the golden value is taken from a real record
in every case, so column types are kept exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cible.config.survivorship import CONSENT_FIELDS, CONSENT_RULE, SurvivorshipConfig
from cible.exceptions import IdentityResolutionError

RECORD_ID = "customer_id"


@dataclass(frozen=True)
class Choices:
    """Survivorship outcome for ``n`` entities and the fields in ``fields``."""

    survivor: np.ndarray  # (n,) position of the surviving record
    fields: tuple[str, ...]
    rules: tuple[str, ...]
    chosen: np.ndarray  # (n, len(fields)) position of the record whose value wins
    has_value: np.ndarray  # (n, len(fields)) False when no record has a value


@dataclass(frozen=True)
class _Ranks:
    recent: np.ndarray  # 0 = most recent record (nulls last, then smallest id)
    oldest: np.ndarray  # 0 = oldest record (nulls last, then smallest id)
    source: np.ndarray  # index in source_priority; unlisted sources after every listed one


def _timestamps(series: pd.Series, column: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        ts = pd.to_datetime(series, utc=True)
    except (ValueError, TypeError) as e:
        raise IdentityResolutionError(
            f"survivorship orders records by column '{column}', which holds values that are not "
            f"timestamps ({type(e).__name__}); set timestamp_column to a timestamp column"
        ) from e
    missing = ts.isna().to_numpy()
    values = ts.dt.tz_localize(None).to_numpy(dtype="datetime64[us]").view("int64")
    return np.where(missing, 0, values), missing


def _ranks(frame: pd.DataFrame, config: SurvivorshipConfig) -> _Ranks:
    column = config.timestamp_column
    if column not in frame.columns:
        raise IdentityResolutionError(
            f"survivorship orders records by column '{column}', absent from the records; "
            f"columns: {list(frame.columns)}"
        )
    ts, missing = _timestamps(frame[column], column)
    id_rank = pd.factorize(frame[RECORD_ID], sort=True)[0]
    n = len(frame)
    recent = np.empty(n, dtype=np.int64)
    recent[np.lexsort((id_rank, -ts, missing))] = np.arange(n)
    oldest = np.empty(n, dtype=np.int64)
    oldest[np.lexsort((id_rank, ts, missing))] = np.arange(n)
    priority = {s: i for i, s in enumerate(config.source_priority)}
    source = frame["source"].map(priority).fillna(len(priority)).to_numpy(dtype=np.int64, copy=True)
    return _Ranks(recent, oldest, source)


def present(series: pd.Series) -> np.ndarray:
    """Mask of values that count as present: not null, not blank text, not an empty JSON ``{}``."""
    mask = series.notna().to_numpy(dtype=bool, copy=True)
    if not (pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)):
        return mask
    values = series[mask]
    if pd.api.types.is_string_dtype(values):
        texts = values.astype(str).str.strip()
    else:
        texts = values.map(lambda v: v.strip() if isinstance(v, str) else v)
    blank = texts.isin(["", "{}"]).to_numpy(dtype=bool)
    mask[np.flatnonzero(mask)[blank]] = False
    return mask


def _first_per_entity(
    ent: np.ndarray, valid: np.ndarray, keys: tuple[np.ndarray, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """(entity codes, positions) of the best valid record per entity, best = smallest ``keys``
    (compared in order)."""
    idx = np.flatnonzero(valid)
    order = np.lexsort((*(k[idx] for k in reversed(keys)), ent[idx]))
    ranked = idx[order]
    first = np.ones(len(ranked), dtype=bool)
    first[1:] = ent[ranked][1:] != ent[ranked][:-1]
    return ent[ranked[first]], ranked[first]


def _field_keys(
    rule: str, series: pd.Series, valid: np.ndarray, ent: np.ndarray, ranks: _Ranks
) -> tuple[np.ndarray, ...]:
    if rule == "most_recent":
        return (ranks.recent,)
    if rule == "oldest":
        return (ranks.oldest,)
    if rule == "source_priority":
        return (ranks.source, ranks.recent)
    key = np.zeros(len(series), dtype=np.int64)
    values = series[valid]
    if rule == CONSENT_RULE:
        key[valid] = values.astype(bool).to_numpy(dtype=np.int64)  # False (withdrawn) first
    elif rule == "longest":
        key[valid] = -values.astype(str).str.len().to_numpy(dtype=np.int64)
    elif rule == "most_frequent":
        codes = pd.factorize(values)[0].astype(np.int64)
        pair = ent[valid].astype(np.int64) * (int(codes.max(initial=0)) + 1) + codes
        _, inverse, counts = np.unique(pair, return_inverse=True, return_counts=True)
        key[valid] = -counts[inverse]
    else:  # pragma: no cover - the config's Literal forbids it
        raise IdentityResolutionError(f"unknown survivorship rule {rule!r}")
    return (key, ranks.recent)


def _survivor(ent: np.ndarray, n_ent: int, ranks: _Ranks, config: SurvivorshipConfig) -> np.ndarray:
    keys = {
        "oldest": (ranks.oldest,),
        "most_recent": (ranks.recent,),
        "source_priority": (ranks.source, ranks.oldest),
    }[config.survivor]
    codes, positions = _first_per_entity(ent, np.ones(len(ent), dtype=bool), keys)
    survivor = np.empty(n_ent, dtype=np.int64)
    survivor[codes] = positions
    return survivor


def choose(
    frame: pd.DataFrame,
    ent: np.ndarray,
    n_ent: int,
    fields: tuple[str, ...],
    config: SurvivorshipConfig,
) -> Choices:
    """Survivorship for records ``frame`` (RangeIndex) grouped by entity codes ``ent``."""
    ranks = _ranks(frame, config)
    survivor = _survivor(ent, n_ent, ranks, config)
    chosen = np.repeat(survivor[:, None], len(fields), axis=1)
    has_value = np.zeros((n_ent, len(fields)), dtype=bool)
    rules = tuple(config.rule_for(f) for f in fields)
    for j, (field, rule) in enumerate(zip(fields, rules, strict=True)):
        series = frame[field]
        valid = present(series)
        if field in CONSENT_FIELDS:
            valid &= series.isin([True, False]).to_numpy(dtype=bool)
        if not valid.any():
            continue
        codes, positions = _first_per_entity(
            ent, valid, _field_keys(rule, series, valid, ent, ranks)
        )
        chosen[codes, j] = positions
        has_value[codes, j] = True
    return Choices(survivor, fields, rules, chosen, has_value)
