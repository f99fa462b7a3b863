"""The same pipeline on DuckDB and on Spark (local[2]): ingestion, features, k-means, scoring.

    python bench/scale.py --customers 20000

Generates the synthetic world once (cible.synth: CRM customers, orders, web events), then runs,
for each engine in its own process (so that its peak memory is its own):

* **duckdb**: ingest into a DuckDB warehouse, the feature SQL, then k-means (scikit-learn, k=5,
  seed 0) on log1p + median-imputed + standardised features, every customer scored, silhouette
  on a 20,000-customer sample, segment profiles;
* **spark**: ingest into the Spark warehouse (Parquet, local[2], 4 shuffle partitions, 2 GB
  driver), the same feature SQL run by Spark, then :func:`cible.segmentation.spark_segments.
  segment_in_spark` (MLlib k-means, the same preparation, scored in Spark, silhouette on a
  sample, profiles pulled to the driver).

``seconds`` is the wall time of ingest + features + segmentation (Spark start-up included);
``peak_rss_mb`` the peak resident memory of the engine's process plus its largest child (the
Spark JVM). The segmentations are compared with the adjusted Rand index (``ari_vs_duckdb``).
Last lines, one per engine (bench/_emit.py):

{"bench": "scale", "engine": "duckdb", "customers": N, "events": ..., "seconds": ..., "peak_rss_mb": ...}
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
from typing import Any

import numpy as np
import pandas as pd

from _emit import emit  # bench/ is the script folder on sys.path

FEATURES = ["recency_days", "frequency", "monetary", "avg_basket", "tenure_days"]
LOGGED = ["frequency", "monetary", "avg_basket"]
K, SEED, SILHOUETTE_SAMPLE = 5, 0, 20_000


def _config(data: Path, engine: str, out: Path) -> Any:
    from cible.config import DuckDBWarehouseConfig, SparkWarehouseConfig, load_config
    from cible.services.demo import write_demo_config

    cfg = load_config(write_demo_config(data.parent))  # it reads data/ beside it
    warehouse = (
        DuckDBWarehouseConfig(path=out / "warehouse.duckdb")
        if engine == "duckdb"
        else SparkWarehouseConfig(engine="spark", path=out / "warehouse.spark", master="local[2]")
    )
    return cfg.model_copy(update={"warehouse": warehouse, "dedup": None})


def _duckdb_segments(wh: Any, as_of: Any) -> tuple[pd.Series, float]:
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score
    from sklearn.preprocessing import StandardScaler

    from cible.features import build_features

    f = build_features(wh, as_of)[FEATURES].astype(float)
    f[LOGGED] = np.log1p(f[LOGGED].clip(lower=0))
    z = StandardScaler().fit_transform(f.fillna(f.median()))
    labels = KMeans(K, n_init=10, random_state=SEED).fit_predict(z)
    rng = np.random.default_rng(SEED)
    pick = rng.choice(len(z), size=min(SILHOUETTE_SAMPLE, len(z)), replace=False)
    sil = float(silhouette_score(z[pick], labels[pick], metric="sqeuclidean"))
    profile = pd.DataFrame(f.assign(segment=labels)).groupby("segment")["monetary"].mean()
    order = {int(s): i for i, s in enumerate(profile.sort_values().index)}
    return pd.Series(labels, index=f.index).map(order), sil


def _spark_segments(wh: Any, as_of: Any) -> tuple[pd.Series, float]:
    from cible.features.behaviour import feature_sql
    from cible.segmentation.spark_segments import segment_in_spark

    frame = wh.frame(feature_sql(wh, as_of))
    result = segment_in_spark(
        frame, FEATURES, k=K, seed=SEED, log_features=LOGGED, silhouette_sample=SILHOUETTE_SAMPLE
    )
    labels = result.assignments.toPandas().set_index("customer_id")["segment"]
    return labels, result.silhouette


def worker(engine: str, data: Path, out: Path) -> None:
    """One engine end to end; prints one JSON line of figures and writes the labels."""
    from cible.features import default_as_of
    from cible.services.progress import NullProgress
    from cible.services.steps import Run, ingest_step
    from cible.warehouse import open_warehouse

    t0 = time.perf_counter()
    cfg = _config(data, engine, out)
    run = Run(cfg, out, NullProgress())
    wh = open_warehouse(cfg.warehouse, out)
    ingest_step(run, wh)
    events = wh.count("events")
    as_of = cfg.as_of or default_as_of(wh)
    labels, sil = (_duckdb_segments if engine == "duckdb" else _spark_segments)(wh, as_of)
    seconds = time.perf_counter() - t0
    wh.close()
    labels.rename("segment").to_frame().to_parquet(out / "labels.parquet")
    if engine == "spark":
        from cible.warehouse.sparksession import stop_spark

        stop_spark()  # the JVM exits: its peak memory is then counted in RUSAGE_CHILDREN
    peak = (
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    ) / 1024
    figures = {"events": events, "customers_scored": len(labels), "seconds": seconds}
    print(json.dumps({**figures, "silhouette": sil, "peak_rss_mb": peak}))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--customers", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--engines", default="duckdb,spark")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        worker(args.worker, args.data, args.out)
        return
    from cible.synth.generate import generate_world

    with tempfile.TemporaryDirectory(prefix="cible-scale-") as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        generate_world(args.customers, args.seed, root / "data")
        print(f"world of {args.customers:,} customers generated in {time.perf_counter() - t0:.1f}s")
        results: dict[str, dict[str, Any]] = {}
        for engine in args.engines.split(","):
            out = root / engine
            out.mkdir()
            cmd = [sys.executable, __file__, "--worker", engine, "--data", str(root / "data")]
            done = subprocess.run(
                [*cmd, "--out", str(out)], capture_output=True, text=True, env=os.environ.copy()
            )
            if done.returncode != 0:
                raise SystemExit(f"{engine} failed:\n{done.stderr[-3000:]}")
            results[engine] = json.loads(done.stdout.strip().splitlines()[-1])
            results[engine]["labels"] = pd.read_parquet(out / "labels.parquet")["segment"]
            print(f"{engine}: {results[engine]['seconds']:.1f}s")
        _emit_all(args.customers, results)


def _emit_all(customers: int, results: dict[str, dict[str, Any]]) -> None:
    from sklearn.metrics import adjusted_rand_score

    labels = {engine: r.pop("labels") for engine, r in results.items()}
    for engine, r in results.items():
        extra = {}
        if "duckdb" in labels and engine != "duckdb":
            joined = labels["duckdb"].to_frame("a").join(labels[engine].rename("b"), how="inner")
            extra["ari_vs_duckdb"] = float(adjusted_rand_score(joined["a"], joined["b"]))
        emit(
            "scale",
            engine=engine,
            customers=customers,
            events=r["events"],
            seconds=r["seconds"],
            peak_rss_mb=r["peak_rss_mb"],
            customers_scored=r["customers_scored"],
            silhouette=r["silhouette"],
            **extra,
        )


if __name__ == "__main__":
    main()
