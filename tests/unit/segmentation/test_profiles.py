"""profile_segments: golden sizes, shares, means, medians and lifts on a tiny frame."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from cible.segmentation.profiles import profile_segments


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "x": [1.0, 2.0, 3.0, 10.0, 4.0],
            "zero": [0.0, 0.0, 0.0, 0.0, 0.0],
            "gap": [np.nan, 2.0, 4.0, 4.0, 5.0],
        },
        index=pd.Index(["c1", "c2", "c3", "c4", "c5"], name="customer_id"),
    )


def _ids() -> pd.Series:
    # given in another order than the frame: alignment is by customer_id
    return pd.Series([2, 1, 1, 2, 7], index=["c4", "c1", "c2", "c3", "c5"])


def test_golden_profile() -> None:
    out = profile_segments(_frame(), _ids())
    expected_columns = ["segment_id", "size", "share"] + [
        f"{f}_{s}" for f in ("x", "zero", "gap") for s in ("mean", "median", "lift")
    ]
    assert list(out.columns) == expected_columns
    assert out["segment_id"].tolist() == [1, 2, 7]
    assert out["size"].tolist() == [2, 2, 1]
    assert_allclose(out["share"], [0.4, 0.4, 0.2])
    # x: overall mean 4; segment 1 = {1, 2}, segment 2 = {3, 10}, segment 7 = {4}
    assert_allclose(out["x_mean"], [1.5, 6.5, 4.0])
    assert_allclose(out["x_median"], [1.5, 6.5, 4.0])
    assert_allclose(out["x_lift"], [0.375, 1.625, 1.0])
    # overall mean 0 -> lift undefined
    assert out["zero_lift"].isna().all()
    # NaN ignored: overall mean of {2, 4, 4, 5} = 3.75; segment 1 = {NaN, 2}
    assert_allclose(out["gap_mean"], [2.0, 4.0, 5.0])
    assert_allclose(out["gap_lift"], [2.0 / 3.75, 4.0 / 3.75, 5.0 / 3.75])


def test_reference_base_for_lifts() -> None:
    frame = _frame()
    out = profile_segments(frame, _ids(), reference=frame.loc[["c1", "c2"]])
    # reference mean of x = 1.5, shares still over all rows
    assert_allclose(out["x_lift"], [1.0, 6.5 / 1.5, 4.0 / 1.5])
    assert_allclose(out["share"], [0.4, 0.4, 0.2])


def test_inputs_unchanged() -> None:
    frame, ids = _frame(), _ids()
    frame_before, ids_before = frame.copy(), ids.copy()
    profile_segments(frame, ids)
    pd.testing.assert_frame_equal(frame, frame_before)
    pd.testing.assert_series_equal(ids, ids_before)


def test_mismatched_index_is_refused() -> None:
    ids = _ids().drop("c5")
    with pytest.raises(ValueError, match=r"1 customer\(s\) without a segment, 0 unknown"):
        profile_segments(_frame(), ids)
