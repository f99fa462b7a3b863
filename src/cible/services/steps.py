"""The steps of the batch pipeline, each a function with a typed input and a typed result.

``cible run`` (:func:`cible.services.pipeline.run_pipeline`) is the list of them, in order::

    ingest_step -> identity_step -> features_step -> predict_step -> forward_data_step
    -> forward_preference_step -> segment_step -> forward_step -> write_outputs_step

The three forward steps hold out the last ``segmentation.forward.holdout_days`` and judge the
segments by what they predict of that period (:mod:`cible.services.forward`).

Every step takes the :class:`Run` it belongs to (configuration, output folder, progress, the
seconds spent per step) and what the previous steps produced; the warehouse steps take the open
warehouse too. A caller that needs one step (a service that re-segments, a scheduler that only
refreshes the features) calls that step alone. Only :func:`write_outputs_step` writes result
files, each once, through one staging folder (:func:`cible.services.outputs.staged`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import pandas as pd

from cible._version import __version__
from cible.config import CibleConfig, SegmentationConfig
from cible.exceptions import ConfigError, FeatureError
from cible.features import build_context, default_as_of
from cible.features.families import FeatureSpec, build_feature_table, feature_schema
from cible.predict.clv.clv_result import SCORE_COLUMNS as ALL_CLV_COLUMNS
from cible.quality.report import with_imputation
from cible.quality.results import QualityReport
from cible.reporting.forward import ForwardSection, forward_section
from cible.reporting.html import render_report
from cible.reporting.narrative import report_warnings
from cible.reporting.quality import render_quality_page, write_quality_json
from cible.segmentation.customer_segments import grid_size, segment_customers
from cible.segmentation.forward import Backtest
from cible.segmentation.model_artifact import write_segment_model
from cible.segmentation.science import finishing_steps
from cible.segmentation.segmentation_result import SegmentationResult
from cible.segmentation.selection import candidate_grid
from cible.segmentation.selection_forward import ForwardPreference
from cible.services.forward import (
    ForwardData,
    ForwardOutcome,
    forward_data,
    forward_outcome,
    forward_preference,
)
from cible.services.identity import IdentityOutcome, resolve_identities, write_identity
from cible.services.ingest import IngestSummary, ingest
from cible.services.outputs import run_meta, staged, write_json
from cible.services.predict import PredictOutcome, predict_in_warehouse, write_predict_outputs
from cible.services.progress import Progress
from cible.warehouse.base import Warehouse

CLV_SCORE_COLUMNS = tuple(c for c in ALL_CLV_COLUMNS if c != "customer_id")
CONTEXT_CATEGORIES = ("country", "channel")
#: the sub-steps of :func:`write_outputs_step`, one tick of its progress bar each
WRITING_STEPS = ("quality report", "tables and models", "report.html")


@dataclass
class Run:
    """What every step of one run shares; ``seconds`` collects the time of each step."""

    config: CibleConfig
    out_dir: Path
    progress: Progress
    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def timed(self, step: str) -> Iterator[None]:
        """Add the time spent in the block to ``seconds[step]``."""
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[step] = self.seconds.get(step, 0.0) + time.perf_counter() - t0


@dataclass(frozen=True)
class FeatureSet:
    """The customer features at ``as_of``, the context columns (country, channel) beside them,
    and the family and kind of every computed feature (``schema``)."""

    as_of: date
    table: pd.DataFrame
    context: pd.DataFrame
    schema: tuple[FeatureSpec, ...] = ()


@dataclass(frozen=True)
class RunOutputs:
    """Everything :func:`write_outputs_step` writes."""

    ingest: IngestSummary
    features: FeatureSet
    segmentation: SegmentationResult
    identity: IdentityOutcome | None = None
    prediction: PredictOutcome | None = None
    forward: ForwardOutcome | None = None


def ingest_step(run: Run, wh: Warehouse) -> IngestSummary:
    """Read, check and load every source (the quality files wait for :func:`write_outputs_step`)."""
    with run.timed("ingest"):
        return ingest(run.config, wh, run.out_dir, run.progress, write_quality_files=False)


def identity_step(run: Run, wh: Warehouse) -> IdentityOutcome | None:
    """Resolve identities when ``dedup:`` is enabled; otherwise clear a previous resolution."""
    dedup = run.config.dedup
    if dedup is None or not dedup.enabled:
        wh.clear_identity()
        return None
    if dedup.input is not None:
        raise ConfigError(
            "dedup.input deduplicates a plain table with `cible dedup`; `cible run` resolves the "
            "ingested customers: remove dedup.input or set dedup.enabled: false"
        )
    with run.timed("dedup"):
        return resolve_identities(dedup, wh, run.progress)


def features_step(run: Run, wh: Warehouse) -> FeatureSet:
    """The features of ``features.families`` (default: behaviour) of every customer at
    ``as_of`` (configured, else the last event)."""
    with run.timed("features"):
        as_of = run.config.as_of or default_as_of(wh)
        run.progress.start(f"Computing features at {as_of.isoformat()}")
        table = build_feature_table(wh, as_of, run.config.features)
        run.progress.done(f"{len(table):,} customers")
        context = build_context(wh, as_of).reindex(table.index)
    return FeatureSet(as_of, table, context, feature_schema(run.config.features))


def predict_step(
    run: Run, wh: Warehouse, features: FeatureSet
) -> tuple[FeatureSet, PredictOutcome | None]:
    """Score customers when ``predict:`` reads the event history; the score (and the lifetime
    value, when computed) become features too."""
    if run.config.predict is None or run.config.predict.table is not None:
        return features, None
    with run.timed("predict"):
        prediction = predict_in_warehouse(run.config, wh, features.as_of, run.progress)
    columns = [prediction.score_name] + [
        c for c in CLV_SCORE_COLUMNS if c in prediction.scores.columns
    ]
    with run.timed("features"):
        table = features.table.join(prediction.scores[columns])
    return replace(features, table=table), prediction


def check_segmentation_features(config: CibleConfig, features: FeatureSet) -> None:
    """Raise :class:`FeatureError` when ``segmentation.features`` names a column not computed.
    Categorical features (``age_band``, ``region``, ...) are clustered as categories
    (k-prototypes and Gower k-medoids join the grid: :mod:`cible.segmentation.selection_mixed`)."""
    missing = sorted(set(config.segmentation.features) - set(features.table.columns))
    if missing:
        raise FeatureError(
            f"segmentation.features {missing} are not computed features; "
            f"available: {list(features.table.columns)}"
        )


def forward_data_step(
    run: Run, wh: Warehouse, features: FeatureSet
) -> ForwardData | ForwardOutcome | None:
    """Features at the holdout cutoff and next-period outcomes (``None``: forward disabled)."""
    if not run.config.segmentation.forward.enabled:
        return None
    with run.timed("forward"):
        run.progress.start("Holding out the last days: features at the cutoff")
        data = forward_data(wh, run.config.segmentation, features.as_of)
        run.progress.done()
    return data


def forward_preference_step(
    run: Run, data: ForwardData | ForwardOutcome | None, features: FeatureSet
) -> tuple[ForwardPreference, Backtest] | None:
    """Every candidate fitted before the cutoff, when ``use_in_selection`` is set."""
    if not isinstance(data, ForwardData):
        return None
    cfg = run.config.segmentation
    if cfg.forward.use_in_selection == "none":
        return None
    n_buyers = int((features.table["frequency"] > 0).sum())
    with run.timed("forward"):
        run.progress.start(
            "Fitting every candidate before the holdout cutoff",
            total=len(candidate_grid(cfg, n_buyers)),
        )
        got = forward_preference(data, cfg, n_buyers, lambda _c: run.progress.advance())
        run.progress.done()
    return got


def forward_step(
    run: Run,
    data: ForwardData | ForwardOutcome | None,
    seg: SegmentationResult,
    backtest: Backtest | None,
) -> ForwardOutcome | None:
    """The chosen segmentation fitted before the cutoff beside the RFM segments."""
    if data is None:
        return None
    with run.timed("forward"):
        run.progress.start("Judging the segments on the held-out period")
        outcome = forward_outcome(data, run.config.segmentation, seg, backtest)
        run.progress.done()
    return outcome


def segment_step(
    run: Run, features: FeatureSet, forward: ForwardPreference | None = None
) -> SegmentationResult:
    """Select (with the ``forward`` tie-break or gate, if any), fit, validate, explain and map
    the segments of the buying customers."""
    progress, table = run.progress, features.table
    with run.timed("segment"):
        n_buyers = int((table["frequency"] > 0).sum())
        progress.start(
            "Selecting a segmentation (algorithms x parameters)",
            total=grid_size(table, run.config.segmentation, n_buyers),
        )
        categories = segment_categories(features)
        seg = segment_customers(
            table,
            run.config.segmentation,
            on_k=lambda _i: progress.advance(),
            categories=categories,
            on_step=_on_segment_step(progress, run.config.segmentation),
            forward=forward,
        )
        progress.done(f"{seg.algorithm}, silhouette {seg.silhouette:.3f}")
    return seg


def segment_categories(features: FeatureSet) -> dict[str, pd.Series]:
    """The categorical columns the segments' composition is tested on (chi-square, in
    ``validation.json``): the context's country and channel, then the categorical features of
    the configured families (``age_band``, ``gender``, ``region``, ...; the context's
    ``country`` is kept when the demographic family has one too); only columns with at least
    two distinct values."""
    columns = {col: features.context[col] for col in CONTEXT_CATEGORIES}
    for spec in features.schema:
        if spec.kind == "categorical" and spec.name not in columns:
            columns[spec.name] = features.table[spec.name]
    return {name: col for name, col in columns.items() if col.nunique(dropna=True) > 1}


def _on_segment_step(progress: Progress, config: SegmentationConfig) -> Callable[[str], None]:
    """After the selection, one bar over the sub-steps of :func:`finishing_steps`, the next one
    named beside it."""
    remaining = finishing_steps(config)

    def on_step(name: str) -> None:
        if name == "selected":
            progress.done()
            progress.start("Validating, explaining and mapping the segments", total=len(remaining))
            progress.note(remaining[0])
        elif name in remaining:
            progress.advance()
            following = remaining[remaining.index(name) + 1 :]
            progress.note(following[0] if following else "")

    return on_step


def run_quality_report(outputs: RunOutputs) -> QualityReport | None:
    """The data-quality report of the sources, with the shares the segmentation imputed."""
    if outputs.ingest.quality is None:
        return None
    science = outputs.segmentation.science
    return with_imputation(outputs.ingest.quality, science.missing if science else None)


def write_outputs_step(run: Run, outputs: RunOutputs) -> Path:
    """Write every result file of the run, each once, in one staging folder; return the report."""
    progress = run.progress
    with run.timed("report"):
        progress.start("Writing results and report", total=len(WRITING_STEPS))
        meta = run_meta(run.config.project, as_of=outputs.features.as_of.isoformat())
        quality = run_quality_report(outputs)
        with staged(run.out_dir) as path:
            progress.note(WRITING_STEPS[0])
            if quality is not None:
                write_quality_json(path("quality.json"), quality)
                render_quality_page(path("quality.html"), quality, meta)
            progress.advance()
            progress.note(WRITING_STEPS[1])
            _write_tables(run, outputs, path)
            progress.advance()
            progress.note(WRITING_STEPS[2])
            report = render_report(
                path("report.html"),
                segmentation=outputs.segmentation,
                ingest=[s.as_dict() for s in outputs.ingest.sources],
                meta=meta,
                identity=outputs.identity.summary() if outputs.identity is not None else None,
                quality=quality,
                forward=_forward_section(outputs.forward),
            )
            progress.advance()
            write_json(path("run.json"), _run_record(run, outputs, meta))
    progress.done()
    return run.out_dir / report.name


def run_warnings(outputs: RunOutputs) -> list[str]:
    """The warnings the report shows (:func:`~cible.reporting.narrative.report_warnings`), for
    the console."""
    return report_warnings(
        outputs.segmentation, run_quality_report(outputs), _forward_section(outputs.forward)
    )


def _forward_section(outcome: ForwardOutcome | None) -> ForwardSection | None:
    if outcome is None:
        return None
    return forward_section(outcome.result, outcome.skipped)


def write_segment_tables(
    path: Callable[[str], Path], features: pd.DataFrame, seg: SegmentationResult
) -> None:
    """The files of the segmentation through ``path`` (a staging callback): the feature table
    (``features.parquet``), the assignments (``segments.parquet``), ``profiles.csv`` and, with
    the science, ``selection.json``, ``validation.json`` and the scoring model (+ its digest).
    Shared by ``cible run`` and :meth:`cible.SegmentResult.save`."""
    features.reset_index().to_parquet(path("features.parquet"), index=False)
    seg.assignments.to_parquet(path("segments.parquet"), index=False)
    seg.profiles.to_csv(path("profiles.csv"), index=False)
    if seg.science is not None:
        write_json(path("selection.json"), seg.science.selection.to_dict())
        write_json(path("validation.json"), seg.science.validation_dict())
        model, digest = path("segment_model.joblib"), path("segment_model.joblib.sha256")
        write_segment_model(seg, model, digest, __version__)


def _write_tables(run: Run, outputs: RunOutputs, path: Callable[[str], Path]) -> None:
    write_segment_tables(path, outputs.features.table, outputs.segmentation)
    if outputs.prediction is not None:
        write_predict_outputs(path, outputs.prediction)
    if outputs.forward is not None:
        write_json(path("forward.json"), outputs.forward.to_dict())
    if outputs.identity is not None and run.config.dedup is not None:
        write_identity(outputs.identity, path, config=run.config.dedup)


def _run_record(run: Run, outputs: RunOutputs, meta: dict[str, str]) -> dict[str, object]:
    """The content of ``run.json``: the run metadata, the seconds of every step before the
    writing, and the headline figures."""
    seg, identity = outputs.segmentation, outputs.identity
    return {
        **meta,
        "seconds": dict(run.seconds),
        "chosen_k": seg.chosen_k,
        "algorithm": seg.algorithm,
        "silhouette": seg.silhouette,
        "customers": len(outputs.features.table),
        "dedup": identity.golden.summary() if identity is not None else None,
    }
