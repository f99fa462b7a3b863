"""Redis Streams through redis-py (the client Redis maintains).

A consumer group reads with XREADGROUP; a batch is XACKed after the store commit. On start the
consumer first re-reads its own pending entries (a restart under the same name), then takes over
with XAUTOCLAIM the entries another consumer of the group left pending for longer than
``claim_idle_ms`` (a consumer that died). Dead letters go to ``<stream>.dead`` with the reason;
notifications are XADDed to the output stream.
"""

from __future__ import annotations

import socket
from collections.abc import Sequence
from typing import Any

from cible.exceptions import BusError
from cible.services.consume import Message
from cible.stream.bus import DEFAULT_OUTPUT, DEFAULT_QUEUE, dead_name, mask, require

DEFAULT_URL = "redis://127.0.0.1:6379/0"
FIELD = b"event"


def _redis() -> Any:
    return require("redis", "redis", "redis", "The Redis Streams bus")


class RedisStreamBus:
    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        stream: str = DEFAULT_QUEUE,
        output: str | None = DEFAULT_OUTPUT,
        group: str = "cible-consume",
        consumer: str | None = None,
        claim_idle_ms: int = 30_000,
    ) -> None:
        redis = _redis()
        self.url, self.stream, self.output, self.dead = mask(url), stream, output, dead_name(stream)
        self.group, self.consumer = group, consumer or f"cible-{socket.gethostname()}"
        self._errors = redis.RedisError
        self._client = redis.Redis.from_url(url)
        try:
            self._client.xgroup_create(stream, group, id="0", mkstream=True)
        except redis.ResponseError as e:
            if "BUSYGROUP" not in str(e):
                raise BusError(f"Redis at {self.url}, stream '{stream}': {e}") from e
        except self._errors as e:
            raise BusError(f"Redis at {self.url}, stream '{stream}': {e}") from e
        self._backlog: list[Message] = []
        self._claim_idle_ms = claim_idle_ms
        self._recovered = False

    @property
    def finished(self) -> bool:
        return False

    def _recover(self) -> None:
        """Own pending entries first, then those a dead consumer left behind."""
        own = self._client.xreadgroup(self.group, self.consumer, {self.stream: "0"})
        for _name, entries in own or []:
            self._backlog.extend(self._message(i, f, True) for i, f in entries if f)
        start = "0-0"
        while True:
            start, entries, *_ = self._client.xautoclaim(
                self.stream, self.group, self.consumer, self._claim_idle_ms, start_id=start
            )
            self._backlog.extend(self._message(i, f, True) for i, f in entries if f)
            if start in (b"0-0", "0-0"):
                break

    @staticmethod
    def _message(entry_id: Any, fields: dict[bytes, bytes], redelivered: bool = False) -> Message:
        sent = fields.get(b"sent_at")
        return Message(fields.get(FIELD, b""), entry_id, float(sent) if sent else None, redelivered)

    def receive(self, max_count: int, max_wait_s: float) -> list[Message]:
        try:
            if not self._recovered:
                self._recover()
                self._recovered = True
            if self._backlog:
                out, self._backlog = self._backlog[:max_count], self._backlog[max_count:]
                return out
            block = max(1, int(max_wait_s * 1000))
            got = self._client.xreadgroup(
                self.group, self.consumer, {self.stream: ">"}, count=max_count, block=block
            )
        except self._errors as e:
            raise BusError(f"Redis at {self.url}, stream '{self.stream}': {e}") from e
        return [self._message(i, f) for _name, entries in got or [] for i, f in entries]

    def ack(self, messages: Sequence[Message]) -> None:
        if messages:
            try:
                self._client.xack(self.stream, self.group, *[m.token for m in messages])
            except self._errors as e:
                raise BusError(f"Redis at {self.url}: cannot XACK on '{self.stream}': {e}") from e

    def publish(self, bodies: Sequence[bytes]) -> None:
        if self.output and bodies:
            pipe = self._client.pipeline(transaction=False)
            for body in bodies:
                pipe.xadd(self.output, {FIELD: body})
            self._run(pipe, self.output)

    def dead_letter(self, message: Message, reason: str) -> None:
        pipe = self._client.pipeline(transaction=False)
        pipe.xadd(self.dead, {FIELD: message.body, b"reason": reason.encode("utf-8")})
        self._run(pipe, self.dead)

    def _run(self, pipe: Any, name: str) -> None:
        try:
            pipe.execute()
        except self._errors as e:
            raise BusError(f"Redis at {self.url}: cannot XADD to '{name}': {e}") from e

    def close(self) -> None:
        self._client.close()


def publish_events(url: str, stream: str, bodies: Sequence[bytes]) -> None:
    """XADD one entry per body to ``stream`` (producers, tests and benches)."""
    redis = _redis()
    client = redis.Redis.from_url(url)
    try:
        pipe = client.pipeline(transaction=False)
        for i, body in enumerate(bodies):
            pipe.xadd(stream, {FIELD: body})
            if i % 1000 == 999:
                pipe.execute()
        pipe.execute()
    finally:
        client.close()
