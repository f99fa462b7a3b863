"""Pipeline speed and memory on the generated world, against a plain-pandas baseline.

    python bench/pipeline.py --customers 20000

Prints the time of each step of `cible run` (ingest, features, segment, report) and the peak RSS,
then, in the same process and on the same files, the time of a textbook pandas script that reads
the orders and web events and computes the same nine features with groupby (no validation, no
quarantine, no report), and the ratio of the two for the read+features part.
Last lines: one JSON object per measured configuration, {"bench": "pipeline", ...} (bench/_emit.py).
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

import pandas as pd

from _emit import emit  # bench/ is the script folder on sys.path
from cible.config import load_config
from cible.services.demo import write_demo_config
from cible.services.pipeline import run_pipeline
from cible.synth.generate import generate_world

AS_OF = pd.Timestamp("2026-07-01", tz="UTC")


def pandas_baseline(data: Path) -> pd.DataFrame:
    """The notebook recipe: read with pandas, coerce, group by customer."""
    orders = pd.read_csv(data / "orders.csv", dtype=str)
    orders["quantity"] = pd.to_numeric(orders["quantity"], errors="coerce")
    orders["unit_price"] = pd.to_numeric(orders["unit_price"], errors="coerce")
    orders["ts"] = pd.to_datetime(orders["order_date"], errors="coerce", utc=True)
    orders = orders.dropna(subset=["customer_id", "ts", "quantity", "unit_price"])
    orders = orders[orders["ts"] < AS_OF]
    sign = orders["status"].eq("returned").map({True: -1.0, False: 1.0})
    orders["amount"] = sign * orders["quantity"] * orders["unit_price"]
    try:
        web = pd.read_json(data / "web_events.jsonl", lines=True, dtype=False)
    except ValueError as e:  # the planted broken lines stop pandas: the usual notebook workaround
        print(f"  (baseline: pd.read_json failed: {str(e)[:60]}...; reading line by line)")
        records = []
        with (data / "web_events.jsonl").open(encoding="utf-8") as fh:
            for line in fh:
                try:
                    records.append(json.loads(line))
                except ValueError:
                    continue
        web = pd.DataFrame.from_records(records)
    web["ts"] = pd.to_datetime(web["ts"], errors="coerce", utc=True)
    web = web.dropna(subset=["user", "ts"])
    web = web[web["ts"] < AS_OF]
    buys = orders[orders["status"] == "completed"]
    per_order = buys.groupby(["customer_id", "order_id"]).agg(
        ts=("ts", "min"), amount=("amount", "sum")
    )
    g = per_order.groupby("customer_id").agg(
        freq=("amount", "size"), gross=("amount", "sum"), first=("ts", "min"), last=("ts", "max")
    )
    refunded = orders[orders["status"] == "returned"].groupby("customer_id")["amount"].sum()
    all_ev = pd.concat(
        [
            orders[["customer_id", "ts"]],
            web.rename(columns={"user": "customer_id"})[["customer_id", "ts"]],
        ]
    )
    days = (AS_OF - all_ev["ts"]).dt.total_seconds() / 86400
    act = (
        all_ev.assign(d=days)
        .groupby("customer_id")
        .agg(
            first=("ts", "min"),
            e30=("d", lambda d: (d <= 30).sum()),
            e90=("d", lambda d: (d <= 90).sum()),
        )
    )
    f = act.join(g, rsuffix="_o").join(refunded.rename("refunded"))
    out = pd.DataFrame(index=f.index)
    out["recency_days"] = (AS_OF - f["last"]).dt.total_seconds() / 86400
    out["frequency"] = f["freq"].fillna(0)
    out["monetary"] = f["gross"].fillna(0) + f["refunded"].fillna(0)
    out["avg_basket"] = (f["gross"] / f["freq"]).fillna(0)
    out["tenure_days"] = (AS_OF - f["first"]).dt.total_seconds() / 86400
    span = (f["last"] - f["first_o"]).dt.total_seconds() / 86400
    out["mean_interpurchase_days"] = (span / (f["freq"] - 1)).where(
        f["freq"] >= 2, out["recency_days"]
    )
    out["refund_rate"] = (-f["refunded"].fillna(0) / f["gross"]).clip(0, 1).fillna(0)
    out["events_30d"], out["events_90d"] = f["e30"], f["e90"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        t0 = time.perf_counter()
        world = generate_world(args.customers, args.seed, out / "data")
        gen = time.perf_counter() - t0
        rows = world.n_customer_rows + world.n_order_rows + world.n_web_event_rows
        print(f"generate: {args.customers:,} customers, {rows:,} rows in {gen:.1f}s")
        result = run_pipeline(load_config(write_demo_config(out)), out)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        for step, s in result.seconds.items():
            print(f"cible {step:<9} {s:6.1f}s")
        print(
            f"cible pipeline  {result.total_seconds:6.1f}s  (peak RSS {rss:,.0f} MiB, "
            f"k={result.segmentation.chosen_k}, {result.n_customers:,} customers)"
        )
        t0 = time.perf_counter()
        base = pandas_baseline(out / "data")
        naive = time.perf_counter() - t0
        ours = result.seconds["ingest"] + result.seconds["features"]
        print(
            f"pandas baseline read+features {naive:6.1f}s ({len(base):,} customers, no validation)"
        )
        print(f"cible ingest+features         {ours:6.1f}s (validated, quarantined, stored)")
        print(f"ratio cible / baseline        {ours / naive:6.2f}")
        emit(
            "pipeline",
            data=f"generated world, {args.customers} customers",
            rows=rows,
            cible_s=ours,
            textbook_s=naive,
            ratio=ours / naive,
            cible_pipeline_s=result.total_seconds,
            peak_rss_mb=rss,
        )


if __name__ == "__main__":
    main()
