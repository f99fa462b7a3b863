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
  process, ``--rate`` per second, the send time in a message header) while the consumer runs
  (the producer starts when the consumer first asks for messages); latency = commit of the
  batch holding the event - send time (p50, p99), and where it went (``latency_breakdown``,
  printed as a table: queue, fill, parse, statements, commit at p50 / p99 / mean of the
  slowest 1 %, see ``bench/_latency.py``; the GC pauses of the phase and one full collection
  timed before and after the consumer ran). ``--linger-ms``, ``--relay-every-ms``,
  ``--no-freeze-gc`` set the consumer's policies (unset: the code's defaults, so that the same
  script also runs the base commit's code for a same-run baseline).
* **one batch's cost**: ``batch_statements`` and (PostgreSQL) ``batch_round_trips`` of one
  ``apply_events`` of the 500 events after the latency phase's (``bench/_round_trips.py``):
  independent of the load, unlike the timings.
* **GET profile p99** under 16 concurrent clients: through ``cible serve`` when
  ``bench/service_load.py`` is there (``profile_get_via: "service"``), else direct
  ``ProfileStore.get_profile`` calls from 16 threads (``profile_get_via: "store"``). Through the
  service: ``profile_get_p99_ms`` with the profile cache holding the working set (every profile
  read once before, TTL 600 s; on PostgreSQL the change feed drops at once what the consumer
  changes), ``profile_get_uncached_p99_ms`` with the cache off (every read is the one-query
  ``get_profile``); the 16 clients are the bench's raw keep-alive HTTP client (a tenth of
  httpx's cost per request, so that they do not starve the server of the 2 cores).

