"""Consume live events: the use case behind ``cible consume``, shared by every bus.

One batch goes through up to six steps (the online and audience ones when configured), in this order, so that nothing is lost and nothing is
counted twice when the process dies at any point (at-least-once delivery, idempotent apply)::

    parse      each message with LiveEvent.parse; a malformed one goes to the dead letters
               (durable when dead_letter returns) with the field and the reason
    apply      store.apply_events(batch): aggregates, re-scoring, memberships and outbox rows
               in ONE transaction; event ids already processed are skipped
    online     (with an online store) the profiles of EVERY customer of the parsed batch,
               duplicates included, read from SQL in one query and written to Redis in one
               pipeline: a crash between the SQL commit and this write is redelivered and the
               duplicates are written again
    audiences  (with an audience plan) the rules re-evaluated for EVERY customer of the parsed
               batch, duplicates included, and the diff with the stored members written with
               its "audience.entered"/"audience.exited" outbox rows in ONE transaction: a crash
               between the apply commit and this one is redelivered, the store skips the
               events and this step recomputes; the diff writes nothing twice
    ack        the whole batch, only after the commits (a crash before it: redelivery, and the
               store skips what it already applied)
    relay      the store's outboxes: publish "segment.entered"/"segment.exited" (then the
               audience ones) to the bus and/or a webhook, then mark them sent (a crash before
               it: the notification is sent again)

The bus is a port (:class:`Bus`) implemented by the adapters of :mod:`cible.stream`; this module
imports no bus client.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from cible.exceptions import CibleError

if TYPE_CHECKING:
    from cible.services.live_audiences import LiveAudiences
    from cible.store import AudienceNotification, Notification, ProfileStore
    from cible.store.online import OnlineStore

OUTBOX_PAGE = 1000


@dataclass(frozen=True, slots=True)
class Message:
    """One message received from a bus.

    ``token`` is what the adapter needs to acknowledge it (a delivery tag, a partition and
    offset, a stream entry id); ``sent_at`` is the producer's wall-clock time (seconds since the
    epoch) when the bus carries it, ``received_at`` the consumer's when the adapter read it (the
    time in queue is their difference), for latency measurement only.
    """

    body: bytes
    token: Any = None
    sent_at: float | None = None
    redelivered: bool = False
    received_at: float | None = None  # wall clock when the adapter read it off the broker


class Bus(Protocol):
    """What the consumer needs from a message bus."""

    @property
    def finished(self) -> bool:
        """True when the source can deliver nothing more (end of a file); brokers never are."""
        ...

    def receive(self, max_count: int, max_wait_s: float) -> list[Message]:
        """Up to ``max_count`` messages, waiting at most ``max_wait_s`` for the first ones."""
        ...

    def ack(self, messages: Sequence[Message]) -> None:
        """Acknowledge a batch: none of them is delivered again."""
        ...

    def publish(self, bodies: Sequence[bytes]) -> None:
        """Send notifications to the output queue/topic/stream; durable when it returns."""
        ...

    def dead_letter(self, message: Message, reason: str) -> None:
        """Copy a message to the dead letters with ``reason``; durable when it returns (the
        message itself is acknowledged with its batch)."""
        ...

    def close(self) -> None: ...


class Notifier(Protocol):
    """Sends one page of one outbox (segment or audience notifications, never mixed)."""

    def __call__(self, notifications: Sequence[Notification | AudienceNotification]) -> None: ...


@dataclass(slots=True)
class BatchReport:
    """Counts of one batch (no personal data: ids are not kept, only numbers)."""

    received: int = 0
    applied: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    changes: int = 0
    notified: int = 0
    audience_notified: int = 0
    committed_at: float = 0.0
    sent_at: list[float] = field(default_factory=list)
    # the latency breakdown: wall clock when the batch was handed over, each message's receive
    # time (aligned with ``sent_at`` when both are known) and the milliseconds of each step
    started_at: float = 0.0
    received_at: list[float] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    # the outbox rows left to the caller (``process_batch(relay=False)``)
    pending: tuple[Notification, ...] = ()
    audience_pending: tuple[AudienceNotification, ...] = ()

    def counts(self) -> dict[str, int]:
        return {
            "received": self.received,
            "applied": self.applied,
            "duplicates": self.duplicates,
            "dead_lettered": self.dead_lettered,
            "changes": self.changes,
            "notified": self.notified,
            "audience_notified": self.audience_notified,
        }


Parse = Callable[[bytes], Any]


def live_event_parser() -> Parse:
    """:meth:`cible.store.LiveEvent.parse` (imported when the consumer starts)."""
    from cible.store import LiveEvent

    return LiveEvent.parse


def parse_messages(
    messages: Sequence[Message], bus: Bus, parse: Parse | None = None
) -> tuple[list[Any], int]:
    """The valid events of ``messages``; every malformed one (``parse`` raised a
    :class:`~cible.exceptions.CibleError`, such as ``InvalidEvent``) is dead-lettered as
    ``"<field>: <reason>"``. Returns (events, number dead-lettered)."""
    parse = parse or live_event_parser()
    events = []
    bad = 0
    for message in messages:
        try:
            events.append(parse(message.body))
        except CibleError as e:
            field_name = getattr(e, "field", "message")
            reason = getattr(e, "reason", str(e))
            bus.dead_letter(message, f"{field_name}: {reason}")
            bad += 1
    return events, bad


def process_batch(
    store: ProfileStore,
    bus: Bus,
    messages: Sequence[Message],
    *,
    notify: Notifier | None = None,
    as_of: datetime | None = None,
    parse: Parse | None = None,
    audiences: LiveAudiences | None = None,
    online: OnlineStore | None = None,
    relay: bool = True,
) -> BatchReport:
    """Parse, apply (one transaction), update the live ``audiences`` (a second transaction,
    every customer of the batch), ack after the commits, then send the outbox rows the batch
    wrote (returned by the store, not read back) and mark them sent; what a crashed run left
    pending is relayed at start (:func:`relay_outbox`). With ``relay`` False they are left in
    ``report.pending`` for the caller to send later (:class:`DeferredRelay`): the outbox keeps
    them until they are marked sent. The rules are evaluated at ``as_of`` when given, else at
    the wall clock."""
    report = BatchReport(received=len(messages), started_at=time.time())
    clock = _Clock(report.timings)
    events, report.dead_lettered = parse_messages(messages, bus, parse)
    clock.lap("parse")
    pending: Sequence[Notification] = ()
    entered: Sequence[AudienceNotification] = ()
    if events:
        result = store.apply_events(events, as_of=as_of)
        clock.lap("apply")
        for step in ("statements", "commit"):  # the store's own split of the apply, if any
            report.timings[step] = float(getattr(result, f"{step}_ms", 0.0))
        report.applied, report.duplicates = result.applied, result.duplicates
        report.changes = len(result.changes)
        pending = result.notifications
        if online is not None:
            online.sync(store, sorted({e.customer_id for e in events} | set(result.touched)))
            clock.lap("online")
        if audiences is not None:
            now = as_of if as_of is not None else datetime.now(UTC)
            entered = audiences.update(store, [e.customer_id for e in events], now)
            clock.lap("audiences")
    report.committed_at = time.time()
    stamped = [m for m in messages if m.sent_at is not None]
    report.sent_at = [m.sent_at for m in stamped if m.sent_at is not None]
    report.received_at = [m.received_at or report.started_at for m in stamped]
    if messages:
        bus.ack(messages)
        clock.lap("ack")
    if not relay:
        report.pending, report.audience_pending = tuple(pending), tuple(entered)
        return report
    if notify is not None and pending:
        report.notified = _send(pending, notify, store.mark_notified)
    if notify is not None and entered:
        report.audience_notified = _send(entered, notify, store.mark_audience_notified)
    clock.lap("relay")
    return report


class _Clock:
    """Milliseconds between successive laps, written into ``timings`` under each lap's name."""

    def __init__(self, timings: dict[str, float]) -> None:
        self.timings, self.last = timings, time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = (now - self.last) * 1000
        self.last = now


