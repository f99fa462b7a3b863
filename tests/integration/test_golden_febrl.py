"""Golden records on FEBRL dataset 3 (5,000 synthetic person records with typos, 2,000 people).

The ground truth is in ``rec_id`` (``rec-N-org`` / ``rec-N-dup-K``: same N, same person); the
matcher is not under test here, so its result is built from the truth (a chain of matching pairs
per person), in the shape ``find_duplicates`` returns.
"""

from __future__ import annotations

import pandas as pd
import pytest

from cible.identity import SurvivorshipConfig, build_golden, undo_entity
from tests.conftest import shared_dataset
from tests.unit.identity.frames import customers

pytestmark = pytest.mark.integration


def _febrl() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    raw = pd.read_csv(
        shared_dataset("febrl", "dataset3.csv"),
        index_col="rec_id",
        skipinitialspace=True,
        dtype=str,
    )
    raw.index = raw.index.str.strip()
    born = pd.to_datetime(raw["date_of_birth"], format="%Y%m%d", errors="coerce")
    rows = [
        {
            "customer_id": rec_id,
            "source": "org" if rec_id.endswith("-org") else "dup",
            "first_name": None if pd.isna(r.given_name) else r.given_name,
            "last_name": None if pd.isna(r.surname) else r.surname,
            "city": None if pd.isna(r.suburb) else r.suburb,
            "postal_code": r.postcode,
            "birth_date": None if pd.isna(b) else b.date(),
            "country": "AU",
        }
        for rec_id, r, b in zip(raw.index, raw.itertuples(), born, strict=True)
    ]
    records = customers(rows)
    person = records["customer_id"].str.extract(r"rec-(\d+)-")[0]
    clusters = pd.DataFrame({"record_id": records["customer_id"], "person": person})
    clusters["entity_id"] = clusters.groupby("person")["record_id"].transform("min")
    chain = clusters.sort_values(["person", "record_id"])
    same = chain["person"].eq(chain["person"].shift())
    pairs = pd.DataFrame(
        {
            "record_id_l": chain["record_id"].shift()[same],
            "record_id_r": chain["record_id"][same],
            "score": 0.9,
            "is_match": True,
            "rule": "fuzzy",
        }
    )
    return records, clusters, pairs


def test_one_golden_record_per_person_with_the_original_surviving() -> None:
    records, clusters, pairs = _febrl()
    config = SurvivorshipConfig(
        survivor="source_priority",
        source_priority=["org"],
        rules={"last_name": "source_priority", "first_name": "most_frequent"},
    )
    result = build_golden(records, clusters, pairs, config)
    golden = result.golden
    assert len(golden) == 2000
    assert golden["n_records"].value_counts().sort_index().to_dict() == {
        1: 835,
        2: 368,
        3: 256,
        4: 212,
        5: 161,
        6: 168,
    }
    assert golden["customer_id"].str.endswith("-org").all()
    assert result.id_map["record_id"].tolist() == sorted(records["customer_id"])
    # last_name from the original record whenever it has one
    originals = records.set_index("customer_id").loc[golden["customer_id"], "last_name"]
    has = originals.notna().to_numpy()
    assert (golden["last_name"].to_numpy()[has] == originals.to_numpy()[has]).all()
    # first_name: a value held by the most records of the person
    person = result.id_map.set_index("record_id")["entity_id"]
    named = records.assign(entity_id=records["customer_id"].map(person)).dropna(
        subset=["first_name"]
    )
    counts = named.groupby(["entity_id", "first_name"]).size()
    best = counts.groupby(level=0).max()
    chosen = golden.dropna(subset=["first_name"]).set_index("entity_id")["first_name"]
    held = counts.reindex(list(zip(chosen.index, chosen, strict=True))).to_numpy()
    assert (held == best.reindex(chosen.index).to_numpy()).all()
    assert len(chosen) == named["entity_id"].nunique()
    # the merge log: 3,000 records merged away x 19 decisions (raw_values included), no personal value
    log = result.merge_log
    assert len(log) == 3000 * 19
    personal = set(records["first_name"].dropna()) | set(records["last_name"].dropna())
    cells = {str(c) for c in log.to_numpy().ravel()}
    assert not (cells & personal)


def test_undoing_the_largest_entities_gives_their_records_back() -> None:
    records, clusters, pairs = _febrl()
    result = build_golden(records, clusters, pairs)
    largest = result.golden.nlargest(5, "n_records")["entity_id"].tolist()
    for entity in largest:
        result = undo_entity(result, records, entity)
    assert len(result.golden) == 2000 + 5 * 5
    undone = set(result.merge_log.loc[result.merge_log["action"] == "undo", "merged_record_id"])
    back = result.golden[result.golden["customer_id"].isin(undone)]
    expected = records[records["customer_id"].isin(undone)]
    pd.testing.assert_frame_equal(
        back.drop(columns=["entity_id", "n_records"])
        .sort_values("customer_id")
        .reset_index(drop=True),
        expected.sort_values("customer_id").reset_index(drop=True),
    )
