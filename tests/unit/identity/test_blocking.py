"""Blocking: pairs within blocks, exact-key stars, sorted neighbourhood, key transforms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cible.exceptions import DedupError
from cible.identity import BlockingKey, MatchingConfig
from cible.identity.blocking import (
    candidate_pairs,
    exact_rules,
    pairs_within_blocks,
    sorted_neighbourhood,
    star_pairs,
    unique_pairs,
)
from cible.identity.prepare import key_values, prepare


def as_set(left: np.ndarray, right: np.ndarray) -> set[tuple[int, int]]:
    return set(zip(left.tolist(), right.tolist(), strict=True))


def test_pairs_within_blocks_enumerates_each_block() -> None:
    codes = np.array([0, 1, 0, -1, 0, 1, 2])
    left, right, skipped = pairs_within_blocks(codes, max_block_size=10)
    assert as_set(left, right) == {(0, 2), (0, 4), (2, 4), (1, 5)}
    assert np.all(left < right)
    assert int(skipped) == 0


def test_pairs_within_blocks_skips_large_blocks() -> None:
    codes = np.array([0, 1, 0, -1, 0, 1, 2])
    left, right, skipped = pairs_within_blocks(codes, max_block_size=2)
    assert as_set(left, right) == {(1, 5)}
    assert int(skipped) == 1


def test_star_pairs_link_each_group_to_its_first_record() -> None:
    left, right = star_pairs(np.array([3, 3, -1, 3, 5, 5]))
    assert as_set(left, right) == {(0, 1), (0, 3), (4, 5)}


def test_sorted_neighbourhood_window() -> None:
    keys = np.array(["b", "a", None, "c", "ab"], dtype=object)  # sorted: a(1) ab(4) b(0) c(3)
    assert as_set(*sorted_neighbourhood(keys, 2)) == {(1, 4), (0, 4), (0, 3)}
    assert as_set(*sorted_neighbourhood(keys, 3)) == {(1, 4), (0, 4), (0, 3), (0, 1), (3, 4)}


def test_unique_pairs_deduplicates_and_sorts() -> None:
    left, right = unique_pairs(
        [np.array([2, 0]), np.array([0, 1])], [np.array([3, 1]), np.array([1, 2])], 4
    )
    assert left.tolist() == [0, 1, 2]
    assert right.tolist() == [1, 2, 3]


@pytest.mark.parametrize(
    ("transform", "length", "expected"),
    [
        ("value", None, ["dupont", "dupond", "dupont", "martin", "martin", "petit"]),
        ("soundex", None, ["D153", "D153", "D153", "M635", "M635", "P330"]),
        ("nysiis", None, ["DAPAD", "DAPAD", "DAPAD", "MARTAN", "MARTAN", "PATAT"]),
        ("metaphone", None, ["TPNT", "TPNT", "TPNT", "MRTN", "MRTN", "PTT"]),
        ("prefix", 3, ["dup", "dup", "dup", "mar", "mar", "pet"]),
        ("suffix", 2, ["nt", "nd", "nt", "in", "in", "it"]),
    ],
)
def test_key_transforms(
    people: pd.DataFrame, transform: str, length: int | None, expected: list[str]
) -> None:
    config = MatchingConfig.model_validate(
        {"id_column": "id", "fields": [{"column": "last"}], "blocking": [{"keys": ["last"]}]}
    )
    key = BlockingKey.model_validate({"column": "last", "transform": transform, "length": length})
    assert key_values(prepare(people, config), key).tolist() == expected


def test_year_and_first_token_keys(people: pd.DataFrame) -> None:
    config = MatchingConfig.model_validate(
        {
            "id_column": "id",
            "fields": [{"column": "dob", "comparator": "date", "standardize": "date"}],
            "blocking": [{"keys": ["dob"]}],
        }
    )
    prepared = prepare(people, config)
    year = key_values(prepared, BlockingKey(column="dob", transform="year"))
    assert year.tolist() == ["1980", "1980", "1980", "1975", "1975", None]
    first = key_values(prepared, BlockingKey(column="dob", transform="first_token"))
    assert first.tolist()[0] == "1980-03-12"


def test_candidate_pairs_union_and_counts(people: pd.DataFrame) -> None:
    config = MatchingConfig.model_validate(
        {
            "id_column": "id",
            "exact_keys": [["phone"]],
            "fields": [{"column": "last"}, {"column": "phone", "standardize": "phone"}],
            "blocking": [
                {"keys": [{"column": "last", "transform": "soundex"}]},
                {"keys": ["zip"], "window": 2},
            ],
        }
    )
    prepared = prepare(people, config)
    candidates = candidate_pairs(prepared, config)
    # positions follow the sorted ids r1..r6 = 0..5
    assert candidates.per_rule == {
        "exact:phone": 2,  # r1-r2 (same E.164 number), r4-r5
        "soundex(last)": 4,  # r1-r2, r1-r3, r2-r3, r4-r5
        "sorted(zip, window=2)": 5,
    }
    # zip sorted (key, position): r4 r5 | r1 r2 r3 r6 -> window pairs (3,4) (0,4) (0,1) (1,2) (2,5)
    assert as_set(candidates.left, candidates.right) == {
        (0, 1), (0, 2), (1, 2), (3, 4), (0, 4), (2, 5)
    }  # fmt: skip
    rules = exact_rules(prepared, config, candidates.left, candidates.right)
    assert rules.tolist() == ["exact:phone", None, None, None, None, "exact:phone"]


def test_prepare_refuses_bad_ids(people: pd.DataFrame) -> None:
    config = MatchingConfig.model_validate(
        {"id_column": "id", "fields": [{"column": "last"}], "blocking": [{"keys": ["zip"]}]}
    )
    with pytest.raises(DedupError, match="ids must be unique; 1 id"):
        prepare(people.assign(id=["a", "a", "b", "c", "d", "e"]), config)
    with pytest.raises(DedupError, match=r"record id missing on row\(s\) \[2\]"):
        prepare(people.assign(id=["a", None, "b", "c", "d", "e"]), config)
    with pytest.raises(DedupError, match="id column 'uid' is not in the records"):
        prepare(people, config.model_copy(update={"id_column": "uid"}))
    with pytest.raises(DedupError, match=r"column\(s\) \['zip'\] named in the matching"):
        prepare(people.drop(columns="zip"), config)
