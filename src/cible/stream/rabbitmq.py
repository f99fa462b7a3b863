"""RabbitMQ through pika (the official Python client, blocking connection).

A durable queue of persistent messages; manual acknowledgements with a prefetch of two batches and
one ``basic_ack(multiple=True)`` of the batch after the store commit; a second, transactional
channel publishes notifications and dead letters (``<queue>.dead``, reason in the headers): a page
of notifications is one ``tx.commit``, which RabbitMQ answers once the persistent messages are on
its disk (a message that no queue took comes back as a ``basic.return`` and is an error), so both
are durable before the batch is acknowledged. One commit per page rather than one publisher
confirm per message: the pika blocking channel waits for each confirm in turn (about 1 ms each
here), which made relaying the notifications of a 500-event batch cost more than applying it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from cible.exceptions import BusError
from cible.services.consume import Message
from cible.stream.bus import (
    DEFAULT_OUTPUT,
    DEFAULT_QUEUE,
    Deadline,
    FlushPolicy,
    dead_name,
    mask,
    require,
)

DEFAULT_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
PERSISTENT = 2


def _pika() -> Any:
    return require("pika", "pika", "rabbitmq", "The RabbitMQ bus")


class RabbitMQBus:
    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        queue: str = DEFAULT_QUEUE,
        output: str | None = DEFAULT_OUTPUT,
        prefetch: int = 1000,
        linger_s: float = 0.0,
    ) -> None:
        pika = _pika()
        self.url, self.queue, self.output = mask(url), queue, output
        self.dead = dead_name(queue)
        self.linger_s = FlushPolicy(1, linger_s).max_linger_s  # checked
        self._buffer: list[Message] = []
        self._arrived: list[float] = []  # monotonic receive time of each buffered message
        self._returned: list[str] = []
        try:
            self._connection = pika.BlockingConnection(pika.URLParameters(url))
            self._channel = self._connection.channel()
            self._publisher = self._connection.channel()
            self._publisher.tx_select()
            self._publisher.add_on_return_callback(self._on_return)
            for name in filter(None, (queue, self.dead, output)):
                self._channel.queue_declare(queue=name, durable=True)
            self._channel.basic_qos(prefetch_count=prefetch)
            self._tag = self._channel.basic_consume(queue, self._on_message, auto_ack=False)
        except pika.exceptions.AMQPError as e:
            raise BusError(f"RabbitMQ at {self.url}, queue '{queue}': {e!r}") from e
        self._errors = pika.exceptions.AMQPError
        self._properties = pika.BasicProperties

    @property
    def finished(self) -> bool:
        return False

    def _on_message(self, _ch: Any, method: Any, props: Any, body: bytes) -> None:
        headers = props.headers or {}
        sent = headers.get("sent_at")
        self._buffer.append(
            Message(
                body,
                method.delivery_tag,
                float(sent) if sent is not None else None,
                bool(method.redelivered),
                time.time(),
            )
        )
        self._arrived.append(time.monotonic())

    def receive(self, max_count: int, max_wait_s: float) -> list[Message]:
        """Up to ``max_count`` messages: wait at most ``max_wait_s`` for the first one, then
        take what the broker has already sent, and hand the batch over by the
        :class:`~cible.stream.bus.FlushPolicy` (full, or its oldest message received
        ``linger_s`` ago; 0 by default: no further wait). A backlog gives full batches (the
        prefetch keeps the next batch in the socket while one is applied); a slow stream gives
        small batches at once, so that an event waits for no batch to fill."""
        policy = FlushPolicy(max_count, self.linger_s)
        deadline = Deadline(max_wait_s)
        try:
            while True:
                before = len(self._buffer)
                self._connection.process_data_events(time_limit=0)  # what the socket holds
                now = time.monotonic()
                grew = len(self._buffer) > before
                due = policy.reason(len(self._buffer), self._oldest(), now)
                if due == "size" or (due and not grew):
                    break
                if grew:
                    continue  # more may be in the socket already: drain it first
                oldest = self._oldest()
                left = deadline.left() if oldest is None else policy.wait_s(oldest, now)
                if left <= 0:
                    break
                self._connection.process_data_events(time_limit=left)
        except self._errors as e:
            raise BusError(f"RabbitMQ at {self.url}, queue '{self.queue}': {e!r}") from e
        out, self._buffer = self._buffer[:max_count], self._buffer[max_count:]
        self._arrived = self._arrived[max_count:]
        return out

    def _oldest(self) -> float | None:
        return self._arrived[0] if self._arrived else None

    def ack(self, messages: Sequence[Message]) -> None:
        if messages:
            last = max(int(m.token) for m in messages)
            self._channel.basic_ack(delivery_tag=last, multiple=True)

    def _on_return(self, _ch: Any, method: Any, _props: Any, _body: bytes) -> None:
        self._returned.append(f"{method.routing_key} ({method.reply_text})")

    def _send(self, queue: str, bodies: Sequence[bytes], headers: dict[str, Any] | None) -> None:
        """Publish ``bodies`` to ``queue`` in one transaction; durable when it returns."""
        props = self._properties(
            delivery_mode=PERSISTENT, content_type="application/json", headers=headers
        )
        try:
            for body in bodies:
                self._publisher.basic_publish("", queue, body, props, mandatory=True)
            self._publisher.tx_commit()
            self._connection.process_data_events(time_limit=0)  # dispatch any basic.return
        except self._errors as e:
            raise BusError(f"RabbitMQ at {self.url}: cannot publish to '{queue}': {e!r}") from e
        if self._returned:
            returned, self._returned = self._returned, []
            raise BusError(
                f"RabbitMQ at {self.url}: {len(returned)} message(s) to '{queue}' were routed "
                f"to no queue: {returned[0]}"
            )

    def publish(self, bodies: Sequence[bytes]) -> None:
        if self.output and bodies:
            self._send(self.output, bodies, None)

    def dead_letter(self, message: Message, reason: str) -> None:
        headers = {"x-cible-reason": reason, "x-cible-queue": self.queue}
        self._send(self.dead, [message.body], headers)

    def close(self) -> None:
        try:
            if self._connection.is_open:
                self._connection.close()
        except self._errors:
            pass


def publish_events(
    url: str, queue: str, bodies: Sequence[bytes], *, stamp: bool = False, rate: float = 0.0
) -> None:
    """Publish persistent messages to a durable queue (producers, tests and benches); ``stamp``
    puts the send time in the ``sent_at`` header, ``rate`` paces them (messages per second)."""
    pika = _pika()
    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        channel = connection.channel()
        channel.queue_declare(queue=queue, durable=True)
        start = time.monotonic()
        for i, body in enumerate(bodies):
            if rate:
                wait = start + i / rate - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
            headers = {"sent_at": repr(time.time())} if stamp else None  # AMQP has no float
            props = pika.BasicProperties(delivery_mode=PERSISTENT, headers=headers)
            channel.basic_publish("", queue, body, props)
    finally:
        connection.close()
