"""The batch flush policy (full OR the oldest message has waited the linger), the deferred
outbox relay (idle, a full page, or the oldest row held ``max_delay_s``) and the latency
breakdown the consumer reports."""

from __future__ import annotations

import gc
import json
import math

import pytest

from cible.services.consume import (
    OUTBOX_PAGE,
    BatchReport,
    DeferredRelay,
    bus_notifier,
    process_batch,
)
from cible.stream import InProcessBus, run_consumer
from cible.stream.bus import FlushPolicy
from tests.unit.stream.fakes import FakeNotification, FakeStore, event, parse


def test_a_batch_is_due_exactly_at_the_size_limit_and_not_one_under() -> None:
    policy = FlushPolicy(max_size=500, max_linger_s=0.005)
    assert policy.reason(499, oldest_at=10.0, now=10.001) is None
    assert policy.reason(500, oldest_at=10.0, now=10.001) == "size"
    assert policy.reason(501, oldest_at=10.0, now=10.001) == "size"  # a leftover buffer


def test_a_batch_is_due_exactly_when_its_oldest_message_has_waited_the_linger() -> None:
    policy = FlushPolicy(max_size=500, max_linger_s=0.005)
    assert policy.reason(3, oldest_at=1.0, now=1.0 + 0.005) == "linger"
    assert policy.reason(3, oldest_at=1.0, now=math.nextafter(1.005, 0)) is None
    assert policy.wait_s(oldest_at=1.0, now=1.002) == pytest.approx(0.003)
    assert policy.wait_s(oldest_at=1.0, now=1.5) == 0.0
    assert policy.reason(0, oldest_at=None, now=99.0) is None  # nothing to hand over


def test_full_and_lingered_at_the_same_moment_is_due_by_size() -> None:
    policy = FlushPolicy(max_size=10, max_linger_s=0.005)
    assert policy.reason(10, oldest_at=2.0, now=2.005) == "size"
    assert policy.due(10, oldest_at=2.0, now=2.005)


def test_a_zero_linger_hands_over_whatever_arrived_and_bad_settings_are_refused() -> None:
    assert FlushPolicy(max_size=500).reason(1, oldest_at=5.0, now=5.0) == "linger"
    with pytest.raises(ValueError, match="batch size 0 refused"):
        FlushPolicy(max_size=0)
    with pytest.raises(ValueError, match=r"linger -0\.001 s refused"):
        FlushPolicy(max_size=1, max_linger_s=-0.001)
    with pytest.raises(ValueError, match=r"linger nan s refused"):
        FlushPolicy(max_size=1, max_linger_s=float("nan"))


def _report(*ids: int) -> BatchReport:
    report = BatchReport(received=len(ids))
    report.pending = tuple(FakeNotification(i, "segment.entered", f"C{i}") for i in ids)
    return report


def test_the_deferred_relay_holds_rows_until_idle_a_full_page_or_the_delay() -> None:
    store = FakeStore(outbox=[FakeNotification(i, "segment.entered", f"C{i}") for i in (1, 2)])
    pages: list[list[int]] = []
    relay = DeferredRelay(store, lambda ns: pages.append([n.id for n in ns]), max_delay_s=0.1)
    assert not relay.due(100.0, idle=True)  # nothing held
    relay.add(_report(1), now=100.0)
    relay.add(_report(), now=100.05)  # a batch that changed nobody: the clock stays
    relay.add(_report(2), now=100.06)
    assert not relay.due(math.nextafter(100.1, 0), idle=False)
    assert relay.due(100.1, idle=False)  # exactly the delay after the oldest
    assert relay.due(100.0, idle=True)
    assert store.notified == set()  # held: still pending in the store's outbox
    assert relay.flush() == (2, 0)
    assert pages == [[1, 2]] and store.notified == {1, 2}
    assert not relay.due(500.0, idle=True) and relay.since is None


def test_the_deferred_relay_is_due_at_exactly_a_full_page() -> None:
    relay = DeferredRelay(FakeStore(), lambda ns: None, max_delay_s=60.0)
    relay.add(_report(*range(1, OUTBOX_PAGE)), now=0.0)
    assert not relay.due(1.0, idle=False)  # one row under a page
    relay.add(_report(OUTBOX_PAGE), now=1.0)
    assert relay.due(1.0, idle=False)


def test_process_batch_without_relay_leaves_the_rows_pending_in_the_outbox() -> None:
    store = FakeStore()
    bus = InProcessBus()
    bus.put(event(1, "B", 100.0))
    report = process_batch(
        store, bus, bus.receive(10, 0.1), notify=bus_notifier(bus), parse=parse, relay=False
    )
    assert [n.customer_id for n in report.pending] == ["B"] and report.notified == 0
    assert bus.published == [] and bus.acked == 1  # acknowledged, not yet notified
    assert [n.id for n in store.pending_notifications()] == [1]
    assert set(report.timings) == {"parse", "apply", "statements", "commit", "ack"}


def test_the_consumer_relays_deferred_notifications_when_it_stops() -> None:
    store = FakeStore()
    bus = InProcessBus()
    for i, customer in enumerate(["A", "B", "C"]):
        bus.put(event(i, customer, 150.0))
    stats = run_consumer(
        bus,
        store,
        batch_size=1,
        max_wait_s=0.01,
        notify=bus_notifier(bus),
        parse=parse,
        idle_exit_s=0.0,
        relay_every_s=3600.0,
        freeze_gc=False,
    )
    assert [json.loads(b)["customer_id"] for b in bus.published] == ["A", "B", "C"]
    assert stats.totals["notified"] == 3 and store.pending_notifications() == []


def test_the_first_batch_freezes_what_is_alive_and_reports_its_timings() -> None:
    bus = InProcessBus()
    bus.put(event(1, "A", 10.0))
    seen: list[BatchReport] = []
    gc.unfreeze()
    try:
        run_consumer(
            bus, FakeStore(), parse=parse, idle_exit_s=0.0, on_batch=seen.append, max_wait_s=0.01
        )
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    (report,) = seen
    assert {"parse", "apply", "ack", "receive"} <= set(report.timings)
    assert report.started_at <= report.committed_at
