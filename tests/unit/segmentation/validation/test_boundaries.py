"""Validation statistics at their edges: an expected count exactly at the merge limit, the
smallest groups an ANOVA or a Kruskal-Wallis test accepts."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cible.segmentation.validation.anova import anova_by_feature
from cible.segmentation.validation.kruskal import kruskal_by_feature
from cible.segmentation.validation.representativeness import composition_test


@pytest.mark.parametrize(("rare_count", "merged"), [(9, ("IT",)), (10, ()), (11, ())])
def test_a_category_expected_exactly_five_times_is_kept(
    rare_count: int, merged: tuple[str, ...]
) -> None:
    # two segments of 50: a category of c customers is expected c / 2 times in each
    labels = np.repeat([0, 1], 50)
    per_segment = [rare_count // 2, rare_count - rare_count // 2]
    values: list[str] = []
    for k in per_segment:
        values += ["IT"] * k + ["FR"] * (50 - k)
    result = composition_test(labels, pd.Series(values, name="country"))
    assert result.merged == merged
    assert list(result.table.columns) == (["FR", "other"] if merged else ["FR", "IT"])
    assert result.n == 100 and result.dof == 1


def test_the_smallest_segment_sets_the_expected_counts() -> None:
    # segments of 20 and 80; IT: 30 customers, expected 20 * 30 / 100 = 6 in the small segment
    labels = np.repeat([0, 1], [20, 80])
    values = ["IT"] * 10 + ["FR"] * 10 + ["IT"] * 20 + ["FR"] * 60
    assert composition_test(labels, pd.Series(values)).merged == ()
    # IT: 24 customers, expected 4.8 in the small segment: merged (with FR 76 -> 15.2, kept)
    values = ["IT"] * 4 + ["FR"] * 16 + ["IT"] * 20 + ["FR"] * 60
    result = composition_test(labels, pd.Series(values))
    assert result.merged == ("IT",)
    assert result.column == "category"  # an unnamed series
    observed = np.array([[16.0, 4.0], [60.0, 20.0]])
    np.testing.assert_array_equal(result.table.to_numpy(dtype=float), observed)
    expected = observed.sum(axis=1, keepdims=True) * observed.sum(axis=0) / 100
    assert result.chi2 == pytest.approx(((observed - expected) ** 2 / expected).sum())
    assert result.dof == 1


def test_anova_needs_more_values_than_groups() -> None:
    just_enough = anova_by_feature(pd.DataFrame({"x": [1.0, 2.0, 4.0]}), [0, 0, 1])
    row = just_enough.table.iloc[0]
    # 3 values in 2 groups ([1, 2] and [4]): one degree of freedom within, the test is defined
    grand = 7 / 3
    ss_between = 2 * (1.5 - grand) ** 2 + (4 - grand) ** 2
    ss_total = (1 - grand) ** 2 + (2 - grand) ** 2 + (4 - grand) ** 2
    assert row["eta_squared"] == pytest.approx(ss_between / ss_total)
    assert row["f_stat"] == pytest.approx(ss_between / ((ss_total - ss_between) / 1))
    assert row["n"] == 3
    one_each = anova_by_feature(pd.DataFrame({"x": [1.0, 2.0]}), [0, 1]).table.iloc[0]
    assert math.isnan(one_each["f_stat"]) and one_each["n"] == 2
    one_group = anova_by_feature(pd.DataFrame({"x": [1.0, 2.0, 3.0]}), [0, 0, 0]).table.iloc[0]
    assert math.isnan(one_group["p_value"])
    assert just_enough.n_segments == 2


def test_kruskal_needs_two_groups_and_two_distinct_values() -> None:
    two_values = kruskal_by_feature(pd.DataFrame({"x": [1.0, 1.0, 2.0]}), [0, 0, 1]).table.iloc[0]
    # ranks 1.5, 1.5 | 3: H = 1.5 before the tie correction 1 - 6 / 24, so H = 2
    assert two_values["h_stat"] == pytest.approx(2.0)
    assert two_values["epsilon_squared"] == pytest.approx(2.0 / 2)  # H / (n - 1)
    assert two_values["p_value"] == pytest.approx(math.erfc(1.0))  # chi2(1) survival of 2
    assert two_values["n"] == 3
    constant = kruskal_by_feature(pd.DataFrame({"x": [1.0, 1.0, 1.0]}), [0, 0, 1])
    assert math.isnan(constant.table.iloc[0]["p_value"])
    one_group = kruskal_by_feature(pd.DataFrame({"x": [1.0, 2.0, 3.0]}), [0, 0, -1])
    assert math.isnan(one_group.table.iloc[0]["p_value"])
