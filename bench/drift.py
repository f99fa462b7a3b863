"""Drift detection on 1,000,000 rows x 50 features, 10 of them shifted by 0.1 standard deviation.

The reference and the current population are 1,000,000 rows each of independent standard normal
features (seeded); features ``f00`` to ``f09`` of the current one are shifted by +0.1. Both are
tables of an in-memory DuckDB warehouse (one thread, ``CIBLE_THREADS``); cible's drift check
counts 20 quantile bins per feature in SQL and decides with Benjamini-Hochberg at 5 % AND the
normalised Wasserstein gate (>= 0.05). The same-run baseline is a plain ``scipy.stats.ks_2samp``
loop over the same columns, flagging at p < 0.05. Data generation and loading are not timed.

Prints, as its last lines, one JSON object per configuration::

    {"bench": "drift_baseline_ks_loop", "rows": 1000000, "features": 50, "seconds": ..., "shifted_flagged": ..., "unshifted_flagged": ...}
    {"bench": "drift", "rows": 1000000, "features": 50, "seconds": ..., "shifted_flagged": ..., "unshifted_flagged": ...}

Run: ``PYTHONPATH=src python bench/drift.py [--rows N]``.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pyarrow as pa
from scipy import stats

from _emit import emit  # bench/ is the script folder on sys.path
from cible.lifecycle.drift import detect_drift
from cible.warehouse.duckdb import DuckDBWarehouse

FEATURES = 50
SHIFTED = 10
SHIFT = 0.1


def _tables(rows: int, seed: int) -> tuple[pa.Table, pa.Table, list[str]]:
    rng = np.random.default_rng(seed)
    names = [f"f{i:02d}" for i in range(FEATURES)]
    ref = {n: rng.standard_normal(rows) for n in names}
    cur = {
        n: rng.standard_normal(rows) + (SHIFT if i < SHIFTED else 0.0) for i, n in enumerate(names)
    }
    return pa.table(ref), pa.table(cur), names


def _flags(flagged: set[str], names: list[str]) -> tuple[int, int]:
    shifted = set(names[:SHIFTED])
    return len(flagged & shifted), len(flagged - shifted)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20261203)
    args = parser.parse_args()
    ref, cur, names = _tables(args.rows, args.seed)
    common = {"rows": args.rows, "features": FEATURES}

    t0 = time.perf_counter()
    base = {n for n in names if stats.ks_2samp(ref[n].to_numpy(), cur[n].to_numpy()).pvalue < 0.05}
    base_seconds = time.perf_counter() - t0
    s, u = _flags(base, names)
    print(
        f"scipy ks_2samp loop: {base_seconds:.2f} s, flagged {s}/{SHIFTED} shifted, {u}/{FEATURES - SHIFTED} others"
    )

    wh = DuckDBWarehouse(":memory:")
    wh.execute(f"SET threads = {int(os.environ.get('CIBLE_THREADS', '1'))}")
    for name, table in (("reference", ref), ("current", cur)):
        wh.register(f"__{name}", table)
        wh.execute(f"CREATE TABLE {name} AS SELECT * FROM __{name}")
        wh.unregister(f"__{name}")
    del ref, cur
    t0 = time.perf_counter()
    report = detect_drift(wh, "reference", "current", numeric=names)
    seconds = time.perf_counter() - t0
    wh.close()
    s2, u2 = _flags(set(report.drifted_features), names)
    effects = [report.feature(n).effect for n in names]
    print(
        f"cible drift: {seconds:.2f} s, flagged {s2}/{SHIFTED} shifted, {u2}/{FEATURES - SHIFTED} "
        f"others; effect shifted {min(effects[:SHIFTED]):.4f}..{max(effects[:SHIFTED]):.4f}, "
        f"others {min(effects[SHIFTED:]):.4f}..{max(effects[SHIFTED:]):.4f}"
    )
    emit(
        "drift_baseline_ks_loop",
        **common,
        seconds=base_seconds,
        shifted_flagged=s,
        unshifted_flagged=u,
    )
    emit("drift", **common, seconds=seconds, shifted_flagged=s2, unshifted_flagged=u2)


if __name__ == "__main__":
    main()
