"""Ingestion of the generated world against DuckDB's own bare load of the same files.

    python bench/ingest.py --customers 100000 [--seed 7] [--dir DIR] [--data DIR]
                           [--memory-limit 3GB] [--chunk-rows 200000]

Generates the demo world (``cible generate``'s files) under ``--dir`` (default: a temporary folder
removed afterwards; ``--data`` reuses a folder written by ``cible generate`` for that number of
customers), then, each in its own child process so that the peak resident set size read
from ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` after it is its own:

* **cible**: :func:`cible.services.ingest.ingest` with the demo configuration into a new DuckDB
  warehouse (read, decode, validate, standardise, quarantine, load in one transaction);
* **duckdb**: DuckDB alone loading the same files into a new database file, with no validation
  (``read_csv(..., ignore_errors = true)`` and ``read_json(..., ignore_errors = true)``: bad rows
  skipped, nothing said about them), the baseline of what reading the bytes costs.

Each child starts with a fresh interpreter, so the peaks include it and its imports. Prints the
rows, wall and CPU seconds (user + system of every thread: steadier than wall on a shared
machine) and peak RSS of each, then the ratios and the load average. Last lines: one JSON object per engine,
{"bench": "ingest", "engine": "cible", "customers": N, "rows": ..., "seconds": ...,
"cpu_seconds": ..., "peak_rss_mb": ...}
(bench/_emit.py), then the same with "engine": "duckdb".
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _emit import emit  # bench/ is the script folder on sys.path

_CIBLE = """
import json, sys
from pathlib import Path
from cible.config import load_config
from cible.services.ingest import ingest
from cible.warehouse.registry import open_warehouse
cfg = load_config(Path(sys.argv[1]))
out = Path(sys.argv[2])
with open_warehouse(cfg.warehouse, out) as wh:
    summary = ingest(cfg, wh, out, write_quality_files=False)
totals = summary.as_dict()["totals"]
print(json.dumps({"rows": totals["read"], "accepted": totals["accepted"],
                  "quarantined": totals["quarantined"], "balanced": summary.balanced}))
"""

_DUCKDB = """
import json, sys
import duckdb
data, db = sys.argv[1], sys.argv[2]
con = duckdb.connect(db)
con.execute("CREATE TABLE customers AS SELECT * FROM read_csv('" + data
            + "/customers.csv', all_varchar = true, ignore_errors = true)")
con.execute("CREATE TABLE orders AS SELECT * FROM read_csv('" + data
            + "/orders.csv', all_varchar = true, ignore_errors = true)")
con.execute("CREATE TABLE web AS SELECT * FROM read_json('" + data
            + "/web_events.jsonl', format = 'newline_delimited', ignore_errors = true)")
rows = sum(con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
           for t in ("customers", "orders", "web"))
con.close()
print(json.dumps({"rows": rows}))
"""


def _child(code: str, *args: str) -> tuple[float, float, float, dict[str, object]]:
    """(wall seconds, CPU seconds, peak RSS in MiB, the child's last JSON line) of ``code`` in a
    child (CPU: user + system of all its threads, steadier than wall on a shared machine).

    ``RUSAGE_CHILDREN`` holds the largest peak of the children waited for so far, so each engine
    runs in a grandchild: the child waits for it and reports that peak alone."""
    wrapper = (
        "import resource, subprocess, sys\n"
        "p = subprocess.run([sys.executable, '-c', sys.argv[1], *sys.argv[2:]], check=True,"
        " stdout=subprocess.PIPE, text=True)\n"
        "print(p.stdout.strip().splitlines()[-1])\n"
        "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(u.ru_maxrss, u.ru_utime + u.ru_stime)\n"
    )
    t0 = time.perf_counter()
    done = subprocess.run(  # the engine's errors go to the terminal (stderr is not captured)
        [sys.executable, "-c", wrapper, code, *args], check=True, stdout=subprocess.PIPE, text=True
    )
    seconds = time.perf_counter() - t0
    result, usage = done.stdout.strip().splitlines()[-2:]
    peak_kib, cpu = usage.split()
    return seconds, float(cpu), int(peak_kib) / 1024, json.loads(result)


def _config(world: Path, memory_limit: str | None, chunk_rows: int | None) -> Path:
    from cible.services.demo import write_demo_config

    path = write_demo_config(world)
    text = path.read_text(encoding="utf-8")
    if memory_limit:
        text = text.replace(
            "warehouse:\n  path: warehouse.duckdb",
            f"warehouse:\n  memory_limit: {memory_limit}\n  path: warehouse.duckdb",
        )
    if chunk_rows:
        text += f"\ningest:\n  chunk_rows: {chunk_rows}\n"
    path.write_text(text, encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dir", type=Path, default=None, help="where the world is generated")
    parser.add_argument("--data", type=Path, default=None, help="an already generated world")
    parser.add_argument("--memory-limit", default=None, help="warehouse.memory_limit")
    parser.add_argument("--chunk-rows", type=int, default=None, help="ingest.chunk_rows")
    args = parser.parse_args()
    from cible.synth.generate import generate_world

    root = Path(tempfile.mkdtemp(prefix="cible-bench-ingest-", dir=args.dir))
    try:
        world = root / "world"
        t0 = time.perf_counter()
        if args.data is None:
            generate_world(args.customers, args.seed, world / "data")
        else:
            world.mkdir()
            (world / "data").symlink_to(args.data.resolve())
        size = sum(p.stat().st_size for p in (world / "data").iterdir())
        print(
            f"world of {args.customers:,} customers, {size / 1e6:,.0f} MB "
            f"({time.perf_counter() - t0:.1f} s to generate or find)"
        )
        config = _config(world, args.memory_limit, args.chunk_rows)
        (world / "out").mkdir()
        c_sec, c_cpu, c_peak, c = _child(_CIBLE, str(config), str(world / "out"))
        d_sec, d_cpu, d_peak, d = _child(_DUCKDB, str(world / "data"), str(world / "bare.duckdb"))
        print(
            f"cible   {c['rows']:>12,} rows  {c_sec:7.1f} s ({c_cpu:7.1f} s CPU)  "
            f"peak {c_peak:8,.0f} MiB "
            f"(accepted {c['accepted']:,}, quarantined {c['quarantined']:,}, "
            f"balanced {c['balanced']})"
        )
        print(
            f"duckdb  {d['rows']:>12,} rows  {d_sec:7.1f} s ({d_cpu:7.1f} s CPU)  "
            f"peak {d_peak:8,.0f} MiB (bare load)"
        )
        print(
            f"cible / duckdb: {c_sec / d_sec:.1f}x the time ({c_cpu / d_cpu:.1f}x the CPU), "
            f"{c_peak / d_peak:.1f}x the memory; load average {os.getloadavg()}"
        )
        emit(
            "ingest",
            engine="cible",
            customers=args.customers,
            rows=c["rows"],
            seconds=c_sec,
            cpu_seconds=c_cpu,
            peak_rss_mb=c_peak,
        )
        emit(
            "ingest",
            engine="duckdb",
            customers=args.customers,
            rows=d["rows"],
            seconds=d_sec,
            cpu_seconds=d_cpu,
            peak_rss_mb=d_peak,
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
