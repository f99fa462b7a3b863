"""`cible run` against the tutorial script, on Online Retail and on the generated demo world.

    python bench/pipeline.py [--data online_retail demo] [--customers 20000] [--no-loaded]

For each data set, in one process tree (this script starts every run as a child process, with
the thread variables OMP/OPENBLAS/MKL_NUM_THREADS removed so that each program picks its own
thread counts as it would for a user):

* cible: ``cible run --config ... --out ...``, the whole pipeline (ingest with validation and
  quarantine, features, the 4-algorithm selection, validation, explanation, maps, report);
* textbook: the recipe of the common RFM tutorials on the same data: pandas reads and cleans the
  rows (Online Retail: drop rows without CustomerID, "C" cancellations, non-positive quantity or
  price; demo: the orders and web events read and coerced, refunds signed), recency / frequency /
  monetary per customer, log1p, StandardScaler, KMeans(n_init=10) for k = 2..10 and the full
  silhouette of each, best k by silhouette.

Times are wall seconds from start to exit of each child (imports included), and the CPU seconds
(user + system, all threads) the child used: on a machine shared with other jobs the CPU
seconds move much less than the wall seconds. Each pair is run
quiet, then ("loaded") beside a competing CPU-bound process (one busy Python loop), to show how
each degrades when it shares the machine.
Last lines: one JSON object per data set and load, {"bench": "pipeline", "data": ...,
"cible_s": ..., "textbook_s": ..., "ratio": ...} (bench/_emit.py).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from _emit import emit  # bench/ is the script folder on sys.path

ROOT = Path(__file__).resolve().parent.parent
RETAIL_CONFIG = ROOT / "examples" / "online_retail.yaml"
RETAIL_DATA = ROOT.parent / "shared" / "datasets" / "online_retail" / "online_retail.parquet"
DEMO_AS_OF = pd.Timestamp("2026-07-01", tz="UTC")
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
BUSY_LOOP = "while True:\n    pass\n"


# -- the tutorial script (run in a child: python bench/pipeline.py --textbook KIND PATH) ---------


def retail_rfm(path: Path) -> pd.DataFrame:
    """The tutorial cleaning and RFM table of Online Retail."""
    df = pd.read_parquet(path)
    df = df.dropna(subset=["CustomerID"])
    df = df[~df["InvoiceNo"].astype(str).str.startswith("C")]
    df = df[(df["Quantity"] > 0) & (df["UnitPrice"] > 0)].copy()
    df["InvoiceDate"] = pd.to_datetime(df["InvoiceDate"])
    df["amount"] = df["Quantity"] * df["UnitPrice"]
    snapshot = df["InvoiceDate"].max() + pd.Timedelta(days=1)
    return df.groupby("CustomerID").agg(
        recency=("InvoiceDate", lambda d: (snapshot - d.max()).days),
        frequency=("InvoiceNo", "nunique"),
        monetary=("amount", "sum"),
    )


def demo_rfm(data: Path) -> pd.DataFrame:
    """The tutorial reading of the demo world's orders, refunds signed, as an RFM table."""
    orders = pd.read_csv(data / "orders.csv", dtype=str)
    orders["quantity"] = pd.to_numeric(orders["quantity"], errors="coerce")
    orders["unit_price"] = pd.to_numeric(orders["unit_price"], errors="coerce")
    orders["ts"] = pd.to_datetime(orders["order_date"], errors="coerce", utc=True)
    orders = orders.dropna(subset=["customer_id", "ts", "quantity", "unit_price"])
    orders = orders[orders["ts"] < DEMO_AS_OF]
    sign = orders["status"].eq("returned").map({True: -1.0, False: 1.0})
    orders["amount"] = sign * orders["quantity"] * orders["unit_price"]
    buys = orders[orders["status"] == "completed"]
    rfm = buys.groupby("customer_id").agg(
        recency=("ts", lambda d: (DEMO_AS_OF - d.max()).days),
        frequency=("order_id", "nunique"),
        monetary=("amount", "sum"),
    )
    refunds = orders[orders["status"] == "returned"].groupby("customer_id")["amount"].sum()
    rfm["monetary"] = rfm["monetary"].add(refunds, fill_value=0).reindex(rfm.index)
    return rfm


