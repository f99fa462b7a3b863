"""``cible run`` with the segmentation in Spark (``warehouse: {engine: spark, segment_in: spark}``).

The same steps as :func:`cible.services.pipeline.run_pipeline` up to the features (ingest,
identity, the feature SQL run by Spark), then the customers never come to the driver:

* the features stay a Spark DataFrame; the purchasing customers are segmented by
  :func:`cible.segmentation.spark_selection.select_in_spark` (MLlib, the driver path's
  selection rule) and every customer is scored in Spark;
* segment ids follow the driver path: 0 the prospects (no purchase), 1..k the segments by
  decreasing mean ``monetary``, k + 1 the refund-only customers (no purchase, net spend < 0);
* ``features.parquet`` and ``segments.parquet`` are written by Spark (Parquet directories, read
  by ``pandas.read_parquet`` as one table); ``profiles.csv``, ``selection.json``, ``run.json``
  and ``report.html`` come from aggregates pulled to the driver (one row per segment and the
  scoring sample of the selection), never from the full table.

What needs every customer on the driver (bootstrap stability, explanations, 2-D maps, the
forward check, CLV predictions) is not run: ``segment_in: driver`` runs it, when the customers
fit the driver.
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from cible.config import FEATURE_NAMES, CibleConfig
from cible.exceptions import SegmentationError
from cible.features import default_as_of
from cible.features.behaviour import feature_sql
from cible.quality.report import with_imputation
from cible.reporting.quality import render_quality_page, write_quality_json
from cible.segmentation.naming import name_segments
from cible.segmentation.segmentation_result import (
    PROSPECT_SEGMENT_ID,
    PROSPECT_SEGMENT_NAME,
    REFUND_ONLY_SEGMENT_NAME,
)
from cible.segmentation.spark_selection import (
    MLLIB_ALGORITHMS,
    SparkSegmentation,
    SparkSelection,
    select_in_spark,
)
from cible.services.identity import IdentityOutcome, write_identity
from cible.services.ingest import IngestSummary
from cible.services.outputs import run_meta, staged, write_json
from cible.services.progress import NullProgress, Progress
from cible.services.spark_report import render_spark_report
from cible.services.steps import Run, identity_step, ingest_step


@dataclass(frozen=True)
class SparkPipelineResult:
    out_dir: Path
    ingest: IngestSummary
    as_of: date
    n_customers: int
    segmentation: SparkSegmentation
    report: Path
    seconds: dict[str, float] = field(default_factory=dict)
    identity: IdentityOutcome | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


def _feature_frame(wh: Any, as_of: date) -> Any:
    """The feature table as a Spark DataFrame: customer_id (string) and double features."""
    from pyspark.sql import functions as F

    frame = wh.frame(feature_sql(wh, as_of))
    return frame.select(
        F.col("customer_id").cast("string").alias("customer_id"),
        *[F.col(c).cast("double").alias(c) for c in FEATURE_NAMES],
    )


def _check_buyers(buyers: Any, features: list[str]) -> None:
    """Purchasing customers must have every clustering feature, as on the driver path."""
    from pyspark.sql import functions as F

    bad = buyers.select(
        *[F.sum((F.col(c).isNull() | F.isnan(c)).cast("long")).alias(c) for c in features]
    ).collect()[0]
    problems = [f"'{c}' ({bad[c]:,})" for c in features if bad[c]]
    if problems:
        raise SegmentationError(
            "purchasing customers have missing values in column(s) "
            + ", ".join(problems)
            + "; every clustering feature must be set when frequency > 0"
        )


def _assignments(features: Any, selection: SparkSelection) -> tuple[Any, int]:
    """Every customer's segment id (see the module) as a Spark DataFrame, and k."""
    from pyspark.sql import functions as F

    scored = selection.model.transform(selection.prepared).select("customer_id", "__cluster")
    means = (
        scored.join(features.select("customer_id", "monetary"), "customer_id")
        .groupBy("__cluster")
        .agg(F.avg("monetary").alias("m"))
        .collect()
    )
    order = sorted(means, key=lambda r: (-r["m"], r["__cluster"]))
    mapping = {int(r["__cluster"]): rank for rank, r in enumerate(order, start=1)}
    k = len(mapping)
    ids = F.create_map(*[x for c, i in mapping.items() for x in (F.lit(c), F.lit(i))])
    labelled = features.join(
        scored.select("customer_id", ids[F.col("__cluster")].alias("__seg")), "customer_id", "left"
    )
    segment = (
        F.when(F.col("__seg").isNotNull(), F.col("__seg"))
        .when(F.col("monetary") < 0, F.lit(k + 1))
        .otherwise(F.lit(PROSPECT_SEGMENT_ID))
    )
    return labelled.withColumn("segment_id", segment.cast("long")).drop("__seg"), k


def _profiles(labelled: Any, k: int, cycle_days: float | None) -> pd.DataFrame:
    """The driver path's profile table, computed by Spark (medians approximate)."""
    from pyspark.sql import functions as F

    cols = list(FEATURE_NAMES)
    total = labelled.count()
    rows = (
        labelled.groupBy("segment_id")
        .agg(
            F.count("*").alias("size"),
            *[F.avg(c).alias(f"{c}_mean") for c in cols],
            *[F.percentile_approx(c, 0.5, 10_000).alias(f"{c}_median") for c in cols],
        )
        .toPandas()
    )
    base = labelled.filter("frequency > 0").agg(*[F.avg(c).alias(c) for c in cols]).collect()[0]
    out = rows.sort_values("segment_id").reset_index(drop=True)
    out.insert(2, "share", out["size"] / max(total, 1))
    for c in cols:
        ref = base[c]
        out[f"{c}_lift"] = out[f"{c}_mean"] / ref if ref not in (None, 0.0) else float("nan")
    ordered = ["segment_id", "size", "share"]
    ordered += [f"{c}_{s}" for c in cols for s in ("mean", "median", "lift")]
    out = out[ordered].astype({"segment_id": "int64", "size": "int64"})
    clustered = out[out["segment_id"].between(1, k)]
    names = name_segments(clustered, cycle_days=cycle_days)
    names[PROSPECT_SEGMENT_ID] = PROSPECT_SEGMENT_NAME
    names[k + 1] = REFUND_ONLY_SEGMENT_NAME
    return out.assign(segment_name=out["segment_id"].map(names).astype(str))


