"""The clustering rule written in ``dedup.json`` and read back: exact values and round trips."""

from __future__ import annotations

from typing import Any

import pytest

from cible.identity.clustering import ClusteringRule


@pytest.mark.parametrize("data", [None, {}], ids=["none", "empty"])
def test_no_rule_is_connected_components(data: dict[str, Any] | None) -> None:
    rule = ClusteringRule.from_dict(data)
    assert (rule.method, rule.prior) == ("components", None)


@pytest.mark.parametrize(
    ("data", "method", "prior"),
    [
        ({"method": "evidence", "prior": 0.01}, "evidence", 0.01),
        ({"method": "evidence", "prior": "0.25"}, "evidence", 0.25),
        ({"method": "evidence", "prior": 0}, "evidence", 0.0),
        ({"method": "evidence"}, "evidence", None),
        ({"method": "evidence", "prior": None}, "evidence", None),
        ({"prior": 0.5}, "components", 0.5),
        ({"method": "components", "prior": None}, "components", None),
    ],
    ids=["evidence", "prior_text", "prior_zero", "no_prior", "null_prior", "no_method", "plain"],
)
def test_from_dict(data: dict[str, Any], method: str, prior: float | None) -> None:
    rule = ClusteringRule.from_dict(data)
    assert rule.method == method
    assert type(rule.method) is str
    assert rule.prior == prior
    assert prior is None or type(rule.prior) is float
    assert rule == ClusteringRule(method, prior)


def test_round_trip() -> None:
    rule = ClusteringRule("evidence", 0.125)
    assert rule.as_dict() == {"method": "evidence", "prior": 0.125}
    assert ClusteringRule.from_dict(rule.as_dict()) == rule
    default = ClusteringRule()
    assert default.as_dict() == {"method": "components", "prior": None}
    assert ClusteringRule.from_dict(default.as_dict()) == default


def test_a_prior_that_is_not_a_number_is_refused() -> None:
    with pytest.raises(ValueError, match="could not convert string to float: 'high'"):
        ClusteringRule.from_dict({"method": "evidence", "prior": "high"})
