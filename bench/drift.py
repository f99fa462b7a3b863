"""Drift detection on 1,000,000 rows x 50 features, 10 of them shifted by 0.1 standard deviation.

The reference and the current population are 1,000,000 rows each of independent standard normal
features (seeded); features ``f00`` to ``f09`` of the current one are shifted by +0.1. Both are
tables of an in-memory DuckDB warehouse (one thread, ``CIBLE_THREADS``); cible's drift check
counts 20 quantile bins per feature in SQL and decides with Benjamini-Hochberg at 5 % AND the
normalised Wasserstein gate (>= 0.05). The same-run baseline is a plain ``scipy.stats.ks_2samp``
loop over the same columns, flagging at p < 0.05. Data generation and loading are not timed.

A second pair of tables (another seed) shifts the same 10 features by only 0.01 standard
deviation: a million rows make that significant for KS, and the effect gate is what keeps cible
from calling it drift ("shifted_flagged" there counts flags of a negligible shift).

Prints, as its last lines, one JSON object per configuration::

    {"bench": "drift_negligible_baseline_ks_loop", "rows": 1000000, "features": 50, "shift": 0.01, "seconds": ..., "shifted_flagged": ..., "unshifted_flagged": ...}
    {"bench": "drift_negligible", "rows": 1000000, "features": 50, "shift": 0.01, "seconds": ..., "shifted_flagged": ..., "unshifted_flagged": ...}
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
NEGLIGIBLE = 0.01


def _tables(rows: int, seed: int, shift: float) -> tuple[pa.Table, pa.Table, list[str]]:
    rng = np.random.default_rng(seed)
    names = [f"f{i:02d}" for i in range(FEATURES)]
    ref = {n: rng.standard_normal(rows) for n in names}
    cur = {
        n: rng.standard_normal(rows) + (shift if i < SHIFTED else 0.0) for i, n in enumerate(names)
    }
    return pa.table(ref), pa.table(cur), names


def _flags(flagged: set[str], names: list[str]) -> tuple[int, int]:
    shifted = set(names[:SHIFTED])
    return len(flagged & shifted), len(flagged - shifted)


def _measure(rows: int, seed: int, shift: float) -> tuple[dict[str, float], dict[str, float]]:
    """(baseline figures, cible figures) on one generated pair of tables."""
    ref, cur, names = _tables(rows, seed, shift)
    t0 = time.perf_counter()
    base = {n: stats.ks_2samp(ref[n].to_numpy(), cur[n].to_numpy()).pvalue for n in names}
    base_seconds = time.perf_counter() - t0
    s, u = _flags({n for n, p in base.items() if p < 0.05}, names)
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
        f"shift {shift} sd: scipy ks_2samp loop {base_seconds:.2f} s, flagged {s}/{SHIFTED} "
        f"shifted, {u}/{FEATURES - SHIFTED} others; cible {seconds:.2f} s, flagged {s2}/{SHIFTED}"
        f" shifted, {u2}/{FEATURES - SHIFTED} others; effect of the shifted "
        f"{min(effects[:SHIFTED]):.4f}..{max(effects[:SHIFTED]):.4f}, others "
        f"{min(effects[SHIFTED:]):.4f}..{max(effects[SHIFTED:]):.4f}"
    )
    return (
        {"seconds": base_seconds, "shifted_flagged": s, "unshifted_flagged": u},
        {"seconds": seconds, "shifted_flagged": s2, "unshifted_flagged": u2},
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20261203)
    args = parser.parse_args()
    common = {"rows": args.rows, "features": FEATURES}
    tiny_base, tiny = _measure(args.rows, args.seed + 1, NEGLIGIBLE)
    base, ours = _measure(args.rows, args.seed, SHIFT)
    emit("drift_negligible_baseline_ks_loop", **common, shift=NEGLIGIBLE, **tiny_base)
    emit("drift_negligible", **common, shift=NEGLIGIBLE, **tiny)
    emit("drift_baseline_ks_loop", **common, **base)
    emit("drift", **common, **ours)


if __name__ == "__main__":
    main()
