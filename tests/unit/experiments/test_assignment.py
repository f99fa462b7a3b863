"""Deterministic hash assignment: exact uniform numbers, stability, the plan's shares per
stratum, the holdout boundary."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from cible.exceptions import ExperimentError
from cible.experiments.assignment import HOLDOUT, AssignmentPlan, assign, hash_uniform


def test_uniform_is_the_sha256_prefix() -> None:
    digest = hashlib.sha256(b"exp-1:customer-42").hexdigest()
    assert hash_uniform("exp-1", ["customer-42"])[0] == int(digest[:16], 16) / 2**64
    a, b = hash_uniform("exp-1", ["x"]), hash_uniform("exp-2", ["x"])
    assert a[0] != b[0]  # another experiment, another draw


def test_same_customer_same_arm_whatever_the_population() -> None:
    plan = AssignmentPlan("exp", {"control": 1, "treatment": 1}, holdout=0.1)
    ids = [f"c{i}" for i in range(2000)]
    full = assign(ids, plan).set_index("customer_id")["arm"]
    part = assign(ids[500:900], plan).set_index("customer_id")["arm"]
    assert (full.loc[part.index] == part).all()


def test_shares_follow_the_plan_and_cut_points_are_exact() -> None:
    plan = AssignmentPlan("exp", {"a": 1, "b": 3}, holdout=0.2)
    names, upper = plan.cutpoints()
    assert names == ["a", "b"]
    assert upper.tolist() == pytest.approx([0.4, 1.0])
    out = assign([f"c{i}" for i in range(20_000)], plan)
    share = out["arm"].value_counts(normalize=True)
    assert share[HOLDOUT] == pytest.approx(0.2, abs=0.01)
    assert share["a"] == pytest.approx(0.2, abs=0.01)
    assert share["b"] == pytest.approx(0.6, abs=0.01)
    # a customer's arm is the slice its uniform number falls in
    for u, arm in zip(out["u"], out["arm"], strict=True):
        assert arm == (HOLDOUT if u < 0.2 else "a" if u < 0.4 else "b")


def test_stratified_split_is_to_plan_in_every_stratum() -> None:
    plan = AssignmentPlan("exp", {"control": 1, "treatment": 1}, holdout=0.1)
    strata = ["big"] * 1000 + ["small"] * 10
    out = assign([f"c{i}" for i in range(1010)], plan, strata)
    counts = out.groupby(["stratum", "arm"]).size()
    assert counts["big"].to_dict() == {"control": 450, HOLDOUT: 100, "treatment": 450}
    # 10 customers: rank midpoints 0.05, 0.15, ..., 0.95 -> 1 holdout, 4 control, 5 treatment
    assert counts["small"].to_dict() == {"control": 4, HOLDOUT: 1, "treatment": 5}


def test_position_exactly_at_a_cut_point_goes_to_the_next_arm() -> None:
    # 2 customers in a stratum: midpoints 0.25 and 0.75; with a 0.25 holdout the first is at the
    # cut: it is not in the holdout (u < holdout is)
    plan = AssignmentPlan("exp", {"a": 1, "b": 1}, holdout=0.25)
    out = assign(["x", "y"], plan, ["s", "s"])
    assert HOLDOUT not in set(out["arm"])
    assert sorted(out["arm"]) == ["a", "b"]  # 0.25 -> a (upper 0.625), 0.75 -> b


def test_refusals() -> None:
    with pytest.raises(ExperimentError, match="repeated at rows 1 and 3"):
        assign(["a", "b", "a"], AssignmentPlan("e", {"c": 1, "t": 1}))
    with pytest.raises(ExperimentError, match="reserved"):
        AssignmentPlan("e", {HOLDOUT: 1, "t": 1}).cutpoints()
    with pytest.raises(ExperimentError, match="holdout must be in"):
        AssignmentPlan("e", {"c": 1}, holdout=1.0).cutpoints()
    with pytest.raises(ExperimentError, match="weights must be > 0"):
        AssignmentPlan("e", {"c": 0, "t": 1}).cutpoints()


def test_input_ids_are_not_modified() -> None:
    ids = ["b", "a"]
    assign(ids, AssignmentPlan("e", {"c": 1, "t": 1}))
    assert ids == ["b", "a"]
    assert np.isfinite(assign(ids, AssignmentPlan("e", {"c": 1, "t": 1}))["u"]).all()
