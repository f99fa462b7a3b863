"""GET profile latency of a live ``cible serve`` under concurrent clients, against direct reads.

    python bench/service_load.py [--customers 20000] [--store URL] [--requests 5000]

Without ``--store`` it runs ``cible demo`` (the generated world, its segmentation published in
``store.db``) and measures on that SQLite store; with ``--postgresql`` it also publishes the same
run into a fresh PostgreSQL schema and measures there. For each store it starts ``cible serve``
(uvicorn, a subprocess on a free port) in several configurations (profile cache on/off, 1 or 2
workers), fires ``--requests`` GET /v1/customers/{id}/profile from 16 client threads (one httpx
client each, keep-alive), and prints one JSON line per configuration; the baseline lines are the
same lookups as direct ``ProfileStore.get_profile`` calls and as a bare primary-key SELECT, in the
same process, with the same 16 threads.

:func:`measure_profile_get` is importable (``bench/realtime.py`` uses it).
Last lines: one JSON object per measured configuration, {"bench": "service_load", ...} (bench/_emit.py).
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from _emit import emit  # bench/ is the script folder on sys.path

ROOT = Path(__file__).resolve().parents[1]
SERVE = "import sys; from cible.cli.main import app; sys.argv[0] = 'cible'; app()"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def live_service(
    store_url: str, *, workers: int = 1, env: dict[str, str] | None = None
) -> Iterator[str]:
    """A ``cible serve`` subprocess on a free port; yields its base URL, stops it after."""
    port = free_port()
    child_env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "CIBLE_LOG_LEVEL": "warning",
        **(env or {}),
    }
    cmd = [sys.executable, "-c", SERVE, "serve", "--store", store_url, "--port", str(port)]
    cmd += ["--workers", str(workers)]
    proc = subprocess.Popen(
        cmd, env=child_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"cible serve exited: {proc.stderr.read() if proc.stderr else ''}"
                )
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("cible serve did not answer /health within 60 s")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _run_threads(
    clients: int, requests: int, make_call: Callable[[], Callable[[int], None]]
) -> tuple[np.ndarray, float]:
    """``requests`` calls spread over ``clients`` threads; latencies (ms) and wall seconds."""
    per = [requests // clients + (1 if i < requests % clients else 0) for i in range(clients)]
    latencies: list[list[float]] = [[] for _ in range(clients)]
    barrier = threading.Barrier(clients + 1)
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            call = make_call()
            barrier.wait()
            rng = random.Random(i)
            out = latencies[i]
            for _ in range(per[i]):
                n = rng.randrange(1 << 30)
                t0 = time.perf_counter()
                call(n)
                out.append((time.perf_counter() - t0) * 1000)
        except BaseException as e:  # reported after the join
            errors.append(e)
            barrier.abort()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    if errors:
        raise errors[0]
    return np.concatenate([np.asarray(x) for x in latencies]), wall


def _figures(latencies: np.ndarray, wall: float) -> dict[str, float]:
    return {
        "requests": int(latencies.size),
        "p50_ms": float(np.percentile(latencies, 50)),
        "p99_ms": float(np.percentile(latencies, 99)),
        "max_ms": float(latencies.max()),
        "rps": latencies.size / wall,
    }


class RawClient:
    """A minimal HTTP/1.1 keep-alive client (one socket, GET only): a load generator that costs
    a tenth of httpx per request, so that 16 client threads do not starve the server of CPU on
    a small machine. Used for the ``client=raw`` lines; ``client=httpx`` is the default."""

    def __init__(self, base: str, headers: dict[str, str]) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.sock = socket.create_connection((host, int(port)))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.head = f"Host: {host}:{port}\r\n{extra}\r\n"
        self.buf = b""

    def get(self, path: str) -> tuple[int, bytes]:
        self.sock.sendall(f"GET {path} HTTP/1.1\r\n{self.head}".encode())
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.buf += chunk
        head, _, rest = self.buf.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        length = next(
            int(x.split(b":", 1)[1]) for x in lines[1:] if x.lower().startswith(b"content-length:")
        )
        while len(rest) < length:
            rest += self.sock.recv(65536)
        self.buf = rest[length:]
        return int(lines[0].split()[1]), rest[:length]


def _read_key(store_url: str) -> str:
    from cible.store import ProfileStore

    schema = os.environ.get("CIBLE_STORE_SCHEMA") or None  # the service reads the same variable
    store = ProfileStore.open(store_url, migrate=False, schema=schema)
    try:
        return store.create_api_key(["read"], name="bench/service_load")
    finally:
        store.close()


def measure_profile_get(
    store_url: str,
    customer_ids: list[str],
    *,
    clients: int = 16,
    requests: int = 5000,
    workers: int = 1,
    cache_ttl_s: float = 1.0,
    warm: bool = False,
    client: str = "httpx",
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """GET /v1/customers/{id}/profile on a live ``cible serve`` over ``store_url``:
    ``{"clients", "requests", "p50_ms", "p99_ms", "max_ms", "rps", "workers", "cache_ttl_s",
    "warm", "client"}``.

    Ids are drawn at random from ``customer_ids`` (every answer must be 200). A first pass of
    ``requests // 5`` calls opens the connections; with ``warm`` every profile is read once
    before (the steady state of a service whose cache holds the working set: give a
    ``cache_ttl_s`` longer than the run); without it most reads of 20,000 ids go to the store.
    """
    key = _read_key(store_url)
    env = {"CIBLE_PROFILE_CACHE_TTL_S": str(cache_ttl_s), **(env or {})}
    with live_service(store_url, workers=workers, env=env) as base:

        def make_call() -> Callable[[int], None]:
            headers = {"X-API-Key": key}
            if client == "raw":
                raw = RawClient(base, headers)

                def get(path: str) -> tuple[int, bytes]:
                    return raw.get(path)
            else:
                session = httpx.Client(base_url=base, headers=headers, timeout=10)

                def get(path: str) -> tuple[int, bytes]:
                    r = session.get(path)
                    return r.status_code, r.content

            def call(n: int) -> None:
                cid = customer_ids[n % len(customer_ids)]
                status, body = get(f"/v1/customers/{cid}/profile")
                if status != 200:
                    raise RuntimeError(f"GET profile {cid}: {status} {body[:200]!r}")

            return call

        if warm:
            for w in range(workers * 2):  # each worker process has its own cache
                sweep = make_call()
                for n in range(len(customer_ids)):
                    sweep(n)
                del sweep, w
        _run_threads(clients, max(requests // 5, clients), make_call)
        latencies, wall = _run_threads(clients, requests, make_call)
    return {
        "clients": clients,
        "workers": workers,
        "cache_ttl_s": cache_ttl_s,
        "warm": warm,
        "client": client,
        **_figures(latencies, wall),
    }


def measure_direct(
    store_url: str, customer_ids: Sequence[str], *, clients: int = 16, requests: int = 5000
) -> dict[str, Any]:
    """The same lookups as ``ProfileStore.get_profile`` calls, in this process."""
    from cible.store import ProfileStore

    store = ProfileStore.open(store_url, migrate=False)
    try:

        def make_call() -> Callable[[int], None]:
            def call(n: int) -> None:
                if store.get_profile(customer_ids[n % len(customer_ids)]) is None:
                    raise RuntimeError("a bench customer has no profile")

            return call

        latencies, wall = _run_threads(clients, requests, make_call)
    finally:
        store.close()
    return {"clients": clients, **_figures(latencies, wall)}


def measure_bare_select(
    store_url: str, customer_ids: Sequence[str], *, clients: int = 16, requests: int = 5000
) -> dict[str, Any]:
    """A bare ``SELECT * FROM profiles WHERE customer_id = ?`` per lookup (SQLAlchemy Core,
    pooled connections): the floor under any profile read."""
    import sqlalchemy as sa

    engine = sa.create_engine(store_url, pool_size=clients, max_overflow=0)
    table = _profiles_table(engine)
    query = sa.select(table).where(table.c.customer_id == sa.bindparam("cid"))

    def make_call() -> Callable[[int], None]:
        def call(n: int) -> None:
            with engine.connect() as conn:
                conn.execute(query, {"cid": customer_ids[n % len(customer_ids)]}).first()

        return call

    try:
        latencies, wall = _run_threads(clients, requests, make_call)
    finally:
        engine.dispose()
    return {"clients": clients, **_figures(latencies, wall)}


def _profiles_table(engine: Any) -> Any:
    import sqlalchemy as sa

    meta = sa.MetaData()
    names = sa.inspect(engine).get_table_names()
    name = next(n for n in ("profiles", "profile") if n in names)
    return sa.Table(name, meta, autoload_with=engine)


def _customer_ids(store_url: str, limit: int) -> list[str]:
    from cible.store import ProfileStore

    store = ProfileStore.open(store_url, migrate=False)
    try:
        ids: list[str] = []
        for segment in store.list_segments():
            cursor = None
            while len(ids) < limit:
                page, cursor = store.segment_members(segment.segment_id, cursor=cursor, limit=1000)
                ids += page
                if cursor is None:
                    break
        return ids[:limit]
    finally:
        store.close()


def _demo_store(out: Path, customers: int) -> str:
    cmd = [sys.executable, "-c", SERVE, "demo", "--out", str(out), "--customers", str(customers)]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    return f"sqlite:///{out / 'store.db'}"


def bench_store(name: str, store_url: str, requests: int, clients: int) -> None:
    ids = _customer_ids(store_url, 1_000_000)
    print(f"# {name}: {len(ids):,} profiles", file=sys.stderr)
    common = {"store": name, "profiles": len(ids)}
    configs = [  # (workers, cache_ttl_s, warm, client)
        (1, 0.0, False, "httpx"),
        (1, 1.0, False, "httpx"),
        (1, 600.0, True, "httpx"),
        (1, 0.0, False, "raw"),
        (1, 600.0, True, "raw"),
        (2, 0.0, False, "raw"),
        (2, 600.0, True, "raw"),
    ]
    for workers, ttl, warm, client in configs:
        figures = measure_profile_get(
            store_url,
            ids,
            clients=clients,
            requests=requests,
            workers=workers,
            cache_ttl_s=ttl,
            warm=warm,
            client=client,
        )
        emit("service_load", **common, path="http", **figures)
    emit(
        "service_load",
        **common,
        path="direct_store",
        **measure_direct(store_url, ids, clients=clients, requests=requests),
    )
    emit(
        "service_load",
        **common,
        path="bare_select",
        **measure_bare_select(store_url, ids, clients=clients, requests=requests),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--store", help="an existing store with a published model")
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--postgresql", action="store_true", help="also on PostgreSQL")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cible-service-load-") as tmp:
        out = Path(tmp) / "demo"
        store_url = args.store or _demo_store(out, args.customers)
        name = "postgresql" if store_url.startswith("postgresql") else "sqlite"
        bench_store(name, store_url, args.requests, args.clients)
        if args.postgresql and not args.store:
            bench_store("postgresql", _postgresql_copy(out), args.requests, args.clients)


def _postgresql_copy(run: Path) -> str:
    """Publish the demo run into a fresh schema of the local PostgreSQL (its name is printed;
    drop it after the bench); the URL returned selects it through libpq's search_path."""
    import uuid

    from cible.config import load_config
    from cible.services.publish import publish_run

    schema = f"cible_bench_{uuid.uuid4().hex[:8]}"
    url = os.environ.get("CIBLE_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    publish_run(run, url, config=load_config(run / "cible.yaml"), schema=schema)
    print(f"# postgresql schema {schema}", file=sys.stderr)
    return f"{url}?options=-csearch_path%3D{schema}"


if __name__ == "__main__":
    main()
