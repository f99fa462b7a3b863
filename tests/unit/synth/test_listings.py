"""Business listings with planted duplicates (cible.synth.listings)."""

from __future__ import annotations

import pandas as pd
import pytest

from cible.synth.listings import planted_listings


def test_shape_truth_and_determinism() -> None:
    planted = planted_listings(600, seed=4)
    records, truth = planted.records, planted.truth
    assert list(records.columns) == [
        "listing_id",
        "site_name",
        "street_address",
        "phone",
        "zip",
        "email",
    ]
    assert len(records) == 600 and records["listing_id"].is_unique
    assert truth.index.tolist() == records["listing_id"].tolist()
    assert truth.nunique() == 420  # 30 % duplicates
    again = planted_listings(600, seed=4)
    pd.testing.assert_frame_equal(records, again.records)
    assert not records.equals(planted_listings(600, seed=5).records)


def test_confusers_chains_and_shared_buildings() -> None:
    planted = planted_listings(3000, seed=7)
    records = planted.records.assign(entity=planted.truth.to_numpy())
    # a chain: one name at several businesses
    per_name = records.groupby("site_name")["entity"].nunique()
    assert (per_name > 1).sum() > 10
    # a shared building: one street address (suite dropped) for several businesses
    street = records["street_address"].str.lower().str.split(" suite ").str[0]
    per_address = records.assign(street=street).groupby(["street", "zip"])["entity"].nunique()
    assert (per_address > 1).sum() > 10
    # every phone has 7 digits whatever its format
    digits = records["phone"].dropna().str.replace(r"\D", "", regex=True)
    assert (digits.str.len() == 7).all()


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="n_records must be >= 1"):
        planted_listings(0)
    with pytest.raises(ValueError, match="duplicate_share"):
        planted_listings(10, duplicate_share=1.0)
