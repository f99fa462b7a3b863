"""segment_customers on generated customers with three planted purchasing groups + prospects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from cible.config import FEATURE_NAMES, SegmentationConfig
from cible.exceptions import SegmentationError
from cible.segmentation import PROSPECT_SEGMENT_NAME, SegmentationResult, segment_customers

# planted groups: (frequency, avg_basket, recency_days, tenure_days, events_90d)
GROUPS = {
    "vip": (20.0, 150.0, 5.0, 900.0, 40.0),
    "regular": (4.0, 40.0, 40.0, 600.0, 8.0),
    "lapsed": (1.0, 25.0, 400.0, 700.0, 1.0),
}
CONFIG = SegmentationConfig(k_min=2, k_max=5, n_init=3, silhouette_sample=500, random_state=0)


def make_features(n_per_group: int = 60, n_prospects: int = 25, seed: int = 0) -> pd.DataFrame:
    """Customers of three well separated groups (index: customer_id) + prospects."""
    rng = np.random.default_rng(seed)
    rows = []
    for group, (freq, basket, recency, tenure, events) in GROUPS.items():
        for _ in range(n_per_group):
            noise = rng.lognormal(0.0, 0.05, size=5)
            f = max(1.0, round(freq * noise[0]))
            b = basket * noise[1]
            rows.append(
                {
                    "group": group,
                    "recency_days": recency * noise[2],
                    "frequency": f,
                    "monetary": f * b,
                    "avg_basket": b,
                    "tenure_days": tenure * noise[3],
                    "mean_interpurchase_days": tenure / f,
                    "refund_rate": 0.02,
                    "events_30d": events * noise[4] / 3,
                    "events_90d": events * noise[4],
                }
            )
    for _ in range(n_prospects):
        rows.append(
            {
                "group": "prospect",
                "recency_days": np.nan,
                "frequency": 0.0,
                "monetary": 0.0,
                "avg_basket": 0.0,
                "tenure_days": float(rng.integers(1, 300)),
                "mean_interpurchase_days": np.nan,
                "refund_rate": 0.0,
                "events_30d": float(rng.integers(0, 5)),
                "events_90d": float(rng.integers(0, 15)),
            }
        )
    frame = pd.DataFrame(rows)
    order = rng.permutation(len(frame))
    frame = frame.iloc[order].reset_index(drop=True)
    frame.index = pd.Index([f"C{i:04d}" for i in range(len(frame))], name="customer_id")
    return frame


def _features(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.loc[:, list(FEATURE_NAMES)]


@pytest.fixture(scope="module")
def planted() -> pd.DataFrame:
    return make_features()


@pytest.fixture(scope="module")
def result(planted: pd.DataFrame) -> SegmentationResult:
    return segment_customers(_features(planted), CONFIG)


def test_recovers_the_planted_groups(planted: pd.DataFrame, result: SegmentationResult) -> None:
    assert result.chosen_k == 3
    buyers = planted["group"] != "prospect"
    seg = result.assignments.set_index("customer_id")["segment_id"]
    assert adjusted_rand_score(planted.loc[buyers, "group"], seg[buyers]) == 1.0
    assert result.k_scores["k"].tolist() == [2, 3, 4, 5]
    assert result.silhouette == pytest.approx(result.k_scores["silhouette"].max())


def test_ids_ordered_by_descending_monetary(
    planted: pd.DataFrame, result: SegmentationResult
) -> None:
    seg = result.assignments.set_index("customer_id")["segment_id"]
    # the vip group spends the most, lapsed the least
    assert set(seg[planted["group"] == "vip"]) == {1}
    assert set(seg[planted["group"] == "regular"]) == {2}
    assert set(seg[planted["group"] == "lapsed"]) == {3}
    means = planted["monetary"].groupby(seg).mean().drop(0)
    assert means.index.tolist() == [1, 2, 3]
    assert means.is_monotonic_decreasing


def test_prospects_get_segment_zero(planted: pd.DataFrame, result: SegmentationResult) -> None:
    a = result.assignments.set_index("customer_id")
    prospects = planted.index[planted["frequency"] == 0]
    assert len(prospects) == 25
    assert result.n_prospects == 25
    assert set(a.loc[prospects, "segment_id"]) == {0}
    assert set(a.loc[prospects, "segment_name"]) == {PROSPECT_SEGMENT_NAME}
    assert (a.drop(prospects)["segment_id"] > 0).all()
    assert not result.map_2d["customer_id"].isin(prospects).any()


def test_result_shapes(planted: pd.DataFrame, result: SegmentationResult) -> None:
    a = result.assignments
    assert list(a.columns) == ["customer_id", "segment_id", "segment_name"]
    assert a["customer_id"].tolist() == planted.index.tolist()
    assert a["segment_id"].dtype == np.int64
    p = result.profiles
    assert p["segment_id"].tolist() == [0, 1, 2, 3]
    assert p["size"].tolist() == [25, 60, 60, 60]
    assert p["share"].sum() == pytest.approx(1.0)
    assert p["segment_name"].tolist()[0] == PROSPECT_SEGMENT_NAME
    assert p["segment_name"].is_unique
    # lifts compare to purchasing customers: their size-weighted mean is 1
    buyers = p[p["segment_id"] > 0]
    assert (buyers["monetary_lift"] * buyers["size"]).sum() / buyers["size"].sum() == (
        pytest.approx(1.0)
    )
    assert p.loc[0, "frequency_lift"] == 0.0
    m = result.map_2d
    assert list(m.columns) == ["customer_id", "pc1", "pc2", "segment_id", "segment_name"]
    assert len(m) == 180
    ev1, ev2 = result.pca_explained
    assert 0.0 < ev2 <= ev1 and ev1 + ev2 <= 1.0
    assert result.feature_names == list(FEATURE_NAMES)
    assert (result.n_customers, result.n_segmented) == (205, 180)


def test_names_follow_the_planted_patterns(result: SegmentationResult) -> None:
    names = dict(zip(result.profiles["segment_id"], result.profiles["segment_name"], strict=True))
    assert names[1] == "Champions"
    assert names[3] == "At risk - lapsed"


def test_input_is_not_modified(planted: pd.DataFrame) -> None:
    features = _features(planted)
    before = features.copy()
    segment_customers(features, CONFIG)
    pd.testing.assert_frame_equal(features, before)


def test_same_data_same_result(planted: pd.DataFrame, result: SegmentationResult) -> None:
    again = segment_customers(_features(planted), CONFIG)
    pd.testing.assert_frame_equal(again.assignments, result.assignments)
    pd.testing.assert_frame_equal(again.map_2d, result.map_2d)


def test_too_few_purchasing_customers() -> None:
    features = _features(make_features(n_per_group=1, n_prospects=5))
    config = SegmentationConfig(k_min=3, k_max=4)
    with pytest.raises(SegmentationError, match=r"at least k_min \+ 1 = 4 .* got 3 out of 8"):
        segment_customers(features, config)


def test_missing_values_among_buyers_are_refused(planted: pd.DataFrame) -> None:
    features = _features(planted)
    buyer = features.index[features["frequency"] > 0][0]
    features.loc[buyer, "mean_interpurchase_days"] = np.nan
    with pytest.raises(SegmentationError, match=r"'mean_interpurchase_days' \(1\)"):
        segment_customers(features, CONFIG)


def test_missing_column_is_refused(planted: pd.DataFrame) -> None:
    features = _features(planted).drop(columns=["monetary"])
    with pytest.raises(SegmentationError, match=r"lack column\(s\) \['monetary'\]"):
        segment_customers(features, CONFIG)


def test_feature_subset_and_map_sample_cap() -> None:
    features = _features(make_features(n_per_group=1700, n_prospects=10, seed=3))
    config = SegmentationConfig(
        features=["recency_days", "frequency", "avg_basket"], k_min=2, k_max=4, n_init=1
    )
    res = segment_customers(features, config)
    assert len(res.map_2d) == 5000
    assert res.map_2d["customer_id"].is_unique
    assert res.chosen_k == 3
    assert res.feature_names == ["recency_days", "frequency", "avg_basket"]
    assert len(res.assignments) == 5110


def test_refund_only_customers_get_their_own_segment(planted: pd.DataFrame) -> None:
    """Prospects with a negative net revenue (refunds, no order) are the last segment; a
    prospect at exactly 0 stays a prospect."""
    frame = _features(planted).copy()
    prospects = frame.index[frame["frequency"] == 0]
    frame.loc[prospects[:4], "monetary"] = [-10.0, -0.01, -250.0, -3.5]
    result = segment_customers(frame, CONFIG)
    a = result.assignments.set_index("customer_id")
    assert set(a.loc[prospects[:4], "segment_id"]) == {4}
    assert set(a.loc[prospects[:4], "segment_name"]) == {"Refund only - no purchase recorded"}
    assert set(a.loc[prospects[4:], "segment_name"]) == {PROSPECT_SEGMENT_NAME}
    assert (result.n_prospects, result.n_refund_only, result.n_segmented) == (21, 4, 180)
    assert result.profiles["segment_id"].tolist() == [0, 1, 2, 3, 4]
    assert result.profiles["size"].tolist() == [21, 60, 60, 60, 4]
