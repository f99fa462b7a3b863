"""Count what one store call costs the database: the statements SQLAlchemy executes and, on
PostgreSQL, the round trips (what the client waits for: each ``Sync`` of the extended protocol
and each simple ``Query``, read from libpq's protocol trace, plus the pool's pings). The tests
pin these counts and ``bench/realtime.py`` prints them; both are independent of the load."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

# a message the frontend sent, as libpq's trace writes it: time, F, length, type, text
_SENT = re.compile(r"^\S+ \S+\tF\t\d+\t(\w+)")


@dataclass
class Trace:
    statements: list[str] = field(default_factory=list)  # first words of each
    pings: int = 0
    sent: list[str] = field(default_factory=list)  # protocol messages (PostgreSQL only)

    @property
    def round_trips(self) -> int:
        """Syncs and simple queries sent, plus pings (None-free: 0 on SQLite)."""
        return sum(kind in ("Sync", "Query") for kind in self.sent) + self.pings


@contextmanager
def traced(engine: Engine) -> Iterator[Trace]:
    """Record the statements (and on PostgreSQL the protocol messages) of ``engine`` inside."""
    trace = Trace()
    postgresql = engine.dialect.name == "postgresql"

    def on_statement(*args: Any) -> None:
        trace.statements.append(" ".join(args[2].split()[:4]))

    dialect: Any = engine.dialect
    original = dialect.do_ping

    def ping(dbapi: Any) -> Any:
        trace.pings += 1
        return original(dbapi)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "libpq.trace"
        out = path.open("w")

        def on_checkout(dbapi: Any, _record: Any, _proxy: Any) -> None:
            dbapi.pgconn.trace(out.fileno())

        def on_checkin(dbapi: Any, _record: Any) -> None:
            if dbapi is not None:
                dbapi.pgconn.untrace()  # flushes libpq's buffer

        listeners = [("before_cursor_execute", on_statement)]
        if postgresql:
            listeners += [("checkout", on_checkout), ("checkin", on_checkin)]
        for name, fn in listeners:
            sa.event.listen(engine, name, fn)
        dialect.do_ping = ping
        try:
            yield trace
        finally:
            dialect.do_ping = original
            for name, fn in listeners:
                sa.event.remove(engine, name, fn)
            out.close()
            for line in path.read_text(errors="replace").splitlines():
                match = _SENT.match(line)
                if match:
                    trace.sent.append(match.group(1))
