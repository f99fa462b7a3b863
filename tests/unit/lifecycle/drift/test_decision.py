"""Benjamini-Hochberg, the registry, segment-size drift and the significance AND effect gate."""

from __future__ import annotations

import numpy as np
import pytest

from cible.exceptions import LifecycleError
from cible.lifecycle.drift import (
    DriftPolicy,
    Histogram,
    benjamini_hochberg,
    decide,
    drift_tests,
    histogram_of,
    segment_size_test,
)


def test_benjamini_hochberg_on_hand_numbers() -> None:
    # sorted 0.01, 0.03, 0.04, 0.2 -> 0.04, 0.06, 0.0533, 0.2 -> running min from the top
    q = benjamini_hochberg([0.01, 0.04, 0.03, 0.2])
    assert q == pytest.approx([0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.2])
    assert benjamini_hochberg([0.9, float("nan"), 0.8]) == pytest.approx(
        [0.9, float("nan"), 0.9], nan_ok=True
    )
    assert benjamini_hochberg([0.5, 0.9]) == [0.9, 0.9]
    assert benjamini_hochberg([]) == []


def test_the_registry_names_every_test_with_its_default_threshold() -> None:
    tests = drift_tests()
    assert {n: (t.kind, t.default_threshold, t.compares) for n, t in tests.items()} == {
        "ks": ("numeric", 0.05, "p_value <"),
        "psi": ("numeric", 0.1, "score >="),
        "jensen_shannon": ("numeric", 0.1, "score >="),
        "kl": ("numeric", 0.1, "score >="),
        "wasserstein": ("numeric", 0.05, "score >="),
        "chi_square": ("categorical", 0.05, "p_value <"),
        "psi_categorical": ("categorical", 0.1, "score >="),
    }
    ref = Histogram((50, 50))
    assert tests["psi"](ref, Histogram((25, 75))).threshold == 0.1
    assert tests["psi"](ref, Histogram((25, 75)), 0.3).drifted is False


def test_segment_size_drift_psi_and_largest_share_change() -> None:
    r = segment_size_test({1: 50, 2: 50}, {1: 25, 2: 75})
    assert r.score == pytest.approx(0.25 * np.log(3))
    assert r.details["max_share_change"] == pytest.approx(0.25)
    assert r.drifted is True
    assert segment_size_test({1: 50, 2: 50}, {1: 25, 2: 75}, threshold=r.score).drifted is True
    above = np.nextafter(r.score, 1)
    assert segment_size_test({1: 50, 2: 50}, {1: 25, 2: 75}, threshold=above).drifted is False
    vanished = segment_size_test({1: 50, 2: 50}, {1: 100})
    assert vanished.details["max_share_change_segment"] in (1.0, 2.0)
    assert vanished.score > 4
    with pytest.raises(LifecycleError, match="current sizes"):
        segment_size_test({1: 5}, {1: 0})


def _numeric(shift: float, n: int, seed: int) -> tuple[Histogram, Histogram, str]:
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal(n), rng.standard_normal(n) + shift
    levels = np.arange(1, 40) / 40
    q = np.quantile(a, levels)
    edges, points = q[1::2], q[0::2]
    return (
        histogram_of(a, edges, points=points, scale=a.std()),
        histogram_of(b, edges, points=points, scale=a.std()),
        "numeric",
    )


def test_a_tiny_significant_shift_is_not_drift_but_a_large_one_is() -> None:
    report = decide(
        {"tiny": _numeric(0.02, 200_000, 1), "large": _numeric(0.1, 200_000, 2)}, DriftPolicy()
    )
    tiny, large = report.feature("tiny"), report.feature("large")
    assert tiny.q_value < 0.05  # 200,000 rows: a 0.02 sd shift is significant...
    assert tiny.effect < 0.05  # ...but below the effect gate
    assert tiny.drifted is False
    assert large.drifted is True and large.effect == pytest.approx(0.1, abs=0.01)
    assert report.drifted_features == ["large"]


def test_the_effect_gate_and_alpha_at_their_boundaries() -> None:
    features = {"x": _numeric(0.1, 20_000, 3)}
    effect = decide(features).feature("x").effect
    assert decide(features, DriftPolicy(min_effect=effect)).feature("x").drifted is True
    above = DriftPolicy(min_effect=float(np.nextafter(effect, 1)))
    assert decide(features, above).feature("x").drifted is False
    weak = {"y": _numeric(0.1, 300, 4)}
    q = decide(weak, DriftPolicy(min_effect=0)).feature("y").q_value
    assert 0 < q < 1
    assert decide(weak, DriftPolicy(alpha=q, min_effect=0)).feature("y").drifted is False
    at = DriftPolicy(alpha=float(np.nextafter(q, 1)), min_effect=0)
    assert decide(weak, at).feature("y").drifted is True


def test_categorical_features_use_chi_square_and_psi() -> None:
    labels = ("a", "b")
    report = decide(
        {
            "c": (
                Histogram((500, 500), labels=labels),
                Histogram((250, 750), labels=labels),
                "categorical",
            )
        }
    )
    c = report.feature("c")
    assert set(c.tests) == {"chi_square", "psi_categorical"}
    assert c.effect == pytest.approx(0.25 * np.log(3))
    assert c.drifted is True
    as_dict = report.to_dict()
    assert as_dict["drifted_features"] == ["c"]
    assert as_dict["policy"] == {"alpha": 0.05, "min_effect": 0.05, "min_psi": 0.1}


def test_policy_refuses_impossible_levels() -> None:
    with pytest.raises(LifecycleError, match="alpha=1"):
        DriftPolicy(alpha=1)
    with pytest.raises(LifecycleError, match="must be >= 0"):
        DriftPolicy(min_effect=-0.1)
