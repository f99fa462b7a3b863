"""``--bus NAME --bus-url URL --queue NAME`` -> a bus adapter (clients imported only when used)."""

from __future__ import annotations

import sys
from pathlib import Path

from cible.exceptions import ConfigError
from cible.services.consume import Bus
from cible.stream.bus import DEFAULT_OUTPUT, DEFAULT_QUEUE

BUSES = ("inprocess", "rabbitmq", "kafka", "redis")


def open_bus(
    kind: str,
    url: str | None = None,
    *,
    queue: str = DEFAULT_QUEUE,
    output: str | None = DEFAULT_OUTPUT,
    batch_size: int = 500,
    group: str = "cible-consume",
    consumer: str | None = None,
    linger_s: float = 0.0,
) -> Bus:
    """The adapter for ``kind``; ``queue`` is the queue, topic or stream the events come from,
    ``output`` where notifications go (None: nowhere on the bus), ``consumer`` the stable name
    of this consumer in a Redis group (default ``cible-<hostname>``), ``linger_s`` the
    RabbitMQ flush policy's (:class:`cible.stream.bus.FlushPolicy`)."""
    if kind == "rabbitmq":
        from cible.stream.rabbitmq import DEFAULT_URL, RabbitMQBus

        return RabbitMQBus(
            url or DEFAULT_URL,
            queue=queue,
            output=output,
            prefetch=2 * batch_size,
            linger_s=linger_s,
        )
    if kind == "kafka":
        from cible.stream.kafka import DEFAULT_URL as KAFKA_URL
        from cible.stream.kafka import KafkaBus

        return KafkaBus(url or KAFKA_URL, topic=queue, output=output, group=group)
    if kind == "redis":
        from cible.stream.redis_streams import DEFAULT_URL as REDIS_URL
        from cible.stream.redis_streams import RedisStreamBus

        return RedisStreamBus(
            url or REDIS_URL, stream=queue, output=output, group=group, consumer=consumer
        )
    if kind == "inprocess":
        return _jsonl(url)
    raise ConfigError(f"--bus '{kind}' is not a bus: use one of {', '.join(BUSES)}")


def _jsonl(url: str | None) -> Bus:
    """A JSON-lines file (``file:PATH`` or ``PATH``) or ``-`` for stdin; dead letters go to
    ``PATH.dead.jsonl`` (``dead-letters.jsonl`` in the working folder for stdin)."""
    from cible.stream.inprocess import JsonLinesBus

    if url in (None, "-"):
        return JsonLinesBus(
            sys.stdin.buffer, dead=open("dead-letters.jsonl", "a", encoding="utf-8")
        )
    path = Path(url.removeprefix("file:"))
    if not path.is_file():
        raise ConfigError(f"--bus-url '{url}': no such file (the inprocess bus reads JSON lines)")
    dead = path.with_name(path.name + ".dead.jsonl").open("a", encoding="utf-8")
    return JsonLinesBus(path.open("rb"), dead=dead)
