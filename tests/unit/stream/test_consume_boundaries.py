"""The consume use case at its edges: a batch of only malformed messages (acked, nothing
applied), an empty batch (nothing acked), an outbox of exactly one page and one more, the online
and audience steps with duplicates in the batch, the order commit -> ack -> notify -> mark."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from cible.services.consume import (
    OUTBOX_PAGE,
    BatchReport,
    Message,
    WebhookError,
    combine,
    parse_messages,
    process_batch,
    relay_outbox,
    webhook_notifier,
)
from cible.stream import InProcessBus
from tests.unit.stream.fakes import FakeNotification, FakeStore, event, parse

AS_OF = datetime(2024, 4, 1, tzinfo=UTC)


class LoggingBus(InProcessBus):
    def __init__(self, log: list[str]) -> None:
        super().__init__()
        self.log = log

    def ack(self, messages: Any) -> None:
        self.log.append(f"ack {len(messages)}")
        super().ack(messages)


@dataclass(frozen=True)
class Result:
    applied: int
    duplicates: int
    changes: list[str]
    notifications: tuple[FakeNotification, ...] = ()
    touched: tuple[str, ...] = ()


@dataclass
class Store:
    """Applies every event; returns ``notes`` segment rows and ``touched`` customers."""

    notes: tuple[FakeNotification, ...] = ()
    touched: tuple[str, ...] = ()
    log: list[str] = field(default_factory=list)
    marked: list[list[int]] = field(default_factory=list)
    audience_marked: list[list[int]] = field(default_factory=list)
    audience_pending: list[FakeNotification] = field(default_factory=list)
    applied: list[list[str]] = field(default_factory=list)
    as_of: list[datetime | None] = field(default_factory=list)

    def apply_events(self, events: Sequence[Any], *, as_of: datetime | None = None) -> Result:
        self.applied.append([e.event_id for e in events])
        self.as_of.append(as_of)
        self.log.append("commit")
        return Result(len(events), 0, [n.customer_id for n in self.notes], self.notes, self.touched)

    def mark_notified(self, ids: Sequence[int]) -> None:
        self.log.append("mark")
        self.marked.append(list(ids))

    def mark_audience_notified(self, ids: Sequence[int]) -> None:
        self.log.append("mark audience")
        self.audience_marked.append(list(ids))

    def pending_notifications(self, limit: int = 1000) -> list[FakeNotification]:
        return []

    def pending_audience_notifications(self, limit: int = 1000) -> list[FakeNotification]:
        out = self.audience_pending[:limit]
        del self.audience_pending[:limit]
        return out


class Online:
    def __init__(self) -> None:
        self.synced: list[list[str]] = []

    def sync(self, store: Any, customers: list[str]) -> None:
        assert isinstance(store, Store)
        self.synced.append(customers)


class Audiences:
    def __init__(self, entered: list[FakeNotification]) -> None:
        self.entered = entered
        self.calls: list[tuple[list[str], datetime]] = []

    def update(self, store: Any, customers: list[str], now: datetime) -> list[FakeNotification]:
        self.calls.append((customers, now))
        return self.entered


def _notes(n: int, kind: str = "segment.entered") -> tuple[FakeNotification, ...]:
    return tuple(FakeNotification(i, kind, f"C{i}") for i in range(1, n + 1))


def _messages(bus: InProcessBus, bodies: list[bytes], sent_at: list[float | None]) -> list[Message]:
    for body in bodies:
        bus.put(body)
    got = bus.receive(len(bodies), 0.1)
    return [Message(m.body, m.token, s) for m, s in zip(got, sent_at, strict=True)]


def test_a_batch_of_only_malformed_messages_is_acked_and_applies_nothing() -> None:
    store = Store()
    bus = LoggingBus(store.log)
    report = process_batch(store, bus, _messages(bus, [b"{x", b"[]"], [None, None]), parse=parse)  # type: ignore[arg-type]
    assert store.applied == [] and store.log == ["ack 2"]
    assert (report.received, report.applied, report.dead_lettered) == (2, 0, 2)
    assert bus.acked == 2 and bus.recover() == 0


def test_an_empty_batch_acks_nothing_and_reports_zeros() -> None:
    store = Store()
    bus = LoggingBus(store.log)
    report = process_batch(store, bus, [], parse=parse, notify=lambda ns: None)  # type: ignore[arg-type]
    assert store.log == [] and report.counts() == BatchReport().counts()
    assert report.sent_at == [] and report.committed_at > 0


def test_dead_letter_reason_is_field_and_reason_and_a_plain_error_says_message() -> None:
    from cible.exceptions import CibleError

    def plain(body: bytes) -> Any:
        raise CibleError("no field attribute")

    bus = InProcessBus()
    msgs = _messages(bus, [b"a", b"b"], [None, None])
    events, bad = parse_messages(msgs, bus, plain)
    assert (events, bad) == ([], 2)
    assert bus.dead_letters == [(b"a", "message: no field attribute")] * 1 + [
        (b"b", "message: no field attribute")
    ]
    events, bad = parse_messages(msgs[:1], InProcessBus(), parse)
    assert bad == 1 and events == []


def test_commit_then_ack_then_pages_of_exactly_one_outbox_page_and_one_more() -> None:
    store = Store(notes=_notes(OUTBOX_PAGE + 1))
    bus = LoggingBus(store.log)
    pages: list[int] = []

    def notify(ns: Sequence[Any]) -> None:
        store.log.append("send")
        pages.append(len(ns))

    msgs = _messages(bus, [event(1), event(2)], [1.5, None])
    report = process_batch(store, bus, msgs, parse=parse, notify=notify, as_of=AS_OF)  # type: ignore[arg-type]
    assert store.log == ["commit", "ack 2", "send", "mark", "send", "mark"]
    assert pages == [OUTBOX_PAGE, 1]
    assert store.marked == [list(range(1, OUTBOX_PAGE + 1)), [OUTBOX_PAGE + 1]]
    assert report.notified == OUTBOX_PAGE + 1 and report.audience_notified == 0
    assert report.sent_at == [1.5]

    exactly = Store(notes=_notes(OUTBOX_PAGE))
    pages.clear()
    process_batch(
        exactly,
        InProcessBus(),
        _messages(InProcessBus(), [event(3)], [None]),
        parse=parse,
        notify=lambda ns: pages.append(len(ns)),
    )  # type: ignore[arg-type]
    assert pages == [OUTBOX_PAGE] and len(exactly.marked) == 1


def test_without_a_notifier_nothing_is_marked() -> None:
    store = Store(notes=_notes(2))
    bus = InProcessBus()
    report = process_batch(store, bus, _messages(bus, [event(1)], [None]), parse=parse)  # type: ignore[arg-type]
    assert store.marked == [] and report.notified == 0 and report.changes == 2


def test_online_and_audience_steps_see_every_customer_of_the_batch() -> None:
    entered = list(_notes(2, "audience.entered"))
    store = Store(touched=("Z", "B"))
    bus = LoggingBus(store.log)
    online, audiences = Online(), Audiences(entered)
    bodies = [event(1, "B"), event(2, "A"), event(3, "B")]
    sent: list[list[int]] = []
    report = process_batch(
        store,  # type: ignore[arg-type]
        bus,
        _messages(bus, bodies, [None, 2.0, 3.0]),
        parse=parse,
        as_of=AS_OF,
        online=online,  # type: ignore[arg-type]
        audiences=audiences,  # type: ignore[arg-type]
        notify=lambda ns: sent.append([n.id for n in ns]),
    )
    assert store.as_of == [AS_OF]  # the rules' as_of is the store's as_of
    assert online.synced == [["A", "B", "Z"]]  # sorted, union of the batch and touched
    assert audiences.calls == [(["B", "A", "B"], AS_OF)]  # duplicates kept, in batch order
    assert report.audience_notified == 2 and report.notified == 0
    assert sent == [[1, 2]] and store.audience_marked == [[1, 2]] and store.marked == []
    assert report.sent_at == [2.0, 3.0]


def test_audiences_without_as_of_use_the_wall_clock() -> None:
    audiences = Audiences([])
    before = datetime.now(UTC)
    store = Store()
    bus = InProcessBus()
    process_batch(store, bus, _messages(bus, [event(1)], [None]), parse=parse, audiences=audiences)  # type: ignore[arg-type]
    now = audiences.calls[0][1]
    assert now.tzinfo is UTC and before <= now <= datetime.now(UTC)


def test_relay_with_audiences_sends_the_segment_outbox_then_the_audience_one() -> None:
    fake = FakeStore(outbox=list(_notes(3)))
    store = Store(audience_pending=list(_notes(5, "audience.exited")))
    store.pending_notifications = fake.pending_notifications  # type: ignore[method-assign]
    store.mark_notified = fake.mark_notified  # type: ignore[method-assign]
    kinds: list[tuple[str, int]] = []
    sent = relay_outbox(
        store, lambda ns: kinds.append((ns[0].kind, len(ns))), page=2, audiences=True
    )  # type: ignore[arg-type]
    assert sent == 8
    assert kinds == [
        ("segment.entered", 2),
        ("segment.entered", 1),
        ("audience.exited", 2),
        ("audience.exited", 2),
        ("audience.exited", 1),
    ]
    assert store.audience_marked == [[1, 2], [3, 4], [5]]
    assert relay_outbox(FakeStore(outbox=list(_notes(3))), lambda ns: None, page=2) == 3


def test_combine_of_one_is_that_notifier_and_of_two_calls_both_with_the_page() -> None:
    seen: list[tuple[str, int]] = []

    def a(ns: Sequence[Any]) -> None:
        seen.append(("a", len(ns)))

    assert combine([a]) is a
    both = combine([a, lambda ns: seen.append(("b", len(ns)))])
    assert both is not None
    both([1, 2])  # type: ignore[list-item]
    assert seen == [("a", 2), ("b", 2)]


def test_webhook_posts_one_json_array_and_masks_the_password_in_errors() -> None:
    bodies: list[tuple[bytes, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append((request.content, request.headers["content-type"]))
        return httpx.Response(404 if len(bodies) > 1 else 200)

    client = httpx.Client(transport=httpx.MockTransport(handler))
    hook = webhook_notifier("http://user:pw@hook.test/in", backoff_s=0, client=client)
    hook(list(_notes(2)))
    assert bodies[0] == (
        b'[{"id": 1, "kind": "segment.entered", "customer_id": "C1"},'
        b'{"id": 2, "kind": "segment.entered", "customer_id": "C2"}]',
        "application/json",
    )
    with pytest.raises(WebhookError) as info:
        hook(list(_notes(1)))
    assert str(info.value) == (
        "webhook http://user:***@hook.test/in refused 1 notifications (HTTPStatusError); "
        "retried 5 times at most, 4xx other than 429 never"
    )
    assert len(bodies) == 2  # a 404 is not retried


def test_webhook_retries_a_connection_error_up_to_attempts() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        raise httpx.ConnectError("refused")

    client = httpx.Client(transport=httpx.MockTransport(handler))
    with pytest.raises(WebhookError, match=r"\(ConnectError\); retried 2 times"):
        webhook_notifier("http://hook.test/", attempts=2, backoff_s=0, client=client)(
            list(_notes(1))
        )
    assert len(calls) == 2
    ok: list[int] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        ok.append(1)
        return httpx.Response(499 if len(ok) == 1 else 200)

    with pytest.raises(WebhookError):  # 499 is a 4xx other than 429: never retried
        webhook_notifier(
            "http://hook.test/",
            backoff_s=0,
            client=httpx.Client(transport=httpx.MockTransport(flaky)),
        )(list(_notes(1)))
    assert len(ok) == 1


def test_webhook_defaults_timeout_and_exponential_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    made: list[dict[str, Any]] = []
    statuses = [503, 503, 429, 200]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(statuses.pop(0))

    real_client = httpx.Client

    def client(**kwargs: Any) -> httpx.Client:
        made.append(kwargs)
        return real_client(transport=httpx.MockTransport(handler))

    waits: list[float] = []
    monkeypatch.setattr(httpx, "Client", client)
    monkeypatch.setattr(time, "sleep", waits.append)
    webhook_notifier("http://hook.test/")(list(_notes(1)))
    assert made == [{"timeout": 5.0}]
    assert waits == pytest.approx([0.2, 0.4, 0.8])  # backoff_s, then doubling
    made.clear()
    webhook_notifier("http://hook.test/", timeout_s=1.5, client=real_client())
    assert made == []  # a given client is used as it is
    webhook_notifier("http://hook.test/", timeout_s=1.5)
    assert made == [{"timeout": 1.5}]
