"""RFM quintile scores against hand-computed examples (ties at quintile edges) and the grid."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cible.segmentation.rfm_quintiles import (
    RFM_SEGMENT_NAMES,
    quintile_edges,
    quintile_scores,
    rfm_scores,
    rfm_segment_names,
)


def test_ten_distinct_values_make_five_pairs() -> None:
    # edges at 2.8, 4.6, 6.4, 8.2 (linear interpolation over positions 0..9)
    values = [7, 1, 10, 3, 5, 2, 9, 4, 8, 6]
    np.testing.assert_allclose(quintile_edges(values), [2.8, 4.6, 6.4, 8.2])
    assert quintile_scores(values).tolist() == [4, 1, 5, 2, 3, 1, 5, 2, 4, 3]
    assert quintile_scores(values, reverse=True).tolist() == [2, 5, 1, 4, 3, 5, 1, 4, 2, 3]


def test_ties_at_the_edges_share_the_lower_score() -> None:
    # sorted 1 1 1 2 2 3 3 3 3 10: edges 1, 2, 3, 3 - every value sits exactly on an edge
    values = [3, 1, 2, 10, 1, 3, 2, 1, 3, 3]
    np.testing.assert_allclose(quintile_edges(values), [1.0, 2.0, 3.0, 3.0])
    # 1: no edge below -> 1; 2: one edge below -> 2; 3: two -> 3; 10: four -> 5 (4 is skipped)
    assert quintile_scores(values).tolist() == [3, 1, 2, 5, 1, 3, 2, 1, 3, 3]
    # recency: the smallest values score 5; a tie on an edge stays with the more recent fifth
    assert quintile_scores(values, reverse=True).tolist() == [3, 5, 4, 1, 5, 3, 4, 5, 3, 3]


def test_a_value_exactly_at_an_edge_stays_below_it() -> None:
    # 0..10: the edges fall on the values 2, 4, 6, 8 themselves
    values = np.arange(11.0)
    np.testing.assert_allclose(quintile_edges(values), [2.0, 4.0, 6.0, 8.0])
    assert quintile_scores(values).tolist() == [1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert quintile_scores(values, reverse=True).tolist() == [5, 5, 5, 4, 4, 3, 3, 2, 2, 1, 1]


def test_grid_is_a_partition_with_eleven_names() -> None:
    r, f = np.meshgrid(np.arange(1, 6), np.arange(1, 6), indexing="ij")
    names = rfm_segment_names(r.ravel(), f.ravel()).reshape(5, 5)
    assert set(names.ravel()) == set(RFM_SEGMENT_NAMES)
    assert len(RFM_SEGMENT_NAMES) == 11
    # rows: R = 1..5; columns: F = 1..5
    assert names.tolist() == [
        ["Lost", "Hibernating", "At risk", "At risk", "Cannot lose them"],
        ["Hibernating", "Hibernating", "At risk", "At risk", "Cannot lose them"],
        ["About to sleep", "About to sleep", "Need attention", "Loyal", "Loyal"],
        ["Promising", "Potential loyalist", "Potential loyalist", "Loyal", "Loyal"],
        ["New", "Potential loyalist", "Potential loyalist", "Champions", "Champions"],
    ]


def test_rfm_scores_of_a_small_base() -> None:
    features = pd.DataFrame(
        {
            "recency_days": [5.0, 400.0, 30.0, 200.0, 10.0],
            "frequency": [12.0, 1.0, 3.0, 6.0, 1.0],
            "monetary": [900.0, 20.0, 150.0, 300.0, 15.0],
            "avg_basket": [75.0, 20.0, 50.0, 50.0, 15.0],
        },
        index=pd.Index(["a", "b", "c", "d", "e"], name="customer_id"),
    )
    before = features.copy()
    got = rfm_scores(features)
    # recency edges 9, 26, 92, 240 -> 5, 1, 3, 2, 4; frequency edges 1, 2.2, 3.6, 7.2
    assert got["r_score"].tolist() == [5, 1, 3, 2, 4]
    assert got["f_score"].tolist() == [5, 1, 3, 4, 1]
    assert got["m_score"].tolist() == [5, 2, 3, 4, 1]
    assert got["rfm_segment"].tolist() == [
        "Champions",
        "Lost",
        "Need attention",
        "At risk",
        "Promising",
    ]
    assert list(got.index) == ["a", "b", "c", "d", "e"]
    pd.testing.assert_frame_equal(features, before)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match=r"row 1 has R=6, F=1"):
        rfm_segment_names([1, 6], [1, 1])
    with pytest.raises(ValueError, match="only finite values"):
        quintile_scores([1.0, float("nan")])
    with pytest.raises(ValueError, match=r"lack column\(s\) \['monetary'\]"):
        rfm_scores(pd.DataFrame({"recency_days": [1.0], "frequency": [1.0]}))
