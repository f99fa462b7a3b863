"""One-way ANOVA per feature where an edit of the code would show: the exact JSON report, a text
column before the numeric ones, a nullable column with a missing value, a column with no value,
groups of exactly one value each, no numeric column."""

from __future__ import annotations

import math
import warnings

import pandas as pd
import pytest
from scipy import stats

from cible.segmentation.validation.anova import COLUMNS, anova_by_feature

LABELS = [0, 0, 0, 1, 1, 1]


def test_json_report_by_hand() -> None:
    # x: means 2 | 5, grand mean 3.5; SS_total 17.5, SS_between 2 * 3 * 1.5^2 = 13.5,
    # SS_within 4: F = (13.5 / 1) / (4 / 4) = 13.5, eta^2 = 13.5 / 17.5
    features = pd.DataFrame(
        {
            "name": list("abcdef"),  # text: skipped, and the columns after it are still tested
            "x": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            "constant": [7.0] * 6,
        }
    )
    out = anova_by_feature(features, LABELS).to_dict()
    assert out.keys() == {"test", "effect_size", "n_segments", "features"}
    assert out["test"] == "one-way ANOVA (scipy.stats.f_oneway)"
    assert out["effect_size"] == "eta squared = SS_between / SS_total"
    assert out["n_segments"] == 2
    x, constant = out["features"]
    assert x.keys() == set(COLUMNS)
    assert x["feature"] == "x"
    assert x["f_stat"] == pytest.approx(13.5)
    assert x["p_value"] == pytest.approx(stats.f.sf(13.5, 1, 4))
    assert x["eta_squared"] == pytest.approx(13.5 / 17.5)
    assert x["n"] == 6
    assert type(x["n"]) is int
    assert constant == {
        "feature": "constant",
        "f_stat": None,
        "p_value": None,
        "eta_squared": None,
        "n": 6,
    }


def test_a_nullable_boolean_column_with_a_missing_value_is_tested_as_numbers() -> None:
    # True = 1, False = 0, <NA> left out: groups [1, 1, 1] | [1, 0]; grand mean 0.8,
    # SS_total 0.8, SS_between 3 * 0.2^2 + 2 * 0.3^2 = 0.3
    flag = pd.Series([True, True, True, pd.NA, True, False], dtype="boolean")
    row = anova_by_feature(pd.DataFrame({"flag": flag}), LABELS).table.iloc[0]
    assert row["n"] == 5
    assert row["eta_squared"] == pytest.approx(0.3 / 0.8)
    assert row["f_stat"] == pytest.approx((0.3 / 1) / (0.5 / 3))


def test_a_column_without_any_value_is_undefined_and_silent() -> None:
    features = pd.DataFrame({"empty": [float("nan")] * 6})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        row = anova_by_feature(features, LABELS).table.iloc[0]
    assert row["n"] == 0
    assert math.isnan(row["f_stat"]) and math.isnan(row["eta_squared"])


def test_groups_of_one_value_each_are_undefined() -> None:
    # n = 2 = number of groups: no within-group degree of freedom
    table = anova_by_feature(pd.DataFrame({"x": [1.0, 2.0]}), [0, 1]).table
    assert table["n"].tolist() == [2]
    assert math.isnan(table["eta_squared"].iloc[0])
    assert math.isnan(table["f_stat"].iloc[0])
    # one more value: defined
    table = anova_by_feature(pd.DataFrame({"x": [1.0, 2.0, 4.0]}), [0, 1, 1]).table
    # grand mean 7/3; SS_total 14/3; SS_between (1 - 7/3)^2 + 2 * (3 - 7/3)^2 = 8/3
    assert table["n"].tolist() == [3]
    assert table["eta_squared"].iloc[0] == pytest.approx((8 / 3) / (14 / 3))


def test_no_numeric_column_gives_an_empty_table_with_every_column() -> None:
    result = anova_by_feature(pd.DataFrame({"name": ["a", "b"]}), [0, 1])
    assert list(result.table.columns) == COLUMNS
    assert len(result.table) == 0
    assert result.to_dict()["features"] == []
