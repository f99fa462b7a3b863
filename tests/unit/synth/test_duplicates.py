"""Planted duplicate customers: deterministic, shaped as documented, defects present."""

from __future__ import annotations

import pandas as pd
import pytest

from cible.synth.duplicates import planted_customers


def test_planted_customers_shape_and_determinism() -> None:
    planted = planted_customers(2000, duplicate_share=0.2, seed=3)
    again = planted_customers(2000, duplicate_share=0.2, seed=3)
    pd.testing.assert_frame_equal(planted.records, again.records)
    records, truth = planted.records, planted.truth
    assert list(records.columns) == [
        "record_id", "first_name", "last_name", "email", "phone", "birth_date", "city",
        "postal_code",
    ]  # fmt: skip
    assert len(records) == 2000 and records["record_id"].is_unique
    assert truth.index.tolist() == records["record_id"].tolist()
    assert truth.nunique() == 1600
    # formats vary: French phones in international and national forms, both date formats
    phones = records["phone"].dropna()
    assert phones.str.startswith("+33").any() and phones.str.match(r"0[67] ").any()
    dates = records["birth_date"].dropna()
    assert dates.str.match(r"\d{4}-\d{2}-\d{2}$").any() and dates.str.match(r"\d{2}/").any()
    assert (
        records["city"].str.startswith("Ste ").any() or records["city"].str.startswith("St ").any()
    )
    assert 0 < records["email"].isna().mean() < 0.1


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="duplicate_share"):
        planted_customers(10, duplicate_share=1.0)
