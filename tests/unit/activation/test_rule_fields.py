"""The profile fields an audience rule reads (:func:`fields_of`)."""

from __future__ import annotations

from cible.activation.rules import fields_of, parse_rule


def test_a_leaf_reads_its_field() -> None:
    assert fields_of(parse_rule({"field": "monetary", ">": 1}, "rule")) == {"monetary"}


def test_branches_read_the_union_of_their_leaves() -> None:
    rule = parse_rule(
        {
            "and": [
                {"or": [{"field": "segment", "=": "Loyal"}, {"field": "frequency", ">=": 2}]},
                {"not": {"field": "last_order", "within_days": 30}},
                {"field": "monetary", "between": [1, 5]},
                {"field": "segment", "missing": False},
            ]
        },
        "rule",
    )
    assert fields_of(rule) == {"segment", "frequency", "last_order", "monetary"}
    assert fields_of(parse_rule({"or": [{"field": "tenure_days", "<": 3}]}, "r")) == {"tenure_days"}
