"""Undo: detach one record or split an entity; Hypothesis invariants over random entities."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cible.exceptions import IdentityResolutionError
from cible.identity import GoldenResult, build_golden, undo_entity, undo_merge
from tests.unit.identity.frames import (
    clusters,
    customers,
    family,
    family_clusters,
    family_pairs,
    pairs,
    ts,
)

NOW = ts(2025, 6, 1)
LATER = ts(2025, 7, 1)


def _built() -> GoldenResult:
    return build_golden(family(), family_clusters(), family_pairs(), now=NOW)


def _as_records(golden: pd.DataFrame) -> pd.DataFrame:
    return (
        golden.drop(columns=["entity_id", "n_records"])
        .sort_values("customer_id")
        .reset_index(drop=True)
    )


def test_detaching_a_leaf_rebuilds_the_rest() -> None:
    before = _built()
    old_merge = before.id_map["merge_id"].iloc[0]
    after = undo_merge(before, family(), "C", now=LATER)
    assert after.id_map["entity_id"].tolist() == ["A", "A", "C", "D"]
    assert after.id_map["surviving_id"].tolist() == ["A", "A", "C", "D"]
    ann = after.golden.set_index("entity_id").loc["A"]
    assert ann["n_records"] == 2
    assert (ann["first_name"], ann["consent_email"], ann["last_name"]) == ("Anne", False, "Martin")
    c_row = after.golden.set_index("entity_id").loc["C"]
    assert (c_row["customer_id"], c_row["last_name"], c_row["n_records"]) == (
        "C",
        "Martin-Durand",
        1,
    )
    log = after.merge_log
    undo = log[log["action"] == "undo"]
    assert sorted(undo["merged_record_id"]) == ["A", "B", "C"]
    assert set(undo["merge_id"]) == {old_merge} and set(undo["operation"]) == {"undo_merge:C"}
    assert (undo["logged_at"] == pd.Timestamp(LATER)).all()
    rebuilt = log[(log["action"] == "merge") & (log["operation"] == "undo_merge:C")]
    assert len(rebuilt) == 19 and set(rebuilt["merged_record_id"]) == {"B"}  # one per column
    assert rebuilt["merge_id"].iloc[0] not in (old_merge,)
    assert after.id_map["merge_id"].iloc[0] == rebuilt["merge_id"].iloc[0]
    assert len(log[log["operation"] == "build_golden"]) == 38  # the history is kept
    assert after.links[["record_id_l", "record_id_r"]].to_numpy().tolist() == [["A", "B"]]


def test_detaching_a_bridge_splits_what_it_held_together() -> None:
    """C matched only B: when B leaves, nothing links C to A any more."""
    after = undo_merge(_built(), family(), "B", now=LATER)
    assert after.golden["n_records"].tolist() == [1, 1, 1, 1]
    pd.testing.assert_frame_equal(_as_records(after.golden), family())
    assert after.links.empty


def test_detaching_the_survivor_elects_a_new_one() -> None:
    after = undo_merge(_built(), family(), "A", now=LATER)
    rest = after.golden.set_index("entity_id").loc["B"]
    # B (2022) and C (2021) remain; oldest survives: C; entity id = smallest record id: B
    assert (rest["customer_id"], rest["n_records"]) == ("C", 2)
    assert after.id_map.set_index("record_id").loc["B", "surviving_id"] == "C"


def test_undo_entity_splits_every_record() -> None:
    before = _built()
    after = undo_entity(before, family(), "A", now=LATER)
    pd.testing.assert_frame_equal(_as_records(after.golden), family())
    undo = after.merge_log[after.merge_log["action"] == "undo"]
    assert sorted(undo["merged_record_id"]) == ["A", "B", "C"]
    assert set(undo["operation"]) == {"undo_entity:A"}
    assert after.id_map["merge_id"].isna().all()


def test_undo_does_not_modify_the_result() -> None:
    before = _built()
    copies = (before.golden.copy(), before.id_map.copy(), before.merge_log.copy())
    undo_merge(before, family(), "C")
    for frame, copy in zip((before.golden, before.id_map, before.merge_log), copies, strict=True):
        pd.testing.assert_frame_equal(frame, copy)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda r: undo_merge(r, family(), "Z"), "no record 'Z'"),
        (lambda r: undo_merge(r, family(), "D"), "entity 'D' has a single record"),
        (lambda r: undo_entity(r, family(), "Q"), "no entity 'Q'"),
        (
            lambda r: undo_entity(r, family().iloc[[0, 1, 3]], "A"),
            r"1 record\(s\) of the entity to rebuild are missing, e.g. 'C'",
        ),
    ],
)
def test_bad_undo_requests(call: object, message: str) -> None:
    with pytest.raises(IdentityResolutionError, match=message):
        call(_built())  # type: ignore[operator]


# -- invariants ------------------------------------------------------------------------------

VALUES = {
    "email": ["a@example.org", "b@example.org", None, " "],
    "first_name": ["Ann", "Anne", None],
    "city": ["Lyon", "Paris", None],
    "attributes": ['{"k": 1}', "{}", None],
    "consent_email": [True, False, None],
    "consent_sms": [True, False, None],
}


@st.composite
def worlds(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Random records, a random partition into entities, a random spanning tree of matching
    pairs per entity and a few non-matching pairs."""
    n = draw(st.integers(1, 7))
    ids = [f"R{i}" for i in range(n)]
    rows = []
    for record_id in ids:
        year = draw(st.one_of(st.none(), st.integers(2015, 2018)))
        row = {f: draw(st.sampled_from(v)) for f, v in VALUES.items()}
        row["source"] = draw(st.sampled_from(["crm", "web"]))
        rows.append({"customer_id": record_id, "created_at": None if year is None else ts(year)})
        rows[-1].update(row)
    group_of = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    groups = [[r for r, g in zip(ids, group_of, strict=True) if g == k] for k in range(4)]
    groups = [g for g in groups if g]
    edges: list[tuple[str, str, float, bool]] = []
    for group in groups:
        for i in range(1, len(group)):
            j = draw(st.integers(0, i - 1))
            edges.append((group[j], group[i], draw(st.floats(0.5, 1.0)), True))
    for _ in range(draw(st.integers(0, 3))):
        a, b = draw(st.sampled_from(ids)), draw(st.sampled_from(ids))
        if a != b:
            edges.append((a, b, draw(st.floats(0.0, 0.49)), False))
    return customers(rows), clusters(*groups), pairs(*edges)


