"""Composition test where an edit of the code would show: the exact JSON report, Cramér's V of a
3 x 3 table (min dimension - 1 = 2), one segment with several categories, a single row."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats.contingency import association

from cible.segmentation.validation.representativeness import composition_test


def test_json_report_by_hand() -> None:
    # segments 0 and 1 of 10; FR 8 / 2, DE 2 / 8: chi2 = 4 * 3^2 / 5 = 7.2, V = sqrt(7.2 / 20)
    labels = np.repeat([0, 1, -1], [10, 10, 1])
    values = ["FR"] * 8 + ["DE"] * 2 + ["FR"] * 2 + ["DE"] * 8 + ["IT"]
    result = composition_test(labels, pd.Series(values, name="country"))
    out = result.to_dict()
    assert out == {
        "column": "country",
        "test": "chi-square test of independence (scipy.stats.chi2_contingency)",
        "chi2": pytest.approx(7.2),
        "p_value": pytest.approx(math.erfc(math.sqrt(3.6))),
        "dof": 1,
        "cramers_v": pytest.approx(math.sqrt(0.36)),
        "n": 20,
        "merged_into_other": [],
        "categories": ["DE", "FR"],
        "table": [{"segment": 0, "counts": [2, 8]}, {"segment": 1, "counts": [8, 2]}],
    }
    assert result.table.index.name == "segment"
    assert result.table.columns.name is None
    assert result.table.index.dtype == np.int64


def test_cramers_v_of_a_three_by_three_table() -> None:
    counts = np.array([[10, 5, 5], [5, 10, 5], [5, 5, 10]])
    labels, values = [], []
    for seg, row in enumerate(counts):
        for cat, k in zip(["a", "b", "c"], row, strict=True):
            labels += [seg] * int(k)
            values += [cat] * int(k)
    result = composition_test(labels, pd.Series(values, name="channel"))
    # expected 20/3 everywhere: chi2 = 3 * 5/3 + 6 * 5/12 = 7.5; V = sqrt(7.5 / (60 * 2)) = 0.25
    assert result.chi2 == pytest.approx(7.5)
    assert result.dof == 4
    assert result.cramers_v == pytest.approx(0.25)
    assert result.cramers_v == pytest.approx(association(counts, method="cramer"))


def test_one_segment_with_two_categories_is_undefined() -> None:
    result = composition_test([3] * 12, pd.Series(["FR"] * 6 + ["DE"] * 6, name="country"))
    assert list(result.table.columns) == ["DE", "FR"]
    assert math.isnan(result.chi2) and math.isnan(result.p_value) and math.isnan(result.cramers_v)
    assert (result.column, result.dof, result.n) == ("country", 0, 12)
    assert result.to_dict()["table"] == [{"segment": 3, "counts": [6, 6]}]


def test_a_single_row_is_merged_into_other() -> None:
    # one customer: its category is expected once (< 5), so it is merged
    result = composition_test([0], pd.Series(["FR"], name="country"))
    assert result.merged == ("FR",)
    assert list(result.table.columns) == ["other"]
    assert result.n == 1
    assert result.dof == 0


def test_an_unnamed_category_is_called_category() -> None:
    result = composition_test([0, 1], pd.Series(["FR", "FR"]))
    assert result.column == "category"
    assert result.dof == 0
