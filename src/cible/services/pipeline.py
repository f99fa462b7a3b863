"""Use case: the whole batch pipeline, ingest -> identity -> features -> predict -> segment ->
outputs, as the list of its steps (:mod:`cible.services.steps`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from cible.config import CibleConfig
from cible.cpu_threads import limited_threads
from cible.segmentation.segmentation_result import SegmentationResult
from cible.services.identity import IdentityOutcome
from cible.services.ingest import IngestSummary
from cible.services.progress import NullProgress, Progress
from cible.services.steps import (
    Run,
    RunOutputs,
    check_segmentation_features,
    features_step,
    forward_data_step,
    forward_preference_step,
    forward_step,
    identity_step,
    ingest_step,
    predict_step,
    run_warnings,
    segment_step,
    write_outputs_step,
)
from cible.warehouse.registry import open_warehouse

if TYPE_CHECKING:
    from cible.services.spark_pipeline import SparkPipelineResult


@dataclass(frozen=True)
class PipelineResult:
    out_dir: Path
    ingest: IngestSummary
    as_of: date
    n_customers: int
    segmentation: SegmentationResult
    report: Path
    seconds: dict[str, float] = field(default_factory=dict)
    identity: IdentityOutcome | None = None
    warnings: list[str] = field(default_factory=list)  # those of the report, for the console

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


def segments_in_spark(config: CibleConfig) -> bool:
    """Whether ``cible run`` segments in Spark (``warehouse: {engine: spark, segment_in:
    spark}``, the default of the Spark warehouse) rather than on the driver."""
    return getattr(config.warehouse, "segment_in", "driver") == "spark"


def run_configured(
    config: CibleConfig, out_dir: Path, progress: Progress | None = None
) -> PipelineResult | SparkPipelineResult:
    """``cible run``: :func:`run_pipeline`, or
    :func:`~cible.services.spark_pipeline.run_pipeline_in_spark` when :func:`segments_in_spark`."""
    if segments_in_spark(config):
        from cible.services.spark_pipeline import run_pipeline_in_spark

        with limited_threads():
            return run_pipeline_in_spark(config, out_dir, progress)
    return run_pipeline(config, out_dir, progress)


def run_pipeline(
    config: CibleConfig, out_dir: Path, progress: Progress | None = None
) -> PipelineResult:
    """Run every step (:mod:`cible.services.steps`), the segmentation on the driver; results
    land in ``out_dir`` (a relative warehouse path is relative to it). :func:`run_configured`
    chooses between this and the Spark segmentation."""
    run = Run(config, out_dir.resolve(), progress or NullProgress())
    with limited_threads():  # BLAS/OpenMP pools sized to share the machine (cible.cpu_threads)
        wh = open_warehouse(config.warehouse, run.out_dir)
        try:
            summary = ingest_step(run, wh)
            identity = identity_step(run, wh)
            features = features_step(run, wh)
            features, prediction = predict_step(run, wh, features)
            check_segmentation_features(config, features)
            holdout = forward_data_step(run, wh, features)
        finally:
            wh.close()
        preference = forward_preference_step(run, holdout, features)
        seg = segment_step(run, features, preference[0] if preference else None)
        forward = forward_step(run, holdout, seg, preference[1] if preference else None)
        outputs = RunOutputs(summary, features, seg, identity, prediction, forward)
        report = write_outputs_step(run, outputs)
    return PipelineResult(
        run.out_dir,
        summary,
        features.as_of,
        len(features.table),
        seg,
        report,
        run.seconds,
        identity,
        run_warnings(outputs),
    )


def persona_agreement(segments: pd.DataFrame, truth: pd.DataFrame) -> float:
    """Adjusted Rand index between segments and planted personas (real customers who bought)."""
    from sklearn.metrics import adjusted_rand_score

    real = truth[truth["duplicate_of"].isna()][["customer_id", "persona"]]
    joined = segments.merge(real, on="customer_id", how="inner")
    joined = joined[joined["segment_id"] > 0]
    return float(adjusted_rand_score(joined["persona"], joined["segment_id"]))
