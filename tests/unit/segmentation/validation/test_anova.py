"""One-way ANOVA per feature: golden values computed by hand."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from cible.segmentation.validation.anova import anova_by_feature


def test_two_groups_by_hand() -> None:
    # groups [1, 2] and [4, 5]: SS_between = 9, SS_within = 1, F = 9 / (1 / 2) = 18;
    # F(1, 2) = t(2)^2 and the t(2) two-sided p is 1 - t / sqrt(2 + t^2) = 1 - sqrt(0.9)
    features = pd.DataFrame({"x": [1.0, 2.0, 4.0, 5.0, 99.0, np.nan]})
    labels = np.array([0, 0, 1, 1, -1, 1])  # noise and missing values are left out
    row = anova_by_feature(features, labels).table.iloc[0]
    assert row["feature"] == "x"
    assert row["f_stat"] == pytest.approx(18.0)
    assert row["p_value"] == pytest.approx(1.0 - math.sqrt(0.9))  # 0.05132
    assert row["eta_squared"] == pytest.approx(0.9)
    assert row["n"] == 4


def test_three_groups_by_hand() -> None:
    # means 2, 3, 7, grand mean 4: SS_between = 3 * (4 + 1 + 9) = 42, SS_within = 6
    # F = (42 / 2) / (6 / 6) = 21; F(2, 6) survival = (1 + 2F / 6) ** -3 = 8 ** -3
    features = pd.DataFrame(
        {"v": [1.0, 2.0, 3.0, 2.0, 3.0, 4.0, 6.0, 7.0, 8.0], "label": list("abcdefghi")}
    )
    result = anova_by_feature(features, [0, 0, 0, 1, 1, 1, 2, 2, 2])
    assert list(result.table["feature"]) == ["v"]  # the text column is skipped
    row = result.table.iloc[0]
    assert row["f_stat"] == pytest.approx(21.0)
    assert row["p_value"] == pytest.approx(1 / 512)
    assert row["eta_squared"] == pytest.approx(42 / 48)
    assert result.n_segments == 3


def test_constant_feature_is_nan_and_json_null() -> None:
    features = pd.DataFrame({"c": [3.0] * 4, "x": [1.0, 2.0, 4.0, 5.0]})
    result = anova_by_feature(features, [0, 0, 1, 1])
    assert np.isnan(result.table.loc[0, "f_stat"])
    data = result.to_dict()
    json.dumps(data, allow_nan=False)
    assert data["features"][0] == {
        "feature": "c",
        "f_stat": None,
        "p_value": None,
        "eta_squared": None,
        "n": 4,
    }
    assert data["features"][1]["eta_squared"] == pytest.approx(0.9)


def test_input_not_modified_and_length_checked() -> None:
    features = pd.DataFrame({"x": [1.0, 2.0, 4.0, 5.0]})
    before = features.copy()
    anova_by_feature(features, [0, 0, 1, 1])
    pd.testing.assert_frame_equal(features, before)
    with pytest.raises(ValueError, match="one value per row"):
        anova_by_feature(features, [0, 1])
