"""AHP: published golden numbers, consistent matrices, and refusals that name the judgement."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from cible.exceptions import ConfigError
from cible.segmentation.ahp import (
    RANDOM_INDEX,
    AHPResult,
    ahp_weights,
    check_consistency,
    validate_matrix,
)

# Saaty's 3x3 textbook matrix. Independently recomputed (numpy eig, and 200 steps of power
# iteration, both): w = [0.63699, 0.25828, 0.10473], lambda_max = 3.03851, CI = 0.01926,
# CR = CI / 0.58 = 0.03320 -- the values quoted for it (0.637, 0.258, 0.105; 3.039; 0.033).
SAATY_3 = [[1.0, 3.0, 5.0], [1 / 3, 1.0, 3.0], [1 / 5, 1 / 3, 1.0]]

# Saaty, T. L. (2008) "Decision making with the analytic hierarchy process", Int. J. Services
# Sciences 1(1), pp. 83-98, table "Which drink is consumed more in the U.S.?": the derived scale
# (coffee .177, wine .019, tea .042, beer .116, sodas .190, milk .129, water .327) against actual
# consumption. The same matrix and weights, with CR 0.022 (Saaty's RI), are the golden test of the
# AHPy package (PhilipGriffith/AHPy, tests/test_ahp.py).
DRINKS = ["coffee", "wine", "tea", "beer", "sodas", "milk", "water"]
DRINKS_MATRIX = [
    [1, 9, 5, 2, 1, 1, 1 / 2],
    [1 / 9, 1, 1 / 3, 1 / 9, 1 / 9, 1 / 9, 1 / 9],
    [1 / 5, 3, 1, 1 / 3, 1 / 4, 1 / 3, 1 / 9],
    [1 / 2, 9, 3, 1, 1 / 2, 1, 1 / 3],
    [1, 9, 4, 2, 1, 2, 1 / 2],
    [1, 9, 3, 1, 1 / 2, 1, 1 / 3],
    [2, 9, 9, 3, 2, 3, 1],
]
DRINKS_PUBLISHED = [0.177, 0.019, 0.042, 0.116, 0.190, 0.129, 0.327]

FOUR = ["behavioural", "demographic", "psychographic", "contextual"]


def _consistent(weights: list[float]) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    return w[:, None] / w[None, :]


def _planted_inconsistency() -> np.ndarray:
    # Consistent with w = [8, 4, 2, 1] except behavioural vs contextual, reversed (1/8 for 8).
    a = _consistent([8.0, 4.0, 2.0, 1.0])
    a[0, 3], a[3, 0] = 1 / 8, 8.0
    return a


def test_random_index_is_saatys_table() -> None:
    assert RANDOM_INDEX == (
        0.0,
        0.0,
        0.58,
        0.90,
        1.12,
        1.24,
        1.32,
        1.41,
        1.45,
        1.49,
        1.51,
        1.48,
        1.56,
        1.57,
        1.59,
    )


def test_saaty_three_by_three_golden_numbers() -> None:
    result = ahp_weights(SAATY_3, ["a", "b", "c"])
    assert list(result.weights) == ["a", "b", "c"]
    assert_allclose(list(result.weights.values()), [0.63699, 0.25828, 0.10473], atol=1e-5)
    assert_allclose(list(result.weights.values()), [0.637, 0.258, 0.105], atol=5e-4)
    assert sum(result.weights.values()) == pytest.approx(1.0, abs=1e-12)
    assert result.lambda_max == pytest.approx(3.03851, abs=1e-5)
    assert result.consistency_index == pytest.approx((result.lambda_max - 3) / 2, rel=1e-12)
    assert result.consistency_index == pytest.approx(0.019256, abs=1e-6)
    assert result.random_index == 0.58
    assert result.consistency_ratio == pytest.approx(0.0332, abs=1e-4)


def test_saaty_2008_drinks_published_weights_and_cr() -> None:
    result = ahp_weights(DRINKS_MATRIX, DRINKS)
    assert_allclose([result.weights[d] for d in DRINKS], DRINKS_PUBLISHED, atol=1e-3)
    assert result.lambda_max == pytest.approx(7.1766, abs=1e-4)
    assert result.random_index == 1.32
    assert result.consistency_ratio == pytest.approx(0.022, abs=5e-4)
    assert check_consistency(result) is result


def test_two_criteria_are_always_consistent() -> None:
    result = ahp_weights([[1.0, 3.0], [1 / 3, 1.0]], ["behavioural", "demographic"])
    assert result.weights == pytest.approx({"behavioural": 0.75, "demographic": 0.25}, abs=1e-12)
    assert result.consistency_index == 0.0
    assert result.consistency_ratio == 0.0
    assert result.inconsistent_pairs[0].implied == pytest.approx(3.0)
    assert result.inconsistent_pairs[0].deviation == pytest.approx(0.0, abs=1e-12)


def test_one_criterion_has_weight_one() -> None:
    result = ahp_weights([[1.0]], ["behavioural"])
    assert result.weights == {"behavioural": pytest.approx(1.0)}
    assert result.consistency_ratio == 0.0
    assert result.inconsistent_pairs == ()


def test_consistent_matrix_gives_back_its_weights() -> None:
    result = ahp_weights(_consistent([0.5, 0.3, 0.2]), ["a", "b", "c"])
    assert_allclose(list(result.weights.values()), [0.5, 0.3, 0.2], rtol=1e-12)
    assert result.lambda_max == pytest.approx(3.0, abs=1e-12)
    assert result.consistency_ratio == pytest.approx(0.0, abs=1e-12)
    assert result.consistency_ratio >= 0.0
    assert max(p.deviation for p in result.inconsistent_pairs) == pytest.approx(0.0, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=0.01, max_value=100.0), min_size=1, max_size=12))
def test_property_consistent_matrices_return_their_weights(raw: list[float]) -> None:
    names = [f"c{i}" for i in range(len(raw))]
    result = ahp_weights(_consistent(raw), names)
    expected = np.asarray(raw) / sum(raw)
    assert_allclose(list(result.weights.values()), expected, atol=1e-9, rtol=0)
    assert result.consistency_ratio == pytest.approx(0.0, abs=1e-9)
    assert result.consistency_ratio >= 0.0


@settings(max_examples=40, deadline=None)
@given(st.permutations(list(range(7))))
def test_property_weights_follow_a_relabelling_of_the_criteria(order: list[int]) -> None:
    base = ahp_weights(DRINKS_MATRIX, DRINKS)
    m = np.asarray(DRINKS_MATRIX)[np.ix_(order, order)]
    permuted = ahp_weights(m, [DRINKS[i] for i in order])
    for name in DRINKS:
        assert permuted.weights[name] == pytest.approx(base.weights[name], abs=1e-12)
    assert permuted.consistency_ratio == pytest.approx(base.consistency_ratio, abs=1e-12)


def test_inconsistent_pairs_are_sorted_and_name_the_planted_judgement() -> None:
    result = ahp_weights(_planted_inconsistency(), FOUR)
    assert len(result.inconsistent_pairs) == 6
    deviations = [p.deviation for p in result.inconsistent_pairs]
    assert deviations == sorted(deviations, reverse=True)
    worst = result.inconsistent_pairs[0]
    assert (worst.criterion_i, worst.criterion_j, worst.given) == (
        "behavioural",
        "contextual",
        0.125,
    )
    w = result.weights
    assert worst.implied == pytest.approx(w["behavioural"] / w["contextual"], rel=1e-12)
    assert worst.deviation == pytest.approx(
        abs(math.log(0.125 * w["contextual"] / w["behavioural"])), rel=1e-12
    )
    assert result.consistency_ratio == pytest.approx(1.0128, abs=1e-4)


def test_check_consistency_refuses_and_names_the_three_worst_judgements() -> None:
    result = ahp_weights(_planted_inconsistency(), FOUR)
    with pytest.raises(ConfigError) as info:
        check_consistency(result, max_cr=0.1)
    assert str(info.value) == (
        "AHP consistency ratio 1.01 > 0.10: revise the judgements behavioural vs contextual "
        "(given 1/8, consistent would be about 0.66), demographic vs contextual (given 4, "
        "consistent would be about 0.91), psychographic vs contextual (given 2, consistent "
        "would be about 0.46)"
    )


def test_check_consistency_threshold_is_inclusive_and_configurable() -> None:
    result = ahp_weights(SAATY_3, ["a", "b", "c"])
    assert check_consistency(result, max_cr=result.consistency_ratio) is result
    with pytest.raises(ConfigError, match=r"AHP consistency ratio 0\.03 > 0\.01: revise"):
        check_consistency(result, max_cr=0.01)


def test_result_is_frozen_and_serialisable() -> None:
    result = ahp_weights(SAATY_3, ["a", "b", "c"])
    assert isinstance(result, AHPResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.lambda_max = 3.0  # type: ignore[misc]
    data = result.as_dict()
    assert data["criteria"] == ["a", "b", "c"]
    assert data["consistency_ratio"] == pytest.approx(0.0332, abs=1e-4)
    assert set(data["inconsistent_pairs"][0]) == {
        "criterion_i",
        "criterion_j",
        "given",
        "implied",
        "deviation",
    }


def test_validate_matrix_returns_a_float_copy() -> None:
    given_matrix = [[1, 2], [0.5, 1]]
    out = validate_matrix(given_matrix, ["a", "b"])
    assert out.dtype == np.float64
    out[0, 1] = 9.0
    assert given_matrix == [[1, 2], [0.5, 1]]


def test_non_reciprocal_matrix_is_refused_naming_the_pair() -> None:
    m = [[1.0, 2.0, 3.0], [0.5, 1.0, 1.0], [0.5, 1.0, 1.0]]
    with pytest.raises(
        ConfigError,
        match=r"not reciprocal: matrix\[0\]\[2\] = 3 but matrix\[2\]\[0\] = 0\.5, expected 1/3 "
        r"\(a vs c\)",
    ):
        validate_matrix(m, ["a", "b", "c"])
    with pytest.raises(
        ConfigError, match=r"matrix\[0\]\[1\] = 0\.25 but matrix\[1\]\[0\] = 2, expected 4"
    ):
        ahp_weights([[1.0, 0.25], [2.0, 1.0]], ["a", "b"])


def test_reciprocity_tolerance_is_relative_1e_6() -> None:
    validate_matrix([[1.0, 3.0], [0.3333333333, 1.0]], ["a", "b"])
    with pytest.raises(ConfigError, match="not reciprocal"):
        validate_matrix([[1.0, 3.0], [0.333, 1.0]], ["a", "b"])


@pytest.mark.parametrize(
    ("matrix", "criteria", "message"),
    [
        ([[1.0, 2.0]], ["a", "b"], r"must be 2 x 2 .* got shape \(1, 2\)"),
        ([[1.0, 2.0], [0.5, 1.0]], ["a", "b", "c"], r"must be 3 x 3"),
        (
            [[1.0, 0.0], [0.0, 1.0]],
            ["a", "b"],
            r"positive numbers: matrix\[0\]\[1\] = 0 \(a vs b\)",
        ),
        ([[1.0, -2.0], [-0.5, 1.0]], ["a", "b"], r"matrix\[0\]\[1\] = -2"),
        ([[1.0, float("nan")], [1.0, 1.0]], ["a", "b"], r"matrix\[0\]\[1\] = nan"),
        ([[2.0, 1.0], [1.0, 1.0]], ["a", "b"], r"diagonal must be 1 .* matrix\[0\]\[0\] = 2 \(a\)"),
        ([[1.0]], ["a", "a"], r"unique; repeated: \['a'\]"),
        ([], [], r"at least one criterion"),
        ([["x"]], ["a"], r"1 x 1 numbers"),
    ],
)
def test_invalid_matrices_are_refused(matrix: object, criteria: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        validate_matrix(matrix, criteria)  # type: ignore[arg-type]


def test_more_than_fifteen_criteria_are_refused() -> None:
    names = [f"c{i}" for i in range(16)]
    with pytest.raises(ConfigError, match="at most 15 criteria"):
        ahp_weights(np.ones((16, 16)), names)
