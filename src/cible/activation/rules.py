"""The typed tree of an audience rule and its parser.

A rule is written in YAML as nested mappings::

    and:
      - {field: monetary, ">=": 500}
      - {field: recency_days, between: [30, 90]}
      - not: {field: segment, in: [Champions, Loyal]}
      - {field: last_order, within_days: 30}
      - {field: churn_probability, missing: false}

Leaves compare one profile field: ``=``, ``!=``, ``<``, ``<=``, ``>``, ``>=`` (numbers and
timestamps; text only ``=``/``!=``), ``in`` (numbers or text), ``between: [low, high]`` (both ends
included), ``within_days: N`` (a timestamp in ``[now - N days, now]``) and ``missing: true|false``.
Branches are ``and`` / ``or`` (non-empty lists) and ``not``.

Missing values: a comparison with a missing (null, absent or NaN) value is **false**, whatever the
operator (``!=`` included); ``not`` inverts that false into true. Logic is two-valued, never SQL's
three-valued NULL: the SQL compiler wraps every comparison in ``COALESCE(..., FALSE)``.

:func:`parse_rule` checks the tree against a :class:`FieldCatalogue` and raises a
:class:`~cible.exceptions.RuleError` naming the path of the bad node, e.g.
``audiences[2].rule.and[1].between: lower bound 10 > upper bound 5``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from cible.exceptions import RuleError

FieldKind = Literal["number", "text", "timestamp"]
Scalar = float | str | datetime
ORDER_OPS = ("<", "<=", ">", ">=")
COMPARE_OPS = ("=", "!=", *ORDER_OPS)
LEAF_OPS = (*COMPARE_OPS, "in", "between", "within_days", "missing")

# Profile fields every store and warehouse profile has (the batch features, the segment, the
# timestamps of the store's aggregates); scores and custom fields are declared under ``fields:``.
DEFAULT_FIELDS: dict[str, FieldKind] = {
    "recency_days": "number",
    "frequency": "number",
    "monetary": "number",
    "avg_basket": "number",
    "tenure_days": "number",
    "events_30d": "number",
    "events_90d": "number",
    "refund_rate": "number",
    "mean_interpurchase_days": "number",
    "segment": "text",
    "segment_id": "number",
    "first_order": "timestamp",
    "last_order": "timestamp",
    "first_event": "timestamp",
    "created_at": "timestamp",
}


class _Node(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Compare(_Node):
    field: str
    op: Literal["=", "!=", "<", "<=", ">", ">="]
    value: Scalar


class InList(_Node):
    field: str
    values: tuple[float | str, ...]


class Between(_Node):
    field: str
    low: float | datetime
    high: float | datetime


class WithinDays(_Node):
    field: str
    days: int


class Missing(_Node):
    field: str
    missing: bool


class And(_Node):
    items: tuple[Rule, ...]


class Or(_Node):
    items: tuple[Rule, ...]


class Not(_Node):
    item: Rule


Rule = Compare | InList | Between | WithinDays | Missing | And | Or | Not
for _model in (And, Or, Not):
    _model.model_rebuild()


class FieldCatalogue:
    """The fields a rule may name and their kind (number, text, timestamp)."""

    def __init__(self, extra: Mapping[str, FieldKind] | None = None) -> None:
        self.kinds: dict[str, FieldKind] = {**DEFAULT_FIELDS, **(extra or {})}

    def kind(self, name: Any, path: str) -> FieldKind:
        if not isinstance(name, str) or name not in self.kinds:
            known = ", ".join(sorted(self.kinds))
            raise RuleError(path, f"unknown field {name!r} (known: {known})")
        return self.kinds[name]


def parse_rule(data: Any, path: str, catalogue: FieldCatalogue | None = None) -> Rule:
    """The :data:`Rule` written by ``data`` (parsed YAML); ``path`` prefixes error paths."""
    cat = catalogue or FieldCatalogue()
    if not isinstance(data, Mapping):
        raise RuleError(path, f"a rule is a mapping (and/or/not or a field test), not {data!r}")
    keys = set(data)
    for branch in ("and", "or"):
        if branch in keys:
            _only(data, {branch}, path)
            items = data[branch]
            if not isinstance(items, list) or not items:
                raise RuleError(f"{path}.{branch}", "a non-empty list of rules is required")
            parsed = tuple(parse_rule(x, f"{path}.{branch}[{i}]", cat) for i, x in enumerate(items))
            return And(items=parsed) if branch == "and" else Or(items=parsed)
    if "not" in keys:
        _only(data, {"not"}, path)
        return Not(item=parse_rule(data["not"], f"{path}.not", cat))
    if "field" not in keys:
        raise RuleError(path, f"expected and/or/not or 'field' with one of {', '.join(LEAF_OPS)}")
    ops = keys - {"field"}
    if len(ops) != 1 or next(iter(ops)) not in LEAF_OPS:
        raise RuleError(path, f"a field test has exactly one operator among {', '.join(LEAF_OPS)}")
    op = str(next(iter(ops)))
    kind = cat.kind(data["field"], f"{path}.field")
    return _leaf(str(data["field"]), kind, op, data[op], f"{path}.{op}")


def _only(data: Mapping[Any, Any], allowed: set[str], path: str) -> None:
    extra = sorted(str(k) for k in set(data) - allowed)
    if extra:
        raise RuleError(path, f"unexpected key(s) {', '.join(extra)} beside {', '.join(allowed)}")


def _leaf(field: str, kind: FieldKind, op: str, raw: Any, path: str) -> Rule:
    if op == "missing":
        if not isinstance(raw, bool):
            raise RuleError(path, f"true or false expected, not {raw!r}")
        return Missing(field=field, missing=raw)
    if op == "within_days":
        if kind != "timestamp":
            raise RuleError(path, f"within_days needs a timestamp field; {field!r} is {kind}")
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
            raise RuleError(path, f"a whole number of days >= 0 expected, not {raw!r}")
        return WithinDays(field=field, days=raw)
    if op == "in":
        if kind == "timestamp":
            raise RuleError(path, f"'in' is for number or text fields; {field!r} is a timestamp")
        if not isinstance(raw, list) or not raw:
            raise RuleError(path, "a non-empty list of values is required")
        values = tuple(_value(v, kind, f"{path}[{i}]") for i, v in enumerate(raw))
        return InList(field=field, values=values)  # type: ignore[arg-type]
    if op == "between":
        return _between(field, kind, raw, path)
    if kind == "text" and op in ORDER_OPS:
        raise RuleError(path, f"{op} is for number or timestamp fields; {field!r} is text")
    return Compare(field=field, op=op, value=_value(raw, kind, path))  # type: ignore[arg-type]


def _between(field: str, kind: FieldKind, raw: Any, path: str) -> Rule:
    if kind == "text":
        raise RuleError(path, f"between is for number or timestamp fields; {field!r} is text")
    if not isinstance(raw, list) or len(raw) != 2:
        raise RuleError(path, f"a list [lower, upper] of two values is required, not {raw!r}")
    low, high = (_value(v, kind, f"{path}[{i}]") for i, v in enumerate(raw))
    if low > high:  # type: ignore[operator]
        raise RuleError(path, f"lower bound {_show(low)} > upper bound {_show(high)}")
    return Between(field=field, low=low, high=high)  # type: ignore[arg-type]


def _value(raw: Any, kind: FieldKind, path: str) -> Scalar:
    if kind == "number":
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
            raise RuleError(path, f"a finite number expected, not {raw!r}")
        return float(raw)
    if kind == "text":
        if not isinstance(raw, str):
            raise RuleError(path, f"a text value expected, not {raw!r}")
        return raw
    return _timestamp(raw, path)


def _timestamp(raw: Any, path: str) -> datetime:
    if isinstance(raw, datetime):
        value = raw
    elif isinstance(raw, date):
        value = datetime(raw.year, raw.month, raw.day)
    elif isinstance(raw, str):
        try:
            value = datetime.fromisoformat(raw)
        except ValueError:
            raise RuleError(path, f"{raw!r} is not an ISO 8601 timestamp") from None
    else:
        raise RuleError(path, f"a timestamp expected, not {raw!r}")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _show(value: Scalar) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value.isoformat() if isinstance(value, datetime) else str(value)


def fields_of(rule: Rule) -> set[str]:
    """The profile fields ``rule`` reads."""
    if isinstance(rule, And | Or):
        return set().union(*(fields_of(r) for r in rule.items))
    if isinstance(rule, Not):
        return fields_of(rule.item)
    return {rule.field}
