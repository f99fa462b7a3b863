"""Profile change announcements on PostgreSQL: ``NOTIFY`` in the writing transaction, ``LISTEN``
in the service, so that a process caching profiles drops the ones another process (the stream
consumer) changed as soon as that commit is visible, not after a TTL.

The payload is the changed customer ids, one per line, in chunks under PostgreSQL's 8,000-byte
limit (empty: any profile may have changed, after a publish or a bulk load); a notification is delivered only if its transaction commits (and then after the commit).
SQLite has no such channel: there the cache's TTL alone bounds staleness.

The channel is the store's own: ``cible_profiles_`` and 16 hex digits of the md5 of the schema
the connection works in (``current_schema()``, computed by the server in the same statement), so
that two stores in two schemas of one database (a staging and a production store, tests running
side by side) never hear each other's changes; the hash keeps the name under PostgreSQL's
63-byte identifier limit whatever the schema's name."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from cible.store.db import DISCARD_ROWS

CHANNEL = "cible_profiles"
# the store's channel, evaluated by the server in the connection's schema (see the docstring)
CHANNEL_SQL = f"'{CHANNEL}_' || left(md5(current_schema()), 16)"
PAYLOAD_MAX = 7900  # bytes; the server refuses 8,000 and more
RETRY_S = 1.0
LOG = logging.getLogger("cible.store")


def _chunks(customer_ids: Sequence[str]) -> Iterator[str]:
    part: list[str] = []
    size = 0
    for cid in customer_ids:
        n = len(cid.encode("utf-8")) + 1
        if part and size + n > PAYLOAD_MAX:
            yield "\n".join(part)
            part, size = [], 0
        part.append(cid)
        size += n
    if part:
        yield "\n".join(part)


def announce(conn: Connection, customer_ids: Sequence[str]) -> None:
    """Queue a notification of ``customer_ids`` in the current transaction (PostgreSQL)."""
    if conn.dialect.name != "postgresql" or not customer_ids:
        return
    notify = sa.text(f"SELECT pg_notify({CHANNEL_SQL}, :p)")
    for payload in _chunks(customer_ids):  # its row is void: queued in a pipelined transaction
        conn.execute(notify, {"p": payload}, execution_options={DISCARD_ROWS: True})


def announce_all(conn: Connection) -> None:
    """Queue the notification that any profile may have changed (a publish, a bulk load): an
    empty payload, which no customer id is."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text(f"SELECT pg_notify({CHANNEL_SQL}, '')"))


class ChangeListener:
    """A daemon thread LISTENing on the store's channel over its own connection: ``on_change(ids)``
    for each notification; ``on_reset()`` whenever the connection is (re)opened, since changes
    made while it was down were not heard (the caller drops its whole cache)."""

    def __init__(
        self,
        engine: Engine,
        on_change: Callable[[list[str]], None],
        on_reset: Callable[[], None],
    ) -> None:
        self.engine, self.on_change, self.on_reset = engine, on_change, on_reset
        self.stop = threading.Event()
        self.listening = threading.Event()
        self.thread = threading.Thread(target=self._run, name="cible-profile-changes", daemon=True)

    def start(self) -> ChangeListener:
        self.thread.start()
        return self

    def close(self, timeout_s: float = 5.0) -> None:
        self.stop.set()
        self.thread.join(timeout_s)

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                self._listen()
            except Exception as e:  # any failure: reconnect, never die
                self.listening.clear()
                LOG.warning("profile change feed lost (%s); reconnecting", type(e).__name__)
                self.stop.wait(RETRY_S)

    def _listen(self) -> None:
        raw = self.engine.raw_connection()
        driver: Any = raw.driver_connection
        raw.detach()  # a connection of its own, never returned to the pool
        try:
            driver.rollback()
            driver.autocommit = True
            row = driver.execute(f"SELECT {CHANNEL_SQL}").fetchone()
            driver.execute(f'LISTEN "{row[0]}"')  # a name of hex digits: nothing to escape
            self.on_reset()
            self.listening.set()
            while not self.stop.is_set():
                for note in driver.notifies(timeout=0.5):
                    if note.payload:
                        self.on_change(note.payload.split("\n"))
                    else:
                        self.on_reset()
        finally:
            driver.close()
