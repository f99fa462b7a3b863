"""In-process buses: a queue shared with the producer (tests, embedding), and a JSON-lines file or
standard input (``cible consume --bus inprocess --bus-url events.jsonl``, ``-`` for stdin)."""

from __future__ import annotations

import json
import queue
import sys
import threading
from collections.abc import Sequence
from typing import IO

from cible.services.consume import Message
from cible.stream.bus import Deadline


class InProcessBus:
    """A thread-safe queue with acknowledgements: what is received and not acknowledged comes
    back with :meth:`recover` (what a broker does when a consumer dies)."""

    def __init__(self) -> None:
        self._queue: queue.Queue[Message] = queue.Queue()
        self._lock = threading.Lock()
        self._unacked: dict[int, Message] = {}
        self._next = 0
        self.published: list[bytes] = []
        self.dead_letters: list[tuple[bytes, str]] = []
        self.acked = 0

    @property
    def finished(self) -> bool:
        return False

    def put(self, body: bytes, *, sent_at: float | None = None) -> None:
        self._queue.put(Message(body, None, sent_at))

    def receive(self, max_count: int, max_wait_s: float) -> list[Message]:
        deadline = Deadline(max_wait_s)
        out: list[Message] = []
        while len(out) < max_count:
            try:
                raw = (
                    self._queue.get(timeout=deadline.left())
                    if not out
                    else self._queue.get_nowait()
                )
            except queue.Empty:
                if out or deadline.left() <= 0:
                    break
                continue
            with self._lock:
                self._next += 1
                message = Message(raw.body, self._next, raw.sent_at, raw.redelivered)
                self._unacked[self._next] = message
            out.append(message)
        return out

    def ack(self, messages: Sequence[Message]) -> None:
        with self._lock:
            for m in messages:
                if self._unacked.pop(m.token, None) is not None:
                    self.acked += 1

    def recover(self) -> int:
        """Put every unacknowledged message back, marked redelivered; returns how many."""
        with self._lock:
            back = sorted(self._unacked.items())
            self._unacked.clear()
        for _, m in back:
            self._queue.put(Message(m.body, None, m.sent_at, redelivered=True))
        return len(back)

    def publish(self, bodies: Sequence[bytes]) -> None:
        with self._lock:
            self.published.extend(bodies)

    def dead_letter(self, message: Message, reason: str) -> None:
        with self._lock:
            self.dead_letters.append((message.body, reason))

    def pending(self) -> int:
        return self._queue.qsize()

    def close(self) -> None:
        self.recover()


class JsonLinesBus:
    """One event per line of a file (or stdin); notifications go to ``output`` as JSON lines,
    dead letters to ``dead`` as ``{"reason": ..., "message": ...}`` lines. Acknowledging is a
    no-op: a file is read once."""

    def __init__(
        self, source: IO[bytes], *, output: IO[str] | None = None, dead: IO[str] | None = None
    ) -> None:
        self._source = source
        self._output = output if output is not None else sys.stdout
        self._dead = dead if dead is not None else sys.stderr
        self._line = 0
        self._eof = False

    @property
    def finished(self) -> bool:
        return self._eof

    def receive(self, max_count: int, max_wait_s: float) -> list[Message]:
        out: list[Message] = []
        while len(out) < max_count and not self._eof:
            line = self._source.readline()
            if not line:
                self._eof = True
                break
            self._line += 1
            if line.strip():
                out.append(Message(line.rstrip(b"\r\n"), self._line))
        return out

    def ack(self, messages: Sequence[Message]) -> None:
        return None

    def publish(self, bodies: Sequence[bytes]) -> None:
        for body in bodies:
            self._output.write(body.decode("utf-8") + "\n")
        self._output.flush()

    def dead_letter(self, message: Message, reason: str) -> None:
        record = {
            "line": message.token,
            "reason": reason,
            "message": message.body.decode("utf-8", "replace"),
        }
        self._dead.write(json.dumps(record) + "\n")
        self._dead.flush()

    def close(self) -> None:
        if self._source is not sys.stdin.buffer:
            self._source.close()
