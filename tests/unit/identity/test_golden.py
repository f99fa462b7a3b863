"""build_golden: golden rows, id map and merge log on a hand-built family of records."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from cible.exceptions import IdentityResolutionError
from cible.identity import (
    ID_MAP_COLUMNS,
    MERGE_LOG_COLUMNS,
    GoldenResult,
    SurvivorshipConfig,
    build_golden,
)
from cible.schemas.customers import CUSTOMER_FIELDS
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


def _build(config: SurvivorshipConfig | None = None) -> GoldenResult:
    return build_golden(family(), family_clusters(), family_pairs(), config, now=NOW)


def test_golden_rows_follow_the_default_rules() -> None:
    golden = _build().golden
    assert list(golden.columns) == [f.name for f in CUSTOMER_FIELDS] + ["entity_id", "n_records"]
    assert golden["entity_id"].tolist() == ["A", "D"]
    assert golden["n_records"].tolist() == [3, 1]
    ann = golden.iloc[0]
    # survivor = oldest record (A); most recent non-empty value elsewhere; created_at = oldest
    assert (ann["customer_id"], ann["source"]) == ("A", "crm")
    assert ann["email"] == "ann@example.org"
    assert ann["phone"] == "+33612345678"  # only B and C have it, B is the most recent
    assert (ann["first_name"], ann["last_name"], ann["city"]) == ("Anne", "Martin", "Lyon")
    assert ann["birth_date"] == date(1980, 5, 1)  # only A has it
    assert pd.isna(ann["gender"])
    assert ann["created_at"] == ts(2020)
    assert ann["attributes"] == '{"tier": "gold"}'  # B's "{}" counts as empty
    # consent: B withdrew e-mail consent -> False although A and C said True
    assert (ann["consent_email"], ann["consent_sms"], ann["consent_push"]) == (False, True, True)


def test_a_record_alone_is_its_own_golden_row() -> None:
    records = family()
    golden = _build().golden
    dan = golden[golden["entity_id"] == "D"].drop(columns=["entity_id", "n_records"])
    expected = records[records["customer_id"] == "D"]
    pd.testing.assert_frame_equal(dan.reset_index(drop=True), expected.reset_index(drop=True))


def test_golden_keeps_column_types() -> None:
    records = family()
    golden = _build().golden
    for column in records.columns:
        assert golden[column].dtype == records[column].dtype, column


def test_id_map_has_every_record_once() -> None:
    id_map = _build().id_map
    assert list(id_map.columns) == list(ID_MAP_COLUMNS)
    assert id_map["record_id"].tolist() == ["A", "B", "C", "D"]
    assert id_map["surviving_id"].tolist() == ["A", "A", "A", "D"]
    assert id_map["entity_id"].tolist() == ["A", "A", "A", "D"]
    merge_ids = id_map["merge_id"]
    assert merge_ids.iloc[0] == merge_ids.iloc[1] == merge_ids.iloc[2]
    assert len(merge_ids.iloc[0]) == 16 and pd.isna(merge_ids.iloc[3])


def test_merge_log_rows_links_and_decisions() -> None:
    log = _build().merge_log
    assert list(log.columns) == list(MERGE_LOG_COLUMNS)
    # 2 merged records (B, C) x 19 decisions (customer_id, source and 17 fields, raw_values one)
    assert len(log) == 38
    assert set(log["action"]) == {"merge"} and set(log["operation"]) == {"build_golden"}
    assert (log["logged_at"] == pd.Timestamp(NOW)).all()
    links = log.drop_duplicates("merged_record_id").set_index("merged_record_id")
    assert links.loc["B", "link_score"] == pytest.approx(0.97)
    assert links.loc["B", ["linked_to", "match_rule", "link_path"]].tolist() == [
        "A",
        "exact:email+phone",
        "B>A",
    ]
    # C only matches B: its best pair is B (0.81), its path to the survivor goes through B
    assert links.loc["C", ["linked_to", "match_rule", "link_path"]].tolist() == [
        "B",
        "fuzzy",
        "C>B>A",
    ]
    assert links.loc["C", "path_score"] == pytest.approx(0.81)
    decisions = log[log["merged_record_id"] == "C"].set_index("field")
    assert decisions.loc["customer_id", "survivorship_rule"] == "survivor:oldest"
    assert decisions.loc["email", ["survivorship_rule", "source_record_id"]].tolist() == [
        "most_recent",
        "B",
    ]
    assert decisions.loc["created_at", ["survivorship_rule", "source_record_id"]].tolist() == [
        "oldest",
        "A",
    ]
    assert decisions.loc["consent_email", ["survivorship_rule", "source_record_id"]].tolist() == [
        "withdrawal_wins",
        "B",
    ]
    assert pd.isna(decisions.loc["gender", "source_record_id"])  # no record has a gender


def test_merge_log_holds_no_personal_value() -> None:
    records = family()
    text = [str(cell) for cell in _build().merge_log.to_numpy().ravel()]
    for column in ("email", "phone", "first_name", "last_name", "city", "birth_date"):
        for value in records[column].dropna():
            assert all(str(value) not in cell for cell in text), (column, value)


def test_path_follows_the_strongest_chain() -> None:
    """A-C direct match is weak (0.55); A-B-C is stronger (0.9, 0.85): C's path goes via B."""
    records = customers(
        [
            {"customer_id": "A", "created_at": ts(2019)},
            {"customer_id": "B", "created_at": ts(2020)},
            {"customer_id": "C", "created_at": ts(2021)},
        ]
    )
    result = build_golden(
        records,
        clusters(["A", "B", "C"]),
        pairs(("A", "B", 0.9, True), ("B", "C", 0.85, True), ("A", "C", 0.55, True)),
    )
    links = result.merge_log.drop_duplicates("merged_record_id").set_index("merged_record_id")
    assert links.loc["C", "link_path"] == "C>B>A"
    assert links.loc["C", "link_score"] == pytest.approx(0.85)
    assert links.loc["C", "path_score"] == pytest.approx(0.85)
    assert links.loc["B", "link_path"] == "B>A"