def textbook(kind: str, path: Path) -> dict[str, float]:
    """RFM, log1p, scaling, KMeans for k = 2..10 with the full silhouette: the best k."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score
    from sklearn.preprocessing import StandardScaler

    rfm = retail_rfm(path) if kind == "online_retail" else demo_rfm(path)
    X = StandardScaler().fit_transform(np.log1p(rfm.clip(lower=0)))
    best = (-1.0, 0)
    for k in range(2, 11):
        labels = KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(X)
        best = max(best, (float(silhouette_score(X, labels)), k))
    return {"customers": len(rfm), "k": best[1], "silhouette": best[0]}


# -- the parent ---------------------------------------------------------------------------------


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARIABLES}
    src = str(ROOT / "src")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH", "")) if p)
    return env


CPU_SECONDS: list[float] = []  # user + system seconds of each child, in order


def _timed(args: list[str]) -> tuple[float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(args, env=_env(), capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU_SECONDS.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args[:4])}... failed:\n{done.stdout[-2000:]}{done.stderr}")
    return seconds, done.stdout


def run_cible(config: Path, out: Path) -> tuple[float, dict[str, object]]:
    cli = "from cible.cli.main import app; app()"
    seconds, _ = _timed(
        [sys.executable, "-c", cli, "run", "--config", str(config), "--out", str(out)]
    )
    return seconds, json.loads((out / "run.json").read_text(encoding="utf-8"))


def run_textbook(kind: str, path: Path) -> tuple[float, dict[str, float]]:
    seconds, out = _timed([sys.executable, __file__, "--textbook", kind, str(path)])
    return seconds, json.loads(out.strip().splitlines()[-1])


def persona_ari(out: Path, data: Path) -> float:
    from cible.services.pipeline import persona_agreement

    truth = pd.read_csv(data / "truth.csv", dtype=str, keep_default_na=False).replace({"": None})
    return persona_agreement(pd.read_parquet(out / "segments.parquet"), truth)


def measure(name: str, config: Path, kind: str, path: Path, tmp: Path, load: str) -> dict:
    out = tmp / f"out_{name}_{load.split()[0]}"
    cible_s, record = run_cible(config, out)
    cible_cpu = CPU_SECONDS[-1]
    textbook_s, naive = run_textbook(kind, path)
    textbook_cpu = CPU_SECONDS[-1]
    steps = {k: round(float(v), 2) for k, v in dict(record["seconds"]).items()}  # type: ignore[arg-type]
    print(
        f"{name:<14} {load:<28} cible {cible_s:6.1f}s wall {cible_cpu:6.1f}s CPU "
        f"(steps {steps}, k={record['chosen_k']}, {record['algorithm']})  textbook "
        f"{textbook_s:6.1f}s wall {textbook_cpu:6.1f}s CPU (k={naive['k']})  "
        f"ratio {cible_s / textbook_s:.2f}",
        flush=True,
    )
    figures = {
        "data": name,
        "load": load,
        "cible_s": cible_s,
        "textbook_s": textbook_s,
        "ratio": cible_s / textbook_s,
        "cible_cpu_s": cible_cpu,
        "textbook_cpu_s": textbook_cpu,
        "cpu_ratio": cible_cpu / textbook_cpu,
        "cible_steps_s": steps,
        "cible_k": record["chosen_k"],
        "cible_algorithm": record["algorithm"],
        "textbook_k": naive["k"],
        "customers": record["customers"],
        "cpus": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
    }
    if kind == "demo":
        figures["persona_ari"] = persona_ari(out, path)
    return figures


def datasets(names: list[str], customers: int, tmp: Path) -> list[tuple[str, Path, str, Path]]:
    found = []
    for name in names:
        if name == "online_retail":
            if not RETAIL_DATA.is_file():
                raise SystemExit(f"Online Retail not found at {RETAIL_DATA} (see shared/datasets)")
            found.append((name, RETAIL_CONFIG, "online_retail", RETAIL_DATA))
        else:
            from cible.services.demo import write_demo_config
            from cible.synth.generate import generate_world

            world = tmp / "demo"
            generate_world(customers, 42, world / "data")
            found.append((f"demo {customers}", write_demo_config(world), "demo", world / "data"))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", nargs="+", default=["online_retail", "demo"])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--no-loaded", action="store_true", help="skip the loaded configuration")
    parser.add_argument("--textbook", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.textbook:
        print(json.dumps(textbook(args.textbook[0], Path(args.textbook[1]))))
        return
    results = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        sets = datasets(args.data, args.customers, tmp)
        for name, config, kind, path in sets:
            results.append(measure(name, config, kind, path, tmp, "quiet"))
        if not args.no_loaded:
            busy = subprocess.Popen([sys.executable, "-c", BUSY_LOOP])
            try:
                for name, config, kind, path in sets:
                    loaded = measure(name, config, kind, path, tmp, "beside 1 CPU-bound process")
                    quiet = next(r for r in results if r["data"] == name)
                    loaded["cible_slowdown"] = loaded["cible_s"] / quiet["cible_s"]
                    loaded["textbook_slowdown"] = loaded["textbook_s"] / quiet["textbook_s"]
                    results.append(loaded)
            finally:
                busy.kill()
                busy.wait()
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (1 min)")
    for figures in results:
        emit("pipeline", **figures)


if __name__ == "__main__":
    main()
