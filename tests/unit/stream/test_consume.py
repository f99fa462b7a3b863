"""The consume use case on the in-process bus: dead letters, ack after commit, idempotent
redelivery, outbox relay, webhook retries, graceful stop."""

from __future__ import annotations

import io
import json
import os
import signal
from typing import Any

import httpx
import pytest

from cible.services.consume import (
    Message,
    WebhookError,
    bus_notifier,
    combine,
    process_batch,
    relay_outbox,
    webhook_notifier,
)
from cible.stream import InProcessBus, JsonLinesBus, run_consumer
from tests.unit.stream.fakes import FakeNotification, FakeStore, event, parse


class RecordingBus(InProcessBus):
    def __init__(self, log: list[str]) -> None:
        super().__init__()
        self.log = log

    def ack(self, messages: Any) -> None:
        self.log.append(f"ack {len(messages)}")
        super().ack(messages)


def _fill(bus: InProcessBus, bodies: list[bytes]) -> None:
    for body in bodies:
        bus.put(body)


def test_malformed_messages_are_dead_lettered_and_the_batch_acked_after_the_commit() -> None:
    store = FakeStore()
    bus = RecordingBus(store.log)
    _fill(bus, [event(1), b"{oops", event(2), b'{"event_id": "x"}', event(3)])
    messages = bus.receive(10, 0.1)
    report = process_batch(store, bus, messages, parse=parse)
    assert report.counts() == {
        "received": 5,
        "applied": 3,
        "duplicates": 0,
        "dead_lettered": 2,
        "changes": 0,
        "notified": 0,
        "audience_notified": 0,
    }
    assert bus.dead_letters == [
        (b"{oops", "body: not JSON"),
        (b'{"event_id": "x"}', "customer_id: missing"),
    ]
    assert store.log == ["commit 3", "ack 5"]
    assert bus.acked == 5 and bus.recover() == 0


def test_a_failed_commit_acks_nothing_and_the_redelivered_batch_counts_once() -> None:
    store = FakeStore(fail_next=True)
    bus = RecordingBus(store.log)
    _fill(bus, [event(i, amount=60) for i in range(3)])
    with pytest.raises(Exception, match="database went away"):
        process_batch(store, bus, bus.receive(10, 0.1), parse=parse)
    assert store.log == [] and bus.recover() == 3
    first = process_batch(store, bus, bus.receive(2, 0.1), parse=parse)
    _fill(bus, [event(0, amount=60), event(1, amount=60)])  # the broker delivers two again
    second = process_batch(store, bus, bus.receive(10, 0.1), parse=parse)
    assert (first.applied, first.duplicates) == (2, 0)
    assert (second.applied, second.duplicates) == (1, 2)
    assert store.totals == {"C1": 180.0}


def test_notifications_are_published_then_marked_only_when_the_batch_changed_something() -> None:
    store = FakeStore()
    bus = InProcessBus()
    _fill(bus, [event(1, "A", 99.99), event(2, "B", 100.0)])
    report = process_batch(store, bus, bus.receive(10, 0.1), notify=bus_notifier(bus), parse=parse)
    assert (report.changes, report.notified) == (1, 1)
    assert [json.loads(b)["customer_id"] for b in bus.published] == ["B"]
    _fill(bus, [event(3, "A", 0.01)])  # A reaches exactly 100
    process_batch(store, bus, bus.receive(10, 0.1), notify=bus_notifier(bus), parse=parse)
    assert [json.loads(b)["customer_id"] for b in bus.published] == ["B", "A"]
    assert store.pending_notifications() == []


def test_the_outbox_is_relayed_page_by_page_and_a_failed_send_marks_nothing() -> None:
    store = FakeStore(
        outbox=[FakeNotification(i, "segment.entered", f"C{i}") for i in range(1, 2502)]
    )
    pages: list[int] = []
    assert relay_outbox(store, lambda ns: pages.append(len(ns)), page=1000) == 2501
    assert pages == [1000, 1000, 501] and len(store.notified) == 2501

    store = FakeStore(outbox=[FakeNotification(1, "segment.entered", "C1")])

    def refuse(_ns: Any) -> None:
        raise WebhookError("down")

    with pytest.raises(WebhookError):
        relay_outbox(store, refuse)
    assert store.notified == set()
    exactly = FakeStore(outbox=[FakeNotification(i, "segment.exited", "C") for i in range(1, 1001)])
    calls: list[int] = []
    relay_outbox(exactly, lambda ns: calls.append(len(ns)), page=1000)
    assert calls == [1000]  # a full page asks once more, and finds nothing