* **GET profile from Redis** (with ``--redis URL``, default the Redis of .ci/services): the
  store copied to the online store under a fresh key prefix (``cible store online-rebuild``),
  then the same uncached service reads with ``CIBLE_ONLINE_STORE_URL`` set:
  ``profile_get_redis_p99_ms`` against ``profile_get_sql_p99_ms`` (the uncached SQL reads),
  and the same from one client (``profile_get_redis_1client_p99_ms``,
  ``profile_get_sql_1client_p99_ms``: one request at a time, the latency a caller sees, the
  figure comparable with Feast's documented online read latency; 16 clients on 2 cores measure
  the queue in front of one server process);
  and the bare reads from 16 threads, ``OnlineStore.read`` (``direct_get_redis_p99_ms``) against
  ``ProfileStore.get_profile`` (``direct_get_sql_p99_ms``), and from one thread
  (``direct_1client_get_redis_p99_ms``, ``direct_1client_get_sql_p99_ms``: the stores' own
  latency, without the client threads' contention). The prefix is deleted after.
* **collector**: ``--collector-events`` of the live events as Segment-spec messages (``Order
  Completed`` with its revenue, ``page``, the other types by their cible names), POSTed gzipped
  to ``/v1/batch`` of ``cible serve`` in batches of 100 (the SDKs' upload size) by 4 clients:
  ``collector_events_per_s``; baseline in the same run, the same events as canonical events to
  ``/v1/events/batch`` (``events_batch_events_per_s``); two interleaved rounds (fresh ids
  each), the best of each side kept.

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
from _latency import breakdown, describe
from _round_trips import batch_cost

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


class _Ready:
    """The bus, setting ``ready`` at its first receive (the consumer has started: connected,
    outbox relayed), so that the paced producer measures the running consumer."""

    def __init__(self, bus: Any, ready: Any) -> None:
        self.bus, self.ready = bus, ready

    def __getattr__(self, name: str) -> Any:
        return getattr(self.bus, name)

    def receive(self, max_count: int, max_wait_s: float) -> Any:
        self.ready.set()
        return self.bus.receive(max_count, max_wait_s)


def _consume(
    store: Any,
    queue: str,
    count: int,
    as_of: Any,
    reports: list[Any] | None = None,
    ready: Any = None,
) -> tuple[float, list[float]]:
    """Run the consumer loop until ``count`` messages are committed; (seconds, latencies ms);
    every batch's report appended to ``reports`` (the latency breakdown); ``ready`` set when
    the loop first asks for messages."""
    from cible.services.consume import bus_notifier
    from cible.stream.consumer import run_consumer
    from cible.stream.rabbitmq import RabbitMQBus

    linger = {"linger_s": TUNING["linger_s"]} if "linger_s" in TUNING else {}
    bus: Any = RabbitMQBus(
        DEFAULT_URL, queue=queue, output=queue + ".segments", prefetch=1000, **linger
    )
    if ready is not None:
        bus = _Ready(bus, ready)
    stop = threading.Event()
    seen = {"n": 0}
    latencies: list[float] = []
    first: list[float] = []

    def on_batch(report: Any) -> None:
        if not first:
            first.append(report.committed_at)
        seen["n"] += report.received
        latencies.extend((report.committed_at - s) * 1000 for s in report.sent_at)
        if reports is not None:
            reports.append(report)
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
            **{k: v for k, v in TUNING.items() if k != "linger_s"},
        )
    finally:
        bus.close()
    return time.time() - t0, latencies


PROBE = 500  # events of the batch whose statements and round trips are counted (batch_cost)

# consumer settings given on the command line (none: the code's defaults, so that the bench
# also runs on code that has no such setting, for a same-run baseline)
TUNING: dict[str, Any] = {}


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def _paced(queue: str, bodies: list[bytes], rate: float, ready: Any) -> None:
    if not ready.wait(120):
        raise RuntimeError("the consumer did not start within 120 s")
    publish_events(DEFAULT_URL, queue, bodies, stamp=True, rate=rate)


def _full_gc_ms() -> float:
    import gc

    t0 = time.perf_counter()
    gc.collect()
    return (time.perf_counter() - t0) * 1000


class GcPauses:
    """The garbage collector's pauses (ms per generation) while it is entered."""

    def __init__(self) -> None:
        self.pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
        self._start = 0.0

    def _on(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.pauses[info["generation"]].append((time.perf_counter() - self._start) * 1000)

    def __enter__(self) -> GcPauses:
        import gc

        gc.callbacks.append(self._on)
        return self

    def __exit__(self, *exc: object) -> None:
        import gc

        gc.callbacks.remove(self._on)

    def summary(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for gen, values in self.pauses.items():
            out[f"gc{gen}_count"] = len(values)
            out[f"gc{gen}_max_ms"] = max(values, default=0.0)
            out[f"gc{gen}_total_ms"] = sum(values)
        return out


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


def redis_reads(
    store: Any, url: str, ids: list[str], requests: int, redis_url: str
) -> dict[str, Any]:
    """GET profile p99 served from Redis against SQL (service, no cache) and the bare reads."""
    from cible.store.online import OnlineStore
    from service_load import measure_profile_get  # type: ignore[import-not-found]

    prefix = f"cible-bench-{uuid.uuid4().hex[:10]}:"
    online = OnlineStore.open(redis_url, prefix)
    try:
        online.rebuild(store)
        env = {"CIBLE_ONLINE_STORE_URL": redis_url, "CIBLE_ONLINE_STORE_PREFIX": prefix}
        served = {}
        for name, extra in (("redis", env), ("sql", {})):
            for clients in (16, 1):
                served[f"{name}_{clients}"] = measure_profile_get(
                    url, ids, clients=clients, requests=requests, client="raw", cache_ttl_s=0,
                    env=extra,
                )  # fmt: skip
        direct = {
            "redis": _direct(online.read, ids, requests),
            "sql": _direct(store.get_profile, ids, requests),
            "redis_1": _direct(online.read, ids, requests, threads=1),
            "sql_1": _direct(store.get_profile, ids, requests, threads=1),
        }
    finally:
        online.clear()
        online.close()
    return {
        "profile_get_redis_p99_ms": served["redis_16"]["p99_ms"],
        "profile_get_redis_p50_ms": served["redis_16"]["p50_ms"],
        "profile_get_sql_p99_ms": served["sql_16"]["p99_ms"],
        "profile_get_sql_p50_ms": served["sql_16"]["p50_ms"],
        "profile_get_redis_1client_p99_ms": served["redis_1"]["p99_ms"],
        "profile_get_redis_1client_p50_ms": served["redis_1"]["p50_ms"],
        "profile_get_sql_1client_p99_ms": served["sql_1"]["p99_ms"],
        "profile_get_sql_1client_p50_ms": served["sql_1"]["p50_ms"],
        "direct_get_redis_p99_ms": direct["redis"][0],
        "direct_get_redis_p50_ms": direct["redis"][1],
        "direct_get_sql_p99_ms": direct["sql"][0],
        "direct_get_sql_p50_ms": direct["sql"][1],
        "direct_1client_get_redis_p99_ms": direct["redis_1"][0],
        "direct_1client_get_sql_p99_ms": direct["sql_1"][0],
    }


def _direct(read: Any, ids: list[str], requests: int, threads: int = 16) -> tuple[float, float]:
    """(p99, p50) ms of ``read(id)`` from ``threads`` threads, every answer a profile."""
    latencies: list[float] = []
    lock = threading.Lock()

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        mine = []
        for _ in range(max(requests // threads, 1)):
            cid = rng.choice(ids)
            t0 = time.perf_counter()
            if read(cid) is None:
                raise RuntimeError("a streamed customer has no profile")
            mine.append((time.perf_counter() - t0) * 1000)
        with lock:
            latencies.extend(mine)

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    return float(np.percentile(latencies, 99)), float(np.percentile(latencies, 50))


def segment_message(event: dict[str, Any], prefix: str = "seg-") -> dict[str, Any]:
    """A canonical live event as the Segment SDKs would send it."""
    kind = event["event_type"]
    msg: dict[str, Any] = {
        "type": "track",
        "userId": event["customer_id"],
        "messageId": prefix + event["event_id"],
        "timestamp": event["timestamp"],
        "event": kind,
        "properties": {"order_id": event.get("order_id"), "revenue": event.get("amount")},
    }
    if kind == "purchase":
        msg["event"] = "Order Completed"
    elif kind == "page_view":
        msg = {k: v for k, v in msg.items() if k != "event"} | {"type": "page"}
    return msg


def collector_throughput(
    url: str, schema: str | None, bodies: list[bytes], clients: int = 4, size: int = 100
) -> dict[str, Any]:
    """Messages per second through ``/v1/batch`` (gzipped Segment batches) and of the same
    events through ``/v1/events/batch`` (the baseline), interleaved, best of two rounds."""
    import gzip
    import json

    from cible.store import ProfileStore
    from service_load import live_service

    events = [json.loads(b) for b in bodies]
    opened = ProfileStore.open(url, migrate=False, schema=schema)
    try:
        key = opened.create_api_key(["write"], name="bench/collector")
    finally:
        opened.close()
    chunks = range(0, len(events), size)
    env = {"CIBLE_STORE_SCHEMA": schema} if schema else {}
    best = {"collector": float("inf"), "baseline": float("inf")}
    with live_service(url, env=env) as base:
        for round_ in (1, 2):  # interleaved, best of two: neither side gets only a cold server
            canonical = [{**e, "event_id": f"ev{round_}-{e['event_id']}"} for e in events]
            plain = [json.dumps({"events": canonical[i : i + size]}).encode() for i in chunks]
            seconds = _post_all(base, "/v1/events/batch", plain, key, {}, clients)
            best["baseline"] = min(best["baseline"], seconds)
            messages = [segment_message(e, f"seg{round_}-") for e in events]
            segment = [
                gzip.compress(json.dumps({"batch": messages[i : i + size]}).encode())
                for i in chunks
            ]
            gz = {"Content-Encoding": "gzip"}
            seconds = _post_all(base, "/v1/batch", segment, key, gz, clients)
            best["collector"] = min(best["collector"], seconds)
    collector, baseline = best["collector"], best["baseline"]
    return {
        "collector_events": len(events),
        "collector_events_per_s": len(events) / collector,
        "events_batch_events_per_s": len(events) / baseline,
    }


def _post_all(
    base: str, path: str, bodies: list[bytes], key: str, headers: dict[str, str], clients: int
) -> float:
    """Seconds to POST every body from ``clients`` threads (each answer must be 200)."""
    import httpx

    errors: list[BaseException] = []
    auth = {"X-API-Key": key, "Content-Type": "application/json", **headers}

    def worker(part: list[bytes]) -> None:
        try:
            with httpx.Client(base_url=base, headers=auth, timeout=60) as http:
                for body in part:
                    r = http.post(path, content=body)
                    if r.status_code != 200:
                        raise RuntimeError(f"{path}: {r.status_code} {r.text[:200]}")
        except BaseException as e:  # reported after the join
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(bodies[i::clients],)) for i in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    if errors:
        raise errors[0]
    return seconds


def run_store(
    kind: str,
    folder: Path,
    world: Any,
    n: int,
    m: int,
    rate: float,
    requests: int,
    redis_url: str = "",
    collector_events: int = 0,
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
        full_gc = {"full_gc_before_ms": _full_gc_ms()}  # what one pause of gen 2 costs here
        seconds, _ = _consume(store, queue, len(bulk), world.as_of_datetime)
        ctx = multiprocessing.get_context("fork")
        ready = ctx.Event()
        producer = ctx.Process(target=_paced, args=(queue, paced, rate, ready))
        producer.start()
        reports: list[Any] = []
        with GcPauses() as gc_pauses:
            _, latencies = _consume(store, queue, len(paced), world.as_of_datetime, reports, ready)
        producer.join()
        full_gc["full_gc_after_ms"] = _full_gc_ms()  # after the consumer ran (gc.freeze)
        cost = batch_cost(store, world.messages[n + m : n + m + PROBE], world.as_of_datetime)
        print(f"{kind}: one batch of {PROBE} events: {cost}")
        parts = breakdown(reports) | gc_pauses.summary() | full_gc
        print(
            f"{kind}: one full collection {full_gc['full_gc_before_ms']:.1f} ms before the "
            f"consumer ran, {full_gc['full_gc_after_ms']:.1f} ms after"
        )
        print(f"{kind}: latency breakdown at {rate:,.0f} events/s (load {_load()})")
        print("\n".join(describe(parts)))
        ids = sorted({cid for cid in world.features.index})
        reads = profile_get(store, url, schema, ids, requests)
        if redis_url:
            if schema:
                os.environ["CIBLE_STORE_SCHEMA"] = schema
            reads |= redis_reads(store, url, ids, max(requests // 4, 16), redis_url)
        if collector_events:
            reads |= collector_throughput(url, schema, world.messages[:collector_events])
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
        "latency_breakdown": parts,
        "tuning": dict(TUNING),
        "load_average": _load(),
        **cost,
        **reads,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--latency-events", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--stores", default="sqlite,postgresql")
    parser.add_argument(
        "--redis", default=os.environ.get("CIBLE_REDIS_URL", "redis://127.0.0.1:6379/0")
    )  # '' for no Redis lines
    parser.add_argument("--collector-events", type=int, default=10_000)
    parser.add_argument("--linger-ms", type=float, help="RabbitMQ flush policy's linger")
    parser.add_argument("--relay-every-ms", type=float, help="0: relay after every batch")
    parser.add_argument("--no-freeze-gc", action="store_true", help="no gc.freeze()")
    args = parser.parse_args()
    if args.linger_ms is not None:
        TUNING["linger_s"] = args.linger_ms / 1000
    if args.relay_every_ms is not None:
        TUNING["relay_every_s"] = args.relay_every_ms / 1000
    if args.no_freeze_gc:
        TUNING["freeze_gc"] = False
    with tempfile.TemporaryDirectory(prefix="cible-realtime-") as tmp:
        folder = Path(tmp)
        total = args.events + args.latency_events
        customers = max(1000, total // 40)  # about 57 events per customer
        t0 = time.perf_counter()
        world = live_world(folder / "live", customers=customers, seed=7, limit=total + PROBE)
        print(
            f"live world: {len(world.messages):,} events of {len(world.features):,} customers "
            f"({time.perf_counter() - t0:.1f} s)"
        )
        rows = []
        for kind in args.stores.split(","):
            row = run_store(
                kind,
                folder,
                world,
                args.events,
                args.latency_events,
                args.rate,
                args.requests,
                redis_url=args.redis,
                collector_events=min(args.collector_events, len(world.messages)),
            )
            print(
                f"{kind}: {row['events_per_s']:,.0f} events/s, p50 {row['p50_ms']:.1f} ms, "
                f"p99 {row['p99_ms']:.1f} ms, GET profile p99 {row['profile_get_p99_ms']:.2f} ms"
            )
            if "profile_get_redis_p99_ms" in row:
                print(
                    f"  uncached GET profile p99: Redis {row['profile_get_redis_p99_ms']:.2f} ms, "
                    f"SQL {row['profile_get_sql_p99_ms']:.2f} ms; direct reads p99: Redis "
                    f"{row['direct_get_redis_p99_ms']:.2f} ms, SQL "
                    f"{row['direct_get_sql_p99_ms']:.2f} ms"
                )
            if "collector_events_per_s" in row:
                print(
                    f"  collector /v1/batch: {row['collector_events_per_s']:,.0f} events/s "
                    f"(/v1/events/batch: {row['events_batch_events_per_s']:,.0f})"
                )
            rows.append(row)
        bare = bare_rabbitmq(world.messages[: args.events])
        print(f"bare RabbitMQ consume+ack: {bare:,.0f} events/s")
    for row in rows:
        emit("realtime", **row, bare_rabbitmq_events_per_s=bare)


if __name__ == "__main__":
    main()