def _send(
    rows: Sequence[Notification | AudienceNotification],
    notify: Notifier,
    mark: Callable[[Sequence[int]], None],
) -> int:
    for start in range(0, len(rows), OUTBOX_PAGE):
        page = rows[start : start + OUTBOX_PAGE]
        notify(page)
        mark([n.id for n in page])
    return len(rows)


@dataclass
class DeferredRelay:
    """The outbox rows of committed (and acknowledged) batches, sent together rather than after
    every batch: when the stream is idle, when a page is full, or when the oldest has waited
    ``max_delay_s``. The next batch does not wait for a publish and a mark per batch; nothing
    is lost, since the rows stay in the store's outbox until marked sent (relayed at start
    after a crash: at-least-once, as before)."""

    store: ProfileStore
    notify: Notifier
    max_delay_s: float = 0.1
    segment: list[Notification] = field(default_factory=list)
    audience: list[AudienceNotification] = field(default_factory=list)
    since: float | None = None  # monotonic time of the oldest row held

    def add(self, report: BatchReport, now: float) -> None:
        if report.pending or report.audience_pending:
            self.segment.extend(report.pending)
            self.audience.extend(report.audience_pending)
            if self.since is None:
                self.since = now

    def due(self, now: float, *, idle: bool) -> bool:
        held = len(self.segment) + len(self.audience)
        if not held or self.since is None:
            return False
        return idle or held >= OUTBOX_PAGE or now >= self.since + self.max_delay_s

    def flush(self) -> tuple[int, int]:
        """Send and mark what is held: (segment, audience) notifications sent."""
        segment, audience = self.segment, self.audience
        self.segment, self.audience, self.since = [], [], None
        sent = _send(segment, self.notify, self.store.mark_notified) if segment else 0
        entered = _send(audience, self.notify, self.store.mark_audience_notified) if audience else 0
        return sent, entered


