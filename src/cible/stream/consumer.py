"""The consumer loop: receive a batch, hand it to :func:`cible.services.consume.process_batch`,
log counts, stop cleanly on SIGTERM/SIGINT (the batch in hand is finished and acknowledged)."""

from __future__ import annotations

import gc
import json
import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from types import FrameType
from typing import TYPE_CHECKING

from cible.services.consume import (
    BatchReport,
    Bus,
    DeferredRelay,
    Message,
    Notifier,
    Parse,
    live_event_parser,
    process_batch,
    relay_outbox,
)

if TYPE_CHECKING:
    from cible.services.live_audiences import LiveAudiences
    from cible.store import ProfileStore
    from cible.store.online import OnlineStore

LOG = logging.getLogger("cible.stream")
SUMMARY_EVERY_S = 10.0
RELAY_EVERY_S = 0.1  # the longest a committed change waits to be notified while busy


@dataclass(slots=True)
class ConsumerStats:
    """Totals since the consumer started."""

    batches: int = 0
    totals: dict[str, int] = field(default_factory=dict)

    def add(self, report: BatchReport) -> None:
        self.batches += 1
        for key, value in report.counts().items():
            self.totals[key] = self.totals.get(key, 0) + value


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the record's ``counts``."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created)
            .astimezone()
            .isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info and record.exc_info[0] is not None:
            entry["error"] = record.exc_info[0].__name__
        return json.dumps(entry)


def _log(message: str, level: int = logging.INFO, **fields: object) -> None:
    LOG.log(level, message, extra={"fields": fields})


def _stop_on_signals(stop: threading.Event) -> Callable[[], None]:
    """Set ``stop`` on SIGTERM/SIGINT (main thread only); returns the undo."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum: int, _frame: FrameType | None) -> None:
        _log("stop requested", signal=signal.Signals(signum).name)
        stop.set()

    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}

    def undo() -> None:
        for signum, old in previous.items():
            signal.signal(signum, old)

    return undo


def _ms(report: BatchReport) -> dict[str, float]:
    """The batch's step times as ``<step>_ms`` (and the oldest message's wait before the batch
    started, ``queue_ms``: in the broker and the socket, then in the adapter's buffer)."""
    out = {f"{step}_ms": round(ms, 3) for step, ms in report.timings.items()}
    if report.sent_at:
        out["queue_ms"] = round((report.started_at - min(report.sent_at)) * 1000, 3)
    return out


def run_consumer(
    bus: Bus,
    store: ProfileStore,
    *,
    batch_size: int = 500,
    max_wait_s: float = 0.02,
    notify: Notifier | None = None,
    as_of: datetime | None = None,
    stop: threading.Event | None = None,
    on_batch: Callable[[BatchReport], None] | None = None,
    idle_exit_s: float | None = None,
    parse: Parse | None = None,
    audiences: LiveAudiences | None = None,
    online: OnlineStore | None = None,
    relay_every_s: float = RELAY_EVERY_S,
    freeze_gc: bool = True,
) -> ConsumerStats:
    """Consume until ``stop`` is set (or a signal, or the source is finished, or nothing came
    for ``idle_exit_s``). Every batch is committed (with ``audiences``: its audiences too), then
    acknowledged, then notified: after it when ``relay_every_s`` is 0, else by a DeferredRelay;
    ``freeze_gc``: after the first batch, what is alive is frozen (:func:`gc.freeze`)."""
    stop = stop or threading.Event()
    undo = _stop_on_signals(stop)
    stats = ConsumerStats()
    parse = parse or live_event_parser()
    live = audiences is not None
    deferred = DeferredRelay(store, notify, relay_every_s) if notify and relay_every_s else None
    process = partial(
        process_batch,
        store,
        bus,
        notify=notify,
        as_of=as_of,
        parse=parse,
        audiences=audiences,
        online=online,
        relay=deferred is None,
    )
    last_summary = last_message = time.monotonic()
    _log("consumer started", batch_size=batch_size, max_wait_ms=round(max_wait_s * 1000, 3))
    try:
        if notify is not None:
            _log("outbox relayed at start", notified=relay_outbox(store, notify, audiences=live))
        while not stop.is_set() and not bus.finished:
            messages, receive_ms = _receive(bus, batch_size, max_wait_s)
            now = time.monotonic()
            if messages:
                last_message = now
            elif idle_exit_s is not None and now - last_message >= idle_exit_s:
                break
            report = process(messages)
            report.timings["receive"] = receive_ms
            _after(stats, report, deferred, on_batch, freeze_gc)
            last_summary = _progress(stats, now, last_summary)
        if deferred is not None:  # a clean stop: what is held goes out now
            _count_relayed(stats, deferred.flush())
    finally:
        undo()
    _log("consumer stopped", batches=stats.batches, **stats.totals)
    return stats


def _receive(bus: Bus, batch_size: int, max_wait_s: float) -> tuple[list[Message], float]:
    """The next batch and the milliseconds its receive took."""
    began = time.perf_counter()
    messages = bus.receive(batch_size, max_wait_s)
    return messages, (time.perf_counter() - began) * 1000


def _after(
    stats: ConsumerStats,
    report: BatchReport,
    deferred: DeferredRelay | None,
    on_batch: Callable[[BatchReport], None] | None,
    freeze_gc: bool,
) -> None:
    """What follows a batch's ack: the deferred relay when due, then counts, logs, callback
    (an empty receive counts as idle)."""
    if deferred is not None:
        _relay_when_due(deferred, report, stats, idle=not report.received)
    if report.received:
        _batch_done(stats, report, on_batch, freeze_gc)


def _progress(stats: ConsumerStats, now: float, last: float) -> float:
    """Log the totals every SUMMARY_EVERY_S; the time of the last summary."""
    if now - last < SUMMARY_EVERY_S:
        return last
    _log("progress", batches=stats.batches, **stats.totals)
    return now


def _relay_when_due(
    deferred: DeferredRelay, report: BatchReport, stats: ConsumerStats, *, idle: bool
) -> None:
    deferred.add(report, time.monotonic())
    if deferred.due(time.monotonic(), idle=idle):
        began = time.perf_counter()
        _count_relayed(stats, deferred.flush())
        report.timings["relay"] = (time.perf_counter() - began) * 1000


def _count_relayed(stats: ConsumerStats, sent: tuple[int, int]) -> None:
    for key, n in zip(("notified", "audience_notified"), sent, strict=True):
        stats.totals[key] = stats.totals.get(key, 0) + n


def _batch_done(
    stats: ConsumerStats,
    report: BatchReport,
    on_batch: Callable[[BatchReport], None] | None,
    freeze_gc: bool,
) -> None:
    if freeze_gc and stats.batches == 0:
        gc.collect()
        gc.freeze()
    stats.add(report)
    if LOG.isEnabledFor(logging.DEBUG):  # --log-level debug: the latency breakdown
        _log("batch committed", logging.DEBUG, **report.counts(), **_ms(report))
    if on_batch is not None:
        on_batch(report)
