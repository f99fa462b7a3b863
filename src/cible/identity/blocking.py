"""Blocking: the candidate pairs worth comparing, as two aligned arrays of record positions.

A rule with keys proposes every pair of records whose key (all parts present) is equal; a rule with
a ``window`` sorts the records on the key and proposes the pairs fewer than ``window`` places
apart (sorted neighbourhood: a typo in the first letters is not fatal). Exact keys propose, for each
group of records sharing the key, the pairs linking the first record of the group to the others
(enough to put the group in one cluster without enumerating every pair of a large group).
The candidate set is the union of all rules, each pair once, with ``left < right``; with a
``link_column`` (linkage between sources), pairs of records of the same source are dropped. Everything is
vectorised with numpy: the pairs of a block are generated without a Python loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cible.config.matching import BlockingKey, BlockingRule, MatchingConfig
from cible.identity.prepare import Prepared, key_values

_SEPARATOR = "\x1f"


@dataclass(frozen=True)
class Candidates:
    """Candidate pairs (``left[k] < right[k]``, positions in :class:`Prepared`) and counts."""

    left: np.ndarray
    right: np.ndarray
    per_rule: dict[str, int] = field(default_factory=dict)
    skipped_blocks: int = 0

    def __len__(self) -> int:
        return len(self.left)


def key_codes(prepared: Prepared, keys: Sequence[BlockingKey]) -> np.ndarray:
    """Integer code of the composite key of every record; ``-1`` when a part is missing."""
    codes = np.zeros(len(prepared), dtype=np.int64)
    for key in keys:
        part, _ = pd.factorize(pd.Series(key_values(prepared, key), dtype=object))
        missing = (codes < 0) | (part < 0)
        combined = codes * (int(part.max(initial=0)) + 1) + part
        codes, _ = pd.factorize(np.where(missing, -1, combined), use_na_sentinel=False)
        codes = np.where(missing, -1, codes).astype(np.int64)
    return codes


def key_strings(prepared: Prepared, keys: Sequence[BlockingKey]) -> np.ndarray:
    """The composite key of every record as text (``None`` when a part is missing)."""
    parts = [key_values(prepared, key) for key in keys]
    out = np.empty(len(prepared), dtype=object)
    for i in range(len(prepared)):
        values = [p[i] for p in parts]
        out[i] = None if any(v is None for v in values) else _SEPARATOR.join(values)
    return out


def _grouped(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions with a key, sorted by key (stable), the start and the size of each group."""
    valid = np.flatnonzero(codes >= 0)
    order = valid[np.argsort(codes[valid], kind="stable")]
    sorted_codes = codes[order]
    if len(order) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return order, empty, empty
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
    sizes = np.diff(np.r_[starts, len(order)])
    return order, starts, sizes


def pairs_within_blocks(codes: np.ndarray, max_block_size: int) -> tuple[np.ndarray, ...]:
    """Every pair of records sharing a code (blocks above ``max_block_size`` are skipped).

    Returns ``(left, right, skipped_blocks)``, with ``skipped_blocks`` a 0-d array.
    """
    order, starts, sizes = _grouped(codes)
    keep = (sizes >= 2) & (sizes <= max_block_size)
    block_end = np.repeat(starts + sizes, sizes)
    position = np.arange(len(order))
    counts = np.where(np.repeat(keep, sizes), block_end - position - 1, 0)
    left_sorted = np.repeat(position, counts)
    run_start = np.cumsum(counts) - counts
    right_sorted = left_sorted + 1 + (np.arange(int(counts.sum())) - np.repeat(run_start, counts))
    a, b = order[left_sorted], order[right_sorted]
    return np.minimum(a, b), np.maximum(a, b), np.array(int((sizes > max_block_size).sum()))


def star_pairs(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each group of records sharing a code: (first record of the group, each other one)."""
    order, starts, sizes = _grouped(codes)
    first = np.repeat(order[starts], sizes)
    others = first != order
    a, b = first[others], order[others]
    return np.minimum(a, b), np.maximum(a, b)


def sorted_neighbourhood(keys: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of records fewer than ``window`` places apart once sorted on their key (text)."""
    valid = np.flatnonzero(pd.notna(keys))
    order = valid[np.argsort(keys[valid].astype(str), kind="stable")]
    lefts, rights = [], []
    for offset in range(1, min(window, len(order))):
        a, b = order[:-offset], order[offset:]
        lefts.append(np.minimum(a, b))
        rights.append(np.maximum(a, b))
    if not lefts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    return np.concatenate(lefts), np.concatenate(rights)


def rule_pairs(
    prepared: Prepared, rule: BlockingRule, max_block_size: int
) -> tuple[np.ndarray, np.ndarray, int]:
    """The candidate pairs of one blocking rule and the number of blocks it skipped."""
    if rule.window is not None:
        left, right = sorted_neighbourhood(key_strings(prepared, rule.keys), rule.window)
        return left, right, 0
    left, right, skipped = pairs_within_blocks(key_codes(prepared, rule.keys), max_block_size)
    return left, right, int(skipped)


def exact_key_codes(prepared: Prepared, key: Sequence[str]) -> np.ndarray:
    """Codes of an exact key (standardised values of every part; ``-1`` if one is missing)."""
    return key_codes(prepared, [BlockingKey(column=column) for column in key])


def exact_label(key: Sequence[str]) -> str:
    return "exact:" + "+".join(key)


def unique_pairs(
    lefts: Sequence[np.ndarray], rights: Sequence[np.ndarray], n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Union of pair arrays, each pair once, sorted by (left, right)."""
    if not lefts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    encoded = np.unique(
        np.concatenate([a.astype(np.int64) * n + b for a, b in zip(lefts, rights, strict=True)])
    )
    return encoded // n, encoded % n


def cross_source(
    prepared: Prepared, column: str, left: np.ndarray, right: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The pairs whose records come from different sources (a missing source is its own)."""
    codes, _ = pd.factorize(pd.Series(prepared.values[column], dtype=object))
    codes = np.where(codes < 0, -1 - np.arange(len(codes)), codes)
    keep = codes[left] != codes[right]
    return left[keep], right[keep]


def candidate_pairs(prepared: Prepared, config: MatchingConfig) -> Candidates:
    """The union of the pairs of every exact key and blocking rule."""
    lefts: list[np.ndarray] = []
    rights: list[np.ndarray] = []
    per_rule: dict[str, int] = {}
    skipped = 0
    for key in config.exact_keys:
        a, b = star_pairs(exact_key_codes(prepared, key))
        lefts.append(a)
        rights.append(b)
        per_rule[exact_label(key)] = len(a)
    for rule in config.blocking:
        a, b, rule_skipped = rule_pairs(prepared, rule, config.max_block_size)
        lefts.append(a)
        rights.append(b)
        per_rule[rule.label] = per_rule.get(rule.label, 0) + len(a)
        skipped += rule_skipped
    left, right = unique_pairs(lefts, rights, max(len(prepared), 1))
    if config.link_column is not None:
        left, right = cross_source(prepared, config.link_column, left, right)
    return Candidates(left=left, right=right, per_rule=per_rule, skipped_blocks=skipped)


def exact_rules(
    prepared: Prepared, config: MatchingConfig, left: np.ndarray, right: np.ndarray
) -> np.ndarray:
    """For each pair, the label of the first exact key it satisfies, else ``None``."""
    rules = np.full(len(left), None, dtype=object)
    for key in config.exact_keys:
        codes = exact_key_codes(prepared, key)
        equal = (codes[left] >= 0) & (codes[left] == codes[right]) & pd.isna(rules)
        rules[equal] = exact_label(key)
    return rules