def relay_outbox(
    store: ProfileStore, notify: Notifier, *, page: int = OUTBOX_PAGE, audiences: bool = False
) -> int:
    """Send every pending notification, oldest first, marking each page once it is sent; with
    ``audiences`` the audience outbox too (after the segment one)."""
    sent = _relay(store.pending_notifications, store.mark_notified, notify, page)
    if audiences:
        sent += _relay(
            store.pending_audience_notifications, store.mark_audience_notified, notify, page
        )
    return sent


def _relay(
    pending_of: Callable[..., Sequence[Notification | AudienceNotification]],
    mark: Callable[[Sequence[int]], None],
    notify: Notifier,
    page: int,
) -> int:
    sent = 0
    while True:
        pending = pending_of(limit=page)
        if not pending:
            return sent
        notify(pending)
        mark([n.id for n in pending])
        sent += len(pending)
        if len(pending) < page:
            return sent


def bus_notifier(bus: Bus) -> Notifier:
    """Publish each notification as JSON to the bus's output queue/topic/stream."""

    def send(notifications: Sequence[Notification | AudienceNotification]) -> None:
        bus.publish([n.to_json() for n in notifications])

    return send


class WebhookError(CibleError):
    """The webhook kept refusing notifications after every retry."""


def webhook_notifier(
    url: str,
    *,
    attempts: int = 5,
    timeout_s: float = 5.0,
    backoff_s: float = 0.2,
    client: Any = None,
) -> Notifier:
    """POST each page of notifications as a JSON array to ``url``, retried with exponential
    backoff (tenacity, ``backoff_s`` then doubling, at most 5 s) on a connection error or a
    5xx/429 answer; any other 4xx is not retried. ``client``: an ``httpx.Client`` (tests)."""
    import httpx
    from tenacity import retry, retry_if_exception, stop_after_attempt, wait_exponential

    http = client if client is not None else httpx.Client(timeout=timeout_s)

    def retryable(e: BaseException) -> bool:
        if isinstance(e, httpx.HTTPStatusError):
            return e.response.status_code >= 500 or e.response.status_code == 429
        return isinstance(e, httpx.TransportError)

    @retry(
        retry=retry_if_exception(retryable),
        stop=stop_after_attempt(attempts),
        wait=wait_exponential(multiplier=backoff_s, max=5),
        reraise=True,
    )
    def deliver(body: bytes) -> None:
        response = http.post(url, content=body, headers={"content-type": "application/json"})
        response.raise_for_status()

    def send(notifications: Sequence[Notification | AudienceNotification]) -> None:
        body = b"[" + b",".join(n.to_json() for n in notifications) + b"]"
        try:
            deliver(body)
        except httpx.HTTPError as e:
            raise WebhookError(
                f"webhook {_mask(url)} refused {len(notifications)} notifications "
                f"({type(e).__name__}); retried {attempts} times at most, 4xx other than 429 "
                "never"
            ) from e

    return send


def combine(notifiers: Sequence[Notifier]) -> Notifier | None:
    """One notifier calling each of ``notifiers`` in turn (None when there is none)."""
    if not notifiers:
        return None
    if len(notifiers) == 1:
        return notifiers[0]

    def send(notifications: Sequence[Notification | AudienceNotification]) -> None:
        for notifier in notifiers:
            notifier(notifications)

    return send


def _mask(url: str) -> str:
    import re

    return re.sub(r"(//[^:/@]+:)[^@]+@", r"\1***@", url)


def enable_online_centroids(store: ProfileStore, max_shift_per_day: float) -> None:
    """``cible consume --online-centroids``: the active k-means model's centroids move with the
    stream, guarded by ``max_shift_per_day`` (docs/lifecycle.md#online-centroid-updates)."""
    from cible.lifecycle.online_centroids import OnlineCentroids

    store.enable_online_centroids(max_shift_per_day, OnlineCentroids)
