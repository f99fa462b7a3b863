"""name_segments: archetypes, fallback, uniqueness, determinism and permutation invariance."""

from __future__ import annotations

import pandas as pd
import pytest

from cible.config import FEATURE_NAMES
from cible.segmentation.naming import name_segments, purchase_cycle_days

BASE_MEANS = {
    "recency_days": 60.0,
    "frequency": 4.0,
    "monetary": 400.0,
    "avg_basket": 100.0,
    "tenure_days": 500.0,
    "mean_interpurchase_days": 90.0,
    "refund_rate": 0.1,
    "events_30d": 3.0,
    "events_90d": 8.0,
}


def _row(segment_id: int, size: int, **lifts: float) -> dict[str, float]:
    row: dict[str, float] = {"segment_id": segment_id, "size": size, "share": 0.0}
    for f in FEATURE_NAMES:
        lift = lifts.get(f, 1.0)
        row[f"{f}_mean"] = lift * BASE_MEANS[f]
        row[f"{f}_median"] = lift * BASE_MEANS[f]
        row[f"{f}_lift"] = lift
    return row


# size identifies a profile in the tests below (it does not influence the names)
PROFILES = [
    _row(1, 101, recency_days=0.3, frequency=2.0, monetary=2.5),
    _row(2, 102, recency_days=2.5, frequency=0.5, monetary=0.4, events_90d=0.1, events_30d=0.1),
    _row(3, 103, tenure_days=0.3, recency_days=0.5, frequency=0.6, monetary=0.5),
    _row(4, 104, events_90d=2.0, events_30d=2.0, frequency=0.5, monetary=0.6),
    _row(5, 105, refund_rate=3.0),
    _row(6, 106, avg_basket=2.0, frequency=0.8, monetary=1.6),
    _row(7, 107, frequency=1.6, tenure_days=1.3, recency_days=0.6, monetary=1.1),
    _row(8, 108, avg_basket=0.3, frequency=1.1),
    _row(9, 109, frequency=1.4, avg_basket=0.78, tenure_days=0.9),
    _row(10, 110),
]
EXPECTED = {
    1: "Champions",
    2: "At risk - lapsed",
    3: "New customers",
    4: "Window shoppers",
    5: "Frequent returners",
    6: "Big spenders - occasional",
    7: "Loyal regulars",
    8: "Bargain hunters",
    9: "High frequency, low basket",
    10: "Average customers",
}


def test_archetypes_and_fallback() -> None:
    assert name_segments(pd.DataFrame(PROFILES)) == EXPECTED


def test_same_profiles_same_names() -> None:
    frame = pd.DataFrame(PROFILES)
    before = frame.copy()
    assert name_segments(frame) == name_segments(frame.copy())
    pd.testing.assert_frame_equal(frame, before)


def test_repeated_names_are_numbered_by_spend() -> None:
    frame = pd.DataFrame(
        [
            _row(1, 50, recency_days=0.3, frequency=2.0, monetary=2.0),
            _row(2, 60, recency_days=0.3, frequency=2.0, monetary=3.0),
            _row(3, 70, recency_days=0.5, frequency=1.5, monetary=1.5),
            _row(4, 80, recency_days=3.0, frequency=0.3, monetary=0.2, events_90d=0.1),
        ]
    )
    names = name_segments(frame)
    assert names == {1: "Champions (2)", 2: "Champions", 3: "Champions (3)", 4: "At risk - lapsed"}
    assert len(set(names.values())) == len(names)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_permuting_segment_ids_keeps_names_on_profiles(seed: int) -> None:
    frame = pd.DataFrame([*PROFILES, _row(11, 111, recency_days=0.4, frequency=1.8, monetary=1.9)])
    by_size = {int(r["size"]): n for r, n in zip(PROFILES, EXPECTED.values(), strict=True)}
    by_size[111] = "Champions (2)"  # lower spend than the first champions
    original = name_segments(frame)
    pairs = zip(frame["size"], frame["segment_id"], strict=True)
    assert {int(s): original[int(i)] for s, i in pairs} == by_size

    permuted = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    new_ids = list(range(40, 40 + len(frame)))
    permuted["segment_id"] = pd.Series(new_ids).sample(frac=1.0, random_state=seed + 10).to_numpy()
    names = name_segments(permuted)
    pairs = zip(permuted["size"], permuted["segment_id"], strict=True)
    assert {int(s): names[int(i)] for s, i in pairs} == by_size


