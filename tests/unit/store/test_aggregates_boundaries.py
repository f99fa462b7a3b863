"""Aggregates at their remaining edges (test_aggregates.py has the as_of and window ones): as_of
given in another time zone, an order whose lines arrive out of order, refunds exactly equal to the
gross, the mean gap over three orders, the JSON of the aggregates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from cible.store import Aggregates, features_at, live_as_of
from cible.store.aggregates import as_of_midnight, fold, to_micros
from tests.unit.store.fakes import ev

AS_OF = datetime(2024, 4, 1, tzinfo=UTC)
PARIS = timezone(timedelta(hours=2))


def test_as_of_in_another_zone_is_its_utc_instant() -> None:
    got = as_of_midnight(datetime(2024, 4, 1, 2, 0, tzinfo=PARIS))
    assert got == AS_OF and got.tzinfo is UTC
    with pytest.raises(ValueError, match="2024-03-31T22:00:00\\+00:00 is not a UTC midnight"):
        as_of_midnight(datetime(2024, 4, 1, 0, 0, tzinfo=PARIS))
    assert as_of_midnight(datetime(2024, 4, 1, tzinfo=UTC).date()).tzinfo is UTC


def test_live_as_of_reads_now_in_utc() -> None:
    # 01:00 in Paris on April 1st is 23:00 UTC on March 31st: the next UTC midnight is April 1st
    assert live_as_of(datetime(2024, 4, 1, 1, 0, tzinfo=PARIS)) == AS_OF
    assert live_as_of(datetime(2024, 4, 1, 2, 0, tzinfo=PARIS)) == AS_OF + timedelta(days=1)
    assert live_as_of(datetime(2024, 3, 31, 23, 59, 59, 999999, tzinfo=UTC)) == AS_OF
    assert live_as_of(AS_OF).tzinfo is UTC


def test_an_order_is_timed_by_its_earliest_line_whatever_the_arrival_order() -> None:
    late, early = AS_OF - timedelta(days=2), AS_OF - timedelta(days=6)
    events = [
        ev("l2", "c", late, "purchase", "5", "o1"),
        ev("l1", "c", early, "purchase", "7.5", "o1"),
        ev("p", "c", AS_OF - timedelta(days=4), "purchase", "2"),  # no order id: its own order
        ev("v", "c", AS_OF - timedelta(days=9)),  # a page view is no order
    ]
    agg = fold(events, AS_OF)
    assert (agg.frequency, agg.gross_micros) == (2, 14_500_000)
    assert (agg.first_order, agg.last_order) == (early, AS_OF - timedelta(days=4))
    assert agg.first_event == AS_OF - timedelta(days=9)
    assert (agg.events_30d, agg.events_90d) == (4, 4)


def test_refunds_sum_and_only_refunds_count_as_refunded() -> None:
    events = [
        ev("p", "c", AS_OF - timedelta(days=3), "purchase", "40", "o"),
        ev("r1", "c", AS_OF - timedelta(days=2), "refund", "-10"),
        ev("r2", "c", AS_OF - timedelta(days=1), "refund", "-30"),
        ev("x", "c", AS_OF - timedelta(days=1), "page_view", "99"),
    ]
    agg = fold(events, AS_OF)
    assert agg.refunded_micros == -40_000_000
    f = features_at(agg, AS_OF)
    assert (f["refund_rate"], f["monetary"]) == (1.0, 0.0)  # refund exactly the gross: rate 1
    half = Aggregates(
        frequency=1, gross_micros=40, refunded_micros=-20, first_order=AS_OF, last_order=AS_OF
    )
    assert features_at(half, AS_OF)["refund_rate"] == 0.5
    assert features_at(Aggregates(refunded_micros=-5), AS_OF)["refund_rate"] == 0.0  # no gross


def test_mean_gap_over_three_orders_and_the_average_basket() -> None:
    times = [AS_OF - timedelta(days=d) for d in (10, 4, 1)]
    events = [ev(f"o{i}", "c", t, "purchase", str(10 * (i + 1))) for i, t in enumerate(times)]
    f = features_at(fold(events, AS_OF, created_at=AS_OF - timedelta(days=12)), AS_OF)
    assert f["mean_interpurchase_days"] == 4.5  # (10 - 1) days / (3 - 1) gaps
    assert (f["recency_days"], f["frequency"], f["monetary"], f["avg_basket"]) == (
        1.0,
        3.0,
        60.0,
        20.0,
    )
    assert f["tenure_days"] == 12.0  # created before the first event
    g = features_at(fold(events[:2], AS_OF, created_at=AS_OF - timedelta(days=1)), AS_OF)
    assert (g["mean_interpurchase_days"], g["tenure_days"]) == (6.0, 10.0)


def test_an_order_count_without_order_times_gives_no_recency() -> None:
    f = features_at(Aggregates(frequency=2, gross_micros=10_000_000), AS_OF)
    assert (f["recency_days"], f["avg_basket"], f["mean_interpurchase_days"]) == (None, 0.0, None)
    assert f["monetary"] == 10.0


def test_to_micros_rounds_half_up_on_the_seventh_decimal() -> None:
    from decimal import Decimal

    assert to_micros(Decimal("0.0000005")) == 1
    assert to_micros(Decimal("0.0000004999")) == 0
    assert to_micros(Decimal("12.3456785")) == 12_345_679
    assert to_micros(2.5) == 2_500_000


def test_aggregates_json_has_every_field_with_iso_timestamps() -> None:
    t = AS_OF - timedelta(days=1)
    agg = Aggregates(frequency=1, gross_micros=5, first_order=t, last_order=t, events_30d=1)
    assert agg.to_json() == {
        "frequency": 1,
        "gross_micros": 5,
        "refunded_micros": 0,
        "first_order": "2024-03-31T00:00:00+00:00",
        "last_order": "2024-03-31T00:00:00+00:00",
        "first_event": None,
        "created_at": None,
        "events_30d": 1,
        "events_90d": 0,
    }


def test_order_times_without_an_order_count_give_no_order_features() -> None:
    t = AS_OF - timedelta(days=2)
    for agg in (
        Aggregates(frequency=0, first_order=t, last_order=t),
        Aggregates(frequency=0, last_order=t),
        Aggregates(frequency=0, first_order=t),
    ):
        f = features_at(agg, AS_OF)
        assert (f["recency_days"], f["avg_basket"], f["mean_interpurchase_days"]) == (
            None,
            0.0,
            None,
        )


def test_to_micros_of_a_decimal_is_exact_beyond_float_precision() -> None:
    from decimal import Decimal

    # as a float, 12345678901.0000005 is 12345678901.0: the Decimal keeps the half micro
    assert to_micros(Decimal("12345678901.0000005")) == 12_345_678_901_000_001
    assert to_micros(12345678901.0000005) == 12_345_678_901_000_000


def test_live_as_of_does_not_depend_on_the_machine_time_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import time

    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        # 20:00 UTC on March 31st is already April 1st in Tokyo: the UTC day decides
        assert live_as_of(datetime(2024, 3, 31, 20, 0, tzinfo=UTC)) == AS_OF
    finally:
        monkeypatch.undo()
        time.tzset()
