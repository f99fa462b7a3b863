"""RabbitMQ -> cible consume -> profile store, on SQLite and PostgreSQL, against bare RabbitMQ.

    python bench/realtime.py [--events 50000] [--latency-events 10000] [--rate 1000]

Setup: a generated world (1,000 customers) is run through the batch pipeline and its segmentation
published in the store; the live events come from another generated world (ids prefixed ``L``).
For each store:

* **throughput**: ``--events`` persistent messages are put in a durable queue first, then the
  consumer (the loop of ``cible consume``, in this process, batches of 500 / 20 ms) drains it:
  parse, apply with re-scoring against the published model, commit, ack. events_per_s counts
  from the first receive to the last commit.
* **latency**: ``--latency-events`` further events are published by a paced producer (another
  process, ``--rate`` per second, the send time in a message header) while the consumer runs;
  latency = commit of the batch holding the event - send time (p50, p99).
* **GET profile p99** under 16 concurrent clients: through ``cible serve`` when
  ``bench/service_load.py`` is there (``profile_get_via: "service"``), else direct
  ``ProfileStore.get_profile`` calls from 16 threads (``profile_get_via: "store"``). Through the
  service: ``profile_get_p99_ms`` with the profile cache holding the working set (every profile
  read once before, TTL 600 s; on PostgreSQL the change feed drops at once what the consumer
  changes), ``profile_get_uncached_p99_ms`` with the cache off (every read is the one-query
  ``get_profile``); the 16 clients are the bench's raw keep-alive HTTP client (a tenth of
  httpx's cost per request, so that they do not starve the server of the 2 cores).

The baseline, in the same run: a bare pika consumer that acknowledges the same number of the same
persistent messages in batches of 500 (no parsing, no store), given in every line as
``bare_rabbitmq_events_per_s``. One JSON line per store is the last thing printed::

    {"bench": "realtime", "store": "postgresql", "bus": "rabbitmq", "events": N, "events_per_s": ..., "p50_ms": ..., "p99_ms": ..., "profile_get_p99_ms": ...}
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from _emit import emit  # bench/ is the script folder on sys.path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.integration.stream_world: the live world of the tests

from tests.integration.stream_world import live_world, publish_world  # noqa: E402

from cible.stream.rabbitmq import DEFAULT_URL, publish_events  # noqa: E402

PG_URL = os.environ.get(
    "CIBLE_POSTGRES_STORE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _drop_queues(names: list[str]) -> None:
    import pika

    conn = pika.BlockingConnection(pika.URLParameters(DEFAULT_URL))
    ch = conn.channel()
    for name in names:
        ch.queue_delete(name)
    conn.close()


def _drop_schema(schema: str) -> None:
    import psycopg

    with psycopg.connect(PG_URL.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def bare_rabbitmq(bodies: list[bytes]) -> float:
    """Events per second of a bare pika consumer acking batches of 500 persistent messages."""
    import pika

    queue = f"bench.bare.{uuid.uuid4().hex[:8]}"
    publish_events(DEFAULT_URL, queue, bodies)
    conn = pika.BlockingConnection(pika.URLParameters(DEFAULT_URL))
    ch = conn.channel()
    ch.basic_qos(prefetch_count=500)
    state = {"n": 0}

    def on_message(channel: Any, method: Any, _props: Any, _body: bytes) -> None:
        state["n"] += 1
        if state["n"] % 500 == 0 or state["n"] == len(bodies):
            channel.basic_ack(method.delivery_tag, multiple=True)
        if state["n"] == len(bodies):
            channel.stop_consuming()

    ch.basic_consume(queue, on_message)
    t0 = time.perf_counter()
    ch.start_consuming()
    seconds = time.perf_counter() - t0
    ch.queue_delete(queue)
    conn.close()
    return len(bodies) / seconds


def _consume(store: Any, queue: str, count: int, as_of: Any) -> tuple[float, list[float]]:
    """Run the consumer loop until ``count`` messages are committed; (seconds, latencies ms)."""
    from cible.services.consume import bus_notifier
    from cible.stream.consumer import run_consumer
    from cible.stream.rabbitmq import RabbitMQBus

    bus = RabbitMQBus(DEFAULT_URL, queue=queue, output=queue + ".segments", prefetch=1000)
    stop = threading.Event()
    seen = {"n": 0}
    latencies: list[float] = []
    first: list[float] = []

    def on_batch(report: Any) -> None:
        if not first:
            first.append(report.committed_at)
        seen["n"] += report.received
        latencies.extend((report.committed_at - s) * 1000 for s in report.sent_at)
        if seen["n"] >= count:
            stop.set()

    t0 = time.time()
    try:
        run_consumer(
            bus,
            store,
            batch_size=500,
            max_wait_s=0.02,
            notify=bus_notifier(bus),
            as_of=as_of,
            stop=stop,
            on_batch=on_batch,
            idle_exit_s=30,  # never hang on a short stream
        )
    finally:
        bus.close()
    return time.time() - t0, latencies


def _paced(queue: str, bodies: list[bytes], rate: float) -> None:
    publish_events(DEFAULT_URL, queue, bodies, stamp=True, rate=rate)


def profile_get(
    store: Any, url: str, schema: str | None, ids: list[str], requests: int
) -> dict[str, Any]:
    """p99 of GET profile under 16 concurrent clients (the service when available)."""
    try:
        sys.path.insert(0, str(ROOT / "bench"))
        from service_load import measure_profile_get  # type: ignore[import-not-found]
    except ImportError:
        measure_profile_get = None
    if measure_profile_get is not None:
        if schema:
            os.environ["CIBLE_STORE_SCHEMA"] = schema
        # the service's cache holds the working set (read once before; a TTL longer than the
        # run: on PostgreSQL the change feed drops what the consumer changes), then no cache
        warm = measure_profile_get(
            url, ids, clients=16, requests=requests, client="raw", cache_ttl_s=600, warm=True
        )
        cold = measure_profile_get(
            url, ids, clients=16, requests=requests // 4, client="raw", cache_ttl_s=0
        )
        return {
            "profile_get_p99_ms": warm["p99_ms"],
            "profile_get_p50_ms": warm["p50_ms"],
            "profile_get_uncached_p99_ms": cold["p99_ms"],
            "profile_get_uncached_p50_ms": cold["p50_ms"],
            "profile_get_via": "service",
        }
    latencies: list[float] = []
    lock = threading.Lock()

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        mine = []
        for _ in range(requests // 16):
            cid = rng.choice(ids)
            t0 = time.perf_counter()
            if store.get_profile(cid) is None:
                raise RuntimeError("a streamed customer has no profile")
            mine.append((time.perf_counter() - t0) * 1000)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {
        "profile_get_p99_ms": float(np.percentile(latencies, 99)),
        "profile_get_p50_ms": float(np.percentile(latencies, 50)),
        "profile_get_via": "store",
    }


def run_store(
    kind: str, folder: Path, world: Any, n: int, m: int, rate: float, requests: int
) -> dict[str, Any]:
    from cible.store import ProfileStore

    schema = f"bench_{uuid.uuid4().hex[:12]}" if kind == "postgresql" else None
    url = PG_URL if kind == "postgresql" else f"sqlite:///{folder / f'{kind}.db'}"
    publish_world(folder / "published", url, schema=schema)
    store = ProfileStore.open(url, schema=schema)
    queue = f"bench.events.{uuid.uuid4().hex[:8]}"
    try:
        bulk, paced = world.messages[:n], world.messages[n : n + m]
        publish_events(DEFAULT_URL, queue, bulk)
        seconds, _ = _consume(store, queue, len(bulk), world.as_of_datetime)
        producer = multiprocessing.get_context("fork").Process(
            target=_paced, args=(queue, paced, rate)
        )
        producer.start()
        _, latencies = _consume(store, queue, len(paced), world.as_of_datetime)
        producer.join()
        ids = sorted({cid for cid in world.features.index})
        reads = profile_get(store, url, schema, ids, requests)
    finally:
        _drop_queues([queue, queue + ".dead", queue + ".segments"])
        store.close()
        if schema:
            _drop_schema(schema)
    return {
        "store": kind,
        "bus": "rabbitmq",
        "events": len(bulk),
        "events_per_s": len(bulk) / seconds,
        "p50_ms": float(np.percentile(latencies, 50)),
        "p99_ms": float(np.percentile(latencies, 99)),
        "latency_events": len(latencies),
        "rate_per_s": rate,
        **reads,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--latency-events", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--stores", default="sqlite,postgresql")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cible-realtime-") as tmp:
        folder = Path(tmp)
        total = args.events + args.latency_events
        customers = max(1000, total // 40)  # about 57 events per customer
        t0 = time.perf_counter()
        world = live_world(folder / "live", customers=customers, seed=7, limit=total)
        print(
            f"live world: {len(world.messages):,} events of {len(world.features):,} customers "
            f"({time.perf_counter() - t0:.1f} s)"
        )
        rows = []
        for kind in args.stores.split(","):
            row = run_store(
                kind, folder, world, args.events, args.latency_events, args.rate, args.requests
            )
            print(
                f"{kind}: {row['events_per_s']:,.0f} events/s, p50 {row['p50_ms']:.1f} ms, "
                f"p99 {row['p99_ms']:.1f} ms, GET profile p99 {row['profile_get_p99_ms']:.2f} ms"
            )
            rows.append(row)
        bare = bare_rabbitmq(world.messages[: args.events])
        print(f"bare RabbitMQ consume+ack: {bare:,.0f} events/s")
    for row in rows:
        emit("realtime", **row, bare_rabbitmq_events_per_s=bare)


if __name__ == "__main__":
    main()
