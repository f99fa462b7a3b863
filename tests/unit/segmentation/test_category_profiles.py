"""Category shares in the profiles and the dominant value in the names, at the thresholds."""

from __future__ import annotations

import pandas as pd
import pytest

from cible.segmentation.category_profiles import (
    DOMINANT_LIFT,
    DOMINANT_SHARE,
    category_shares,
    qualified_names,
)


def test_shares_of_the_most_frequent_values_per_segment() -> None:
    index = pd.Index(list("abcdefgh"), name="customer_id")
    features = pd.DataFrame(
        {"region": ["N", "N", "N", None, "S", "S", "E", "N"]},
        index=index,
    )
    ids = pd.Series([1, 1, 1, 1, 2, 2, 2, 2], index=index)
    before = features.copy()
    profiles = pd.DataFrame({"segment_id": [1, 2], "size": [4, 4]})
    out = category_shares(profiles, features, ids, ["region"], reference=features)
    pd.testing.assert_frame_equal(features, before)
    assert list(out.columns) == [
        "segment_id",
        "size",
        "region=N_share",
        "region=S_share",
        "region=E_share",
    ]  # by frequency (N 4, S 2, E 1), ties by value; the missing value in no column
    assert out["region=N_share"].tolist() == [0.75, 0.25]
    assert out["region=S_share"].tolist() == [0.0, 0.5]
    assert out["region=E_share"].tolist() == [0.0, 0.25]


@pytest.mark.parametrize(
    ("share", "overall", "named"),
    [
        (0.6, 0.3, True),  # share exactly at DOMINANT_SHARE
        (0.59, 0.3, False),
        (0.75, 0.5, True),  # lift exactly DOMINANT_LIFT
        (0.74, 0.5, False),  # lift 1.48
    ],
)
def test_the_dominant_value_joins_the_name_at_the_thresholds(
    share: float, overall: float, named: bool
) -> None:
    assert (DOMINANT_SHARE, DOMINANT_LIFT) == (0.6, 1.5)
    n = 100
    held = round(overall * n)
    reference = pd.DataFrame({"region": ["N"] * held + ["S"] * (n - held)})
    profiles = pd.DataFrame(
        {"segment_id": [1], "region=N_share": [share], "region=S_share": [1 - share]}
    )
    names = qualified_names({1: "Champions", 0: "Prospects"}, profiles, reference, ["region"])
    assert names == {1: "Champions - N" if named else "Champions", 0: "Prospects"}
