"""Nothing lost, nothing counted twice: ``cible consume`` killed with SIGKILL at random moments.

A stream of events from a generated world, with malformed messages planted in it, goes through a
real broker into a PostgreSQL store (random schema) holding a published segmentation. The
consumer (``cible consume``, a subprocess) is killed with SIGKILL at least 5 times at seeded random
moments and restarted; at the end every profile equals the batch recompute of the same events at
the same as_of (features and segment), and the dead letters hold exactly the planted messages.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.integration.conftest import unique
from tests.integration.stream_world import LiveWorld, live_world, publish_world, with_malformed

pytestmark = [pytest.mark.integration, pytest.mark.postgresql]

ROOT = Path(__file__).resolve().parents[2]
PG_STORE_URL = os.environ.get(
    "CIBLE_POSTGRES_STORE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
CLI = "from cible.cli.main import app; app()"
KILLS = 6
PLANTED = 30


@pytest.fixture(scope="module")
def published_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A batch run of a 1,000-customer world (its segmentation is what the stores publish)."""
    folder = tmp_path_factory.mktemp("published")
    from cible.services.demo import run_demo

    run_demo(folder, customers=1000, seed=42)
    return folder


@pytest.fixture
def pg_store(published_run: Path) -> Iterator[tuple[Any, str]]:
    from cible.exceptions import CibleError
    from cible.store import ProfileStore

    schema = f"cible_test_{os.urandom(8).hex()}"
    try:
        store = ProfileStore.open(PG_STORE_URL, schema=schema)
    except CibleError as e:
        pytest.fail(f"the PostgreSQL store at {PG_STORE_URL} cannot be opened: {e}", pytrace=False)
    try:
        publish_world(published_run, PG_STORE_URL, schema=schema)
        yield store, schema
    finally:
        _drop_schema(schema)
        store.close()


def _drop_schema(schema: str) -> None:
    import psycopg

    with psycopg.connect(PG_STORE_URL.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _consumer(args: list[str], schema: str, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "CIBLE_STORE_SCHEMA": schema}
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-c", CLI, "consume", *args],
            stdout=subprocess.DEVNULL,
            stderr=out,
            env=env,
            cwd=ROOT,
        )


