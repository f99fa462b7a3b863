"""Consistency findings: one value written several ways in one column.

Computed from the distinct values of a column and their counts (never from rows), in three checks:

1. **non-canonical values** (columns with a canonical set: gender, mapped categories): every raw
   spelling outside the canonical set, grouped by the canonical value its standardiser gives
   (``"F"``, ``"Femal"`` -> female; unrecognised -> ``None``);
2. **same entity** (any other text column): when at least half of the rows are states/regions of
   one country (:mod:`cible.quality.regions`: Australian and US states, French regions), the
   regions written in more than one way (``"NSW"`` and ``"New South Wales"``);
3. **same normalised value**: raw values equal once case, accents, spaces and punctuation are
   folded (:func:`~cible.quality.match_key`; :func:`~cible.quality.city_match_key` for cities,
   where ``"St"`` is ``"Saint"``), not already reported by check 2.

For a personal column only the numbers of groups and rows are reported, never the values.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from cible.quality.regions import REGION_NAMES, region_index
from cible.quality.results import Finding, FindingGroup, FindingKind, ValueCount
from cible.quality.standardize_core import Standardized, match_key
from cible.quality.standardize_names import city_match_key

MIN_REGION_SHARE = 0.5
# canonical fields whose codes would be misread as regions ("CA" Canada, "DE" Germany...)
_NOT_REGIONS = frozenset({"country", "currency", "postal_code", "event_type", "channel", "device"})
MAX_GROUPS_LISTED = 10


@dataclass(frozen=True)
class ConsistencyInput:
    """The distinct values of one column (``counts``: value -> rows) and what they stand for."""

    column: str
    counts: list[tuple[str, int]]
    personal: bool = False
    role: str | None = None
    canonical: Callable[[object], Standardized] | None = None
    canonical_values: frozenset[str] = field(default_factory=frozenset)


def find_inconsistencies(data: ConsistencyInput) -> list[Finding]:
    """Every finding of the three checks (see the module docstring) for one column."""
    if not data.counts:
        return []
    if data.canonical is not None:
        return _non_canonical(data)
    findings: list[Finding] = []
    covered: set[str] = set()
    if not data.personal and data.role not in _NOT_REGIONS:
        region = _same_region(data)
        if region is not None:
            findings.append(region)
            covered = {v.value for g in region.groups for v in g.variants}
    same = _same_normalised(data, covered)
    if same is not None:
        findings.append(same)
    return findings


def _variants(pairs: Iterable[tuple[str, int]]) -> tuple[ValueCount, ...]:
    return tuple(ValueCount(v, c) for v, c in sorted(pairs, key=lambda p: (-p[1], p[0])))


def _finding(
    data: ConsistencyInput, kind: FindingKind, groups: list[FindingGroup], what: str
) -> Finding | None:
    if not groups:
        return None
    groups.sort(key=lambda g: (-g.n_rows, g.canonical or ""))
    n_rows = sum(g.n_rows for g in groups)
    n_values = sum(len(g.variants) for g in groups)
    message = f"{n_values:,} {what} in {len(groups):,} group(s), {n_rows:,} rows"
    return Finding(
        kind=kind,
        column=data.column,
        message=message,
        n_groups=len(groups),
        n_rows=n_rows,
        groups=() if data.personal else tuple(groups[:MAX_GROUPS_LISTED]),
    )


def _non_canonical(data: ConsistencyInput) -> list[Finding]:
    assert data.canonical is not None
    by_target: dict[str | None, list[tuple[str, int]]] = defaultdict(list)
    for value, count in data.counts:
        if value not in data.canonical_values:
            by_target[data.canonical(value).value].append((value, count))
    groups = [FindingGroup(target, _variants(pairs)) for target, pairs in by_target.items()]
    allowed = ", ".join(sorted(data.canonical_values))
    finding = _finding(data, "non_canonical", groups, f"spelling(s) outside {{{allowed}}}")
    return [finding] if finding is not None else []


def _same_region(data: ConsistencyInput) -> Finding | None:
    total = sum(c for _, c in data.counts)
    keys = [(match_key(v), v, c) for v, c in data.counts]
    best: tuple[int, str] | None = None
    for country in REGION_NAMES:
        index = region_index(country)
        rows = sum(c for k, _, c in keys if k in index)
        if best is None or rows > best[0]:
            best = (rows, country)
    assert best is not None
    rows, country = best
    if rows < MIN_REGION_SHARE * total:
        return None
    index = region_index(country)
    by_code: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for k, value, count in keys:
        if k in index:
            by_code[index[k]].append((value, count))
    groups = [
        FindingGroup(f"{code} ({REGION_NAMES[country][code]})", _variants(pairs))
        for code, pairs in by_code.items()
        if len(pairs) > 1
    ]
    return _finding(data, "same_entity", groups, f"spellings of {country} regions")


def _same_normalised(data: ConsistencyInput, covered: set[str]) -> Finding | None:
    key = city_match_key if data.role == "city" else match_key
    by_key: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for value, count in data.counts:
        if value not in covered:
            by_key[key(value)].append((value, count))
    groups = [
        FindingGroup(
            None if data.personal else max(pairs, key=lambda p: (p[1], p[0]))[0], _variants(pairs)
        )
        for k, pairs in by_key.items()
        if len(pairs) > 1 and k
    ]
    return _finding(
        data, "same_normalised", groups, "values differing only by case, accents or punctuation"
    )
