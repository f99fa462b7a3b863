"""Pairs per blocking rule, counted from key counts before comparing; too wide / too narrow."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cible.identity import BlockingRule, FieldComparison, MatchingConfig
from cible.identity.blocking import candidate_pairs
from cible.identity.blocking_analysis import (
    analyse_blocking,
    block_pairs,
    count_codes,
    count_rule,
    format_analysis,
    window_pairs,
)
from cible.identity.prepare import prepare


def test_block_pairs_exact_counts() -> None:
    """Blocks of 3, 2 and 1 record: 3 + 1 + 0 pairs; missing keys (-1) are never blocked."""
    codes = np.array([0, 0, 0, 1, 1, 2, -1, -1])
    assert block_pairs(codes) == (4, 2, 3, 0)


def test_block_of_one_record_gives_no_pair() -> None:
    assert block_pairs(np.array([0, 1, 2, 3])) == (0, 0, 1, 0)
    assert block_pairs(np.array([-1, -1, -1])) == (0, 0, 0, 0)


def test_block_pairs_skips_blocks_above_max_block_size() -> None:
    codes = np.array([0, 0, 0, 1, 1, 2])
    assert block_pairs(codes, max_block_size=2) == (1, 2, 3, 1)
    assert block_pairs(codes, max_block_size=3) == (4, 2, 3, 0)


def test_window_pairs() -> None:
    assert window_pairs(5, 3) == 4 + 3
    assert window_pairs(3, 10) == 2 + 1
    assert window_pairs(1, 5) == 0
    assert window_pairs(0, 5) == 0


def test_too_wide_at_its_exact_boundary() -> None:
    """10 records, one block of 5: 10 pairs. 10 > 1.0 x 10 is false; 10 > 0.99 x 10 is true."""
    codes = np.array([0] * 5 + [1, 2, 3, 4, 5])
    at_limit = count_codes("k", codes, wide_factor=1.0, min_pairs=0)
    assert at_limit.pairs == 10 and at_limit.warning is None
    over = count_codes("k", codes, wide_factor=0.99, min_pairs=0)
    assert over.warning == "too_wide: 10 pairs > 0.99 x 10 records (and > 0)"
    # the floor: 10 pairs are never too wide while min_pairs is 10
    assert count_codes("k", codes, wide_factor=0.5, min_pairs=10).warning is None
    assert count_codes("k", codes, wide_factor=0.5, min_pairs=9).warning.startswith("too_wide")


def test_pair_budget() -> None:
    from cible.identity.blocking_analysis import pair_budget

    assert pair_budget(1000) == 50_000  # 10 x 1,000 is below the floor
    assert pair_budget(100_000) == 1_000_000


def test_too_narrow_at_its_exact_boundary() -> None:
    """100 records: 5 sharing a key is 5 %, not below 5 %; 4 sharing is below."""
    five = np.array([0] * 5 + list(range(1, 96)))
    four = np.array([0] * 4 + list(range(1, 97)))
    assert count_codes("k", five).warning is None
    assert count_codes("k", four).warning.startswith("too_narrow: 4 of 100 records share a key")


def test_counts_match_the_pairs_blocking_generates() -> None:
    records = pd.DataFrame(
        {
            "city": ["lyon", "Lyon ", "paris", "paris", "paris", None, "nice"],
            "name": ["a", "b", "c", "d", "e", "f", "g"],
        },
        index=[f"r{i}" for i in range(7)],
    )
    rule = BlockingRule(keys=["city"])
    config = MatchingConfig(fields=[FieldComparison(column="name")], blocking=[rule])
    prepared = prepare(records, config)
    count = count_rule(prepared, rule)
    # lyon (standardised: 2 records) 1 pair + paris 3 pairs; nice alone 0; missing not blocked
    assert count.pairs == 4 == len(candidate_pairs(prepared, config))
    assert (count.blocks, count.largest_block, count.records_without_key) == (2, 3, 1)
    assert count.records_in_shared_blocks == 5


def test_analyse_blocking_covers_exact_keys_and_windows() -> None:
    records = pd.DataFrame(
        {"email": ["x@a.fr", "x@a.fr", "x@a.fr", "y@a.fr"], "name": ["a", "b", "c", "d"]},
        index=["1", "2", "3", "4"],
    )
    config = MatchingConfig(
        fields=[FieldComparison(column="name")],
        exact_keys=[["email"]],
        blocking=[{"keys": ["name"], "window": 3}],
    )
    prepared = prepare(records, config)
    counts = analyse_blocking(prepared, config)
    assert [c.rule for c in counts] == ["exact:email", "sorted(name, window=3)"]
    assert counts[0].pairs == 2  # a star of 3 records
    assert counts[1].pairs == 3 + 2
    text = format_analysis(counts, len(prepared))
    assert "exact:email: 2 pairs (0.50 per record)" in text


def test_cross_source_pairs_per_block() -> None:
    """Block 0: records from a, a, b -> (3^2 - (2^2 + 1^2)) / 2 = 2 pairs; block 1: a, b -> 1;
    a key missing is never blocked."""
    from cible.identity.blocking_analysis import cross_source_pairs

    codes = np.array([0, 0, 0, 1, 1, -1])
    sources = np.array([0, 0, 1, 0, 1, 1])
    assert cross_source_pairs(codes, sources) == 3
    assert count_codes("k", codes, sources=sources).pairs == 3
    assert cross_source_pairs(codes, sources, max_block_size=2) == 1


def test_skipped_blocks_are_named_in_the_warning() -> None:
    codes = np.array([0, 0, 0, 1, 1, *range(2, 40)])
    count = count_codes("k", codes, max_block_size=2)
    assert (count.pairs, count.skipped_blocks) == (1, 1)
    assert count.warning == "skipped_blocks: 1 block(s) above max_block_size 2"
