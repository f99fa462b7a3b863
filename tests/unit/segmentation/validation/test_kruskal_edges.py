"""Kruskal-Wallis per feature where an edit of the code would show: the exact JSON report, a text
column before the numeric ones, a nullable column with a missing value, no numeric column."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from cible.segmentation.validation.kruskal import COLUMNS, kruskal_by_feature

# rank sums 6 | 15: H = 12 / (6 * 7) * (6^2 / 3 + 15^2 / 3) - 3 * 7 = 27 / 7; epsilon^2 = H / 5
H = 27 / 7
P_CHI2_1 = math.erfc(math.sqrt(H / 2))  # chi2(1) survival function


def test_json_report_by_hand() -> None:
    features = pd.DataFrame(
        {
            "name": list("abcdef"),  # text: skipped, and the columns after it are still tested
            "x": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            "constant": [7.0] * 6,
        }
    )
    out = kruskal_by_feature(features, [0, 0, 0, 1, 1, 1]).to_dict()
    assert out.keys() == {"test", "effect_size", "n_segments", "features"}
    assert out["test"] == "Kruskal-Wallis H (scipy.stats.kruskal)"
    assert out["effect_size"] == "epsilon squared = H / ((n^2 - 1) / (n + 1))"
    assert out["n_segments"] == 2
    x, constant = out["features"]
    assert x.keys() == set(COLUMNS)
    assert x["feature"] == "x"
    assert x["h_stat"] == pytest.approx(H)
    assert x["p_value"] == pytest.approx(P_CHI2_1)
    assert x["epsilon_squared"] == pytest.approx(H / 5)
    assert x["n"] == 6
    assert type(x["n"]) is int
    assert constant == {
        "feature": "constant",
        "h_stat": None,
        "p_value": None,
        "epsilon_squared": None,
        "n": 6,
    }


def test_a_nullable_boolean_column_with_a_missing_value_is_tested_as_numbers() -> None:
    # True = 1, False = 0, <NA> left out: ranks 4, 4, 4 | 1.5, 1.5 (ties)
    flag = pd.Series([True, True, True, pd.NA, False, False], dtype="boolean")
    table = kruskal_by_feature(pd.DataFrame({"flag": flag}), [0, 0, 0, 1, 1, 1]).table
    row = table.iloc[0]
    assert row["n"] == 5
    # uncorrected H = 12 / 30 * (12^2 / 3 + 3^2 / 2) - 18 = 3; tie factor 1 - (6 + 24) / 120
    assert row["h_stat"] == pytest.approx(4.0)
    assert row["epsilon_squared"] == pytest.approx(1.0)


def test_no_numeric_column_gives_an_empty_table_with_every_column() -> None:
    result = kruskal_by_feature(pd.DataFrame({"name": ["a", "b"]}), [0, 1])
    assert list(result.table.columns) == COLUMNS
    assert len(result.table) == 0
    assert result.to_dict()["features"] == []
