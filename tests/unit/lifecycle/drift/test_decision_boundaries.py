"""The drift decision's remaining edges: each kind uses its own gate (a categorical PSI between
min_effect and min_psi is not drift, a numeric effect there is), the policy's limits exactly at
their bounds, Benjamini-Hochberg's step-up on an order where it matters, segment-size drift with
one clear largest change, and the JSON of a report (NaN as null)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cible.exceptions import LifecycleError
from cible.lifecycle.drift import DriftPolicy, Histogram, benjamini_hochberg, decide
from cible.lifecycle.drift.psi import psi_test, psi_value
from cible.lifecycle.drift.segment_size import segment_size_test
from tests.unit.lifecycle.drift.test_decision import _numeric

LABELS = ("a", "b")


def _categorical(ref: tuple[int, int], cur: tuple[int, int]) -> tuple[Histogram, Histogram, str]:
    return Histogram(ref, labels=LABELS), Histogram(cur, labels=LABELS), "categorical"


def test_each_kind_is_judged_by_its_own_gate() -> None:
    # PSI of 50/50 -> 40/60: 0.1 * ln(1.5) = 0.0405; between min_effect 0.03 and min_psi 0.1
    cat = _categorical((5000, 5000), (4000, 6000))
    policy = DriftPolicy(min_effect=0.03, min_psi=0.1)
    got = decide({"c": cat}, policy).feature("c")
    assert got.effect == pytest.approx(0.1 * math.log(1.5))
    assert got.q_value < 1e-10 and got.drifted is False
    assert decide({"c": cat}, DriftPolicy(min_effect=0.5, min_psi=0.04)).feature("c").drifted
    num = decide({"x": _numeric(0.1, 20_000, 3)}, DriftPolicy(min_effect=0.05, min_psi=10))
    assert num.feature("x").drifted is True
    assert DriftPolicy(min_effect=0.07, min_psi=0.2).gate("numeric") == 0.07
    assert DriftPolicy(min_effect=0.07, min_psi=0.2).gate("categorical") == 0.2


def test_policy_bounds_exactly_at_their_limits() -> None:
    for alpha in (0, 1, -0.1):
        with pytest.raises(LifecycleError, match="give a level between 0 and 1"):
            DriftPolicy(alpha=alpha)
    assert DriftPolicy(alpha=1e-12).alpha == 1e-12
    assert DriftPolicy(min_effect=0, min_psi=0).gate("categorical") == 0
    with pytest.raises(LifecycleError, match="min_effect and min_psi must be >= 0"):
        DriftPolicy(min_psi=-1e-9)


def test_q_values_are_adjusted_across_features_before_the_alpha_gate() -> None:
    # alone, each p would pass alpha; adjusted across the features only the smallest does
    features = {"big": _numeric(0.2, 2_000, 5), "small": _numeric(0.2, 2_000, 6)}
    report = decide(features, DriftPolicy(min_effect=0))
    ps = [report.feature(n).p_value for n in ("big", "small")]
    assert [report.feature(n).q_value for n in ("big", "small")] == pytest.approx(
        benjamini_hochberg(ps)
    )


def test_benjamini_hochberg_step_up_and_cap() -> None:
    # sorted 0.01, 0.02, 0.03 (m = 3): 0.03, 0.03, 0.03; without the running minimum 0.03, 0.03, 0.03
    assert benjamini_hochberg([0.03, 0.01, 0.02]) == pytest.approx([0.03, 0.03, 0.03])
    # 0.01, 0.04, 0.041 -> 0.03, 0.06, 0.041: the middle one is lowered to 0.041 by the one above
    assert benjamini_hochberg([0.041, 0.04, 0.01]) == pytest.approx([0.041, 0.041, 0.03])
    assert benjamini_hochberg([0.6, 0.7]) == [0.7, 0.7]
    assert benjamini_hochberg([0.9, 0.95, 0.99]) == pytest.approx([0.99, 0.99, 0.99])
    assert benjamini_hochberg([0.5, 0.5, 0.9]) == pytest.approx([0.75, 0.75, 0.9])
    assert benjamini_hochberg([1.0, 0.8]) == [1.0, 1.0]
    tie = benjamini_hochberg([0.02, 0.02])
    assert tie == [0.02, 0.02]
    assert benjamini_hochberg([float("nan")]) == pytest.approx([float("nan")], nan_ok=True)


def test_psi_exactly_at_its_threshold_and_with_an_empty_bin() -> None:
    ref, cur = Histogram((50, 50)), Histogram((25, 75))
    value = psi_test(ref, cur).score
    assert value == pytest.approx(0.25 * math.log(3))
    assert psi_test(ref, cur, threshold=value).drifted is True
    assert psi_test(ref, cur, threshold=float(np.nextafter(value, 1))).drifted is False
    r = psi_test(ref, cur)
    assert (r.test, r.score, r.effect, r.threshold) == (
        "psi",
        pytest.approx(value),
        pytest.approx(value),
        0.1,
    )
    assert psi_value(np.array([10.0, 0.0]), np.array([10.0, 0.0])) == 0.0
    assert psi_value(np.array([50.0, 50.0]), np.array([50.0, 50.0])) == 0.0
    assert psi_value(np.array([30.0, 70.0]), np.array([70.0, 30.0])) == pytest.approx(
        psi_value(np.array([70.0, 30.0]), np.array([30.0, 70.0]))
    )


def test_segment_size_names_the_segment_that_moved_most() -> None:
    r = segment_size_test({1: 50, 2: 50}, {1: 70, 2: 20, 3: 10})
    assert r.details["max_share_change"] == pytest.approx(0.3)
    assert r.details["max_share_change_segment"] == 2.0
    assert r.test == "segment_size" and r.threshold == 0.1
    assert r.p_value < 1e-5 and r.effect == r.score
    assert segment_size_test({1: 10, 2: 10}, {1: 10, 2: 10}).drifted is False
    with pytest.raises(LifecycleError, match="reference sizes"):
        segment_size_test({1: 0, 2: 0}, {1: 1})
    with pytest.raises(LifecycleError, match="reference sizes"):
        segment_size_test({1: -1, 2: 5}, {1: 1})
    assert segment_size_test({5: 1}, {5: 1}).drifted is False


def test_report_json_has_null_for_nan_and_the_rows_of_each_side() -> None:
    report = decide({"c": _categorical((10, 30), (20, 20))})
    d = report.to_dict()
    f = d["features"][0]  # type: ignore[index]
    assert (f["feature"], f["kind"], f["reference_rows"], f["current_rows"]) == (
        "c",
        "categorical",
        40,
        40,
    )
    c = report.feature("c")
    assert {k: f[k] for k in ("drifted", "p_value", "q_value", "effect")} == {
        "drifted": c.drifted,
        "p_value": pytest.approx(c.p_value),
        "q_value": pytest.approx(c.q_value),
        "effect": pytest.approx(c.effect),
    }
    assert set(f) == {
        "feature",
        "kind",
        "drifted",
        "p_value",
        "q_value",
        "effect",
        "reference_rows",
        "current_rows",
        "tests",
    }
    assert f["tests"]["psi_categorical"]["p_value"] is None  # a distance has no p-value
    assert d["bins"] == DriftPolicy().bins
    with pytest.raises(LifecycleError, match="feature 'nope' is not in this drift report"):
        report.feature("nope")


def test_a_feature_without_a_finite_value_is_null_in_json() -> None:
    from cible.lifecycle.drift.detector import FeatureDrift

    f = FeatureDrift("x", "numeric", {}, float("nan"), float("nan"), float("inf"), False, 0, 0)
    assert f.to_dict() == {
        "feature": "x",
        "kind": "numeric",
        "drifted": False,
        "p_value": None,
        "q_value": None,
        "effect": None,
        "reference_rows": 0,
        "current_rows": 0,
        "tests": {},
    }


def test_psi_names_itself_when_the_bins_differ() -> None:
    with pytest.raises(LifecycleError, match=r"^psi: reference has 2 bins, current 3"):
        psi_test(Histogram((1, 1)), Histogram((1, 1, 1)))
