"""Values ingestion could not standardise are compared as read (``raw_values``)."""

from __future__ import annotations

import pandas as pd

from cible.identity import MatchingConfig, find_duplicates
from cible.identity.prepare import prepare, with_raw_values

CONFIG = {
    "id_column": "customer_id",
    "exact_keys": [["phone"]],
    "fields": [
        {"column": "last_name", "standardize": "name"},
        {"column": "phone", "standardize": "phone", "comparator": "exact"},
    ],
    "blocking": [{"keys": ["last_name"]}],
}


def _records() -> pd.DataFrame:
    # r1, r2: the same unreadable 7-digit US phone written two ways; r3 another; r4 a real one
    return pd.DataFrame(
        {
            "customer_id": ["r1", "r2", "r3", "r4"],
            "last_name": ["Smith", "Smith", "Smith", None],
            "phone": [None, None, None, "+33612345678"],
            "raw_values": [
                '{"phone": "555-0142"}',
                '{"phone": "555 01 42", "last_name": "SMITH"}',
                '{"phone": "555-0143"}',
                None,
            ],
        }
    )


def test_missing_values_are_taken_from_raw_values() -> None:
    records = _records()
    before = records.copy()
    filled = with_raw_values(records, "phone")
    assert filled.tolist() == ["555-0142", "555 01 42", "555-0143", "+33612345678"]
    # a value present is never replaced by its raw form
    pd.testing.assert_series_equal(with_raw_values(records, "last_name"), records["last_name"])
    prepared = prepare(records, MatchingConfig.model_validate(CONFIG))
    assert prepared.values["phone"].tolist() == ["5550142", "5550142", "5550143", "+33612345678"]
    pd.testing.assert_frame_equal(records, before)


def test_records_with_identical_raw_digits_match() -> None:
    result = find_duplicates(_records(), MatchingConfig.model_validate(CONFIG))
    clusters = result.clusters.set_index("record_id")["entity_id"].to_dict()
    assert clusters == {"r1": "r1", "r2": "r1", "r3": "r3", "r4": "r4"}
    pairs = result.pairs.set_index(["record_id_l", "record_id_r"])
    assert pairs.loc[("r1", "r2"), "rule"] == "exact:phone"
    assert pairs.loc[("r1", "r2"), "is_match"]
    assert pairs.loc[("r1", "r3"), "sim_phone"] == 0.0  # raw digits differ: told apart
    assert not pairs.loc[("r1", "r3"), "is_match"]


def test_without_raw_values_the_phones_cannot_tell_them_apart() -> None:
    records = _records().drop(columns="raw_values")
    result = find_duplicates(records, MatchingConfig.model_validate(CONFIG))
    clusters = result.clusters.set_index("record_id")["entity_id"].to_dict()
    assert clusters == {"r1": "r1", "r2": "r1", "r3": "r1", "r4": "r4"}  # by name alone
    pairs = result.pairs.set_index(["record_id_l", "record_id_r"])
    assert pairs.loc[("r1", "r2"), "rule"] == "fuzzy"
