"""find_duplicates end to end on hand-made records; clusters; pairwise metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cible.exceptions import DedupError
from cible.identity import MatchingConfig, find_duplicates, pairwise_metrics
from cible.identity.clustering import components
from cible.identity.fellegi_sunter import level_frequencies
from cible.identity.prepare import prepare
from cible.identity.scoring import n_levels, random_pair_levels

CONFIG = {
    "id_column": "id",
    "exact_keys": [["email", "phone"]],
    "fields": [
        {"column": "first", "standardize": "name"},
        {"column": "last", "standardize": "name"},
        {"column": "email", "standardize": "email", "comparator": "exact"},
        {"column": "phone", "standardize": "phone", "comparator": "exact"},
        {"column": "dob", "standardize": "date", "comparator": "date"},
    ],
    "blocking": [{"keys": ["zip"]}],
}


def test_find_duplicates_on_hand_made_records(people: pd.DataFrame) -> None:
    before = people.copy()
    result = find_duplicates(people, MatchingConfig.model_validate(CONFIG))
    pd.testing.assert_frame_equal(people, before)  # input unchanged
    pairs = result.pairs.set_index(["record_id_l", "record_id_r"])
    assert list(result.pairs.columns) == [
        "record_id_l", "record_id_r", "score", "is_match", "rule",
        "sim_first", "sim_last", "sim_email", "sim_phone", "sim_dob",
    ]  # fmt: skip
    # zip blocks: {r1, r2, r3, r6} and {r4, r5}: 6 + 1 pairs, all scored
    assert len(pairs) == 7
    assert (result.pairs["record_id_l"] < result.pairs["record_id_r"]).all()
    r1r2 = pairs.loc[("r1", "r2")]
    assert r1r2["rule"] == "exact:email+phone" and r1r2["score"] == 1.0 and r1r2["is_match"]
    assert r1r2["sim_first"] == 1.0 and r1r2["sim_dob"] == 1.0  # "12/03/1980" = 1980-03-12
    r1r3 = pairs.loc[("r1", "r3")]
    assert r1r3["rule"] == "fuzzy" and np.isnan(r1r3["sim_email"])
    assert r1r3["sim_dob"] == 0.9  # day and month swapped
    assert r1r3["score"] == pytest.approx((1 + 1 + 0.9) / 3)
    r4r5 = pairs.loc[("r4", "r5")]
    assert r4r5["score"] == pytest.approx(1.0) and r4r5["rule"] == "fuzzy"
    assert not pairs.loc[("r1", "r6"), "is_match"]
    clusters = result.clusters.set_index("record_id")
    assert clusters["entity_id"].to_dict() == {
        "r1": "r1", "r2": "r1", "r3": "r1", "r4": "r4", "r5": "r4", "r6": "r6"
    }  # fmt: skip
    assert clusters["cluster_size"].tolist() == [3, 3, 3, 2, 2, 1]
    stats = result.stats
    assert stats["records"] == 6 and stats["pairs_compared"] == 7
    assert stats["candidate_pairs"] == {"exact:email+phone": 1, "zip": 7}
    assert stats["matches"] == 4 and stats["exact_matches"] == 1 and stats["clusters"] == 3
    assert set(stats["seconds"]) >= {"prepare", "blocking", "compare", "score", "total"}
    assert result.threshold == 0.85 and result.model is None


def test_fellegi_sunter_method_attaches_the_model(people: pd.DataFrame) -> None:
    config = MatchingConfig.model_validate({**CONFIG, "method": "fellegi_sunter"})
    result = find_duplicates(people, config)
    assert result.model is not None and result.stats["em"]["iterations"] >= 1
    assert result.pairs["score"].between(0, 1).all()
    again = find_duplicates(people, config, model=result.model)
    pd.testing.assert_frame_equal(again.pairs, result.pairs)


def test_u_from_random_pairs_stays_fixed(people: pd.DataFrame) -> None:
    config = MatchingConfig.model_validate(
        {**CONFIG, "method": "fellegi_sunter", "em": {"u_from_random_pairs": True}}
    )
    result = find_duplicates(people, config)
    assert result.model is not None
    prepared = prepare(people, config)
    expected = level_frequencies(random_pair_levels(prepared, config), n_levels(config.fields))
    for fitted, random_u in zip(result.model.u_, expected, strict=True):
        np.testing.assert_allclose(fitted, random_u)
    # the sample size is capped at the number of record pairs of 6 records (15)
    assert len(random_pair_levels(prepared, config)) == 15


def test_fellegi_sunter_needs_candidate_pairs(people: pd.DataFrame) -> None:
    config = MatchingConfig.model_validate(
        {**CONFIG, "method": "fellegi_sunter", "exact_keys": [], "blocking": [{"keys": ["id"]}]}
    )
    with pytest.raises(DedupError, match="no candidate pair to train on"):
        find_duplicates(people, config)


def test_index_is_the_default_id(people: pd.DataFrame) -> None:
    config = MatchingConfig.model_validate({**CONFIG, "id_column": None})
    result = find_duplicates(people.set_index("id"), config)
    assert result.clusters["record_id"].tolist() == ["r1", "r2", "r3", "r4", "r5", "r6"]


def test_components_label_by_smallest_node() -> None:
    labels = components(6, np.array([1, 4, 2]), np.array([3, 5, 3]))
    assert labels.tolist() == [0, 1, 1, 1, 4, 4]


def test_pairwise_metrics_by_counting() -> None:
    clusters = pd.DataFrame(
        {"record_id": ["a", "b", "c", "d", "e"], "entity_id": ["a", "a", "a", "d", "e"]}
    )
    truth = pd.Series([1, 1, 2, 2, 3], index=["a", "b", "c", "d", "e"])
    metrics = pairwise_metrics(clusters, truth)
    # predicted pairs ab ac bc; true pairs ab cd; agreed ab
    assert metrics == {
        "precision": pytest.approx(1 / 3),
        "recall": pytest.approx(1 / 2),
        "f1": pytest.approx(0.4),
        "true_pairs": 2,
        "predicted_pairs": 3,
        "agreed_pairs": 1,
    }
    singletons = clusters.assign(entity_id=clusters["record_id"])
    assert pairwise_metrics(singletons, truth)["precision"] == 1.0
    with pytest.raises(DedupError, match="1 record id"):
        pairwise_metrics(clusters, truth.drop("e"))


names = st.sampled_from(["anne", "anna", "annie", "paul", "paula", "jo", None])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(names, names, st.sampled_from(["1", "2"])), min_size=1, max_size=25))
def test_clusters_are_a_transitive_partition(rows: list[tuple[str | None, ...]]) -> None:
    records = pd.DataFrame(rows, columns=["first", "last", "zip"], dtype=object)
    records.index = [f"x{i:03d}" for i in range(len(records))]
    before = records.copy()
    config = MatchingConfig.model_validate(
        {
            "fields": [{"column": "first"}, {"column": "last"}],
            "blocking": [{"keys": ["zip"]}, {"keys": ["first"], "window": 3}],
            "threshold": 0.8,
        }
    )
    result = find_duplicates(records, config)
    pd.testing.assert_frame_equal(records, before)
    clusters = result.clusters
    assert sorted(clusters["record_id"]) == sorted(records.index)  # a partition of the input
    entity = clusters.set_index("record_id")["entity_id"]
    # every matching pair is inside one cluster; entity ids are the smallest member
    matches = result.pairs[result.pairs["is_match"]]
    assert (
        entity.loc[matches["record_id_l"]].to_numpy()
        == entity.loc[matches["record_id_r"]].to_numpy()
    ).all()
    smallest = clusters.groupby("entity_id")["record_id"].min()
    assert (smallest.index == smallest.to_numpy()).all()
    sizes = clusters.groupby("entity_id")["record_id"].transform("size")
    assert (sizes == clusters["cluster_size"]).all()