def _wait_for(log: Path, marker: str, count: int, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.read_text(encoding="utf-8").count(marker) >= count:
            return
        time.sleep(0.01)
    pytest.fail(f"no {count} {marker} lines within {timeout} s:\n{log.read_text()[-3000:]}")


def _kill_and_restart(
    args: list[str], schema: str, log: Path, seed: int, most: int, idle_exit_s: int = 5
) -> list[int]:
    """``KILLS`` times: start, let it commit a seeded random number of batches (1 to ``most``:
    ``KILLS * most`` must stay under the batches of the stream), wait a
    random fraction of a batch more (the kill lands while receiving, applying, committing,
    acknowledging or relaying), SIGKILL. Then one last run to the end of the stream. Returns
    the number of batches each killed run was given."""
    rng = random.Random(seed)
    args = [*args, "--log-level", "debug"]
    committed = 0
    plan = []
    for k in range(1, KILLS + 1):
        proc = _consumer(args, schema, log)
        _wait_for(log, '"consumer started"', k)
        batches = rng.randint(1, most)
        plan.append(batches)
        committed += batches
        _wait_for(log, '"batch committed"', committed)
        time.sleep(rng.uniform(0, 0.3))
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(30) == -signal.SIGKILL
        committed = log.read_text(encoding="utf-8").count('"batch committed"')
    last = _consumer([*args, "--idle-exit-s", str(idle_exit_s)], schema, log)
    assert last.wait(170) == 0, log.read_text()[-3000:]
    return plan


def _assert_parity(store: Any, world: LiveWorld) -> None:
    """Every streamed customer's profile (get_profile) equals the batch features at as_of, and
    its segment is the published model's prediction from them."""
    from concurrent.futures import ThreadPoolExecutor

    model = store.current_model()
    expected = pd.Series(model.predict(world.features), index=world.features.index)
    ids = [str(c) for c in world.features.index]
    with ThreadPoolExecutor(4) as pool:
        profiles = dict(zip(ids, pool.map(store.get_profile, ids), strict=True))
    mismatched: list[str] = []
    for cid, row in world.features.iterrows():
        profile = profiles[str(cid)]
        assert profile is not None, f"no profile for streamed customer {cid}"
        got = np.array(
            [np.nan if profile.features[k] is None else profile.features[k] for k in row.index],
            dtype=float,
        )
        if not np.allclose(got, row.to_numpy(), rtol=1e-9, atol=1e-6, equal_nan=True):
            mismatched.append(
                f"{cid}: store {dict(zip(row.index, got, strict=True))} != batch {row.to_dict()}"
            )
        if profile.segment_id != int(expected.loc[cid]):
            mismatched.append(f"{cid}: segment {profile.segment_id} != {expected.loc[cid]}")
    assert mismatched[:5] == []


def _as_of_option(world: LiveWorld) -> list[str]:
    return ["--as-of", world.as_of_datetime.isoformat()]


@pytest.mark.rabbitmq
def test_rabbitmq_into_postgresql_survives_sigkill(
    pg_store: tuple[Any, str], rabbitmq_url: str, tmp_path: Path
) -> None:
    import pika

    from cible.stream.rabbitmq import publish_events

    store, schema = pg_store
    world = live_world(tmp_path / "live", customers=2000, seed=7, limit=100_000)
    assert len(world.messages) == 100_000
    bodies, planted = with_malformed(world.messages, PLANTED, seed=11)
    queue, output = unique("faults.events"), unique("faults.segments")
    publish_events(rabbitmq_url, queue, bodies)
    args = [
        "--store",
        PG_STORE_URL,
        "--bus",
        "rabbitmq",
        "--bus-url",
        rabbitmq_url,
        "--queue",
        queue,
        "--output",
        output,
        *_as_of_option(world),
    ]
    try:
        _kill_and_restart(args, schema, tmp_path / "consumer.log", seed=2026, most=25)
        conn = pika.BlockingConnection(pika.URLParameters(rabbitmq_url))
        ch = conn.channel()
        assert ch.queue_declare(queue, durable=True, passive=True).method.message_count == 0
        dead = []
        while True:
            method, props, body = ch.basic_get(queue + ".dead", auto_ack=True)
            if method is None:
                break
            dead.append((body, props.headers["x-cible-reason"]))
        conn.close()
        # a kill between a dead-letter copy and the ack of its batch copies it once more
        assert {body for body, _ in dead} == set(planted)
        assert all(": " in reason for _, reason in dead)
        _assert_parity(store, world)
    finally:
        _drop_rabbitmq(rabbitmq_url, [queue, queue + ".dead", output])


def _drop_rabbitmq(url: str, names: list[str]) -> None:
    import pika

    conn = pika.BlockingConnection(pika.URLParameters(url))
    ch = conn.channel()
    for name in names:
        ch.queue_delete(name)
    conn.close()


@pytest.mark.kafka
def test_kafka_into_postgresql_survives_sigkill(
    pg_store: tuple[Any, str], kafka_url: str, tmp_path: Path
) -> None:
    import json

    from confluent_kafka import Consumer

    from cible.stream.kafka import create_topics, publish_events

    store, schema = pg_store
    world = live_world(tmp_path / "live", customers=1000, seed=8, limit=20_000)
    bodies, planted = with_malformed(world.messages, PLANTED, seed=12)
    topic, output = unique("faults.events"), unique("faults.segments")
    create_topics(kafka_url, [topic], partitions=2)
    create_topics(kafka_url, [topic + ".dead", output])

    def key(body: bytes) -> bytes:  # one customer's events stay in one partition, in order
        try:
            return str(json.loads(body).get("customer_id", "")).encode()
        except (ValueError, AttributeError):
            return b""

    publish_events(kafka_url, topic, bodies, key=key)
    args = [
        "--store",
        PG_STORE_URL,
        "--bus",
        "kafka",
        "--bus-url",
        kafka_url,
        "--topic",
        topic,
        "--output",
        output,
        "--group",
        unique("faults"),
        "--batch-size",
        "200",  # 100 batches for 20,000 events: room for 6 kills of up to 10 batches each
        *_as_of_option(world),
    ]
    # the last consumer must outwait the group rebalance (the dead member's 6 s session + join)
    _kill_and_restart(args, schema, tmp_path / "consumer.log", seed=2027, most=10, idle_exit_s=25)
    reader = Consumer(
        {
            "bootstrap.servers": kafka_url,
            "group.id": unique("reader"),
            "auto.offset.reset": "earliest",
            "session.timeout.ms": 6000,
        }
    )
    reader.subscribe([topic + ".dead"])
    dead: list[bytes] = []
    deadline = time.monotonic() + 60  # the reader's group join takes a few seconds
    idle = 0
    while time.monotonic() < deadline and (not set(planted) <= set(dead) or idle < 2):
        got = [m for m in reader.consume(100, 1.0) if m.error() is None]
        idle = 0 if got else idle + 1
        dead.extend(m.value() for m in got)
    reader.close()
    assert set(dead) == set(planted)
    _assert_parity(store, world)