def test_window_shoppers_are_not_lapsed_and_bargains_are_not_loyal() -> None:
    frame = pd.DataFrame(
        [
            # browse as much as the base, buy a fifth as often, last order long ago
            _row(1, 10, recency_days=1.75, frequency=0.2, events_90d=1.0, events_30d=0.85),
            # same rhythm of orders, but stopped browsing too
            _row(2, 20, recency_days=3.5, frequency=0.55, events_90d=0.03, events_30d=0.02),
            # buy twice as often as the base in tiny baskets
            _row(3, 30, frequency=2.2, avg_basket=0.07, recency_days=0.15, tenure_days=1.1),
            # buy as often as the base, recently, baskets a bit under the base
            _row(4, 40, frequency=1.03, avg_basket=0.57, recency_days=0.22, tenure_days=1.1),
        ]
    )
    assert name_segments(frame) == {
        1: "Window shoppers",
        2: "At risk - lapsed",
        3: "Bargain hunters",
        4: "Loyal regulars",
    }


def test_subset_of_features_falls_back_to_descriptions() -> None:
    frame = pd.DataFrame(
        {
            "segment_id": [1, 2],
            "size": [10, 10],
            "share": [0.5, 0.5],
            "monetary_mean": [600.0, 200.0],
            "monetary_median": [600.0, 200.0],
            "monetary_lift": [1.5, 0.5],
        }
    )
    assert name_segments(frame) == {1: "High spend", 2: "Low spend"}


def test_repeated_segment_ids_are_refused() -> None:
    frame = pd.DataFrame([_row(1, 10), _row(1, 11)])
    with pytest.raises(ValueError, match="repeated segment_id"):
        name_segments(frame)


# Purchase cycle: "At risk - lapsed" needs recency > 2 x the data's median inter-purchase time.
# The lapsed profile of PROFILES has a recency lift 2.5 on a base of 60 days: mean 150 days.
@pytest.mark.parametrize(
    ("cycle_days", "expected"),
    [
        (74.0, "At risk - lapsed"),  # 150 > 148
        (75.0, "Low recent activity, low activity"),  # 150 is exactly 2 x 75: not lapsed
        (76.0, "Low recent activity, low activity"),  # 150 < 152
        (None, "At risk - lapsed"),  # no cycle known: the lift decides
    ],
)
def test_lapsed_is_anchored_in_the_purchase_cycle(cycle_days: float | None, expected: str) -> None:
    names = name_segments(pd.DataFrame(PROFILES), cycle_days=cycle_days)
    assert names[2] == expected
    assert {k: v for k, v in names.items() if k != 2} == {
        k: v for k, v in EXPECTED.items() if k != 2
    }


def test_purchase_cycle_is_the_median_gap_of_repeat_buyers() -> None:
    features = pd.DataFrame(
        {
            "frequency": [1.0, 2.0, 3.0, 5.0, 0.0, 2.0],
            # the single-order customer's 400 days and the prospect's NaN do not count
            "mean_interpurchase_days": [400.0, 10.0, 30.0, 20.0, float("nan"), 50.0],
        }
    )
    assert purchase_cycle_days(features) == 25.0
    assert purchase_cycle_days(features[features["frequency"] < 2]) is None
    assert purchase_cycle_days(features[["frequency"]]) is None


def test_a_frequent_group_35_days_out_is_not_lapsed_in_a_monthly_shop() -> None:
    """The issue's case: 12 orders, 35 days since the last, in a base that buys every ~30 days
    and last bought 20 days ago on average (lift 1.75) - not lapsed; in a weekly shop it is."""
    frame = pd.DataFrame(
        [
            _row(1, 50, recency_days=35 / 60, frequency=3.0, monetary=0.9, avg_basket=0.3),
            _row(2, 60),
        ]
    )
    frame["recency_days_lift"] = [1.75, 0.9]
    assert frame.loc[0, "recency_days_mean"] == pytest.approx(35.0)
    # small baskets three times as often as the base: the next archetype that fits
    assert name_segments(frame, cycle_days=30.0) == {1: "Bargain hunters", 2: "Average customers"}
    assert name_segments(frame, cycle_days=7.0)[1] == "At risk - lapsed"
