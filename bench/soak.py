"""Soak: the stream at a steady rate through RabbitMQ for a while, with consumer restarts.

    python bench/soak.py [--minutes 30] [--rate 2000] [--restart-every 5] [--store postgresql]
                         [--restart-postgresql]

Setup: a generated world's segmentation is published in a new store (PostgreSQL in a schema of
its own, or SQLite); the live events (``rate * minutes * 60`` of them) come from another
generated world. A producer process publishes them as persistent messages to a durable queue at
``--rate`` per second, while ``cible consume`` runs as a child process that is stopped every
``--restart-every`` minutes and started again, alternately with SIGTERM (a clean stop) and
SIGKILL (a crash: its unacknowledged messages come back). A consumer that exits on its own (a
database restart it did not survive) is started again at once, like ``Restart=always`` under
systemd, and counted. With ``--restart-postgresql`` the PostgreSQL cluster is restarted once
half way (``pg_ctlcluster ... restart``: only on a machine where nobody else uses it). When the
producer is done, a last consumer drains the queue and exits when idle.

Figures: ``events`` sent; ``lost``: events sent whose id is not among the store's processed
events; ``duplicated``: streamed customers whose profile differs from the batch recompute of
the same events at the same as_of (an event applied twice, or lost, shows there);
``rss_growth_mb``: the largest growth of a consumer's resident memory between 20 s after its
start and its stop; ``rss_late_growth_mb``: the largest growth over the second half of a
consumer's life (a plateau shows 0 there, a leak about half its ``rss_growth_mb``);
``rss_per_minute_mb``: every consumer's RSS at each whole minute of its life (``--rss-csv FILE``
also writes every one-second sample); ``achieved_rate_per_s``: what the producer managed; ``drained_s`` and
``consumed_per_s``: from the producer's start to the last consumer's idle exit (when the
consumers cannot keep up with ``--rate``, the queue grows and is drained at the end). Baseline in the same run:
a bare pika consumer acknowledging the same persistent messages in batches of 500
(``bare_rabbitmq_events_per_s``, from bench/realtime.py). The last line printed is::

    {"bench": "soak", "minutes": ..., "events": ..., "lost": 0, "duplicated": 0, "rss_growth_mb": ...}

(with the other figures after ``rss_growth_mb``).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from _emit import emit  # bench/ is the script folder on sys.path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.integration.stream_world import live_world, publish_world  # noqa: E402

from cible.stream.rabbitmq import DEFAULT_URL, publish_events  # noqa: E402
from realtime import PG_URL, _drop_queues, _drop_schema, bare_rabbitmq  # noqa: E402

CLI = "import sys; from cible.cli.main import app; sys.argv[0] = 'cible'; app()"
WARM_S = 20.0  # RSS is measured from this long after a consumer's start


@dataclass
class Run:
    """One consumer incarnation: its process and its RSS samples (seconds since start, MB)."""

    proc: subprocess.Popen[bytes]
    started: float
    samples: list[tuple[float, float]] = field(default_factory=list)

    def sample(self) -> None:
        try:
            status = Path(f"/proc/{self.proc.pid}/status").read_text()
        except OSError:
            return
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                mb = int(line.split()[1]) / 1024
                self.samples.append((time.monotonic() - self.started, mb))

    def growth_mb(self) -> float | None:
        warm = [mb for t, mb in self.samples if t >= WARM_S]
        return warm[-1] - warm[0] if len(warm) >= 2 else None

    def late_growth_mb(self) -> float | None:
        """Growth over the second half of the run (after the warm-up): 0 on a plateau."""
        if not self.samples:
            return None
        half = max(WARM_S, self.samples[-1][0] / 2)
        late = [mb for t, mb in self.samples if t >= half]
        return late[-1] - late[0] if len(late) >= 2 else None

    def per_minute_mb(self) -> list[float]:
        """RSS at 20 s, then at each whole minute of the run, and at its end (MB, 1 decimal)."""
        marks: list[float] = []
        next_mark = WARM_S
        for t, mb in self.samples:
            if t >= next_mark:
                marks.append(round(mb, 1))
                next_mark = 60.0 * (int(t // 60) + 1)
        if self.samples:
            marks.append(round(self.samples[-1][1], 1))
        return marks


def start_consumer(args: list[str], schema: str | None, log: Path) -> Run:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "CIBLE_THREADS": "1"}
    if schema:
        env["CIBLE_STORE_SCHEMA"] = schema
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", CLI, "consume", *args],
            stdout=subprocess.DEVNULL,
            stderr=out,
            env=env,
            cwd=ROOT,
        )
    return Run(proc, time.monotonic())


def restart_postgresql() -> None:
    version = sorted(os.listdir("/etc/postgresql"), key=lambda v: [int(p) for p in v.split(".")])
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version[-1], "main", "restart"], check=True
    )


def _produce(queue: str, bodies: list[bytes], rate: float, done: Any) -> None:
    t0 = time.monotonic()
    publish_events(DEFAULT_URL, queue, bodies, rate=rate)
    done.value = time.monotonic() - t0


@dataclass
class Supervision:
    runs: list[Run] = field(default_factory=list)
    planned_restarts: int = 0
    crash_restarts: int = 0
    pg_restarted: bool = False


def supervise(
    args: list[str], schema: str | None, log: Path, producer: Any, every_s: float, pg_at: float
) -> Supervision:
    """Keep one consumer running while the producer runs; restart it every ``every_s``."""
    sup = Supervision()
    run = start_consumer(args, schema, log)
    sup.runs.append(run)
    t0 = time.monotonic()
    while producer.is_alive():
        time.sleep(1.0)
        run.sample()
        now = time.monotonic()
        if pg_at and not sup.pg_restarted and now - t0 >= pg_at:
            restart_postgresql()
            sup.pg_restarted = True
        if run.proc.poll() is not None:  # it died on its own: start it again
            sup.crash_restarts += 1
        elif now - run.started >= every_s:
            kill = sup.planned_restarts % 2 == 1
            run.proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            run.proc.wait(60)
            sup.planned_restarts += 1
        else:
            continue
        run = start_consumer(args, schema, log)
        sup.runs.append(run)
    run.proc.send_signal(signal.SIGTERM)
    run.proc.wait(60)
    last = start_consumer([*args, "--idle-exit-s", "10"], schema, log)
    sup.runs.append(last)
    while last.proc.poll() is None:
        time.sleep(1.0)
        last.sample()
    return sup


def check(store: Any, world: Any) -> tuple[int, int]:
    """(lost, profiles differing from the batch recompute)."""
    import sqlalchemy as sa

    from cible.store import tables as t

    sent = {json.loads(body)["event_id"] for body in world.messages}
    with store.engine.connect() as conn:
        done = {r[0] for r in conn.execute(sa.select(t.processed_events.c.event_id))}
    model = store.current_model()
    expected = pd.Series(model.predict(world.features), index=world.features.index)
    differing = 0
    for cid, row in world.features.iterrows():
        profile = store.get_profile(str(cid))
        if profile is None:
            differing += 1
            continue
        got = np.array(
            [np.nan if profile.features[k] is None else profile.features[k] for k in row.index],
            dtype=float,
        )
        same = np.allclose(got, row.to_numpy(), rtol=1e-9, atol=1e-6, equal_nan=True)
        if not same or profile.segment_id != int(expected.loc[cid]):
            differing += 1
    return len(sent - done), differing


def soak(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    from cible.store import ProfileStore

    total = int(args.rate * args.minutes * 60)
    world = live_world(folder / "live", customers=max(1000, total // 40), seed=7, limit=total)
    print(f"live world: {len(world.messages):,} events of {len(world.features):,} customers")
    schema = f"soak_{uuid.uuid4().hex[:12]}" if args.store == "postgresql" else None
    url = PG_URL if args.store == "postgresql" else f"sqlite:///{folder / 'soak.db'}"
    publish_world(folder / "published", url, schema=schema)
    queue = f"soak.events.{uuid.uuid4().hex[:8]}"
    consumer_args = ["--store", url, "--bus", "rabbitmq", "--bus-url", DEFAULT_URL]
    consumer_args += ["--queue", queue, "--output", "", "--as-of", world.as_of_datetime.isoformat()]
    ctx = multiprocessing.get_context("fork")
    seconds = ctx.Value("d", 0.0)
    producer = ctx.Process(target=_produce, args=(queue, world.messages, args.rate, seconds))
    try:
        publish_events(DEFAULT_URL, queue, [])  # declare the queue before the consumer starts
        producer.start()
        t0 = time.monotonic()
        pg_at = args.minutes * 30 if args.restart_postgresql else 0.0
        sup = supervise(
            consumer_args, schema, folder / "consumer.log", producer, args.restart_every * 60, pg_at
        )
        producer.join()
        drained_s = time.monotonic() - t0
        store = ProfileStore.open(url, schema=schema)
        try:
            lost, differing = check(store, world)
        finally:
            store.close()
    finally:
        _drop_queues([queue, queue + ".dead"])
        if schema:
            _drop_schema(schema)
    growths = [g for g in (r.growth_mb() for r in sup.runs) if g is not None]
    late = [g for g in (r.late_growth_mb() for r in sup.runs) if g is not None]
    if args.rss_csv:
        with Path(args.rss_csv).open("w") as out:
            out.write("run,seconds,rss_mb\n")
            for i, r in enumerate(sup.runs):
                out.writelines(f"{i},{t:.1f},{mb:.1f}\n" for t, mb in r.samples)
    return {
        "minutes": args.minutes,
        "events": len(world.messages),
        "lost": lost,
        "duplicated": differing,
        "rss_growth_mb": max(growths) if growths else None,
        "rss_late_growth_mb": max(late) if late else None,
        "rss_max_mb": max((mb for r in sup.runs for _, mb in r.samples), default=None),
        "rss_per_minute_mb": [r.per_minute_mb() for r in sup.runs],
        "rate_per_s": args.rate,
        "achieved_rate_per_s": len(world.messages) / seconds.value if seconds.value else None,
        "drained_s": drained_s,
        "consumed_per_s": len(world.messages) / drained_s,
        "store": args.store,
        "consumer_restarts": sup.planned_restarts,
        "crash_restarts": sup.crash_restarts,
        "postgresql_restarted": sup.pg_restarted,
        "_world": world,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=2000.0)
    parser.add_argument("--restart-every", type=float, default=5.0, help="minutes")
    parser.add_argument("--store", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--restart-postgresql", action="store_true")
    parser.add_argument("--rss-csv", help="write every RSS sample (run, seconds, MB) here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cible-soak-") as tmp:
        row = soak(args, Path(tmp))
        world = row.pop("_world")
        bare = bare_rabbitmq(world.messages[:50_000])
    print(
        f"{row['events']:,} events in {row['minutes']} min ({row['achieved_rate_per_s']:,.0f}/s), "
        f"{row['consumer_restarts']} restarts: lost {row['lost']}, differing profiles "
        f"{row['duplicated']}, RSS growth {row['rss_growth_mb']} MB "
        f"(second halves: {row['rss_late_growth_mb']} MB)"
    )
    for i, marks in enumerate(row["rss_per_minute_mb"]):
        print(f"consumer {i}: RSS MB at 20 s, each minute, end: {marks}")
    emit("soak", **row, bare_rabbitmq_events_per_s=bare)


if __name__ == "__main__":
    main()
