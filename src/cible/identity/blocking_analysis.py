"""How many candidate pairs each blocking rule proposes, counted before comparing anything.

A key-equality rule proposes, for each key value shared by ``n`` records, ``n * (n - 1) / 2``
pairs; a record whose key has a missing part is in no block (it proposes nothing and is counted
in ``records_without_key``). A sorted-neighbourhood rule with window ``w`` over ``k`` records with
a key proposes ``sum_{d=1}^{w-1} (k - d)`` pairs. Both figures come from value counts only: the
analysis of a rule costs one ``factorize`` and one ``bincount``, whatever the number of pairs.

Warnings, per rule, with ``N`` the number of records:

* ``too_wide`` when the rule proposes more than ``max(wide_factor * N, min_pairs)`` pairs
  (default 10 pairs per record, and never below 50,000 pairs, which cost a fraction of a second
  to compare): beyond, comparing costs more than the rest of the run and EM is flooded with
  non-matches;
* ``too_narrow`` when fewer than ``narrow_share`` of the records (default 5 %) share a key with
  another record: the rule can find at most that share of the duplicates;
* ``skipped_blocks`` when blocks larger than ``max_block_size`` are skipped (their pairs are not
  counted among the proposed ones).

Splink's ``count_comparisons_from_blocking_rule`` counts the same ``n * (n - 1) / 2`` sums in SQL;
this one also reports, without comparing, the largest block, the share of records left out by
missing keys and the blocks ``max_block_size`` drops, and runs on the standardised values the
comparison will use (so ``"Smith "`` and ``"smith"`` are one block, as they will be).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from cible.config.matching import BlockingRule, MatchingConfig
from cible.identity.blocking import exact_key_codes, exact_label, key_codes, key_strings
from cible.identity.prepare import Prepared

WIDE_FACTOR = 10.0
MIN_WIDE_PAIRS = 50_000
NARROW_SHARE = 0.05


@dataclass(frozen=True)
class RuleCount:
    """What one rule proposes: pairs, blocks, the largest block, records with no key."""

    rule: str
    pairs: int
    blocks: int
    largest_block: int
    records_without_key: int
    records_in_shared_blocks: int
    skipped_blocks: int
    warning: str | None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def block_pairs(codes: np.ndarray, max_block_size: int | None = None) -> tuple[int, int, int, int]:
    """``(pairs, blocks with >= 2 records, largest block, skipped blocks)`` of key codes.

    ``codes`` holds one integer per record, ``-1`` when the key is missing (never blocked).
    Blocks above ``max_block_size`` are skipped: they count in the last figure, not in pairs.
    """
    valid = codes[codes >= 0]
    if len(valid) == 0:
        return 0, 0, 0, 0
    sizes = np.bincount(valid).astype(np.int64)
    sizes = sizes[sizes > 0]
    skipped = sizes > max_block_size if max_block_size is not None else np.zeros(len(sizes), bool)
    kept = sizes[~skipped]
    pairs = int((kept * (kept - 1) // 2).sum())
    return pairs, int((sizes >= 2).sum()), int(sizes.max()), int(skipped.sum())


def window_pairs(n_with_key: int, window: int) -> int:
    """Pairs of a sorted neighbourhood of ``window`` over ``n_with_key`` records."""
    reach = min(window - 1, max(n_with_key - 1, 0))
    return int(sum(n_with_key - d for d in range(1, reach + 1)))


def pair_budget(n: int, wide_factor: float = WIDE_FACTOR, min_pairs: int = MIN_WIDE_PAIRS) -> float:
    """The most pairs a rule may propose before it is too wide."""
    return max(wide_factor * n, float(min_pairs))


def _warning(
    pairs: int, shared: int, n: int, wide_factor: float, narrow_share: float, min_pairs: int
) -> str | None:
    if pairs > pair_budget(n, wide_factor, min_pairs):
        return f"too_wide: {pairs:,} pairs > {wide_factor:g} x {n:,} records (and > {min_pairs:,})"
    if n and shared < narrow_share * n:
        return (
            f"too_narrow: {shared:,} of {n:,} records share a key "
            f"(< {narrow_share:.0%}); the rule can find few duplicates"
        )
    return None


def cross_source_pairs(
    codes: np.ndarray, sources: np.ndarray, max_block_size: int | None = None
) -> int:
    """Pairs of records sharing a code but not a source: per block ``(n^2 - sum n_s^2) / 2``."""
    valid = codes >= 0
    if not valid.any():
        return 0
    sizes = np.bincount(codes[valid]).astype(np.int64)
    groups, joint = np.unique(np.c_[codes[valid], sources[valid]], axis=0, return_counts=True)
    block_of = groups[:, 0]
    same = np.bincount(block_of, weights=joint.astype(np.float64) ** 2, minlength=len(sizes))
    kept = sizes <= max_block_size if max_block_size is not None else np.ones(len(sizes), bool)
    return int(((sizes[kept] ** 2 - same[kept].astype(np.int64)) // 2).sum())


def _skipped_warning(skipped: int, max_block_size: int | None) -> str | None:
    if not skipped:
        return None
    return f"skipped_blocks: {skipped:,} block(s) above max_block_size {max_block_size:,}"


def count_codes(
    label: str,
    codes: np.ndarray,
    *,
    max_block_size: int | None = None,
    wide_factor: float = WIDE_FACTOR,
    narrow_share: float = NARROW_SHARE,
    sources: np.ndarray | None = None,
    min_pairs: int = MIN_WIDE_PAIRS,
) -> RuleCount:
    """The :class:`RuleCount` of a key-equality rule given its key codes (with ``sources``,
    one code per record's source, only cross-source pairs are counted)."""
    pairs, blocks, largest, skipped = block_pairs(codes, max_block_size)
    if sources is not None:
        pairs = cross_source_pairs(codes, sources, max_block_size)
    valid = codes[codes >= 0]
    sizes = np.bincount(valid) if len(valid) else np.zeros(0, dtype=np.int64)
    shared = int(sizes[sizes >= 2].sum())
    n = len(codes)
    return RuleCount(
        rule=label,
        pairs=pairs,
        blocks=blocks,
        largest_block=largest,
        records_without_key=int((codes < 0).sum()),
        records_in_shared_blocks=shared,
        skipped_blocks=skipped,
        warning=_warning(pairs, shared, n, wide_factor, narrow_share, min_pairs)
        or _skipped_warning(skipped, max_block_size),
    )


def count_rule(
    prepared: Prepared,
    rule: BlockingRule,
    *,
    max_block_size: int | None = None,
    wide_factor: float = WIDE_FACTOR,
    narrow_share: float = NARROW_SHARE,
    sources: np.ndarray | None = None,
    min_pairs: int = MIN_WIDE_PAIRS,
) -> RuleCount:
    """Pairs one blocking rule proposes on standardised records (nothing compared).

    With ``sources`` (linkage), a key-equality rule counts the cross-source pairs only; a sorted
    neighbourhood counts every pair of its windows (an upper bound).
    """
    if rule.window is None:
        return count_codes(
            rule.label,
            key_codes(prepared, rule.keys),
            max_block_size=max_block_size,
            wide_factor=wide_factor,
            narrow_share=narrow_share,
            sources=sources,
            min_pairs=min_pairs,
        )
    keys = key_strings(prepared, rule.keys)
    with_key = int(sum(k is not None for k in keys))
    pairs = window_pairs(with_key, rule.window)
    n = len(prepared)
    return RuleCount(
        rule=rule.label,
        pairs=pairs,
        blocks=1 if with_key >= 2 else 0,
        largest_block=rule.window if with_key >= rule.window else with_key,
        records_without_key=n - with_key,
        records_in_shared_blocks=with_key if with_key >= 2 else 0,
        skipped_blocks=0,
        warning=_warning(
            pairs, with_key if with_key >= 2 else 0, n, wide_factor, narrow_share, min_pairs
        ),
    )


def analyse_blocking(
    prepared: Prepared,
    config: MatchingConfig,
    *,
    wide_factor: float = WIDE_FACTOR,
    narrow_share: float = NARROW_SHARE,
) -> list[RuleCount]:
    """One :class:`RuleCount` per exact key and blocking rule of ``config``.

    Exact keys link a block as a star (``n - 1`` pairs), so their pair count is that of the
    star, and they are never too wide.
    """
    out = []
    for key in config.exact_keys:
        codes = exact_key_codes(prepared, key)
        valid = codes[codes >= 0]
        sizes = np.bincount(valid) if len(valid) else np.zeros(0, dtype=np.int64)
        sizes = sizes[sizes > 0]
        out.append(
            RuleCount(
                rule=exact_label(key),
                pairs=int((sizes - 1).sum()),
                blocks=int((sizes >= 2).sum()),
                largest_block=int(sizes.max(initial=0)),
                records_without_key=int((codes < 0).sum()),
                records_in_shared_blocks=int(sizes[sizes >= 2].sum()),
                skipped_blocks=0,
                warning=None,
            )
        )
    for rule in config.blocking:
        out.append(
            count_rule(
                prepared,
                rule,
                max_block_size=config.max_block_size,
                wide_factor=wide_factor,
                narrow_share=narrow_share,
            )
        )
    return out


def format_analysis(counts: list[RuleCount], n_records: int) -> str:
    """The analysis as printable lines: rule, pairs, pairs per record, largest block, warning."""
    lines = [f"blocking analysis on {n_records:,} records (pairs counted, nothing compared):"]
    for c in counts:
        per = c.pairs / n_records if n_records else 0.0
        line = (
            f"  {c.rule}: {c.pairs:,} pairs ({per:.2f} per record), largest block "
            f"{c.largest_block:,}, {c.records_without_key:,} records without a key"
        )
        if c.warning:
            line += f"  WARNING {c.warning}"
        lines.append(line)
    return "\n".join(lines)
