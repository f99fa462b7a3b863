"""The refresh policy: quiet, some drift, major drift (at the share boundary), segment sizes."""

from __future__ import annotations

import pytest

from cible.exceptions import LifecycleError
from cible.lifecycle.drift import Histogram, decide, segment_size_test
from cible.lifecycle.refresh_policy import RefreshPolicy, decide_action

SAME = (Histogram((50, 50)), Histogram((50, 50)), "categorical")
MOVED = (Histogram((50, 50)), Histogram((10, 90)), "categorical")


def _report(moved: int, total: int):  # type: ignore[no-untyped-def]
    return decide({f"f{i}": MOVED if i < moved else SAME for i in range(total)})


def test_quiet_drift_and_major_drift_map_to_their_actions() -> None:
    assert decide_action(_report(0, 4)).action == "rescore"
    some = decide_action(_report(1, 5))  # 20 % < 25 %
    assert (some.action, some.drifted, some.drifted_share) == ("alert", ("f0",), 0.2)
    major = decide_action(_report(1, 4))  # exactly 25 %: major
    assert major.action == "retrain" and "1 of 4 features drifted (25%)" in major.reason
    custom = RefreshPolicy(on_quiet="none", on_drift="rescore", major_share=0.5)
    assert decide_action(_report(0, 4), custom).action == "none"
    assert decide_action(_report(1, 4), custom).action == "rescore"
    assert decide_action(_report(2, 4), custom).action == "retrain"


def test_segment_size_drift_alone_is_major() -> None:
    sizes = segment_size_test({1: 50, 2: 50}, {1: 10, 2: 90})
    decision = decide_action(_report(0, 4), segment_sizes=sizes)
    assert decision.action == "retrain" and "segment sizes drifted (PSI" in decision.reason
    calm = segment_size_test({1: 50, 2: 50}, {1: 50, 2: 50})
    assert decide_action(_report(0, 4), segment_sizes=calm).action == "rescore"


def test_bad_policies_are_refused() -> None:
    with pytest.raises(LifecycleError, match="on_drift='panic'"):
        RefreshPolicy(on_drift="panic")  # type: ignore[arg-type]
    with pytest.raises(LifecycleError, match="major_share=0"):
        RefreshPolicy(major_share=0)
