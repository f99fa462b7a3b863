"""Survivorship rules and settings, each on a hand-built entity with a known answer."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from cible.identity import CONSENT_FIELDS, SurvivorshipConfig, build_golden
from tests.unit.identity.frames import (
    clusters,
    customers,
    family,
    family_clusters,
    family_pairs,
    pairs,
    ts,
)


def _golden(config: SurvivorshipConfig) -> pd.Series:
    result = build_golden(family(), family_clusters(), family_pairs(), config)
    return result.golden.set_index("entity_id").loc["A"]


def _sources(config: SurvivorshipConfig) -> dict[str, str]:
    log = build_golden(family(), family_clusters(), family_pairs(), config).merge_log
    first = log[log["merged_record_id"] == "B"]
    return dict(zip(first["field"], first["source_record_id"], strict=True))


def test_source_priority_takes_the_first_listed_source_with_a_value() -> None:
    config = SurvivorshipConfig(
        rules={"email": "source_priority", "last_name": "source_priority"},
        source_priority=["shop", "crm", "web"],
    )
    ann = _golden(config)
    assert ann["last_name"] == "Martin-Durand"  # shop (C) first
    assert ann["email"] == "ann@example.org"  # shop has none: crm (A)
    assert _sources(config)["email"] == "A"


def test_unlisted_sources_come_after_listed_ones() -> None:
    config = SurvivorshipConfig(default_rule="source_priority", source_priority=["crm"])
    ann = _golden(config)
    assert ann["first_name"] == "Ann"  # crm (A)
    assert ann["phone"] == "+33612345678"  # crm has none: web (B) is more recent than shop (C)
    assert _sources(config)["phone"] == "B"


def test_most_frequent_value_and_its_most_recent_holder() -> None:
    config = SurvivorshipConfig(rules={"city": "most_frequent", "first_name": "most_frequent"})
    ann = _golden(config)
    assert (ann["city"], ann["first_name"]) == ("Lyon", "Anne")
    sources = _sources(config)
    assert (sources["city"], sources["first_name"]) == ("B", "B")


def test_most_frequent_tie_goes_to_the_most_recent_record() -> None:
    records = customers(
        [
            {"customer_id": "X1", "city": "Nantes", "created_at": ts(2023)},
            {"customer_id": "X2", "city": "Rennes", "created_at": ts(2024)},
            {"customer_id": "X3", "city": "Nantes", "created_at": ts(2019)},
            {"customer_id": "X4", "city": "Rennes", "created_at": ts(2018)},
        ]
    )
    links = pairs(("X1", "X2", 0.9, True), ("X2", "X3", 0.9, True), ("X3", "X4", 0.9, True))
    config = SurvivorshipConfig(rules={"city": "most_frequent"})
    golden = build_golden(records, clusters(["X1", "X2", "X3", "X4"]), links, config).golden
    assert golden["city"].tolist() == ["Rennes"]  # 2 - 2 tie, X2 (2024) is the most recent


def test_longest_value() -> None:
    ann = _golden(SurvivorshipConfig(rules={"last_name": "longest"}))
    assert ann["last_name"] == "Martin-Durand"


def test_oldest_and_most_recent() -> None:
    config = SurvivorshipConfig(rules={"first_name": "oldest", "created_at": "most_recent"})
    ann = _golden(config)
    assert ann["first_name"] == "Ann"
    assert ann["created_at"] == ts(2022)


@pytest.mark.parametrize(
    ("survivor", "priority", "expected"),
    [("oldest", [], "A"), ("most_recent", [], "B"), ("source_priority", ["shop", "web"], "C")],
)
def test_survivor_choice(survivor: Any, priority: list[str], expected: str) -> None:
    config = SurvivorshipConfig(survivor=survivor, source_priority=priority)
    result = build_golden(family(), family_clusters(), family_pairs(), config)
    ann = result.golden.set_index("entity_id").loc["A"]
    assert ann["customer_id"] == expected
    assert ann["source"] == family().set_index("customer_id").loc[expected, "source"]
    assert result.id_map.set_index("record_id").loc["B", "surviving_id"] == expected
    assert set(result.merge_log["merged_record_id"]) == {"A", "B", "C"} - {expected}


def test_records_without_timestamp_lose_to_dated_ones_both_ways() -> None:
    records = customers(
        [
            {"customer_id": "U", "city": "Undated", "created_at": None},
            {"customer_id": "V", "city": "Old", "created_at": ts(2010)},
            {"customer_id": "W", "city": "New", "created_at": ts(2020)},
        ]
    )
    links = pairs(("U", "V", 0.9, True), ("V", "W", 0.9, True))
    for rule, survivor, city in (
        ("most_recent", "most_recent", "New"),
        ("oldest", "oldest", "Old"),
    ):
        config = SurvivorshipConfig(rules={"city": rule}, survivor=survivor)
        golden = build_golden(records, clusters(["U", "V", "W"]), links, config).golden
        assert golden["city"].tolist() == [city]
        assert golden["customer_id"].tolist() == ["W" if survivor == "most_recent" else "V"]


def test_equal_timestamps_fall_back_to_the_smallest_id() -> None:
    records = customers(
        [
            {"customer_id": "K2", "city": "Brest", "created_at": ts(2020)},
            {"customer_id": "K1", "city": "Caen", "created_at": ts(2020)},
        ]
    )
    golden = build_golden(
        records, clusters(["K1", "K2"]), pairs(("K1", "K2", 0.9, True)), SurvivorshipConfig()
    ).golden
    assert golden[["customer_id", "city"]].to_numpy().tolist() == [["K1", "Caen"]]


def test_blank_text_counts_as_missing() -> None:
    records = customers(
        [
            {"customer_id": "P", "city": "Metz", "created_at": ts(2019)},
            {"customer_id": "Q", "city": "   ", "created_at": ts(2024)},
        ]
    )
    golden = build_golden(records, clusters(["P", "Q"]), pairs(("P", "Q", 0.9, True))).golden
    assert golden["city"].tolist() == ["Metz"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([True, False, None]), min_size=1, max_size=6))
def test_consent_withdrawal_always_wins(consents: list[bool | None]) -> None:
    ids = [f"R{i}" for i in range(len(consents))]
    rows = [
        {"customer_id": r, "created_at": ts(2000 + i), **dict.fromkeys(CONSENT_FIELDS, c)}
        for i, (r, c) in enumerate(zip(ids, consents, strict=True))
    ]
    links = pairs(*((ids[i], ids[i + 1], 0.9, True) for i in range(len(ids) - 1)))
    golden = build_golden(customers(rows), clusters(ids), links).golden.iloc[0]
    expected = False if False in consents else (True if True in consents else None)
    for field in CONSENT_FIELDS:
        value = golden[field]
        assert (None if pd.isna(value) else bool(value)) is expected


def test_defaults_and_rule_lookup() -> None:
    config = SurvivorshipConfig(rules={"email": "source_priority"}, source_priority=["crm"])
    assert config.rule_for("email") == "source_priority"
    assert config.rule_for("city") == "most_recent"
    assert config.rule_for("created_at") == "oldest"
    assert config.rule_for("consent_sms") == "withdrawal_wins"
    assert SurvivorshipConfig(rules={"created_at": "most_recent"}).rule_for("created_at") == (
        "most_recent"
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rules": {"consent_email": "most_recent"}}, "consent fields are always merged"),
        ({"rules": {"customer_id": "oldest"}}, "come from the surviving record"),
        ({"rules": {"email": "source_priority"}}, "source_priority is empty"),
        ({"survivor": "source_priority"}, "source_priority is empty"),
        ({"source_priority": ["crm", "crm"]}, "lists a source twice"),
        ({"rules": {"email": "newest"}}, "most_recent"),
        ({"threshold": 0.5}, "Extra inputs are not permitted"),
    ],
)
def test_invalid_settings_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        SurvivorshipConfig(**kwargs)
