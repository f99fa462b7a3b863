"""The pure aggregate -> feature functions, at every boundary of the batch SQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from cible.config import FEATURE_NAMES
from cible.store import Aggregates, InvalidEvent, LiveEvent, features_at, live_as_of
from cible.store.aggregates import as_of_midnight, fold, to_micros
from tests.unit.store.fakes import ev

AS_OF = datetime(2024, 4, 1, tzinfo=UTC)


def test_no_event_is_a_prospect_with_zero_features() -> None:
    f = features_at(Aggregates(), AS_OF)
    assert list(f) == list(FEATURE_NAMES)
    assert f == {
        "recency_days": None,
        "frequency": 0.0,
        "monetary": 0.0,
        "avg_basket": 0.0,
        "tenure_days": 0.0,
        "mean_interpurchase_days": None,
        "refund_rate": 0.0,
        "events_30d": 0.0,
        "events_90d": 0.0,
    }


def test_event_exactly_at_as_of_does_not_count() -> None:
    agg = fold([ev("e", "c", AS_OF, "purchase", "10")], AS_OF)
    assert agg == Aggregates()
    one_before = AS_OF - timedelta(microseconds=1)
    agg = fold([ev("e", "c", one_before, "purchase", "10")], AS_OF)
    assert (agg.frequency, agg.events_30d, agg.gross_micros) == (1, 1, 10_000_000)
    assert features_at(agg, AS_OF)["recency_days"] == pytest.approx(1e-6 / 86400, rel=1e-6)


@pytest.mark.parametrize(
    ("delta", "e30", "e90"),
    [
        (timedelta(days=30), 1, 1),
        (timedelta(days=30, microseconds=1), 0, 1),
        (timedelta(days=90), 0, 1),
        (timedelta(days=90, microseconds=1), 0, 0),
    ],
)
def test_window_boundaries(delta: timedelta, e30: int, e90: int) -> None:
    agg = fold([ev("e", "c", AS_OF - delta)], AS_OF)
    assert (agg.events_30d, agg.events_90d) == (e30, e90)


def test_tie_of_orders_at_the_same_timestamp() -> None:
    when = AS_OF - timedelta(days=3)
    agg = fold(
        [ev("a", "c", when, "purchase", "1", "x"), ev("b", "c", when, "purchase", "2")], AS_OF
    )
    f = features_at(agg, AS_OF)
    assert (f["frequency"], f["mean_interpurchase_days"], f["recency_days"]) == (2.0, 0.0, 3.0)
    assert f["avg_basket"] == 1.5


def test_single_order_gap_is_the_days_since_it() -> None:
    agg = fold([ev("a", "c", AS_OF - timedelta(hours=36), "purchase", "7", "o")], AS_OF)
    f = features_at(agg, AS_OF)
    assert f["mean_interpurchase_days"] == f["recency_days"] == 1.5


def test_refund_larger_than_gross_clips_the_rate_and_monetary_goes_negative() -> None:
    agg = Aggregates(
        frequency=1,
        gross_micros=10_000_000,
        refunded_micros=-25_000_000,
        first_order=AS_OF - timedelta(days=2),
        last_order=AS_OF - timedelta(days=2),
        first_event=AS_OF - timedelta(days=2),
    )
    f = features_at(agg, AS_OF)
    assert (f["refund_rate"], f["monetary"]) == (1.0, -15.0)
    assert features_at(Aggregates(refunded_micros=-5), AS_OF)["refund_rate"] == 0.0


def test_a_refund_with_a_positive_amount_gives_rate_zero_not_negative() -> None:
    agg = Aggregates(frequency=1, gross_micros=10, refunded_micros=5)
    assert features_at(agg, AS_OF)["refund_rate"] == 0.0


def test_tenure_starts_at_the_earlier_of_first_event_and_record_creation() -> None:
    first = AS_OF - timedelta(days=5)
    created = AS_OF - timedelta(days=8)
    assert features_at(Aggregates(first_event=first), AS_OF)["tenure_days"] == 5.0
    both = Aggregates(first_event=first, created_at=created)
    assert features_at(both, AS_OF)["tenure_days"] == 8.0
    assert fold([], AS_OF, created_at=AS_OF).created_at is None  # created at as_of: not yet
    assert fold([], AS_OF, created_at=created).created_at == created


def test_amounts_are_exact_micro_units() -> None:
    assert to_micros(Decimal("0.1")) * 3 == to_micros(Decimal("0.3"))
    assert to_micros(0.1) == 100_000
    assert to_micros(Decimal("-1.0000005")) == -1_000_001  # half away from zero, like CAST
    assert to_micros(None) == 0


def test_as_of_rules() -> None:
    assert live_as_of(datetime(2024, 3, 31, 23, 59, tzinfo=UTC)) == AS_OF
    assert live_as_of(datetime(2024, 4, 1, 0, 0, tzinfo=UTC)) == AS_OF + timedelta(days=1)
    assert as_of_midnight(AS_OF.date()) == AS_OF
    with pytest.raises(ValueError, match="not a UTC midnight"):
        as_of_midnight(AS_OF + timedelta(seconds=1))
    with pytest.raises(ValueError, match="time zone"):
        as_of_midnight(datetime(2024, 4, 1))


def test_live_event_parse() -> None:
    e = LiveEvent.parse(
        b'{"event_id": "e1", "customer_id": "c1", "event_type": "purchase",'
        b' "timestamp": "2024-03-01T10:00:00+02:00", "amount": 12.3456789}'
    )
    assert e.timestamp == datetime(2024, 3, 1, 8, tzinfo=UTC)
    assert e.amount == Decimal("12.345679") and e.source == "stream"
    bad = [
        (b"not json", "$"),
        (b"[1]", "$"),
        (
            b'{"customer_id": "c", "event_type": "login", "timestamp": "2024-03-01T00:00:00Z"}',
            "event_id",
        ),
        (
            b'{"event_id": "e", "customer_id": "c", "event_type": "teleport", "timestamp": "2024-03-01T00:00:00Z"}',
            "event_type",
        ),
        (
            b'{"event_id": "e", "customer_id": "c", "event_type": "login", "timestamp": "2024-03-01T00:00:00"}',
            "timestamp",
        ),
        (
            b'{"event_id": "e", "customer_id": "c", "event_type": "login", "timestamp": "2024-03-01T00:00:00Z", "amount": "NaN"}',
            "amount",
        ),
        (
            b'{"event_id": "e", "customer_id": "c", "event_type": "login", "timestamp": "2024-03-01T00:00:00Z", "colour": 1}',
            "colour",
        ),
    ]
    for message, field in bad:
        with pytest.raises(InvalidEvent) as info:
            LiveEvent.parse(message)
        assert info.value.field == field, message
    with pytest.raises(InvalidEvent, match="naive timestamp is refused"):
        LiveEvent.parse(bad[4][0])


def test_customer_record_timestamps_carry_a_zone() -> None:
    from pydantic import ValidationError

    from cible.store import CustomerRecord

    ok = CustomerRecord(customer_id="c", created_at="2024-03-01T01:00:00+01:00")  # type: ignore[arg-type]
    assert ok.created_at == datetime(2024, 3, 1, tzinfo=UTC) and ok.source == "api"
    with pytest.raises(ValidationError, match="naive created_at is refused"):
        CustomerRecord(customer_id="c", created_at=datetime(2024, 3, 1))


def test_text_no_database_can_store_is_an_invalid_event_not_a_store_error() -> None:
    """A NUL character or a lone surrogate would make PostgreSQL fail the whole batch (a poison
    message); the parser refuses it so the consumer dead-letters that one message."""
    base = '{"event_id": "e", "customer_id": "%s", "event_type": "login", "timestamp": "2024-03-01T00:00:00Z"}'
    with pytest.raises(InvalidEvent, match="NUL character") as info:
        LiveEvent.parse(base % "c\\u0000")
    assert info.value.field == "customer_id"
    with pytest.raises(InvalidEvent, match="unicode string") as info:  # pydantic's own rule
        LiveEvent.parse(base % "c\\udaa1")
    assert info.value.field == "customer_id"
    assert LiveEvent.parse(base % "c\\u00e9").customer_id == "c\u00e9"  # é is fine


def test_customer_records_refuse_nul_characters() -> None:
    from pydantic import ValidationError

    from cible.store import CustomerRecord

    with pytest.raises(ValidationError, match="NUL character"):
        CustomerRecord(customer_id="c", city="Lyon\x00")
    assert CustomerRecord(customer_id="c", city="Lyon").city == "Lyon"
