"""The consumer loop: receive a batch, hand it to :func:`cible.services.consume.process_batch`,
log counts, stop cleanly on SIGTERM/SIGINT (the batch in hand is finished and acknowledged)."""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from types import FrameType
from typing import TYPE_CHECKING

from cible.services.consume import (
    BatchReport,
    Bus,
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
) -> ConsumerStats:
    """Consume until ``stop`` is set (or a signal, or the source is finished, or nothing came
    for ``idle_exit_s``). Every batch is committed (with ``audiences``: its customers' audiences
    too), then acknowledged, then notified."""
    stop = stop or threading.Event()
    undo = _stop_on_signals(stop)
    stats = ConsumerStats()
    parse = parse or live_event_parser()
    last_summary = last_message = time.monotonic()
    _log("consumer started", batch_size=batch_size, max_wait_ms=round(max_wait_s * 1000, 3))
    try:
        if notify is not None:
            relayed = relay_outbox(store, notify, audiences=audiences is not None)
            _log("outbox relayed at start", notified=relayed)
        while not stop.is_set() and not bus.finished:
            messages = bus.receive(batch_size, max_wait_s)
            now = time.monotonic()
            if messages:
                last_message = now
            elif idle_exit_s is not None and now - last_message >= idle_exit_s:
                break
            report = process_batch(
                store,
                bus,
                messages,
                notify=notify,
                as_of=as_of,
                parse=parse,
                audiences=audiences,
                online=online,
            )
            if messages:
                stats.add(report)
                _log("batch committed", logging.DEBUG, **report.counts())
                if on_batch is not None:
                    on_batch(report)
            if now - last_summary >= SUMMARY_EVERY_S:
                _log("progress", batches=stats.batches, **stats.totals)
                last_summary = now
    finally:
        undo()
    _log("consumer stopped", batches=stats.batches, **stats.totals)
    return stats
