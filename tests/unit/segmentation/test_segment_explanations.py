"""Surrogate rules recover a planted rule; permutation importance ranks a planted feature first."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cible.segmentation.segment_explanations import (
    _nice_threshold,
    permutation_drops,
    permutation_importance_by_feature,
    surrogate_rules,
)


def _planted(n: int = 1000) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    features = pd.DataFrame(
        {
            "x": rng.integers(0, 21, size=n).astype(float),
            "y": rng.integers(0, 7, size=n),
            "z": rng.normal(size=n),
        }
    )
    labels = ((features["x"] > 10) & (features["y"] <= 3)).to_numpy().astype(np.int64)
    return features, labels


def test_planted_rule_is_recovered() -> None:
    features, labels = _planted()
    before = features.copy()
    result = surrogate_rules(features, labels)
    pd.testing.assert_frame_equal(features, before)
    assert result.fidelity == 1.0
    assert result.fidelity_by_segment == {0: 1.0, 1: 1.0}
    assert [r.rule for r in result.rules[1]] == ["x > 10 and y <= 3"]
    rule = result.rules[1][0]
    assert rule.n_rows == int(labels.sum())
    assert rule.support == pytest.approx(labels.mean())
    assert rule.purity == 1.0 and rule.coverage == 1.0
    # segment 0: two leaves, by decreasing support, coverages adding up to 1
    assert [r.rule for r in result.rules[0]] == ["x <= 10", "x > 10 and y > 3"]
    assert result.rules[0][0].support > result.rules[0][1].support
    assert sum(r.coverage for r in result.rules[0]) == pytest.approx(1.0)
    assert result.min_samples_leaf == 5  # max(5, 1000 // 200)
    data = result.to_dict()
    json.dumps(data, allow_nan=False)
    assert data["segments"][1]["rules"][0]["rule"] == "x > 10 and y <= 3"


def test_two_sided_bounds_missing_values_and_noise() -> None:
    x = np.tile(np.arange(0.0, 30.0), 20)
    labels = np.where((x > 9) & (x <= 19), 1, 0)
    x[::7] = np.nan
    labels[::7] = 1  # customers without a value belong to segment 1
    labels[3::50] = -1  # noise rows are left out
    result = surrogate_rules(pd.DataFrame({"x": x}), labels, max_depth=3)
    assert result.n_rows == int((labels != -1).sum())
    assert result.fidelity == 1.0
    assert [r.rule for r in result.rules[1]] == ["(9 < x <= 19 or x is missing)"]
    assert [r.rule for r in result.rules[0]] == ["x <= 9", "x > 19"]  # tie on support: by text
    assert result.rules[1][0].n_rows == 252


def test_thresholds_are_rounded_without_changing_the_split() -> None:
    column = np.array([1.0, 4.0, 5.0, 9.993, 10.004, 1234.1, 1234.9])
    assert _nice_threshold(4.5, column) == 4.0  # integer data: x <= 4.5 is x <= 4
    assert _nice_threshold(9.9985, column) == 10.0  # any value in [9.993, 10.004)
    assert _nice_threshold(1234.5, column) == 1234.5  # 1234 and 1235 would change the split
    assert _nice_threshold(620.0, column) == 600.0
    assert _nice_threshold(0.5, np.array([0.0, 1.0])) == 0.0  # 0 whenever it splits the same
    assert _nice_threshold(0.013, np.array([0.0, 0.026, 0.5])) == 0.0
    assert _nice_threshold(-0.5, np.array([-1.0, 0.0])) == -0.5  # 0 would move a customer
    assert _nice_threshold(50.0, np.array([0.0, 100.0, np.nan])) == 0.0  # NaN ignored
    assert _nice_threshold(150.0, np.array([100.0, 200.0])) == 100.0  # one digit suffices


def test_importance_ranks_the_planted_feature_first_and_noise_last() -> None:
    rng = np.random.default_rng(1)
    n = 1200
    features = pd.DataFrame(
        {
            "noise": rng.normal(size=n),
            "weak": rng.normal(size=n),
            "planted": rng.uniform(0, 20, size=n),
        }
    )
    labels = np.where(features["planted"] > 10, 1, 0) + np.where(features["weak"] > 1.5, 2, 0)
    before = features.copy()
    table = permutation_importance_by_feature(features, labels, random_state=0, n_repeats=3)
    pd.testing.assert_frame_equal(features, before)
    assert list(table.columns) == ["feature", "importance_mean", "importance_std"]
    assert list(table["feature"]) == ["planted", "weak", "noise"]
    assert table.loc[0, "importance_mean"] > 0.3
    assert abs(table.loc[2, "importance_mean"]) < 0.01
    again = permutation_importance_by_feature(features, labels, random_state=0, n_repeats=3)
    pd.testing.assert_frame_equal(table, again)


def test_refuses_a_single_segment_and_no_numeric_column() -> None:
    with pytest.raises(ValueError, match="at least two segments"):
        surrogate_rules(pd.DataFrame({"x": [1.0, 2.0, 3.0]}), [0, 0, -1])
    with pytest.raises(ValueError, match="no numeric column"):
        surrogate_rules(pd.DataFrame({"c": ["a", "b"]}), [0, 1])


def test_permutation_drops_equal_scikit_learn_permutation_importance() -> None:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.inspection import permutation_importance

    features, labels = _planted(400)
    X = features.to_numpy(dtype=np.float64)
    forest = RandomForestClassifier(n_estimators=20, max_depth=4, random_state=0).fit(X, labels)
    before = X.copy()
    drops = permutation_drops(forest, X, labels, n_repeats=3, random_state=7)
    np.testing.assert_array_equal(X, before)
    expected = permutation_importance(forest, X, labels, n_repeats=3, random_state=7)
    assert drops.shape == (3, 3)
    np.testing.assert_array_equal(drops, expected.importances)