def _check_id_map(result: GoldenResult, records: pd.DataFrame) -> None:
    assert result.id_map["record_id"].tolist() == sorted(records["customer_id"])
    assert result.golden["n_records"].sum() == len(records)
    assert set(result.golden["customer_id"]) == set(result.id_map["surviving_id"])


@settings(max_examples=25, deadline=None)
@given(worlds())
def test_build_golden_never_loses_a_record(
    world: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
) -> None:
    records, groups, scored = world
    result = build_golden(records, groups, scored)
    _check_id_map(result, records)
    assert len(result.golden) == groups["entity_id"].nunique()
    merged = result.id_map[result.id_map["record_id"] != result.id_map["surviving_id"]]
    assert set(result.merge_log["merged_record_id"]) == set(merged["record_id"])


@settings(max_examples=20, deadline=None)
@given(worlds(), st.data())
def test_undoing_every_merge_gives_back_the_records(
    world: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame], data: st.DataObject
) -> None:
    records, groups, scored = world
    result = build_golden(records, groups, scored)
    n_merges = int((result.golden["n_records"] > 1).sum())
    while (result.golden["n_records"] > 1).any():
        entity = result.golden.loc[result.golden["n_records"] > 1, "entity_id"].iloc[0]
        members = result.id_map.loc[result.id_map["entity_id"] == entity, "record_id"].tolist()
        if data.draw(st.booleans()):
            result = undo_entity(result, records, entity)
        else:
            result = undo_merge(result, records, data.draw(st.sampled_from(members)))
        _check_id_map(result, records)
    pd.testing.assert_frame_equal(_as_records(result.golden), records)
    undone = result.merge_log[result.merge_log["action"] == "undo"]
    assert undone["merge_id"].nunique() >= n_merges
    assert result.links.empty
