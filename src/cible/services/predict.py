"""Use case: train the predictive profiles, score customers, write metrics, scores and report.

Event mode (the default) ingests the configured sources, builds a labelled set at the cutoff from
the warehouse seen through a point-in-time view, trains and compares the models, and scores every
customer at ``as_of`` (default: the day after the last event). Table mode reads ``predict.table``
and scores its rows. Both write, atomically, into the output folder:

* ``scores.parquet`` and the same table as ``scores.csv`` (UTF-8, for a spreadsheet): one row per
  scored customer (``customer_id``, the score, flag, decile, reasons), see
  :mod:`cible.predict.scores`;
* ``metrics.json``: the model comparison and every test metric;
* ``predict_report.html``: the self-contained report; ``tree_rules.txt`` when a tree was trained.

Table mode split at random checks whether the rows look ordered in time
(:mod:`cible.predict.row_order`); its warnings go to ``metrics.json``, the report and the console.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import pandas as pd

from cible.config import CibleConfig
from cible.config.predict import PredictConfig
from cible.exceptions import CLVError, ConfigError
from cible.features import default_as_of
from cible.predict.clv import CLVResult, fit_clv
from cible.predict.labels import (
    LabelledSet,
    build_scoring_set,
    build_training_set,
    default_cutoff,
)
from cible.predict.row_order import row_order_warnings
from cible.predict.scores import join_scores, score_customers
from cible.predict.table import read_table, table_labelled_set
from cible.predict.training import train_models
from cible.predict.training_result import TrainingResult
from cible.reporting.predict import render_predict_report
from cible.services.ingest import IngestSummary, ingest
from cible.services.outputs import run_meta, staged, write_json
from cible.services.progress import NullProgress, Progress
from cible.warehouse.base import Warehouse
from cible.warehouse.registry import open_warehouse


@dataclass(frozen=True)
class PredictOutcome:
    """A trained comparison, the labelled set it learned from and the scores table."""

    spec: PredictConfig
    labelled: LabelledSet
    training: TrainingResult
    scores: pd.DataFrame
    score_name: str
    meta: dict[str, str]
    seconds: dict[str, float] = field(default_factory=dict)
    clv: CLVResult | None = None
    clv_skipped: str | None = None
    warnings: tuple[str, ...] = ()

    def render_report(self, path: Path) -> Path:
        """The self-contained HTML report of this outcome (``predict_report.html``)."""
        return render_predict_report(
            path,
            result=self.training,
            meta=self.meta,
            scores=self.scores,
            score_name=self.score_name,
            clv=self.clv,
            clv_skipped=self.clv_skipped,
            warnings=self.warnings,
        )


@dataclass(frozen=True)
class PredictRun:
    out_dir: Path
    outcome: PredictOutcome
    ingest: IngestSummary | None
    files: list[Path]
    seconds: dict[str, float]

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


def _spec(config: CibleConfig) -> PredictConfig:
    if config.predict is None:
        raise ConfigError("the configuration has no predict: section (see docs/predict.md)")
    return config.predict


def _train_and_score(
    spec: PredictConfig,
    labelled: LabelledSet,
    to_score: pd.DataFrame,
    meta: dict[str, str],
    progress: Progress,
) -> PredictOutcome:
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    progress.start(f"Training {len(spec.models)} model(s)", total=len(spec.models))
    training = train_models(
        labelled.X,
        labelled.y,
        spec,
        times=labelled.times,
        on_model=lambda _n: progress.advance(),
    )
    best = training.report()
    progress.done(f"chosen {best.label}, test ROC AUC {best.test.roc_auc:.3f}")
    seconds["train"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    progress.start(f"Scoring {len(to_score):,} customers with reasons")
    name = spec.score_column()
    propensity = score_customers(
        training, to_score, name, reasons=spec.reasons, reason_features=spec.reason_features
    )
    # The profile's scores table. CLV scores (cible.predict.clv) join here as one more part.
    scores = join_scores([propensity])
    progress.done()
    seconds["score"] = time.perf_counter() - t0
    return PredictOutcome(spec, labelled, training, scores, name, meta, seconds)


def predict_in_warehouse(
    config: CibleConfig, warehouse: Warehouse, as_of: date, progress: Progress | None = None
) -> PredictOutcome:
    """Event mode on an ingested warehouse: train at the cutoff, score at ``as_of``."""
    progress = progress or NullProgress()
    spec = _spec(config)
    cutoff = spec.cutoff or default_cutoff(as_of, spec.horizon_days)
    t0 = time.perf_counter()
    progress.start(f"Labelling customers at cutoff {cutoff.isoformat()}")
    labelled = build_training_set(warehouse, spec, cutoff)
    to_score = build_scoring_set(warehouse, spec, as_of)
    progress.done(f"{len(labelled.y):,} customers, {labelled.positive_rate:.1%} positive")
    seconds = {"label": time.perf_counter() - t0}
    meta = run_meta(
        config.project,
        mode="event history",
        target=labelled.description,
        cutoff=cutoff.isoformat(),
        scored_at=as_of.isoformat(),
    )
    outcome = _train_and_score(spec, labelled, to_score, meta, progress)
    seconds |= outcome.seconds
    if not spec.clv.enabled:
        return replace(outcome, seconds=seconds)
    t0 = time.perf_counter()
    progress.start(f"Customer lifetime value over {spec.clv.horizon_days} days")
    try:
        clv = fit_clv(warehouse, as_of, spec.clv)
    except CLVError as e:  # e.g. too few repeat buyers: the propensity scores still stand
        progress.done("skipped")
        return replace(outcome, seconds=seconds, clv_skipped=str(e))
    scores = join_scores([outcome.scores, clv.scores().set_index("customer_id")])
    progress.done(f"{len(clv.customers):,} buyers valued")
    seconds["clv"] = time.perf_counter() - t0
    return replace(outcome, scores=scores, seconds=seconds, clv=clv)


def predict_from_table(config: CibleConfig, progress: Progress | None = None) -> PredictOutcome:
    """Table mode: learn from ``predict.table`` and score its rows."""
    progress = progress or NullProgress()
    spec = _spec(config)
    if spec.table is None or spec.label_column is None:
        raise ConfigError("predict.table and predict.label_column are needed in table mode")
    path = spec.table.path.expanduser()
    path = path if path.is_absolute() else config.base_dir / path
    t0 = time.perf_counter()
    progress.start(f"Reading {path.name}")
    raw = read_table(path, spec.table)
    return predict_from_frame(config, raw, path.name, progress, t0)


def predict_from_frame(
    config: CibleConfig,
    raw: pd.DataFrame,
    name: str,
    progress: Progress | None = None,
    started: float | None = None,
) -> PredictOutcome:
    """Table mode on a table already read (``raw``, not modified; ``name`` is the table's name
    in the metadata): learn from it and score its rows. Shared by :func:`predict_from_table`
    and :func:`cible.predict`; ``started`` is when the reading began (its seconds)."""
    progress = progress or NullProgress()
    spec = _spec(config)
    if spec.table is None or spec.label_column is None:
        raise ConfigError("predict.table and predict.label_column are needed in table mode")
    t0 = time.perf_counter() if started is None else started
    labelled = table_labelled_set(
        raw, spec.table, spec.label_column, spec.positive, spec.split.column
    )
    warnings: tuple[str, ...] = ()
    if spec.split.by == "random":
        warnings = tuple(row_order_warnings(raw.drop(columns=[spec.label_column]), labelled.y))
    progress.done(f"{len(labelled.y):,} rows, {labelled.positive_rate:.1%} positive")
    seconds = {"read": time.perf_counter() - t0}
    meta = run_meta(
        config.project,
        mode="table",
        table=name,
        target=labelled.description,
        split=_split_text(spec),
    )
    outcome = _train_and_score(spec, labelled, labelled.X, meta, progress)
    return replace(outcome, seconds={**seconds, **outcome.seconds}, warnings=warnings)


def _split_text(spec: PredictConfig) -> str:
    if spec.split.by == "random":
        return f"random, stratified ({spec.test_size:.0%} test)"
    clock = f"column '{spec.split.column}'" if spec.split.column else "row order"
    return f"by time ({clock}): the latest {spec.test_size:.0%} of rows are the test split"


def write_predict_outputs(path: Callable[[str], Path], outcome: PredictOutcome) -> list[Path]:
    """Write scores, metrics, report (and tree rules) through ``path`` (a staging callback)."""
    written = [
        path("scores.parquet"),
        path("scores.csv"),
        path("metrics.json"),
        path("predict_report.html"),
    ]
    table = outcome.scores.reset_index()
    table.to_parquet(written[0], index=False)
    table.to_csv(written[1], index=False, encoding="utf-8")
    clv: dict[str, object] | None = None
    if outcome.clv is not None:
        clv = outcome.clv.to_dict()
    elif outcome.clv_skipped is not None:
        clv = {"skipped": outcome.clv_skipped}
    write_json(
        written[2],
        {
            **outcome.meta,
            "score_name": outcome.score_name,
            **outcome.training.to_dict(),
            "warnings": list(outcome.warnings),
            "clv": clv,
        },
    )
    outcome.render_report(written[3])
    tree = next((r for r in outcome.training.reports if r.rules), None)
    if tree is not None and tree.rules:
        rules = path("tree_rules.txt")
        rules.write_text(tree.rules + "\n", encoding="utf-8")
        written.append(rules)
    return written


def run_predict(config: CibleConfig, out_dir: Path, progress: Progress | None = None) -> PredictRun:
    """``cible predict``: ingest (event mode), train, score, write; results land in ``out_dir``."""
    progress = progress or NullProgress()
    spec = _spec(config)
    out_dir = out_dir.resolve()
    summary: IngestSummary | None = None
    seconds: dict[str, float] = {}
    if spec.table is not None:
        outcome = predict_from_table(config, progress)
    else:
        wh = open_warehouse(config.warehouse, out_dir)
        try:
            t0 = time.perf_counter()
            summary = ingest(config, wh, out_dir, progress)
            seconds["ingest"] = time.perf_counter() - t0
            as_of = config.as_of or default_as_of(wh)
            outcome = predict_in_warehouse(config, wh, as_of, progress)
        finally:
            wh.close()
    seconds.update(outcome.seconds)
    t0 = time.perf_counter()
    progress.start("Writing scores, metrics and report")
    with staged(out_dir) as path:
        names = [p.name for p in write_predict_outputs(path, outcome)]
    progress.done()
    seconds["write"] = time.perf_counter() - t0
    return PredictRun(out_dir, outcome, summary, [out_dir / n for n in names], seconds)
