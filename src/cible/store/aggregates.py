"""Incremental aggregates of a customer and the batch features they give at an ``as_of``.

The store keeps, per customer, one row per order and UTC day (first timestamp, exact amount) and
one row per UTC day (event count, refunded amount, first timestamp). Because ``as_of`` is a UTC
midnight, "strictly before as_of" is "on a day before as_of's day", so the rows of the days before
as_of reproduce exactly the filtered events of :func:`cible.features.behaviour.feature_sql`,
whatever order the events arrived in. :class:`Aggregates` is their sum at one as_of and
:func:`features_at` turns it into the feature dict, with the batch SQL's arithmetic: fractional
days are seconds / 86400, amounts are exact until the final conversion to float.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Protocol

MICROS = 1_000_000


@dataclass(frozen=True)
class Aggregates:
    """What the features of one customer need, over the events strictly before one as_of."""

    frequency: int = 0  # distinct orders (coalesce(order_id, event_id) of purchases)
    gross_micros: int = 0  # sum of the orders' purchase amounts, in micro-units
    refunded_micros: int = 0  # sum of refund amounts (negative), in micro-units
    first_order: datetime | None = None  # earliest order (an order's time is its first line)
    last_order: datetime | None = None  # latest order
    first_event: datetime | None = None
    created_at: datetime | None = None  # the customer record's, when before as_of
    events_30d: int = 0
    events_90d: int = 0

    def to_json(self) -> dict[str, Any]:
        """The fields as JSON values (timestamps in ISO 8601)."""
        out: dict[str, Any] = {}
        for key in _FIELDS:
            value = getattr(self, key)
            out[key] = value.isoformat() if isinstance(value, datetime) else value
        return out


_FIELDS = tuple(f.name for f in fields(Aggregates))


def as_of_midnight(value: date | datetime) -> datetime:
    """``value`` as the UTC midnight the features are computed at (a date is that day's)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("as_of must carry a time zone")
        value = value.astimezone(UTC)
        if value.time() != time(0):
            raise ValueError(f"as_of {value.isoformat()} is not a UTC midnight")
        return value
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def live_as_of(now: datetime) -> datetime:
    """The as_of of the live clock: the UTC midnight after ``now``."""
    day = now.astimezone(UTC).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _days(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 86400.0


def to_micros(amount: Decimal | float | None) -> int:
    """An amount as whole micro-units, rounded like CAST(x AS DECIMAL(38, 6))."""
    if amount is None:
        return 0
    value = amount if isinstance(amount, Decimal) else Decimal(repr(float(amount)))
    return int((value * MICROS).to_integral_value(rounding="ROUND_HALF_UP"))


def features_at(agg: Aggregates, as_of: datetime) -> dict[str, float | None]:
    """The batch features (``FEATURE_NAMES``) of ``agg`` at ``as_of`` (a UTC midnight)."""
    freq = agg.frequency
    gross = Decimal(agg.gross_micros) / MICROS
    refunded = Decimal(agg.refunded_micros) / MICROS
    has_orders = freq > 0 and agg.first_order is not None and agg.last_order is not None
    starts = [t for t in (agg.first_event, agg.created_at) if t is not None]
    if has_orders and agg.first_order and agg.last_order:
        recency: float | None = _days(agg.last_order, as_of)
        basket = float(gross) / freq
        gap: float | None = (
            _days(agg.first_order, agg.last_order) / (freq - 1) if freq >= 2 else recency
        )
    else:
        recency, basket, gap = None, 0.0, None
    rate = min(1.0, max(0.0, -float(refunded) / float(gross))) if gross > 0 else 0.0
    return {
        "recency_days": recency,
        "frequency": float(freq),
        "monetary": float(gross + refunded),
        "avg_basket": basket,
        "tenure_days": _days(min(starts), as_of) if starts else 0.0,
        "mean_interpurchase_days": gap,
        "refund_rate": rate,
        "events_30d": float(agg.events_30d),
        "events_90d": float(agg.events_90d),
    }


class EventLike(Protocol):
    @property
    def event_id(self) -> str: ...
    @property
    def event_type(self) -> str: ...
    @property
    def timestamp(self) -> datetime: ...
    @property
    def order_id(self) -> str | None: ...
    @property
    def amount(self) -> Decimal | None: ...


def fold(
    events: Iterable[EventLike], as_of: datetime, created_at: datetime | None = None
) -> Aggregates:
    """The aggregates of one customer's ``events`` at ``as_of``, in memory: the reference the
    store's SQL is tested against (events at or after as_of are ignored)."""
    seen = [e for e in events if e.timestamp < as_of]
    orders: dict[str, tuple[datetime, int]] = {}
    for e in seen:
        if e.event_type == "purchase":
            oid = e.order_id if e.order_id is not None else e.event_id
            ts, total = orders.get(oid, (e.timestamp, 0))
            orders[oid] = (min(ts, e.timestamp), total + to_micros(e.amount))
    times = [ts for ts, _ in orders.values()]
    return Aggregates(
        frequency=len(orders),
        gross_micros=sum(total for _, total in orders.values()),
        refunded_micros=sum(to_micros(e.amount) for e in seen if e.event_type == "refund"),
        first_order=min(times, default=None),
        last_order=max(times, default=None),
        first_event=min((e.timestamp for e in seen), default=None),
        created_at=created_at if created_at is not None and created_at < as_of else None,
        events_30d=sum(1 for e in seen if e.timestamp >= as_of - timedelta(days=30)),
        events_90d=sum(1 for e in seen if e.timestamp >= as_of - timedelta(days=90)),
    )
