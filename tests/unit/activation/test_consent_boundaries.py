"""Consent, frequency caps, the export delta and the stream's waterfall at their boundaries: a
contact count exactly at the cap and one each side, asymmetric counts (more members without
consent than capped ones), priority ties and an exclusive audience that stops the walk."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from cible.activation.delta import plan_export
from cible.activation.evaluate import evaluate, value_of
from cible.activation.plan import FrequencyCap, parse_plan
from cible.activation.rules import parse_rule
from cible.activation.waterfall import audiences_of, under_cap, waterfall, with_consent

NOW = datetime(2026, 7, 1, tzinfo=UTC)


def test_consent_keeps_only_members_with_a_consent_row() -> None:
    assert with_consent(["a", "b", "c"], ["b", "c", "z"]) == frozenset({"b", "c"})
    assert with_consent(["a"], []) == frozenset()
    assert with_consent([], ["a"]) == frozenset()


def test_frequency_cap_exactly_at_the_limit_and_each_side() -> None:
    cap = FrequencyCap(max=3, days=7)
    contacts = {"below": 2, "at": 3, "above": 4}
    members = ["below", "at", "above", "never"]  # never: no contact row is 0 contacts
    assert under_cap(members, contacts, cap) == frozenset({"below", "never"})
    assert under_cap(members, contacts, None) == frozenset(members)
    assert under_cap(["one"], {"one": 0}, FrequencyCap(max=1, days=1)) == frozenset({"one"})
    assert under_cap(["one"], {"one": 1}, FrequencyCap(max=1, days=1)) == frozenset()


def test_delta_export_counts_consent_cap_entered_and_left() -> None:
    # members: k1 k2 kept from the last run; n1..n3 new; x1 x2 x3 without consent (3 != capped 1)
    members = ["k1", "k2", "n1", "n2", "n3", "x1", "x2", "x3"]
    granted = ["k1", "k2", "n1", "n2", "n3", "gone"]
    previous = ["k1", "k2", "gone", "withdrew"]
    contacts = {"k1": 9, "n1": 1, "n2": 2, "n3": 0}  # k1 over the cap but kept, not contacted
    plan = plan_export(
        members, granted, previous, contacts, FrequencyCap(max=2, days=7), full=False
    )
    assert plan.current == frozenset({"k1", "k2", "n1", "n3"})
    assert plan.entered == frozenset({"n1", "n3"})
    assert plan.left == frozenset({"gone", "withdrew"})
    assert plan.without_consent == 3
    assert plan.capped == 1


def test_full_export_sends_every_member_under_the_cap_and_nobody_leaves() -> None:
    members = ["k1", "k2", "n1", "x1", "x1"]  # a repeated id counts once
    granted = ["k1", "k2", "n1"]
    plan = plan_export(
        members, granted, ["k1", "old"], {"k1": 2, "k2": 1}, FrequencyCap(max=2, days=7), full=True
    )
    assert plan.current == frozenset({"k2", "n1"})
    assert plan.entered == frozenset({"k2", "n1"})
    assert plan.left == frozenset()
    assert plan.without_consent == 1
    assert plan.capped == 1


def test_delta_export_without_cap_and_without_previous_run() -> None:
    plan = plan_export(["a", "b"], ["a", "b"], [], {"a": 50}, None, full=False)
    assert (plan.current, plan.entered, plan.left) == (
        frozenset({"a", "b"}),
        frozenset({"a", "b"}),
        frozenset(),
    )
    assert (plan.without_consent, plan.capped) == (0, 0)


def _plan(*audiences: dict[str, object]) -> object:
    return parse_plan({"suppression_lists": {"optout": "o.csv"}, "audiences": list(audiences)})


def _aud(
    name: str, priority: int, *, exclusive: bool = False, **extra: object
) -> dict[str, object]:
    rule = extra.pop("rule", {"field": "frequency", ">=": 1})
    return {
        "name": name,
        "channels": ["email"],
        "priority": priority,
        "exclusive": exclusive,
        "rule": rule,
        **extra,
    }


def test_stream_waterfall_stops_at_the_first_exclusive_audience_by_priority() -> None:
    plan = _plan(
        _aud("third", 3),
        _aud("first", 1),
        _aud("second_excl", 2, exclusive=True),
        _aud("never", 0, rule={"field": "frequency", ">=": 5}),
    )
    out = audiences_of(plan.audiences, {"frequency": 1.0}, NOW)  # type: ignore[attr-defined]
    assert out == ["first", "second_excl"]


def test_stream_waterfall_ties_in_file_order_and_suppression_skips_without_taking() -> None:
    plan = _plan(
        _aud("b_tie", 2),
        _aud("a_tie", 2, exclusive=True),
        _aud("vip", 1, exclusive=True, suppress=["optout"]),
        _aud("last", 5),
    )
    profile = {"frequency": 2.0}
    auds = plan.audiences  # type: ignore[attr-defined]
    assert audiences_of(auds, profile, NOW, suppressed_in=["optout"]) == ["b_tie", "a_tie"]
    assert audiences_of(auds, profile, NOW) == ["vip"]
    assert audiences_of(auds, profile, NOW, suppressed_in=["other"]) == ["vip"]
    # the batch waterfall agrees: the suppressed customer takes no place in vip
    out = waterfall(
        auds, {"vip": {"c"}, "b_tie": {"c"}, "a_tie": {"c"}, "last": {"c"}}, {"optout": {"c"}}
    )
    assert [(a.name, sorted(a.members), a.suppressed) for a in out] == [
        ("vip", [], 1),
        ("b_tie", ["c"], 0),
        ("a_tie", ["c"], 0),
        ("last", [], 0),
    ]


def test_waterfall_without_suppression_lists_and_an_unknown_audience() -> None:
    plan = _plan(_aud("only", 1, exclusive=True), _aud("after", 2))
    out = waterfall(plan.audiences, {"only": ["a", "a", "b"], "after": ["b", "c"]}, {})  # type: ignore[attr-defined]
    assert [
        (a.name, a.qualified, a.suppressed, a.taken_earlier, sorted(a.members)) for a in out
    ] == [
        ("only", 2, 0, 0, ["a", "b"]),
        ("after", 2, 0, 1, ["c"]),
    ]
    empty = waterfall(plan.audiences, {}, {})  # type: ignore[attr-defined]
    assert [(a.qualified, a.members) for a in empty] == [(0, frozenset()), (0, frozenset())]


@pytest.mark.parametrize(
    ("op", "expected"),
    [
        ("=", [False, True, False]),
        ("!=", [True, False, True]),
        ("<", [True, False, False]),
        ("<=", [True, True, False]),
        (">", [False, False, True]),
        (">=", [False, True, True]),
    ],
)
def test_every_comparison_at_the_threshold_and_each_side(op: str, expected: list[bool]) -> None:
    rule = parse_rule({"field": "monetary", op: 500}, "r")
    assert [evaluate(rule, {"monetary": m}, NOW) for m in (499.99, 500, 500.01)] == expected
    at = NOW - timedelta(days=3)
    ts_rule = parse_rule({"field": "last_order", op: at.isoformat()}, "r")
    stamps = [at - timedelta(microseconds=1), at, at + timedelta(microseconds=1)]
    assert [evaluate(ts_rule, {"last_order": t}, NOW) for t in stamps] == expected


def test_in_list_missing_and_logic_branches() -> None:
    seg = parse_rule({"field": "segment", "in": ["Champions", "Loyal"]}, "r")
    assert [evaluate(seg, {"segment": s}, NOW) for s in ("Loyal", "loyal", "Other")] == [
        True,
        False,
        False,
    ]
    miss = parse_rule({"field": "churn", "missing": True}, "r", _catalogue())
    present = parse_rule({"field": "churn", "missing": False}, "r", _catalogue())
    for value, is_missing in ((None, True), (float("nan"), True), (0.0, False), (0, False)):
        assert evaluate(miss, {"churn": value}, NOW) is is_missing
        assert evaluate(present, {"churn": value}, NOW) is (not is_missing)
    a = {"field": "monetary", ">=": 10}
    b = {"field": "frequency", ">=": 2}
    both = parse_rule({"and": [a, b]}, "r")
    either = parse_rule({"or": [a, b]}, "r")
    cases = [{"monetary": 10, "frequency": 2}, {"monetary": 10, "frequency": 1}, {"monetary": 9}]
    assert [evaluate(both, c, NOW) for c in cases] == [True, False, False]
    assert [evaluate(either, c, NOW) for c in cases] == [True, True, False]


def _catalogue() -> object:
    from cible.activation.rules import FieldCatalogue

    return FieldCatalogue({"churn": "number"})


def test_value_of_normalises_numbers_booleans_and_time_zones() -> None:
    paris = timezone(timedelta(hours=2))
    assert value_of({"x": 3}, "x") == 3.0 and isinstance(value_of({"x": 3}, "x"), float)
    assert value_of({"x": True}, "x") == 1.0 and isinstance(value_of({"x": True}, "x"), float)
    assert value_of({"x": float("nan")}, "x") is None
    assert value_of({"x": "Loyal"}, "x") == "Loyal"
    assert value_of({}, "x") is None
    naive = value_of({"t": datetime(2026, 7, 1, 2, 0)}, "t")
    assert naive == datetime(2026, 7, 1, 2, 0, tzinfo=UTC) and naive.tzinfo is UTC
    aware = value_of({"t": datetime(2026, 7, 1, 2, 0, tzinfo=paris)}, "t")
    assert aware == datetime(2026, 7, 1, 0, 0, tzinfo=UTC) and aware.tzinfo is UTC


def test_within_days_reads_a_naive_now_as_utc_and_zero_days_is_now_only() -> None:
    rule = parse_rule({"field": "last_order", "within_days": 0}, "r")
    naive_now = datetime(2026, 7, 1, 12, 0)
    at = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert evaluate(rule, {"last_order": at}, naive_now) is True
    assert evaluate(rule, {"last_order": at - timedelta(microseconds=1)}, naive_now) is False
    paris_now = datetime(2026, 7, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    assert evaluate(rule, {"last_order": at}, paris_now) is True


def test_two_exclusive_audiences_both_take_their_members_out_of_later_ones() -> None:
    plan = _plan(
        _aud("first", 1, exclusive=True), _aud("second", 2, exclusive=True), _aud("rest", 3)
    )
    auds = plan.audiences  # type: ignore[attr-defined]
    q = {"first": {"a"}, "second": {"a", "b"}, "rest": {"a", "b", "c"}}
    out = waterfall(auds, q, {})
    assert [(a.name, sorted(a.members), a.taken_earlier) for a in out] == [
        ("first", ["a"], 0),
        ("second", ["b"], 1),
        ("rest", ["c"], 2),
    ]


def test_stream_waterfall_and_or_branches_evaluate_time_rules_at_now() -> None:
    recent = {"field": "last_order", "within_days": 7}
    plan = _plan(
        _aud("or_recent", 1, rule={"or": [recent, {"field": "frequency", ">=": 99}]}),
        _aud("recent", 2, rule=recent),
        _aud("not_recent", 3, rule={"not": recent}),
    )
    auds = plan.audiences  # type: ignore[attr-defined]
    at_edge = {"last_order": NOW - timedelta(days=7), "frequency": 1.0}
    too_old = {"last_order": NOW - timedelta(days=7, microseconds=1), "frequency": 1.0}
    assert audiences_of(auds, at_edge, NOW) == ["or_recent", "recent"]
    assert audiences_of(auds, too_old, NOW) == ["not_recent"]


def test_a_one_value_list_and_naive_times_read_as_utc_whatever_the_machine_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import time

    one = parse_rule({"field": "segment", "in": ["Loyal"]}, "r")
    assert evaluate(one, {"segment": "Loyal"}, NOW) is True
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        got = value_of({"t": datetime(2026, 7, 1, 2, 0)}, "t")
        assert got == datetime(2026, 7, 1, 2, 0, tzinfo=UTC)
    finally:
        monkeypatch.undo()
        time.tzset()


def test_profile_values_carry_the_segment_id_and_name() -> None:
    from cible.activation.evaluate import profile_values

    out = profile_values(
        {"frequency": 2.0}, {"last_order": "2026-06-30T10:00:00+02:00"}, 3, "Loyal"
    )
    assert out == {
        "frequency": 2.0,
        "first_order": None,
        "last_order": datetime(2026, 6, 30, 8, 0, tzinfo=UTC),
        "first_event": None,
        "created_at": None,
        "segment_id": 3,
        "segment": "Loyal",
    }
    rule = parse_rule({"field": "segment_id", "=": 3}, "r")
    assert evaluate(rule, out, NOW) is True