def test_duplicate_pairs_keep_the_best_score() -> None:
    doubled = pd.concat([family_pairs(), pairs(("B", "C", 0.9, True, "exact:email+phone"))])
    result = build_golden(family(), family_clusters(), doubled)
    assert len(result.links) == 2
    c = result.merge_log[result.merge_log["merged_record_id"] == "C"].iloc[0]
    assert (c["link_score"], c["match_rule"]) == (pytest.approx(0.9), "exact:email+phone")


def test_inputs_are_not_modified() -> None:
    records, groups, scored = family(), family_clusters(), family_pairs()
    before = (records.copy(), groups.copy(), scored.copy())
    build_golden(records, groups, scored)
    for after, copy in zip((records, groups, scored), before, strict=True):
        pd.testing.assert_frame_equal(after, copy)


def test_summary_counts() -> None:
    assert _build().summary() == {
        "records": 4,
        "entities": 2,
        "merged_entities": 1,
        "records_merged_away": 2,
        "largest_entity": 3,
    }


def test_no_pairs_gives_one_golden_row_per_record() -> None:
    records = family()
    result = build_golden(records, clusters(["A"], ["B"], ["C"], ["D"]), pairs())
    assert result.merge_log.empty and list(result.merge_log.columns) == list(MERGE_LOG_COLUMNS)
    pd.testing.assert_frame_equal(
        result.golden.drop(columns=["entity_id", "n_records"]), records.reset_index(drop=True)
    )


@pytest.mark.parametrize(
    ("records", "groups", "scored", "message"),
    [
        (
            pd.concat([family(), family().iloc[[0]]]),
            family_clusters(),
            family_pairs(),
            r"customer_id must identify one record, 1 id\(s\) repeat: 'A'",
        ),
        (family().drop(columns=["source"]), family_clusters(), family_pairs(), "no column"),
        (family(), clusters(["A", "B", "C"]), family_pairs(), r"1 record\(s\) have no entity: 'D'"),
        (
            family(),
            clusters(["A", "B", "C"], ["D", "Z"]),
            family_pairs(),
            "record id.*not in the records: 'Z'",
        ),
        (
            family(),
            clusters(["A", "B"], ["C"], ["D"]),
            family_pairs(),
            r"join different entities, e.g. \('B', 'C'\) in entities 'A' and 'C'",
        ),
        (
            family(),
            family_clusters(),
            pairs(("A", "B", 0.97, True)),
            "not connected by matching pairs, e.g. entity 'A'",
        ),
        (
            family(),
            family_clusters(),
            pairs(("A", "B", 1.5, True), ("B", "C", 0.8, True)),
            r"score must be a number in \[0, 1\]; pair \('A', 'B'\) has 1.5",
        ),
        (
            family(),
            family_clusters(),
            pairs(("A", "B", 0.9, True), ("B", "Q", 0.8, True)),
            "matched record id.*not in the records: 'Q'",
        ),
    ],
)
def test_inconsistent_inputs_are_refused(
    records: pd.DataFrame, groups: pd.DataFrame, scored: pd.DataFrame, message: str
) -> None:
    with pytest.raises(IdentityResolutionError, match=message):
        build_golden(records, groups, scored)


def test_rule_for_an_absent_field_is_refused() -> None:
    config = SurvivorshipConfig(rules={"nickname": "longest"})
    with pytest.raises(IdentityResolutionError, match=r"field\(s\) \['nickname'\] absent"):
        build_golden(family(), family_clusters(), family_pairs(), config)


def test_timestamp_column_must_exist_and_hold_timestamps() -> None:
    records = family().assign(signup=["2020-01-01", "yesterday", None, None])
    with pytest.raises(IdentityResolutionError, match="'signup', which holds values that are not"):
        build_golden(
            records,
            family_clusters(),
            family_pairs(),
            SurvivorshipConfig(timestamp_column="signup"),
        )
    with pytest.raises(IdentityResolutionError, match="column 'updated_at', absent"):
        build_golden(
            family(),
            family_clusters(),
            family_pairs(),
            SurvivorshipConfig(timestamp_column="updated_at"),
        )


def test_links_keep_only_matching_pairs_in_order() -> None:
    links = _build().links
    assert links[["record_id_l", "record_id_r"]].to_numpy().tolist() == [["A", "B"], ["B", "C"]]
    assert np.allclose(links["score"], [0.97, 0.81])


def test_long_paths_are_elided_in_the_middle() -> None:
    ids = [f"R{i:02d}" for i in range(15)]
    records = customers([{"customer_id": r, "created_at": ts(2000 + i)} for i, r in enumerate(ids)])
    chain = pairs(*((ids[i], ids[i + 1], 0.9 - i / 100, True) for i in range(14)))
    log = build_golden(records, clusters(ids), chain).merge_log
    links = log.drop_duplicates("merged_record_id").set_index("merged_record_id")
    assert links.loc["R09", "link_path"] == ">".join(ids[9::-1])  # 10 records: shown in full
    assert links.loc["R10", "link_path"] == ">".join(ids[10:1:-1]) + ">...(1 more)...>R00"
    assert links.loc["R14", "link_path"] == ">".join(ids[14:5:-1]) + ">...(5 more)...>R00"
    assert links.loc["R14", "path_score"] == pytest.approx(0.77)  # weakest pair: R13-R14
    assert links.loc["R14", ["link_score", "linked_to"]].tolist() == [pytest.approx(0.77), "R13"]