def _cycle_days(features: Any) -> float | None:
    """:func:`~cible.segmentation.naming.purchase_cycle_days` in Spark (approximate median)."""
    from pyspark.sql import functions as F

    row = (
        features.filter("frequency >= 2 AND NOT isnan(mean_interpurchase_days)")
        .agg(F.percentile_approx("mean_interpurchase_days", 0.5, 10_000).alias("m"))
        .collect()[0]
    )
    return None if row["m"] is None else float(row["m"])


def _write_spark(frame: Any, target: Path) -> None:
    """``frame`` as the Parquet directory ``target``, replacing it only once complete."""
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}")
    frame.write.parquet(str(tmp))
    if target.is_dir():
        shutil.rmtree(target)
    elif target.exists():
        target.unlink()
    tmp.rename(target)


def _segment(run: Run, features: Any) -> tuple[SparkSegmentation, Any]:
    cfg = run.config.segmentation
    with run.timed("segment"):
        buyers = features.filter("frequency > 0")
        _check_buyers(buyers, list(cfg.features))
        n_alg = len(set(cfg.selection.algorithms) & set(MLLIB_ALGORITHMS))
        n_k = cfg.k_max - cfg.k_min + 1
        run.progress.start("Selecting a segmentation in Spark (MLlib)", total=n_k * n_alg)
        selection = select_in_spark(buyers, cfg, on_candidate=lambda _c: run.progress.advance())
        labelled, k = _assignments(features, selection)
        labelled = labelled.localCheckpoint()
        profiles = _profiles(labelled, k, _cycle_days(features))
        chosen = selection.chosen
        run.progress.done(f"{chosen.candidate.name}, silhouette {chosen.silhouette:.3f}")
    seg = SparkSegmentation(profiles, selection, k, chosen.silhouette, chosen.candidate.name)
    return seg, labelled


def _write(run: Run, outcome: dict[str, Any], labelled: Any, seg: SparkSegmentation) -> Path:
    meta = run_meta(run.config.project, as_of=outcome["as_of"].isoformat(), mode="spark")
    summary: IngestSummary = outcome["ingest"]
    profiles = seg.profiles
    names = dict(
        zip(profiles["segment_id"].astype(int), profiles["segment_name"].astype(str), strict=True)
    )
    with run.timed("report"):
        from pyspark.sql import functions as F

        _write_spark(
            labelled.select("customer_id", *FEATURE_NAMES), run.out_dir / "features.parquet"
        )
        name = F.create_map(*[x for i, s in names.items() for x in (F.lit(i), F.lit(s))])
        _write_spark(
            labelled.select(
                "customer_id", "segment_id", name[F.col("segment_id")].alias("segment_name")
            ),
            run.out_dir / "segments.parquet",
        )
        with staged(run.out_dir) as path:
            if summary.quality is not None:
                quality = with_imputation(summary.quality, None)
                write_quality_json(path("quality.json"), quality)
                render_quality_page(path("quality.html"), quality, meta)
            seg.profiles.to_csv(path("profiles.csv"), index=False)
            write_json(path("selection.json"), seg.selection.to_dict())
            if outcome["identity"] is not None and run.config.dedup is not None:
                write_identity(outcome["identity"], path, config=run.config.dedup)
            render_spark_report(path("report.html"), seg, summary, meta)
            write_json(
                path("run.json"),
                {
                    **meta,
                    "seconds": dict(run.seconds),
                    "chosen_k": seg.chosen_k,
                    "algorithm": seg.algorithm,
                    "silhouette": seg.silhouette,
                    "customers": int(seg.profiles["size"].sum()),
                },
            )
    return run.out_dir / "report.html"


def run_pipeline_in_spark(
    config: CibleConfig, out_dir: Path, progress: Progress | None = None
) -> SparkPipelineResult:
    """``cible run`` with the features and the segmentation in Spark (see the module)."""
    from cible.warehouse.registry import open_warehouse

    extra = [f for f in config.features.families if f != "behaviour"]
    if extra:
        raise SegmentationError(
            f"features.families {extra}: the Spark pipeline computes the behaviour family "
            "only; run these families on the duckdb or postgresql warehouse"
        )
    run = Run(config, out_dir.resolve(), progress or NullProgress())
    wh = open_warehouse(config.warehouse, run.out_dir)
    try:
        summary = ingest_step(run, wh)
        identity = identity_step(run, wh)
        as_of = config.as_of or default_as_of(wh)
        missing = sorted(set(config.segmentation.features) - set(FEATURE_NAMES))
        if missing:
            raise SegmentationError(f"segmentation.features {missing} are not computed features")
        with run.timed("features"):
            features = _feature_frame(wh, as_of).localCheckpoint()
        seg, labelled = _segment(run, features)
        outcome = {"ingest": summary, "identity": identity, "as_of": as_of}
        report = _write(run, outcome, labelled, seg)
        seg.selection.prepared.unpersist()
    finally:
        wh.close()
    n_customers = int(seg.profiles["size"].sum())
    return SparkPipelineResult(
        run.out_dir, summary, as_of, n_customers, seg, report, run.seconds, identity
    )
