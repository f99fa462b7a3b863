"""Kruskal-Wallis per feature: golden values computed by hand (with and without ties)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from cible.segmentation.validation.kruskal import kruskal_by_feature


def test_two_groups_by_hand() -> None:
    # ranks 1, 2 | 3, 4: H = 12 / (4 * 5) * (3^2 / 2 + 7^2 / 2) - 3 * 5 = 2.4;
    # chi2(1) survival = erfc(sqrt(H / 2)); epsilon^2 = H / ((16 - 1) / 5) = 0.8
    features = pd.DataFrame({"x": [1.0, 2.0, 4.0, 5.0, 50.0]})
    row = kruskal_by_feature(features, [0, 0, 1, 1, -1]).table.iloc[0]
    assert row["h_stat"] == pytest.approx(2.4)
    assert row["p_value"] == pytest.approx(math.erfc(math.sqrt(1.2)))
    assert row["epsilon_squared"] == pytest.approx(0.8)
    assert row["n"] == 4


def test_three_groups_by_hand() -> None:
    # rank sums 6, 15, 24: H = 12 / 90 * (36 + 225 + 576) / 3 - 30 = 7.2; chi2(2) sf = exp(-H/2)
    features = pd.DataFrame({"x": np.arange(1.0, 10.0)})
    row = kruskal_by_feature(features, [0, 0, 0, 1, 1, 1, 2, 2, 2]).table.iloc[0]
    assert row["h_stat"] == pytest.approx(7.2)
    assert row["p_value"] == pytest.approx(math.exp(-3.6))
    assert row["epsilon_squared"] == pytest.approx(7.2 / 8)


def test_ties_are_corrected() -> None:
    # ranks 1.5, 1.5 | 3.5, 3.5: uncorrected H = 2.4, tie factor 1 - (6 + 6) / 60 = 0.8, H = 3
    features = pd.DataFrame({"x": [1.0, 1.0, 2.0, 2.0]})
    row = kruskal_by_feature(features, [0, 0, 1, 1]).table.iloc[0]
    assert row["h_stat"] == pytest.approx(3.0)
    assert row["p_value"] == pytest.approx(math.erfc(math.sqrt(1.5)))
    assert row["epsilon_squared"] == pytest.approx(1.0)


def test_constant_feature_is_nan_and_input_untouched() -> None:
    features = pd.DataFrame({"c": [2.0] * 4, "flag": [True, False, True, False]})
    before = features.copy()
    result = kruskal_by_feature(features, [0, 0, 1, 1])
    pd.testing.assert_frame_equal(features, before)
    assert np.isnan(result.table.loc[0, "h_stat"])
    assert result.table.loc[1, "h_stat"] == pytest.approx(0.0)  # booleans are tested as 0/1
    data = result.to_dict()
    json.dumps(data, allow_nan=False)
    assert data["features"][0]["p_value"] is None
    assert data["n_segments"] == 2
