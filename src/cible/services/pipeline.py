"""Use case: the whole batch pipeline, ingest -> features -> segment -> report."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from cible import __version__
from cible.config import CibleConfig
from cible.exceptions import FeatureError
from cible.features import build_context, build_features, default_as_of
from cible.predict.clv.result import SCORE_COLUMNS as ALL_CLV_COLUMNS
from cible.quality.report import with_imputation
from cible.reporting.html import render_report
from cible.reporting.quality import render_quality_page, write_quality_json
from cible.segmentation.model_artifact import write_segment_model
from cible.segmentation.result import SegmentationResult
from cible.segmentation.selection import candidate_grid
from cible.segmentation.service import segment_customers
from cible.services.dedup import (
    IdentityOutcome,
    resolve_identities,
    write_identity,
)
from cible.services.ingest import IngestSummary, ingest
from cible.services.outputs import staged, write_json
from cible.services.predict import predict_in_warehouse, write_predict_outputs
from cible.services.progress import NullProgress, Progress
from cible.warehouse.registry import open_warehouse

CLV_SCORE_COLUMNS = tuple(c for c in ALL_CLV_COLUMNS if c != "customer_id")


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

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


def run_pipeline(
    config: CibleConfig, out_dir: Path, progress: Progress | None = None
) -> PipelineResult:
    """Run every step; results land in ``out_dir`` (warehouse path relative to it)."""
    progress = progress or NullProgress()
    out_dir = out_dir.resolve()
    seconds: dict[str, float] = {}
    wh = open_warehouse(config.warehouse, out_dir)
    try:
        t0 = time.perf_counter()
        summary = ingest(config, wh, out_dir, progress)
        seconds["ingest"] = time.perf_counter() - t0

        identity: IdentityOutcome | None = None
        if config.dedup is not None and config.dedup.enabled:
            t0 = time.perf_counter()
            identity = resolve_identities(config.dedup, wh, progress)
            seconds["dedup"] = time.perf_counter() - t0
        else:
            wh.clear_identity()

        t0 = time.perf_counter()
        as_of = config.as_of or default_as_of(wh)
        progress.start(f"Computing features at {as_of.isoformat()}")
        features = build_features(wh, as_of)
        progress.done(f"{len(features):,} customers")
        prediction = None
        if config.predict is not None and config.predict.table is None:
            t1 = time.perf_counter()
            prediction = predict_in_warehouse(config, wh, as_of, progress)
            # the score and, when computed, the lifetime value become features too
            score_columns = [prediction.score_name] + [
                c for c in CLV_SCORE_COLUMNS if c in prediction.scores.columns
            ]
            features = features.join(prediction.scores[score_columns])
            seconds["predict"] = time.perf_counter() - t1
        missing = sorted(set(config.segmentation.features) - set(features.columns))
        if missing:
            raise FeatureError(
                f"segmentation.features {missing} are not computed features; "
                f"available: {list(features.columns)}"
            )
        context = build_context(wh, as_of).reindex(features.index)
        seconds["features"] = time.perf_counter() - t0 - seconds.get("predict", 0.0)
    finally:
        wh.close()

    t0 = time.perf_counter()
    n_buyers = int((features["frequency"] > 0).sum())
    progress.start(
        "Selecting a segmentation (algorithms x parameters)",
        total=len(candidate_grid(config.segmentation, n_buyers)),
    )
    categories = {
        col: context[col] for col in ("country", "channel") if context[col].nunique(dropna=True) > 1
    }

    def on_step(name: str) -> None:
        if name == "selected":
            progress.done()
            progress.start("Validating, explaining and mapping the segments")

    seg = segment_customers(
        features,
        config.segmentation,
        on_k=lambda _i: progress.advance(),
        categories=categories,
        on_step=on_step,
    )
    progress.done(f"{seg.algorithm}, silhouette {seg.silhouette:.3f}")
    seconds["segment"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    progress.start("Writing results and report")
    meta = {
        "project": config.project,
        "as_of": as_of.isoformat(),
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cible_version": __version__,
    }
    quality = None
    if summary.quality is not None:  # the data-quality report, with the imputed shares
        quality = with_imputation(summary.quality, seg.science.missing if seg.science else None)
    with staged(out_dir) as path:
        if quality is not None:
            write_quality_json(path("quality.json"), quality)
            render_quality_page(path("quality.html"), quality, meta)
        features.reset_index().to_parquet(path("features.parquet"), index=False)
        seg.assignments.to_parquet(path("segments.parquet"), index=False)
        seg.profiles.to_csv(path("profiles.csv"), index=False)
        if prediction is not None:
            write_predict_outputs(path, prediction)
        if seg.science is not None:
            write_json(path("selection.json"), seg.science.selection.to_dict())
            write_json(path("validation.json"), seg.science.validation_dict())
            model, digest = path("segment_model.joblib"), path("segment_model.joblib.sha256")
            write_segment_model(seg, model, digest, __version__)
        if identity is not None and config.dedup is not None:
            write_identity(identity, path, config=config.dedup)
        report = render_report(
            path("report.html"),
            segmentation=seg,
            ingest=[s.as_dict() for s in summary.sources],
            meta=meta,
            identity=identity.summary() if identity is not None else None,
            quality=quality,
        )
        write_json(
            path("run.json"),
            {
                **meta,
                "seconds": seconds,
                "chosen_k": seg.chosen_k,
                "algorithm": seg.algorithm,
                "silhouette": seg.silhouette,
                "customers": len(features),
                "dedup": identity.golden.summary() if identity is not None else None,
            },
        )
    seconds["report"] = time.perf_counter() - t0
    progress.done()
    return PipelineResult(
        out_dir, summary, as_of, len(features), seg, out_dir / report.name, seconds, identity
    )


def persona_agreement(segments: pd.DataFrame, truth: pd.DataFrame) -> float:
    """Adjusted Rand index between segments and planted personas (real customers who bought)."""
    from sklearn.metrics import adjusted_rand_score

    real = truth[truth["duplicate_of"].isna()][["customer_id", "persona"]]
    joined = segments.merge(real, on="customer_id", how="inner")
    joined = joined[joined["segment_id"] > 0]
    return float(adjusted_rand_score(joined["persona"], joined["segment_id"]))
