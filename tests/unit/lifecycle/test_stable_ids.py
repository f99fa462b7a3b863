"""Stable segment ids across retrains, splits, merges and the migration matrix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans

from cible.exceptions import LifecycleError
from cible.lifecycle.migration import migration_matrix
from cible.lifecycle.stable_ids import Matching, centroids_of, match_segments
from cible.reporting.lifecycle import migration_sankey

CENTRES = np.array([[0, 0], [6, 0], [0, 6], [6, 6], [3, 12]], dtype=float)


def _world(n_per: int = 400, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = np.repeat(np.arange(len(CENTRES)), n_per)
    x = CENTRES[truth] + rng.normal(0, 0.8, (len(truth), 2))
    ids = [f"c{i:05d}" for i in range(len(truth))]
    return pd.DataFrame(x, index=pd.Index(ids, name="customer_id"), columns=["a", "b"]), truth


def _kmeans(features: pd.DataFrame, k: int, seed: int) -> pd.Series:
    model = KMeans(n_clusters=k, n_init=1, random_state=seed).fit(features.to_numpy())
    return pd.Series(model.labels_, index=features.index, name="segment_id")


def test_retraining_with_another_seed_keeps_every_segment_id() -> None:
    features, _ = _world()
    first = _kmeans(features, 5, seed=1)
    second = _kmeans(features, 5, seed=7)
    assert (first != second).mean() > 0.5  # the raw labels are permuted...
    match = match_segments(
        first, second, centroids_of(features, first), centroids_of(features, second)
    )
    assert len(match.kept) == 5 and match.new == () and match.vanished == ()
    assert match.split == {} and match.merged == {}
    stable = match.relabel(second)
    assert (stable == first).mean() > 0.995  # ...the stable ids are the same segments
    assert stable.name == "segment_id"
    assert migration_matrix(first, stable).moved == int((stable != first).sum())


def test_a_planted_group_of_movers_shows_in_the_migration_matrix() -> None:
    features, truth = _world(seed=3)
    before = pd.Series(truth, index=features.index)
    movers = features.index[(truth == 0)][:150]  # 150 of group 0 move to group 3's region
    after_features = features.copy()
    after_features.loc[movers] = after_features.loc[movers].to_numpy() + np.array([6.0, 6.0])
    raw = _kmeans(after_features, 5, seed=11)
    match = match_segments(
        before, raw, centroids_of(features, before), centroids_of(after_features, raw)
    )
    after = match.relabel(raw)
    matrix = migration_matrix(before, after)
    assert matrix.flow(0, 3) == pytest.approx(150, abs=2)
    assert matrix.moves()[5] == {"from": 0, "to": 3, "customers": matrix.flow(0, 3)}
    off_diagonal = matrix.moved - matrix.flow(0, 3)
    assert off_diagonal <= 5  # nobody else moves (a few boundary points at most)
    assert set(after.loc[movers]) == {3}
    as_json = matrix.to_dict()
    assert as_json["total"] == 2_000 and as_json["from"] == [0, 1, 2, 3, 4]


def test_a_split_and_a_merge_are_reported() -> None:
    ids = [f"c{i}" for i in range(1_000)]
    # before: A = 0..399, B = 400..699, C = 700..999
    before = pd.Series([0] * 400 + [1] * 300 + [2] * 300, index=ids)
    # after: A splits into 10 (0..249) and 11 (250..399); B and C merge into 12
    after = pd.Series([10] * 250 + [11] * 150 + [12] * 600, index=ids)
    match = match_segments(before, after)
    assert match.kept[0] == 10  # the larger part of A keeps A's id
    assert match.ids[10] == 0
    assert match.ids[11] == 3 and match.ids[12] in (1, 2)
    assert match.split == {0: (0, 3)}
    assert match.merged == {match.ids[12]: (1, 2)}
    assert len(match.vanished) == 1 and match.vanished[0] in (1, 2)
    assert match.new == (3,)
    assert match.to_dict()["split"] == {"0": [0, 3]}


def test_a_new_segment_far_from_every_old_one_gets_a_fresh_id() -> None:
    ids = [f"c{i}" for i in range(300)]
    before = pd.Series([5] * 150 + [6] * 150, index=ids[:300])
    after = pd.Series([0] * 150 + [1] * 100 + [2] * 50, index=ids)
    # members of 6 drift into 1 (100) and a brand-new 2 (50, a third of 6: no majority rule met)
    match = match_segments(before, after, rules=Matching(min_share=0.4))
    assert match.ids == {0: 5, 1: 6, 2: 7}
    assert match.new == (7,) and match.split == {} and match.vanished == ()


def test_the_cost_gate_refuses_a_forced_match_and_keeps_one_exactly_at_it() -> None:
    ids = [f"c{i}" for i in range(200)]
    before = pd.Series([0] * 100 + [1] * 100, index=ids)
    # A takes all of 0 and 80 of 1; B the last 20 of 1: Hungarian pairs 0-A and 1-B
    after = pd.Series([10] * 180 + [11] * 20, index=ids)
    match = match_segments(before, after)
    assert float(match.cost.loc[1, 11]) == 0.8  # 1 - Jaccard 20/100
    assert match.kept == {0: 10}  # 1-B costs 0.8 > 0.7: not forced
    assert (match.ids, match.new, match.vanished) == ({10: 0, 11: 2}, (2,), (1,))
    at_gate = match_segments(before, after, rules=Matching(max_cost=0.8))
    assert at_gate.kept == {0: 10, 1: 11} and at_gate.vanished == ()


def test_bad_assignments_are_refused() -> None:
    with pytest.raises(LifecycleError, match="customer 'a' has more than one label"):
        match_segments(pd.Series([1, 2], index=["a", "a"]), pd.Series([1], index=["a"]))
    with pytest.raises(LifecycleError, match="share no customer"):
        match_segments(pd.Series([1], index=["a"]), pd.Series([1], index=["b"]))
    with pytest.raises(LifecycleError, match="were not part"):
        match_segments(pd.Series([1], index=["a"]), pd.Series([1], index=["a"])).relabel(
            pd.Series([9], index=["a"])
        )
    with pytest.raises(LifecycleError, match="min_share"):
        Matching(min_share=0.6)


def test_migration_matrix_counts_entered_and_left_and_draws_a_sankey() -> None:
    before = pd.Series([1, 1, 2, 2], index=["a", "b", "c", "d"])
    after = pd.Series([1, 2, 2, 3], index=["a", "b", "c", "e"])
    m = migration_matrix(before, after)
    assert m.flow(1, 1) == 1 and m.flow(1, 2) == 1 and m.flow(2, 2) == 1
    assert m.flow(2, None) == 1 and m.flow(None, 3) == 1
    assert m.moved == 1 and m.total == 5
    assert m.to_dict()["from"] == [None, 1, 2]
    fig = migration_sankey(m, {1: "Champions", 2: "Loyal"}, {1: "Champions"})
    sankey = fig.data[0]
    assert list(sankey.node.label) == [
        "entered",
        "1 Champions",
        "2 Loyal",
        "left",
        "1 Champions",
        "Segment 2",
        "Segment 3",
    ]
    assert sum(sankey.link.value) == 5
