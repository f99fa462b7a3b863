"""Every bus adapter against its real server: what is published is received once, in order; what is
not acknowledged comes back after a reconnect; dead letters carry the reason; notifications reach
the output queue/topic/stream."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from cible.services.consume import Bus, Message
from tests.integration.conftest import unique

pytestmark = pytest.mark.integration


@dataclass
class Harness:
    """One server: open a bus on a name, produce to it, read back the side queues."""

    open: Callable[..., Bus]
    produce: Callable[[str, list[bytes]], None]
    read: Callable[[str], list[tuple[bytes, str | None]]]  # body, reason header
    drop: Callable[[list[str]], None]


def _rabbitmq(url: str) -> Harness:
    import pika

    from cible.stream.rabbitmq import RabbitMQBus, publish_events

    def read(queue: str) -> list[tuple[bytes, str | None]]:
        conn = pika.BlockingConnection(pika.URLParameters(url))
        ch = conn.channel()
        out = []
        while True:
            method, props, body = ch.basic_get(queue, auto_ack=True)
            if method is None:
                break
            out.append((body, (props.headers or {}).get("x-cible-reason")))
        conn.close()
        return out

    def drop(names: list[str]) -> None:
        conn = pika.BlockingConnection(pika.URLParameters(url))
        ch = conn.channel()
        for name in names:
            ch.queue_delete(name)
        conn.close()

    return Harness(
        lambda q, out, **kw: RabbitMQBus(url, queue=q, output=out, **kw),
        lambda q, bodies: publish_events(url, q, bodies),
        read,
        drop,
    )


def _redis(url: str) -> Harness:
    import redis

    from cible.stream.redis_streams import RedisStreamBus, publish_events

    client = redis.Redis.from_url(url)

    def read(stream: str) -> list[tuple[bytes, str | None]]:
        out = []
        for _id, fields in client.xrange(stream):
            reason = fields.get(b"reason")
            out.append((fields[b"event"], reason.decode() if reason else None))
        return out

    return Harness(
        lambda s, out, **kw: RedisStreamBus(url, stream=s, output=out, **kw),
        lambda s, bodies: publish_events(url, s, bodies),
        read,
        lambda names: client.delete(*names) and None,
    )


def _kafka(url: str) -> Harness:
    from confluent_kafka import Consumer

    from cible.stream.kafka import KafkaBus, create_topics, publish_events

    def read(topic: str) -> list[tuple[bytes, str | None]]:
        c = Consumer(
            {
                "bootstrap.servers": url,
                "group.id": unique("reader"),
                "auto.offset.reset": "earliest",
                "session.timeout.ms": 6000,
            }
        )
        c.subscribe([topic])
        out: list[tuple[bytes, str | None]] = []
        idle = 0
        while idle < 3 or (not out and idle < 15):
            got = [m for m in c.consume(100, 1.0) if m.error() is None]
            idle = 0 if got else idle + 1
            for m in got:
                headers = dict(m.headers() or [])
                reason = headers.get("x-cible-reason")
                out.append((m.value(), reason.decode() if reason else None))
        c.close()
        return out

    def open_bus(topic: str, out: str | None, **kw: Any) -> Bus:
        create_topics(url, [topic, topic + ".dead", *([out] if out else [])])
        return KafkaBus(url, topic=topic, output=out, **kw)

    def produce(topic: str, bodies: list[bytes]) -> None:
        create_topics(url, [topic])
        publish_events(url, topic, bodies)

    return Harness(open_bus, produce, read, lambda names: None)


@pytest.fixture(params=["rabbitmq", "redis", "kafka"])
def harness(request: pytest.FixtureRequest) -> Iterator[tuple[str, Harness]]:
    request.applymarker(getattr(pytest.mark, request.param))
    url = request.getfixturevalue(f"{request.param}_url")
    yield (
        request.param,
        {"rabbitmq": _rabbitmq, "redis": _redis, "kafka": _kafka}[request.param](url),
    )


def _bodies(n: int) -> list[bytes]:
    return [json.dumps({"n": i}).encode() for i in range(n)]


def _receive_all(bus: Bus, n: int, batch: int = 7, rounds: int = 200) -> list[Message]:
    got: list[Message] = []
    for _ in range(rounds):
        if len(got) >= n:
            break
        # ask for no more than is still wanted: a short batch (what the broker had sent so
        # far) followed by a full one must not take messages the caller meant to leave
        got.extend(bus.receive(min(batch, n - len(got)), 0.25))
    return got


def test_publish_receive_ack_and_redelivery(harness: tuple[str, Harness]) -> None:
    kind, h = harness
    name = unique("t.events")
    bodies = _bodies(50)
    h.produce(name, bodies)
    bus = h.open(name, None)
    try:
        first = _receive_all(bus, 30, batch=10)
        assert [m.body for m in first] == bodies[: len(first)]
        assert len(first) == 30  # never more than asked for
        bus.ack(first)
        rest = _receive_all(bus, 20, batch=10)
        assert [m.body for m in rest] == bodies[30:50]
        assert bus.receive(10, 0.3) == []  # nothing more
    finally:
        bus.close()  # the last 20 were never acknowledged
    kw = {"claim_idle_ms": 0, "consumer": "another"} if kind == "redis" else {}
    again = h.open(name, None, **kw)
    try:
        redelivered = _receive_all(again, 20, batch=10)
        assert [m.body for m in redelivered] == bodies[30:50]
        again.ack(redelivered)
        assert again.receive(10, 0.3) == []
    finally:
        again.close()
    h.drop([name, name + ".dead"])


def test_dead_letters_and_notifications(harness: tuple[str, Harness]) -> None:
    _kind, h = harness
    name, output = unique("t.events"), unique("t.segments")
    h.produce(name, [b"{not json", b'{"ok": 1}'])
    bus = h.open(name, output)
    try:
        got = _receive_all(bus, 2)
        bus.dead_letter(got[0], "body: not a JSON object")
        bus.publish([b'{"kind": "segment.entered"}', b'{"kind": "segment.exited"}'])
        bus.ack(got)
    finally:
        bus.close()
    assert h.read(name + ".dead") == [(b"{not json", "body: not a JSON object")]
    assert [body for body, _ in h.read(output)] == [
        b'{"kind": "segment.entered"}',
        b'{"kind": "segment.exited"}',
    ]
    h.drop([name, name + ".dead", output])


@pytest.mark.rabbitmq
def test_rabbitmq_gives_what_is_there_and_refuses_an_unrouted_notification(
    rabbitmq_url: str,
) -> None:
    from cible.exceptions import BusError

    h = _rabbitmq(rabbitmq_url)
    name, output = unique("t.events"), unique("t.segments")
    h.produce(name, _bodies(3))
    bus = h.open(name, output, prefetch=10)
    try:
        # 3 delivered, room for 100: the batch is what is there, not a wait for 97 more
        got: list[Message] = []
        for _ in range(40):
            if len(got) >= 3:
                break
            got.extend(bus.receive(100, 0.25))
        assert [m.body for m in got] == _bodies(3)
        bus.ack(got)
        assert bus.receive(100, 0.2) == []  # then nothing: the wait for a first one ends
        h.drop([output])  # the notifications' queue is gone: a publish is not durable
        with pytest.raises(BusError, match=r"routed to no queue"):
            bus.publish([b'{"kind": "segment.entered"}'])
    finally:
        bus.close()
    h.drop([name, name + ".dead"])


@pytest.mark.rabbitmq
def test_rabbitmq_flushes_a_lingering_batch_when_full_or_when_its_oldest_has_waited(
    rabbitmq_url: str,
) -> None:
    h = _rabbitmq(rabbitmq_url)
    name = unique("t.events")
    h.produce(name, _bodies(7))
    bus = h.open(name, None, prefetch=10, linger_s=30.0)
    try:
        # a linger of 30 s: the batch of 5 is handed over because it is full, at once
        first: list[Message] = []
        for _ in range(40):
            first = bus.receive(5, 0.25)
            if first:
                break
        assert [m.body for m in first] == _bodies(7)[:5]
        assert all(m.received_at is not None for m in first)
        bus.linger_s = 0.05  # the 2 left never fill a batch of 5: handed over by the linger
        rest: list[Message] = []
        for _ in range(40):
            if len(rest) >= 2:
                break
            rest.extend(bus.receive(5, 0.25))
        assert [m.body for m in rest] == _bodies(7)[5:]
        bus.ack(first + rest)
    finally:
        bus.close()
    h.drop([name, name + ".dead"])
