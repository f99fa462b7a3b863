"""Invariants of hash assignment: a customer's arm does not depend on the order of the input, and
without strata not on who else is assigned; stratified splits are to plan up to one customer."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from cible.experiments.assignment import HOLDOUT, AssignmentPlan, assign

ids = st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=60, unique=True)
plans = st.builds(
    AssignmentPlan,
    experiment_id=st.text(min_size=1, max_size=6),
    arms=st.dictionaries(
        st.sampled_from(["a", "b", "c"]), st.floats(0.1, 5.0), min_size=1, max_size=3
    ),
    holdout=st.floats(0.0, 0.5),
)


@settings(max_examples=60, deadline=None)
@given(ids, plans, st.randoms(use_true_random=False), st.booleans())
def test_arm_does_not_depend_on_input_order(
    customers: list[str], plan: AssignmentPlan, rnd: random.Random, stratified: bool
) -> None:
    strata = [str(len(c) % 2) for c in customers] if stratified else None
    first = assign(customers, plan, strata).set_index("customer_id")["arm"]
    order = list(range(len(customers)))
    rnd.shuffle(order)
    shuffled = assign(
        [customers[i] for i in order], plan, [strata[i] for i in order] if strata else None
    ).set_index("customer_id")["arm"]
    assert first.to_dict() == shuffled.to_dict()


@settings(max_examples=60, deadline=None)
@given(ids, plans)
def test_unstratified_arm_ignores_the_rest_of_the_population(
    customers: list[str], plan: AssignmentPlan
) -> None:
    whole = assign(customers, plan).set_index("customer_id")["arm"]
    for c in customers[:5]:
        assert assign([c], plan)["arm"].iloc[0] == whole[c]


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 400), st.floats(0.0, 0.5), st.text(min_size=1, max_size=6))
def test_stratified_counts_are_within_one_of_the_plan(n: int, holdout: float, eid: str) -> None:
    plan = AssignmentPlan(eid, {"a": 1.0, "b": 1.0}, holdout)
    out = assign([f"c{i}" for i in range(n)], plan, ["s"] * n)
    counts = out["arm"].value_counts()
    assert abs(counts.get(HOLDOUT, 0) - holdout * n) <= 1
    assert abs(counts.get("a", 0) - (1 - holdout) * n / 2) <= 1
