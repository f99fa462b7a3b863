"""Incremental matching: same partition as a full re-run, far fewer pairs; merges reported."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cible.exceptions import DedupError
from cible.identity import (
    IncrementalMatcher,
    MatchingConfig,
    find_duplicates,
    load_matching_config,
    pairwise_metrics,
)
from cible.synth.duplicates import planted_customers

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "customers_dedup.yaml"


def same_partition(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    truth = b.set_index("record_id")["entity_id"]
    metrics = pairwise_metrics(a, truth)
    return metrics["precision"] == 1.0 and metrics["recall"] == 1.0 and len(a) == len(b)


@pytest.fixture(scope="module")
def split() -> tuple[pd.DataFrame, pd.DataFrame]:
    records = planted_customers(3000, seed=5).records
    new = np.random.default_rng(0).uniform(size=len(records)) < 0.05
    return records[~new], records[new]


@pytest.mark.parametrize("method", ["threshold", "fellegi_sunter"])
def test_incremental_equals_full_rerun(
    split: tuple[pd.DataFrame, pd.DataFrame], method: str
) -> None:
    base, new = split
    config = load_matching_config(EXAMPLE).model_copy(
        update={"method": method, "threshold": 0.85 if method == "threshold" else 0.5}
    )
    base_result = find_duplicates(base, config)
    before = new.copy()
    incremental = IncrementalMatcher(config).fit(base, base_result).match(new)
    pd.testing.assert_frame_equal(new, before)
    full = find_duplicates(pd.concat([base, new]), config, model=base_result.model)
    assert same_partition(incremental.clusters, full.clusters)
    # far fewer comparisons than the full re-run
    assert incremental.stats["pairs_compared"] * 5 < full.stats["pairs_compared"]
    # the incremental pairs are exactly the full run's pairs that involve a new record
    new_ids = set(new["record_id"])
    involved = full.pairs[
        full.pairs["record_id_l"].isin(new_ids) | full.pairs["record_id_r"].isin(new_ids)
    ]
    assert len(incremental.pairs) == len(involved)
    assert incremental.stats["new_records"] == len(new)
    assert set(incremental.assignments["record_id"]) == new_ids
    assert incremental.stats["new_entities"] == int(incremental.assignments["is_new_entity"].sum())


def test_counts_on_a_fixed_split(split: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    base, new = split
    config = load_matching_config(EXAMPLE).model_copy(update={"method": "threshold"})
    base_result = find_duplicates(base, config)
    incremental = IncrementalMatcher(config).fit(base, base_result).match(new)
    full = find_duplicates(pd.concat([base, new]), config)
    assert (len(base), len(new)) == (2840, 160)
    assert (incremental.stats["pairs_compared"], full.stats["pairs_compared"]) == (157, 1281)


def small_config() -> MatchingConfig:
    return MatchingConfig.model_validate(
        {
            "id_column": "id",
            "exact_keys": [["email"]],
            "fields": [{"column": "name"}, {"column": "email", "comparator": "exact"}],
            "blocking": [{"keys": ["email"]}, {"keys": ["name"]}],
            "threshold": 0.9,
        }
    )


def test_a_bridging_record_merges_two_entities() -> None:
    base = pd.DataFrame(
        {
            "id": ["b1", "b2", "b3", "b4"],
            "name": ["anne roy", "anne roy", "paul dumas", "luc petit"],
            "email": ["anne@x.fr", None, "paul@x.fr", "luc@x.fr"],
        }
    )
    config = small_config()
    result = find_duplicates(base, config)
    assert result.clusters["entity_id"].tolist() == ["b1", "b1", "b3", "b4"]
    new = pd.DataFrame(
        {
            # n1: Paul's e-mail (exact key with b3), Anne's name without e-mail conflict with b2
            "id": ["n1", "a0", "n3"],
            "name": ["anne roy", "zoe faure", "zoe faure"],
            "email": ["paul@x.fr", None, "zoe@x.fr"],
        }
    )
    incremental = IncrementalMatcher(config).fit(base, result).match(new)
    assert incremental.assignments.to_dict("list") == {
        "record_id": ["a0", "n1", "n3"],
        "entity_id": ["a0", "b1", "a0"],
        "is_new_entity": [True, False, True],
    }
    assert incremental.merges.to_dict("list") == {
        "entity_id": ["b1"],
        "merged_entity_id": ["b3"],
    }
    clusters = incremental.clusters.set_index("record_id")
    assert clusters.loc["b3", "entity_id"] == "b1" and clusters.loc["b3", "cluster_size"] == 4
    assert clusters.loc["b4", "entity_id"] == "b4"
    assert incremental.stats["merges"] == 1 and incremental.stats["new_entities"] == 2


def test_errors() -> None:
    config = small_config()
    base = pd.DataFrame({"id": ["b1"], "name": ["anne"], "email": ["a@x.fr"]})
    result = find_duplicates(base, config)
    with pytest.raises(DedupError, match="not fitted"):
        IncrementalMatcher(config).match(base)
    matcher = IncrementalMatcher(config).fit(base, result)
    with pytest.raises(DedupError, match="1 new record id"):
        matcher.match(base)
    with pytest.raises(DedupError, match="not in the result's clusters"):
        IncrementalMatcher(config).fit(base.assign(id=["zz"]), result)
    fs = config.model_copy(update={"method": "fellegi_sunter"})
    with pytest.raises(DedupError, match="no Fellegi-Sunter model"):
        IncrementalMatcher(fs).fit(base, result)
