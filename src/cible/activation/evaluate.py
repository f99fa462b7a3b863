"""Evaluate an audience rule on one profile in Python: the path of each stream update.

``evaluate(rule, profile, now)`` is pure. ``profile`` maps field names to values; an absent key,
``None`` and NaN are *missing*, and a comparison with a missing value is false (module
:mod:`cible.activation.rules`). Timestamps are timezone-aware datetimes (naive ones are read as
UTC). :mod:`cible.activation.rule_sql` gives the same answer in SQL (tests/property).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from cible.activation.rules import (
    And,
    Between,
    Compare,
    InList,
    Missing,
    Not,
    Or,
    Rule,
    WithinDays,
)
from cible.exceptions import InvalidInputError

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def evaluate(rule: Rule, profile: Mapping[str, Any], now: datetime) -> bool:
    """Whether ``profile`` satisfies ``rule`` at ``now``."""
    if isinstance(rule, And):
        return all(evaluate(r, profile, now) for r in rule.items)
    if isinstance(rule, Or):
        return any(evaluate(r, profile, now) for r in rule.items)
    if isinstance(rule, Not):
        return not evaluate(rule.item, profile, now)
    value = value_of(profile, rule.field)
    if isinstance(rule, Missing):
        return (value is None) == rule.missing
    if value is None:
        return False
    expected = _expected(rule)
    if not isinstance(value, expected):
        raise InvalidInputError(
            rule.field,
            f"the profile holds a {type(value).__name__}; the rule tests a {expected.__name__}",
        )
    return _leaf(rule, value, now)


def _expected(rule: Rule) -> type:
    if isinstance(rule, Compare):
        return type(rule.value)
    if isinstance(rule, InList):
        return type(rule.values[0])
    if isinstance(rule, Between):
        return type(rule.low)
    return datetime


def _leaf(rule: Rule, value: Any, now: datetime) -> bool:
    if isinstance(rule, Compare):
        return _OPS[rule.op](value, rule.value)
    if isinstance(rule, InList):
        return value in rule.values
    if isinstance(rule, Between):
        return bool(rule.low <= value <= rule.high)
    assert isinstance(rule, WithinDays)
    now = _utc(now)
    return now - timedelta(days=rule.days) <= value <= now


def value_of(profile: Mapping[str, Any], field: str) -> Any:
    """The comparable value of ``field`` in ``profile``: None when missing, numbers as float,
    timestamps in UTC."""
    value = profile.get(field)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return _utc(value)
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return None if math.isnan(value) else float(value)
    return value


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


_TIMESTAMPS = ("first_order", "last_order", "first_event", "created_at")


def profile_values(
    features: Mapping[str, Any],
    aggregates: Mapping[str, Any],
    segment_id: int | None,
    segment_name: str | None,
) -> dict[str, Any]:
    """The fields a rule reads, from a store profile (``cible.store.Profile``: its features, its
    aggregates JSON with ISO 8601 timestamps, its segment): what the stream path hands to
    :func:`evaluate` after each update."""
    out: dict[str, Any] = dict(features)
    for name in _TIMESTAMPS:
        raw = aggregates.get(name)
        out[name] = _utc(datetime.fromisoformat(raw)) if isinstance(raw, str) else raw
    out["segment_id"] = segment_id
    out["segment"] = segment_name
    return out
