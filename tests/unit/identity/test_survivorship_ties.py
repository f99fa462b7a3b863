"""Survivorship tie-breaks, on :func:`choose` directly: records of the same top-priority source,
records with the same timestamp, equally long or equally frequent values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cible.exceptions import IdentityResolutionError
from cible.identity import SurvivorshipConfig
from cible.identity.survivorship import choose, present


def _frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    return pd.DataFrame(rows).reset_index(drop=True)


def _chosen_ids(frame: pd.DataFrame, field: str, config: SurvivorshipConfig) -> list[str]:
    ent = np.zeros(len(frame), dtype=np.int64)
    choices = choose(frame, ent, 1, (field,), config)
    return [frame["customer_id"].iloc[int(p)] for p in choices.chosen[:, 0]]


def _survivor_id(frame: pd.DataFrame, config: SurvivorshipConfig) -> str:
    choices = choose(frame, np.zeros(len(frame), dtype=np.int64), 1, (), config)
    return str(frame["customer_id"].iloc[int(choices.survivor[0])])


CRM_TWICE = _frame(
    [
        {"customer_id": "c1", "source": "crm", "created_at": "2024-01-01", "email": "old@x.fr"},
        {"customer_id": "c2", "source": "crm", "created_at": "2024-06-01", "email": "new@x.fr"},
        {"customer_id": "w1", "source": "web", "created_at": "2024-09-01", "email": "web@x.fr"},
    ]
)


def test_within_the_top_priority_source_the_most_recent_value_wins() -> None:
    config = SurvivorshipConfig(rules={"email": "source_priority"}, source_priority=["crm", "web"])
    assert _chosen_ids(CRM_TWICE, "email", config) == ["c2"]
    # the survivor by source priority is the oldest record of the top source
    assert (
        _survivor_id(CRM_TWICE, config.model_copy(update={"survivor": "source_priority"})) == "c1"
    )


def test_a_lower_priority_source_wins_only_when_the_top_one_has_no_value() -> None:
    frame = CRM_TWICE.assign(email=[None, "  ", "web@x.fr"])
    config = SurvivorshipConfig(rules={"email": "source_priority"}, source_priority=["crm", "web"])
    assert _chosen_ids(frame, "email", config) == ["w1"]
    reversed_priority = config.model_copy(update={"source_priority": ["web", "crm"]})
    assert _chosen_ids(CRM_TWICE, "email", reversed_priority) == ["w1"]


def test_same_source_and_same_timestamp_fall_back_to_the_smallest_id() -> None:
    frame = _frame(
        [
            {"customer_id": "b", "source": "crm", "created_at": "2024-01-01", "email": "b@x.fr"},
            {"customer_id": "a", "source": "crm", "created_at": "2024-01-01", "email": "a@x.fr"},
        ]
    )
    for rule in ("source_priority", "most_recent", "oldest", "longest", "most_frequent"):
        config = SurvivorshipConfig(rules={"email": rule}, source_priority=["crm"])
        assert _chosen_ids(frame, "email", config) == ["a"], rule
    for survivor in ("oldest", "most_recent", "source_priority"):
        config = SurvivorshipConfig(survivor=survivor, source_priority=["crm"])
        assert _survivor_id(frame, config) == "a", survivor


def test_equally_long_values_go_to_the_most_recent_record() -> None:
    frame = CRM_TWICE.assign(email=["aaaa@x.fr", "bbbb@x.fr", "cc@x.fr"])
    assert _chosen_ids(frame, "email", SurvivorshipConfig(rules={"email": "longest"})) == ["c2"]
    longer = CRM_TWICE.assign(email=["aaaaa@x.fr", "bbbb@x.fr", "cc@x.fr"])
    assert _chosen_ids(longer, "email", SurvivorshipConfig(rules={"email": "longest"})) == ["c1"]


def test_most_frequent_counts_values_per_entity_only() -> None:
    frame = _frame(
        [
            {"customer_id": "a1", "source": "crm", "created_at": "2024-01-01", "city": "Lyon"},
            {"customer_id": "a2", "source": "crm", "created_at": "2024-02-01", "city": "Lyon"},
            {"customer_id": "a3", "source": "crm", "created_at": "2024-03-01", "city": "Paris"},
            {"customer_id": "b1", "source": "crm", "created_at": "2024-01-01", "city": "Paris"},
            {"customer_id": "b2", "source": "crm", "created_at": "2024-01-02", "city": "Paris"},
            {"customer_id": "b3", "source": "crm", "created_at": "2024-01-03", "city": "Nice"},
        ]
    )
    ent = np.array([0, 0, 0, 1, 1, 1])
    choices = choose(frame, ent, 2, ("city",), SurvivorshipConfig(rules={"city": "most_frequent"}))
    # entity 0: Lyon twice (the most recent holder a2) although Paris is the most frequent overall
    assert [frame["customer_id"].iloc[int(p)] for p in choices.chosen[:, 0]] == ["a2", "b2"]
    assert choices.has_value.tolist() == [[True], [True]]
    assert choices.rules == ("most_frequent",)


def test_a_record_dated_exactly_like_another_is_not_more_recent() -> None:
    frame = _frame(
        [
            {"customer_id": "a", "source": "crm", "created_at": "2024-01-01T00:00:00Z", "x": "1"},
            {"customer_id": "b", "source": "crm", "created_at": "2024-01-01T00:00:00Z", "x": "2"},
            {"customer_id": "c", "source": "crm", "created_at": "2023-12-31T23:59:59Z", "x": "3"},
        ]
    )
    assert _chosen_ids(frame, "x", SurvivorshipConfig(rules={"x": "most_recent"})) == ["a"]
    assert _chosen_ids(frame, "x", SurvivorshipConfig(rules={"x": "oldest"})) == ["c"]


def test_an_entity_without_any_value_keeps_its_survivor_and_says_so() -> None:
    frame = CRM_TWICE.assign(email=[None, "", "{}"])
    choices = choose(frame, np.zeros(3, dtype=np.int64), 1, ("email",), SurvivorshipConfig())
    assert choices.has_value.tolist() == [[False]]
    assert choices.chosen.tolist() == [[0]]  # the survivor: the oldest record c1
    assert choices.survivor.tolist() == [0]


def test_consent_withdrawal_beats_a_more_recent_grant() -> None:
    frame = CRM_TWICE.assign(consent_email=[False, True, None])
    ent = np.zeros(3, dtype=np.int64)
    choices = choose(frame, ent, 1, ("consent_email",), SurvivorshipConfig())
    assert choices.chosen.tolist() == [[0]] and choices.has_value.tolist() == [[True]]
    granted = CRM_TWICE.assign(consent_email=[True, True, None])
    assert choose(granted, ent, 1, ("consent_email",), SurvivorshipConfig()).chosen.tolist() == [
        [1]
    ]


def test_present_treats_blank_and_empty_json_as_missing() -> None:
    series = pd.Series(["a", " ", "", "{}", None, " {} ", "{ }"], dtype=object)
    assert present(series).tolist() == [True, False, False, False, False, False, True]
    strings = pd.Series(["a", " ", None], dtype="string")
    assert present(strings).tolist() == [True, False, False]
    assert present(pd.Series([1.0, np.nan, 0.0])).tolist() == [True, False, True]


def test_records_ordered_by_a_column_that_is_not_a_timestamp_are_refused() -> None:
    frame = CRM_TWICE.assign(created_at=["soon", "later", "never"])
    with pytest.raises(IdentityResolutionError, match="not timestamps"):
        choose(frame, np.zeros(3, dtype=np.int64), 1, ("email",), SurvivorshipConfig())
    with pytest.raises(IdentityResolutionError, match="absent from the records"):
        choose(
            CRM_TWICE,
            np.zeros(3, dtype=np.int64),
            1,
            ("email",),
            SurvivorshipConfig(timestamp_column="updated_at"),
        )
