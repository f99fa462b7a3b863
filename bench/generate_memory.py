"""Time and peak memory of the synthetic world generator at scale.

    python bench/generate_memory.py --customers 1000000 [--seed 42] [--out DIR]

Runs :func:`cible.synth.generate_world` in a child process, so that the peak resident set size
read from ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` is the generator's own (interpreter and
imports included), then prints the wall time, the peak RSS, the row counts of the summary and the
size of each file. Without ``--out`` the files go to a temporary directory removed afterwards.
Last lines: one JSON object per measured configuration, {"bench": "generate_memory", ...} (bench/_emit.py).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _emit import emit  # bench/ is the script folder on sys.path

_CHILD = """
import dataclasses, json, sys
from pathlib import Path
from cible.synth import generate_world
summary = generate_world(int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]))
print(json.dumps(dataclasses.asdict(summary), default=str))
"""


def run(customers: int, seed: int, out_dir: Path) -> tuple[float, int, dict[str, object]]:
    """(wall seconds, peak RSS in bytes, summary) of one generation in a child process."""
    started = time.perf_counter()
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, str(customers), str(seed), str(out_dir)],
        check=True,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    summary: dict[str, object] = json.loads(child.stdout.strip().splitlines()[-1])
    return wall, peak_kib * 1024, summary


def report(customers: int, wall: float, peak: int, summary: dict[str, object], out: Path) -> None:
    print(f"customers          {customers:>14,}")
    print(f"wall time          {wall:>14.1f} s")
    print(f"peak RSS           {peak / 2**20:>14,.0f} MiB")
    for key in (
        "n_customer_rows",
        "n_order_rows",
        "n_web_event_rows",
        "n_duplicates",
        "n_malformed",
    ):
        print(f"{key:<18} {int(str(summary[key])):>14,}")
    rows = int(str(summary["n_order_rows"])) + int(str(summary["n_web_event_rows"]))
    print(f"events/customer    {rows / customers:>14.1f}")
    total = 0
    for path in sorted(out.iterdir()):
        size = path.stat().st_size
        total += size
        print(f"{path.name:<18} {size / 2**20:>14,.1f} MiB")
    print(f"{'all files':<18} {total / 2**20:>14,.1f} MiB")
    emit(
        "generate_memory",
        customers=customers,
        rows=rows + int(str(summary["n_customer_rows"])),
        seconds=wall,
        peak_rss_mb=peak / 2**20,
        files_mb=total / 2**20,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=None, help="keep the files in this directory")
    args = parser.parse_args()
    if args.out is not None:
        wall, peak, summary = run(args.customers, args.seed, args.out)
        report(args.customers, wall, peak, summary, args.out)
        return
    with tempfile.TemporaryDirectory(prefix="cible-synth-") as tmp:
        wall, peak, summary = run(args.customers, args.seed, Path(tmp))
        report(args.customers, wall, peak, summary, Path(tmp))


if __name__ == "__main__":
    main()
