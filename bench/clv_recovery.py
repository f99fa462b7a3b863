"""Parameter recovery of the CLV models on transaction logs drawn from known parameters.

    python bench/clv_recovery.py [--customers 800000] [--days 546] [--unit h] [--seed 2026]
    python bench/clv_recovery.py --replicates 30 --customers 20000   # are the SEs right?

One run: draws a log from the BG/NBD + Gamma-Gamma story with the CDNOW parameters of Fader,
Hardie & Lee (2005), summarises it with :func:`rfm_summary` in periods of ``--unit``, fits both
models and prints, per parameter, the estimate, its error, its standard error (inverse observed
information) and how many standard errors the 5% tolerance of the recovery test is. With
``--replicates R``, draws R logs and compares the spread of the estimates with the mean standard
error (they agree when the standard errors used to size the test are right).
Last lines: one JSON object per measured configuration, {"bench": "clv_recovery", ...} (bench/_emit.py).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from _emit import emit  # bench/ is the script folder on sys.path
from cible.predict.clv import (
    CDNOW_BGNBD,
    CDNOW_GAMMA_GAMMA,
    BetaGeoModel,
    GammaGammaModel,
    rfm_summary,
    simulate_transactions,
)
from cible.predict.clv.rfm import UNIT_DAYS


def one_run(
    customers: int, days: int, unit: str, seed: int
) -> tuple[dict[str, float], dict[str, float], dict[str, float], dict[str, float]]:
    """(estimates, standard errors, truth, timings) of one simulated log."""
    t0 = time.perf_counter()
    sim = simulate_transactions(
        customers, CDNOW_BGNBD, CDNOW_GAMMA_GAMMA, observation_days=days, random_state=seed
    )
    t1 = time.perf_counter()
    s = rfm_summary(
        sim.transactions,
        value_col="value",
        observation_end=sim.observation_end,
        time_unit=unit,  # type: ignore[arg-type]
    )
    t2 = time.perf_counter()
    bg = BetaGeoModel().fit(s["frequency"], s["recency"], s["T"])
    t3 = time.perf_counter()
    gg = GammaGammaModel().fit(s["frequency"], s["monetary_value"])
    t4 = time.perf_counter()
    truth = dict(CDNOW_BGNBD, alpha=CDNOW_BGNBD["alpha"] * 7 / UNIT_DAYS[unit], **CDNOW_GAMMA_GAMMA)
    timings = {
        "rows": float(len(sim.transactions)),
        "repeat_customers": float(gg.n_customers_),
        "simulate_s": t1 - t0,
        "rfm_s": t2 - t1,
        "bgnbd_fit_s": t3 - t2,
        "gamma_gamma_fit_s": t4 - t3,
    }
    return (
        {**bg.params_, **gg.params_},
        {**bg.standard_errors_, **gg.standard_errors_},
        truth,
        timings,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=800_000)
    parser.add_argument("--days", type=int, default=546)
    parser.add_argument("--unit", choices=sorted(UNIT_DAYS), default="h")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--replicates", type=int, default=0)
    args = parser.parse_args()
    if args.replicates:
        runs = [
            one_run(args.customers, args.days, args.unit, args.seed + i)
            for i in range(args.replicates)
        ]
        truth = runs[0][2]
        print(
            f"{args.replicates} logs of {args.customers} customers, {args.days} days, unit {args.unit}"
        )
        print(f"{'param':>6} {'truth':>10} {'mean est':>10} {'sd of est':>10} {'mean SE':>10}")
        for name in truth:
            est = np.array([r[0][name] for r in runs])
            se = np.array([r[1][name] for r in runs])
            print(
                f"{name:>6} {truth[name]:>10.4g} {est.mean():>10.4g} {est.std(ddof=1):>10.4g} "
                f"{se.mean():>10.4g}"
            )
        emit(
            "clv_recovery",
            customers=args.customers,
            days=args.days,
            unit=args.unit,
            replicates=args.replicates,
            params={
                n: {
                    "truth": truth[n],
                    "mean_estimate": float(np.mean([r[0][n] for r in runs])),
                    "sd_estimate": float(np.std([r[0][n] for r in runs], ddof=1)),
                    "mean_se": float(np.mean([r[1][n] for r in runs])),
                }
                for n in truth
            },
        )
        return
    est, se, truth, timings = one_run(args.customers, args.days, args.unit, args.seed)
    print(f"{args.customers} customers, {args.days} days, unit {args.unit}, seed {args.seed}")
    print(", ".join(f"{k} {v:.3g}" for k, v in timings.items()))
    print(f"{'param':>6} {'truth':>10} {'estimate':>10} {'error %':>8} {'SE %':>6} {'5%/SE':>6}")
    for name, value in truth.items():
        print(
            f"{name:>6} {value:>10.4g} {est[name]:>10.4g} {100 * (est[name] / value - 1):>8.2f} "
            f"{100 * se[name] / value:>6.2f} {0.05 * value / se[name]:>6.1f}"
        )
    emit(
        "clv_recovery",
        customers=args.customers,
        days=args.days,
        unit=args.unit,
        seed=args.seed,
        run=timings,  # counts and seconds of each step
        error_pct={n: 100 * (est[n] / v - 1) for n, v in truth.items()},
        max_abs_error_pct=max(abs(100 * (est[n] / v - 1)) for n, v in truth.items()),
    )


if __name__ == "__main__":
    main()
