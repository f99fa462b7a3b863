"""Uplift targeting on Hillstrom: every model of examples/hillstrom_uplift.yaml against the
boosting T-learner baseline, measured in the same run on the same splits.

    python bench/uplift_hillstrom.py [--seeds 10]

Womens E-Mail vs No E-Mail, outcome visit, 30% held-out split stratified by (arm, visit). Seed 0 is
the split of the example (and of docs/experiments.md); the other seeds show how much a single
split's figures move. Prints per model and seed the held-out Qini coefficient and the uplift in
the top 10% and 30%, then per model the mean over seeds, the seed-0 figures and on how many seeds
it beats the baseline (Qini and top 30%) and the fit seconds.
Last lines: one JSON object per model, {"bench": "uplift_hillstrom", ...} (bench/_emit.py).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from _emit import emit  # bench/ is the script folder on sys.path
from cible.config.experiments import load_uplift_config
from cible.experiments.uplift_run import fit_and_evaluate
from cible.services.uplift import load_uplift_data

ROOT = Path(__file__).resolve().parents[1]
KEYS = ("qini_coefficient", "uplift_top_10", "uplift_top_30")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args()
    cfg = load_uplift_config(ROOT / "examples" / "hillstrom_uplift.yaml")
    data = load_uplift_data(cfg)
    x, y, t = data.x[data.used], data.y, data.t
    specs = [(m.method, m.base) for m in cfg.models]
    figures: dict[str, list[list[float]]] = {f"{m}/{b}": [] for m, b in specs}
    seconds: dict[str, float] = dict.fromkeys(figures, 0.0)
    for seed in range(args.seeds):
        for spec in specs:
            name = f"{spec[0]}/{spec[1]}"
            t0 = time.perf_counter()
            (e,), _, _ = fit_and_evaluate(x, y, t, [spec], test_size=cfg.test_size, seed=seed)
            seconds[name] += time.perf_counter() - t0
            figures[name].append([getattr(e, k) for k in KEYS])
            print(f"seed {seed} {name:<32} " + " ".join(f"{k} {getattr(e, k):.4f}" for k in KEYS))
    base = np.array(figures[cfg.baseline])
    for name, rows in figures.items():
        a = np.array(rows)
        emit(
            "uplift_hillstrom",
            model=name,
            seeds=args.seeds,
            **{f"{k}_mean": float(a[:, i].mean()) for i, k in enumerate(KEYS)},
            **{f"{k}_seed0": float(a[0, i]) for i, k in enumerate(KEYS)},
            seeds_beating_baseline_qini=int((a[:, 0] > base[:, 0]).sum()),
            seeds_beating_baseline_top30=int((a[:, 2] > base[:, 2]).sum()),
            fit_seconds_per_split=seconds[name] / args.seeds,
        )


if __name__ == "__main__":
    main()
