"""Audience rules: invalid rules are refused with the path of the bad node; the waterfall."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from cible.activation.evaluate import evaluate
from cible.activation.plan import parse_plan
from cible.activation.rules import parse_rule
from cible.activation.waterfall import waterfall
from cible.exceptions import RuleError

NOW = datetime(2026, 7, 1, tzinfo=UTC)


def _plan(rule: object, **audience: object) -> dict[str, object]:
    ok = {"name": "ok", "channels": ["email"], "rule": {"field": "frequency", ">=": 1}}
    return {
        "audiences": [
            ok,
            ok | {"name": "ok2"},
            {"name": "bad", "channels": ["email"], "rule": rule, **audience},
        ]
    }


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            {"and": [{"field": "frequency", ">": 1}, {"field": "monetary", "between": [10, 5]}]},
            "audiences[2].rule.and[1].between: lower bound 10 > upper bound 5",
        ),
        ({"or": []}, "audiences[2].rule.or: a non-empty list of rules is required"),
        (
            {"not": {"field": "colour", "=": "red"}},
            "audiences[2].rule.not.field: unknown field 'colour'",
        ),
        (
            {"field": "segment", "<": "A"},
            "audiences[2].rule.<: < is for number or timestamp fields",
        ),
        (
            {"field": "monetary", "=": "lots"},
            "audiences[2].rule.=: a finite number expected, not 'lots'",
        ),
        (
            {"field": "monetary", "in": [1, "x"]},
            "audiences[2].rule.in[1]: a finite number expected",
        ),
        ({"field": "monetary", "within_days": 3}, "within_days needs a timestamp field"),
        ({"field": "last_order", "within_days": -1}, "a whole number of days >= 0 expected"),
        ({"field": "last_order", ">": "yesterday"}, "'yesterday' is not an ISO 8601 timestamp"),
        ({"field": "monetary", ">": 1, "<": 5}, "a field test has exactly one operator"),
        ({"and": [{"field": "monetary", ">": 1}], "or": []}, "unexpected key"),
        ([1, 2], "a rule is a mapping"),
    ],
)
def test_invalid_rules_name_the_bad_node(rule: object, message: str) -> None:
    with pytest.raises(RuleError, match=re.escape(message)):
        parse_plan(_plan(rule))


def test_invalid_plans_name_the_field() -> None:
    with pytest.raises(RuleError, match=r"audiences\[2\]\.channels\[0\]: Input should be"):
        parse_plan(_plan({"field": "frequency", ">": 1}, channels=["fax"]))
    with pytest.raises(RuleError, match=r"audiences\[2\]\.suppress\[0\]: no suppression list 'x'"):
        parse_plan(_plan({"field": "frequency", ">": 1}, suppress=["x"]))
    bad_export = _plan({"field": "frequency", ">": 1}) | {
        "exports": [{"name": "e", "audience": "ok", "channel": "sms", "target": "csv", "path": "x"}]
    }
    with pytest.raises(
        RuleError, match=r"exports\[0\]\.channel: audience 'ok' is not mapped to sms"
    ):
        parse_plan(bad_export)


def test_between_with_equal_bounds_is_accepted_and_inclusive() -> None:
    rule = parse_rule({"field": "monetary", "between": [5, 5]}, "r")
    assert [evaluate(rule, {"monetary": m}, NOW) for m in (4.999, 5, 5.001)] == [False, True, False]


def test_within_days_boundaries() -> None:
    rule = parse_rule({"field": "last_order", "within_days": 30}, "r")
    at = NOW - timedelta(days=30)
    cases = [at - timedelta(microseconds=1), at, NOW, NOW + timedelta(microseconds=1), None]
    assert [evaluate(rule, {"last_order": ts}, NOW) for ts in cases] == [
        False,
        True,
        True,
        False,
        False,
    ]


def test_missing_values_make_every_comparison_false_and_not_true() -> None:
    for op in ("=", "!=", "<", "<=", ">", ">="):
        rule = parse_rule({"field": "monetary", op: 1}, "r")
        assert evaluate(rule, {"monetary": None}, NOW) is False
        assert evaluate(rule, {"monetary": float("nan")}, NOW) is False
        assert evaluate(rule, {}, NOW) is False
        assert evaluate(parse_rule({"not": {"field": "monetary", op: 1}}, "r"), {}, NOW) is True


def test_waterfall_priorities_exclusivity_and_suppression() -> None:
    plan = parse_plan(
        {
            "suppression_lists": {"complaints": "c.csv"},
            "audiences": [
                {
                    "name": "late",
                    "channels": ["sms"],
                    "priority": 3,
                    "rule": {"field": "frequency", ">": 0},
                },
                {
                    "name": "vip",
                    "channels": ["email"],
                    "priority": 1,
                    "exclusive": True,
                    "suppress": ["complaints"],
                    "rule": {"field": "frequency", ">": 0},
                },
                {
                    "name": "open",
                    "channels": ["push"],
                    "priority": 2,
                    "rule": {"field": "frequency", ">": 0},
                },
                {
                    "name": "tie",
                    "channels": ["push"],
                    "priority": 3,
                    "exclusive": True,
                    "rule": {"field": "frequency", ">": 0},
                },
            ],
        }
    )
    q = {
        "vip": {"A", "B", "X"},
        "open": {"A", "C"},
        "late": {"A", "B", "C", "D", "X"},
        "tie": {"C", "D"},
    }
    out = waterfall(plan.audiences, q, {"complaints": {"X"}})
    assert [(a.name, sorted(a.members), a.suppressed, a.taken_earlier) for a in out] == [
        ("vip", ["A", "B"], 1, 0),
        ("open", ["C"], 0, 1),
        ("late", ["C", "D", "X"], 0, 2),  # same priority as tie but earlier in the file
        ("tie", ["C", "D"], 0, 0),
    ]


def test_profile_values_of_a_store_profile_feed_evaluate() -> None:
    from cible.activation.evaluate import profile_values

    values = profile_values(
        {"monetary": 120.0, "frequency": 3.0},
        {"last_order": "2026-06-01T10:00:00+00:00", "first_order": None},
        2,
        "Loyal",
    )
    assert values["last_order"] == datetime(2026, 6, 1, 10, tzinfo=UTC)
    assert values["first_order"] is None and values["segment"] == "Loyal"
    rule = parse_rule(
        {"and": [{"field": "segment", "=": "Loyal"}, {"field": "last_order", "within_days": 30}]},
        "r",
    )
    # 2026-07-01 10:00 is exactly 30 days after the last order: inside; 1 s later: outside
    assert evaluate(rule, values, datetime(2026, 7, 1, 10, tzinfo=UTC)) is True
    assert evaluate(rule, values, datetime(2026, 7, 1, 10, 0, 1, tzinfo=UTC)) is False


def test_a_profile_value_of_the_wrong_type_is_named() -> None:
    from cible.exceptions import InvalidInputError

    rule = parse_rule({"field": "monetary", "!=": 5}, "r")
    with pytest.raises(
        InvalidInputError, match="monetary: the profile holds a str; the rule tests a float"
    ):
        evaluate(rule, {"monetary": "5"}, NOW)
    assert evaluate(rule, {"monetary": 5}, NOW) is False  # an int is a number
    assert evaluate(rule, {"monetary": True}, NOW) is True  # a flag counts as 1.0
    when = parse_rule({"field": "last_order", "within_days": 1}, "r")
    with pytest.raises(InvalidInputError, match="last_order: the profile holds a float"):
        evaluate(when, {"last_order": 3.0}, NOW)


def test_pseudonyms_are_the_hmac_sha256_of_the_id() -> None:
    from cible.activation.pseudonym import pseudonymise, signature

    # RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"
    expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    assert pseudonymise("what do ya want for nothing?", b"Jefe") == expected
    assert signature(b"what do ya want for nothing?", b"Jefe") == f"sha256={expected}"
    assert pseudonymise("C1", b"k") != pseudonymise("C1", b"k2")
    with pytest.raises(ValueError, match="empty secret"):
        pseudonymise("C1", b"")
