"""Composition tests: chi-square by hand, Cramér's V, rare categories merged into 'other'."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from cible.segmentation.validation.representativeness import composition_test


def test_two_by_two_by_hand() -> None:
    # segment 0: 20 FR, 10 DE; segment 1: 10 FR, 20 DE; every expected count is 15
    labels = np.repeat([0, 1], 30)
    country = pd.Series(["FR"] * 20 + ["DE"] * 10 + ["FR"] * 10 + ["DE"] * 20, name="country")
    result = composition_test(labels, country)
    chi2 = 4 * 5**2 / 15
    assert result.chi2 == pytest.approx(chi2)  # 6.667, no Yates correction
    assert result.dof == 1
    assert result.p_value == pytest.approx(math.erfc(math.sqrt(chi2 / 2)))
    assert result.cramers_v == pytest.approx(1 / 3)  # sqrt(6.667 / 60)
    assert result.n == 60
    assert result.merged == ()
    assert result.table.loc[0, "FR"] == 20 and result.table.loc[1, "DE"] == 20


def test_rare_categories_are_merged_into_other() -> None:
    labels = np.repeat([0, 1, -1], [32, 31, 5])
    values = ["FR"] * 20 + ["DE"] * 10 + ["IT", "ES"] + ["FR"] * 10 + ["DE"] * 20 + ["IT"]
    values += ["XX"] * 5  # noise rows: not counted
    category = pd.Series(values, name="country", index=np.arange(len(values))[::-1])
    result = composition_test(labels, category)
    assert result.merged == ("ES", "IT")
    assert list(result.table.columns) == ["DE", "FR", "other"]
    observed = result.table.to_numpy(dtype=float)
    np.testing.assert_array_equal(observed, [[10, 20, 2], [20, 10, 1]])
    expected = observed.sum(axis=1, keepdims=True) * observed.sum(axis=0) / observed.sum()
    assert result.chi2 == pytest.approx(((observed - expected) ** 2 / expected).sum())
    assert result.dof == 2
    assert result.cramers_v == pytest.approx(math.sqrt(result.chi2 / 63))


def test_missing_values_form_a_category_and_input_untouched() -> None:
    labels = np.repeat([0, 1], 20)
    category = pd.Series(["web"] * 10 + [None] * 10 + ["web"] * 15 + [None] * 5, name="channel")
    before = category.copy()
    result = composition_test(labels, category)
    pd.testing.assert_series_equal(category, before)
    assert sorted(result.table.columns) == ["(missing)", "web"]
    assert result.table.loc[1, "(missing)"] == 5


def test_undefined_when_everything_is_rare() -> None:
    result = composition_test([0, 0, 1, 1], pd.Series(["a", "b", "a", "b"], name="c"))
    assert result.merged == ("a", "b")
    assert list(result.table.columns) == ["other"]
    assert np.isnan(result.chi2) and np.isnan(result.cramers_v)
    data = result.to_dict()
    json.dumps(data, allow_nan=False)
    assert data["table"] == [{"segment": 0, "counts": [2]}, {"segment": 1, "counts": [2]}]
    assert data["chi2"] is None


def test_length_mismatch_is_refused() -> None:
    with pytest.raises(ValueError, match="one value per row of 'c'"):
        composition_test([0, 1], pd.Series(["a"], name="c"))
