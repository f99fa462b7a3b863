"""cible's automatic matching configuration against recordlinkage (ECM) and Splink, same data,
same run.

    python bench/dedup_peers.py [--data febrl1,febrl2,febrl3,febrl4,fake_1000,listings]
                                [--tools cible,recordlinkage,splink]
    python bench/dedup_peers.py --data restaurants --restaurants FILE

Data: Febrl dataset1, dataset2, dataset3 (dedup) and dataset4a + dataset4b (linkage: 4a holds the
originals, 4b one duplicate of each) from ../shared/datasets/febrl, truth the N of rec-N-...;
Splink's fake_1000 (truth: ``cluster``); and generated business listings with planted truth
(:func:`cible.synth.listings.planted_listings`: site name, street address, 7-digit phone, zip,
e-mail; chains and shared buildings as confusers). On request (``--data historical_50k``, not in
the default list): Splink's 50k historical persons with typos, a public file not shipped here
(set CIBLE_HISTORICAL_50K to its path; see ``_peer_tasks.historical_50k``); ``--data restaurants
--restaurants FILE``: two restaurant guides in one table (864 rows, 112 true pairs), the public
``restaurant.csv`` of the Distributed-Entity-Resolution repository, not shipped here either.

cible lists only the field names (``find_duplicates_auto``: kinds, comparators, levels,
term-frequency fields and blocking rules are chosen from the data, and printed). The peers' setups
are described in bench/_peers.py: recordlinkage as a careful user writes it (several blocks,
Jaro-Winkler on names, ECM), Splink as its own Febrl examples do. Each tool runs in its own child
process on the same files, so "peak_rss_mb" is that tool's peak resident memory (Python and its
imports included); "seconds" is wall time of matching and clustering (data already loaded).
Figures: pairwise precision / recall / F1 over record pairs (``pairwise_metrics``).
Needs the ``bench`` extra (``pip install -e .[bench]``) for the peers.
Last lines: one JSON object per tool and data set, {"bench": "dedup_peers", ...} (bench/_emit.py):
{"bench": "dedup_peers", "data": ..., "tool": ..., "records": ..., "precision": ..., "recall": ...,
"f1": ..., "seconds": ..., "peak_rss_mb": ..., "candidate_pairs": ...}.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from _emit import emit  # bench/ is the script folder on sys.path
from _peer_tasks import RESTAURANTS_ENV, TASKS, load_task
from _peers import RUNNERS
from cible.identity import pairwise_metrics

TOOLS = ("cible", "recordlinkage", "splink")
_MARK = "PEER-RESULT "


def run_one(tool: str, data: str) -> None:
    """Child process: one tool on one data set; prints one marked JSON line."""
    task = load_task(data)
    start = time.perf_counter()
    clusters, extra = RUNNERS[tool](task)
    seconds = time.perf_counter() - start
    metrics = pairwise_metrics(clusters, task.truth)
    figures = {
        "data": data,
        "tool": tool,
        "records": len(task.records),
        "precision": metrics["precision"],
        "recall": metrics["recall"],
        "f1": metrics["f1"],
        "true_pairs": metrics["true_pairs"],
        "predicted_pairs": metrics["predicted_pairs"],
        "seconds": seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        **extra,
    }
    print(_MARK + json.dumps(figures))


def run_child(tool: str, data: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--one", tool, data],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-3:]
        return {"data": data, "tool": tool, "error": " | ".join(tail)}
    for line in done.stdout.splitlines():
        if line.startswith(_MARK):
            return dict(json.loads(line[len(_MARK) :]))
        if tool == "cible":
            print(f"  [{data}] {line}")
    return {"data": data, "tool": tool, "error": "no result line"}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    on_request = ("historical_50k", "restaurants")
    parser.add_argument("--data", default=",".join(t for t in TASKS if t not in on_request))
    parser.add_argument(
        "--restaurants", metavar="FILE", help="restaurant.csv for --data restaurants"
    )
    parser.add_argument("--tools", default=",".join(TOOLS))
    parser.add_argument("--one", nargs=2, metavar=("TOOL", "DATA"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.restaurants:
        os.environ[RESTAURANTS_ENV] = str(Path(args.restaurants).resolve())
    if args.one:
        run_one(*args.one)
        return
    results = []
    for data in args.data.split(","):
        for tool in args.tools.split(","):
            figures = run_child(tool, data)
            results.append(figures)
            if "error" in figures:
                print(f"{data:<10} {tool:<14} FAILED: {figures['error']}")
                continue
            print(
                f"{data:<10} {tool:<14} P {figures['precision']:.4f} R {figures['recall']:.4f} "
                f"F1 {figures['f1']:.4f}  {figures['seconds']:.1f}s  "
                f"{figures['peak_rss_mb']:.0f} MiB"
            )
    for figures in results:
        emit("dedup_peers", **figures)


if __name__ == "__main__":
    main()