def _webhook(statuses: list[int]) -> tuple[list[bytes], httpx.Client]:
    seen: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.content)
        return httpx.Response(statuses.pop(0))

    return seen, httpx.Client(transport=httpx.MockTransport(handler))


def test_the_webhook_is_retried_on_5xx_and_429_but_not_on_other_4xx() -> None:
    notes = [
        FakeNotification(1, "segment.entered", "C1"),
        FakeNotification(2, "segment.exited", "C2"),
    ]
    seen, client = _webhook([503, 429, 200])
    webhook_notifier("http://hook.test/x", backoff_s=0, client=client)(notes)
    assert len(seen) == 3
    assert [n["id"] for n in json.loads(seen[-1])] == [1, 2]

    seen, client = _webhook([400])
    with pytest.raises(WebhookError, match=r"webhook http://hook.test/x refused 2 notifications"):
        webhook_notifier("http://hook.test/x", backoff_s=0, client=client)(notes)
    assert len(seen) == 1

    seen, client = _webhook([500] * 3)
    with pytest.raises(WebhookError, match="HTTPStatusError"):
        webhook_notifier("http://u:secret@hook.test/", attempts=3, backoff_s=0, client=client)(
            notes
        )
    assert len(seen) == 3


def test_combine_calls_every_notifier_in_order() -> None:
    calls: list[str] = []
    assert combine([]) is None
    one = combine([lambda ns: calls.append("bus")])
    assert one is not None
    both = combine([lambda ns: calls.append("bus"), lambda ns: calls.append("hook")])
    assert both is not None
    both([])
    assert calls == ["bus", "hook"]


def test_a_jsonl_source_is_consumed_to_its_end() -> None:
    lines = b"\n".join([event(1, amount=150), b"", b"not json", event(2)]) + b"\n"
    out, dead = io.StringIO(), io.StringIO()
    bus = JsonLinesBus(io.BytesIO(lines), output=out, dead=dead)
    store = FakeStore()
    stats = run_consumer(bus, store, batch_size=2, notify=bus_notifier(bus), parse=parse)
    assert stats.totals["applied"] == 2 and stats.totals["dead_lettered"] == 1
    assert stats.batches == 2
    assert json.loads(dead.getvalue()) == {
        "line": 3,
        "reason": "body: not JSON",
        "message": "not json",
    }
    assert [json.loads(line)["customer_id"] for line in out.getvalue().splitlines()] == ["C1"]


def test_sigterm_finishes_the_batch_in_hand_then_stops() -> None:
    store = FakeStore()
    bus = InProcessBus()
    _fill(bus, [event(i) for i in range(25)])

    def on_batch(_report: Any) -> None:
        os.kill(os.getpid(), signal.SIGTERM)

    before = signal.getsignal(signal.SIGTERM)
    stats = run_consumer(bus, store, batch_size=10, on_batch=on_batch, parse=parse)
    assert stats.batches == 1 and stats.totals["applied"] == 10
    assert bus.acked == 10 and bus.pending() == 15
    assert signal.getsignal(signal.SIGTERM) is before  # handlers restored


def test_an_idle_consumer_exits_after_idle_exit_s() -> None:
    bus = InProcessBus()
    _fill(bus, [event(1)])
    store = FakeStore()
    stats = run_consumer(bus, store, max_wait_s=0.01, idle_exit_s=0.05, parse=parse, as_of=None)
    assert stats.totals["applied"] == 1 and store.as_of == [None]


def test_message_defaults() -> None:
    m = Message(b"x")
    assert (m.token, m.sent_at, m.redelivered) == (None, None, False)
