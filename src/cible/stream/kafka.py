"""Kafka through confluent-kafka (librdkafka, the client Confluent maintains).

``enable.auto.commit=false``: the offsets of a batch are committed synchronously only after the
store commit, so a consumer killed in between re-reads the batch and the store skips what it has
already applied. Consumers of one group share the topic's partitions (scaling = partitions).
Dead letters go to ``<topic>.dead`` with the reason in the headers; notifications to the output
topic, flushed (delivered to the broker) before the batch is committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cible.exceptions import BusError
from cible.services.consume import Message
from cible.stream.bus import DEFAULT_OUTPUT, DEFAULT_QUEUE, dead_name, require

DEFAULT_URL = "127.0.0.1:9092"
FLUSH_TIMEOUT_S = 30.0


def _kafka() -> Any:
    return require("confluent_kafka", "confluent-kafka", "kafka", "The Kafka bus")


class KafkaBus:
    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        topic: str = DEFAULT_QUEUE,
        output: str | None = DEFAULT_OUTPUT,
        group: str = "cible-consume",
        session_timeout_ms: int = 6000,
    ) -> None:
        ck = _kafka()
        self.url, self.topic, self.output, self.dead = url, topic, output, dead_name(topic)
        self._errors = ck.KafkaException
        self._partition = ck.TopicPartition
        common = {"bootstrap.servers": url}
        try:
            self._consumer = ck.Consumer(
                common
                | {
                    "group.id": group,
                    "enable.auto.commit": False,
                    "auto.offset.reset": "earliest",
                    "session.timeout.ms": session_timeout_ms,
                    "heartbeat.interval.ms": max(100, session_timeout_ms // 6),
                }
            )
            self._producer = ck.Producer(common | {"acks": "all", "enable.idempotence": False})
            self._consumer.subscribe([topic])
        except self._errors as e:
            raise BusError(f"Kafka at {url}, topic '{topic}': {e}") from e

    @property
    def finished(self) -> bool:
        return False

    def receive(self, max_count: int, max_wait_s: float) -> list[Message]:
        try:
            raw = self._consumer.consume(num_messages=max_count, timeout=max_wait_s)
        except self._errors as e:
            raise BusError(f"Kafka at {self.url}, topic '{self.topic}': {e}") from e
        out = []
        for m in raw:
            if m.error() is not None:
                if m.error().fatal():
                    raise BusError(f"Kafka at {self.url}, topic '{self.topic}': {m.error()}")
                continue  # partition EOF and other informational events
            _kind, stamp = m.timestamp()
            out.append(
                Message(
                    m.value() or b"",
                    (m.partition(), m.offset()),
                    stamp / 1000 if stamp > 0 else None,
                )
            )
        return out

    def ack(self, messages: Sequence[Message]) -> None:
        if not messages:
            return
        last: dict[int, int] = {}
        for m in messages:
            partition, offset = m.token
            last[partition] = max(offset, last.get(partition, -1))
        offsets = [self._partition(self.topic, p, o + 1) for p, o in sorted(last.items())]
        self._flush()
        try:
            self._consumer.commit(offsets=offsets, asynchronous=False)
        except self._errors as e:
            raise BusError(
                f"Kafka at {self.url}: cannot commit offsets of '{self.topic}': {e}"
            ) from e

    def _flush(self) -> None:
        left = self._producer.flush(FLUSH_TIMEOUT_S)
        if left:
            raise BusError(
                f"Kafka at {self.url}: {left} messages not delivered after {FLUSH_TIMEOUT_S} s"
            )

    def publish(self, bodies: Sequence[bytes]) -> None:
        if self.output:
            for body in bodies:
                self._produce(self.output, body)
            self._flush()

    def _produce(
        self, topic: str, body: bytes, headers: list[tuple[str, bytes]] | None = None
    ) -> None:
        while True:
            try:
                self._producer.produce(topic, body, headers=headers)
                return
            except BufferError:
                self._producer.poll(0.1)

    def dead_letter(self, message: Message, reason: str) -> None:
        self._produce(self.dead, message.body, [("x-cible-reason", reason.encode("utf-8"))])
        self._flush()

    def close(self) -> None:
        try:
            self._producer.flush(FLUSH_TIMEOUT_S)
            self._consumer.close()
        except (self._errors, RuntimeError):
            pass


def create_topics(url: str, names: Sequence[str], *, partitions: int = 1) -> None:
    """Create topics (if absent) on the broker at ``url``."""
    ck = _kafka()
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": url})
    futures = admin.create_topics(
        [NewTopic(n, num_partitions=partitions, replication_factor=1) for n in names]
    )
    for name, future in futures.items():
        try:
            future.result()
        except ck.KafkaException as e:
            if e.args[0].code() != ck.KafkaError.TOPIC_ALREADY_EXISTS:
                raise BusError(f"Kafka at {url}: cannot create topic '{name}': {e}") from e


def publish_events(url: str, topic: str, bodies: Sequence[bytes], *, key: Any = None) -> None:
    """Produce messages to ``topic`` and wait until the broker has them; ``key(body)`` picks
    the partition key (the customer id keeps one customer's events in order)."""
    ck = _kafka()
    producer = ck.Producer({"bootstrap.servers": url, "acks": "all", "linger.ms": 5})
    for body in bodies:
        while True:
            try:
                producer.produce(topic, body, key=key(body) if key else None)
                break
            except BufferError:
                producer.poll(0.1)
    if producer.flush(FLUSH_TIMEOUT_S):
        raise BusError(f"Kafka at {url}: messages to '{topic}' not delivered")
