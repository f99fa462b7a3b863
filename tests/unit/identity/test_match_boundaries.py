"""Boundaries of dedup scoring, blocking and clustering: each comparison at, just above and just
below its threshold, and the tie-breaks between exact keys."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cible.config.matching import BlockingRule, FieldComparison
from cible.identity import MatchingConfig
from cible.identity.blocking import exact_rules, pairs_within_blocks, sorted_neighbourhood
from cible.identity.clustering import cluster_frame, components
from cible.identity.fellegi_sunter import level_frequencies
from cible.identity.match import score_candidates
from cible.identity.prepare import prepare
from cible.identity.scoring import (
    n_levels,
    random_pair_levels,
    score_pairs,
    to_levels,
    train_model,
    weighted_score,
)

BLOCK = BlockingRule(keys=["name"])
PINNED_AGREEING = 5  # drawn with replacement: 4 of the 28 distinct pairs of NAMES agree


def field(label: str, weight: float = 1.0, levels: list[float] | None = None) -> FieldComparison:
    return FieldComparison(column=label, weight=weight, levels=levels)


def as_set(left: np.ndarray, right: np.ndarray) -> set[tuple[int, int]]:
    return set(zip(left.tolist(), right.tolist(), strict=True))


# --- agreement levels: level 0 is "at or above the first cut-off" ---------------------------


def test_a_similarity_exactly_at_a_cut_off_is_on_its_level() -> None:
    f = field("name", levels=[0.9, 0.7])
    sims = {"name": np.array([1.0, 0.9, 0.9 - 1e-6, 0.7, 0.7 - 1e-6, 0.0, np.nan])}
    assert to_levels(sims, [f])[:, 0].tolist() == [0, 0, 1, 1, 2, 2, -1]
    assert n_levels([f, field("x", levels=[0.5])]) == [3, 2]


def test_levels_are_per_field_columns() -> None:
    fields = [field("a", levels=[0.8]), field("b", levels=[0.9, 0.5])]
    sims = {"a": np.array([0.8, 0.2]), "b": np.array([0.5, np.nan])}
    assert to_levels(sims, fields).tolist() == [[0, 1], [1, -1]]


# --- weighted score: missing fields neither help nor hurt ---------------------------------


def test_weighted_score_uses_weights_over_present_fields_only() -> None:
    fields = [field("a", weight=3.0), field("b", weight=1.0)]
    sims = {"a": np.array([1.0, np.nan, 0.5, np.nan]), "b": np.array([0.0, 0.4, np.nan, np.nan])}
    assert weighted_score(sims, fields).tolist() == pytest.approx([0.75, 0.4, 0.5, 0.0])


def _one_field_config(threshold: float) -> MatchingConfig:
    return MatchingConfig(fields=[field("name")], blocking=[BLOCK], threshold=threshold)


def test_a_pair_scoring_exactly_the_threshold_is_a_match() -> None:
    config = _one_field_config(0.85)
    sims = {"name": np.array([0.85, 0.85 - 1e-9, 0.85 + 1e-9])}
    assert score_pairs(sims, config, None).tolist() == [0.85, 0.85 - 1e-9, 0.85 + 1e-9]
    records = pd.DataFrame({"name": ["a", "b", "c", "d"]}, index=["r1", "r2", "r3", "r4"])
    prepared = prepare(records, config)
    scored = score_candidates(
        prepared, config, np.array([0, 0, 0]), np.array([1, 2, 3]), None, sims=sims
    )
    assert scored.is_match.tolist() == [True, False, True]
    assert scored.rule.tolist() == ["fuzzy", "fuzzy", "fuzzy"]


def test_fellegi_sunter_scoring_needs_a_model() -> None:
    config = MatchingConfig(fields=[field("name")], blocking=[BLOCK], method="fellegi_sunter")
    with pytest.raises(ValueError, match="needs a fitted model"):
        score_pairs({"name": np.array([1.0])}, config, None)


# --- blocking: block size cap, window, exact keys --------------------------------------------


def test_a_block_of_exactly_max_block_size_is_kept_one_more_is_skipped() -> None:
    codes = np.array([0, 0, 0, 1, 1, 1, 1, 2])  # block 0: 3 records, block 1: 4, block 2: 1
    left, right, skipped = pairs_within_blocks(codes, max_block_size=3)
    assert as_set(left, right) == {(0, 1), (0, 2), (1, 2)}
    assert int(skipped) == 1
    left, right, skipped = pairs_within_blocks(codes, max_block_size=4)
    assert len(left) == 3 + 6 and int(skipped) == 0
    left, right, skipped = pairs_within_blocks(codes, max_block_size=2)
    assert len(left) == 0 and int(skipped) == 2


def test_sorted_neighbourhood_pairs_are_fewer_than_window_places_apart() -> None:
    keys = np.array(["a", "b", "c", "d"], dtype=object)
    assert as_set(*sorted_neighbourhood(keys, 2)) == {(0, 1), (1, 2), (2, 3)}
    assert as_set(*sorted_neighbourhood(keys, 4)) == {
        (0, 1),
        (0, 2),
        (0, 3),
        (1, 2),
        (1, 3),
        (2, 3),
    }
    assert as_set(*sorted_neighbourhood(keys, 1)) == set()
    assert as_set(*sorted_neighbourhood(keys[:1], 5)) == set()


def test_exact_rules_label_the_first_key_a_pair_satisfies() -> None:
    config = MatchingConfig(
        fields=[field("name")],
        exact_keys=[["email"], ["phone"]],
    )
    records = pd.DataFrame(
        {
            "name": ["a", "b", "c", "d"],
            "email": ["x@mail.fr", "x@mail.fr", None, None],
            "phone": ["0612345678", "0612345678", "0612345678", None],
        },
        index=["r1", "r2", "r3", "r4"],
    )
    prepared = prepare(records, config)
    rules = exact_rules(prepared, config, np.array([0, 0, 2, 2]), np.array([1, 2, 3, 0]))
    # r1-r2 share both keys: the first listed wins; r3-r4: both emails missing is no match
    assert rules.tolist() == ["exact:email", "exact:phone", None, "exact:phone"]


def test_an_exact_match_scores_one_whatever_its_similarity() -> None:
    config = MatchingConfig(fields=[field("name")], exact_keys=[["email"]], threshold=0.9)
    records = pd.DataFrame(
        {"name": ["a", "b", "c"], "email": ["x@mail.fr", "x@mail.fr", "y@mail.fr"]},
        index=["r1", "r2", "r3"],
    )
    prepared = prepare(records, config)
    sims = {"name": np.array([0.1, 0.1])}
    scored = score_candidates(prepared, config, np.array([0, 0]), np.array([1, 2]), None, sims)
    assert scored.score.tolist() == [1.0, 0.1]
    assert scored.is_match.tolist() == [True, False]
    assert scored.rule.tolist() == ["exact:email", "fuzzy"]


# --- clusters ---------------------------------------------------------------------------------


def test_components_take_the_smallest_node_and_sizes_count_members() -> None:
    labels = components(6, np.array([4, 1]), np.array([5, 4]))
    assert labels.tolist() == [0, 1, 2, 3, 1, 1]
    empty = components(0, np.array([], dtype=int), np.array([], dtype=int))
    assert empty.tolist() == [] and empty.dtype == np.int64
    frame = cluster_frame(np.array(["a", "b", "c", "d", "e", "f"]), labels)
    assert frame["entity_id"].tolist() == ["a", "b", "c", "d", "b", "b"]
    assert frame["cluster_size"].tolist() == [1, 3, 1, 1, 3, 3]


def test_a_similarity_exactly_one_tolerance_below_a_cut_off_is_on_its_level() -> None:
    f = field("name", levels=[0.9])
    sims = {"name": np.array([np.float64(0.9) - 1e-9, np.float64(0.9) - 2e-9])}
    assert to_levels(sims, [f])[:, 0].tolist() == [0, 1]


def test_no_field_means_no_pair() -> None:
    assert to_levels({}, []).shape == (0, 0)
    assert weighted_score({}, []).shape == (0,)


def _fs_config(u_from_random_pairs: bool, max_iter: int = 200) -> MatchingConfig:
    return MatchingConfig(
        fields=[FieldComparison(column="name", comparator="exact")],
        blocking=[BLOCK],
        method="fellegi_sunter",
        em={"u_from_random_pairs": u_from_random_pairs, "max_iter": max_iter, "tol": 1e-3},
    )


NAMES = pd.DataFrame(
    {"name": ["x", "x", "y", "y", "z", "w", "v", "x"]}, index=[f"r{i}" for i in range(8)]
)


def test_random_pairs_never_pair_a_record_with_itself() -> None:
    distinct = pd.DataFrame({"name": list("abcdefgh")}, index=[f"r{i}" for i in range(8)])
    config = _fs_config(True)
    levels = random_pair_levels(prepare(distinct, config), config)
    assert levels.shape == (28, 1)  # capped at the 8 * 7 / 2 pairs
    assert levels[:, 0].tolist() == [1] * 28  # all different names: never an agreement
    seeded = random_pair_levels(prepare(NAMES, config), config)
    # pinned: the seeded sample of 28 pairs holds this many agreeing pairs (x-x and y-y)
    assert int((seeded[:, 0] == 0).sum()) == PINNED_AGREEING


def test_u_is_estimated_when_not_taken_from_random_pairs() -> None:
    config = _fs_config(False)
    prepared = prepare(NAMES, config)
    gamma = np.array([[0], [0], [1], [1], [1], [0]])
    model = train_model(prepared, config, gamma)
    assert model.u_fixed is None
    fixed = train_model(prepared, _fs_config(True), gamma)
    expected = level_frequencies(random_pair_levels(prepared, _fs_config(True)), [2])
    np.testing.assert_allclose(fixed.u_[0], expected[0])
    assert fixed.u_fixed is not None


def test_two_records_are_enough_for_random_pair_u() -> None:
    pair = pd.DataFrame({"name": ["x", "y"]}, index=["a", "b"])
    config = _fs_config(True)
    model = train_model(prepare(pair, config), config, np.array([[1]]))
    assert model.u_fixed is not None
    assert model.u_fixed[0] == pytest.approx([0.0, 1.0], abs=1e-5)  # the only pair disagrees
    single = pd.DataFrame({"name": ["x"]}, index=["a"])
    alone = train_model(prepare(single, config), config, np.array([[0], [1]]))
    assert alone.u_fixed is None


def test_em_settings_reach_the_model() -> None:
    config = _fs_config(False, max_iter=1)
    model = train_model(prepare(NAMES, config), config, np.array([[0], [1], [1], [0], [1]]))
    assert (model.max_iter, model.tol, model.n_iter_) == (1, 1e-3, 1)
