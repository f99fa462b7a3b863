"""The A/B use cases: assign customers to arms, and analyse a finished test.

``cible experiment analyze`` = read the named columns, clean (every removed row counted), run
:func:`cible.experiments.analysis.analyze`, write ``analysis.json`` and ``report.html`` into the
output folder (atomically, :func:`~cible.services.outputs.staged`).
``cible experiment assign`` = hash assignment of a customer file, written as ``assignment.csv``
with ``assignment.json`` (counts per stratum and arm).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cible.config.experiments import AnalyzeConfig, ExperimentSource
from cible.exceptions import ExperimentError
from cible.experiments.analysis import AnalysisResult, analyze
from cible.experiments.assignment import AssignmentPlan, assign
from cible.experiments.cleaning import ROW, check_binary, clean
from cible.services.experiment_data import read_columns
from cible.services.outputs import run_meta, staged, write_json


@dataclass(frozen=True)
class AnalyzeRun:
    result: AnalysisResult
    json_path: Path
    report_path: Path


def _columns(cfg: AnalyzeConfig) -> list[str]:
    cols = [cfg.arm, *cfg.outcomes, *cfg.segments]
    for c in (cfg.unit, cfg.revenue, cfg.covariate, cfg.time):
        if c is not None:
            cols.append(c)
    if cfg.consistency is not None:
        cols.append(cfg.consistency.column)
    return cols


def _numeric(data: pd.DataFrame, columns: list[str], source: str) -> pd.DataFrame:
    out = data.copy()
    for c in columns:
        values = pd.to_numeric(out[c], errors="coerce")
        bad = values.isna()
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            raise ExperimentError(
                f"{source} row {int(out[ROW].iloc[i]):,} column {c!r}: {out[c].iloc[i]!r} is not a number"
            )
        out[c] = values
    return out


def _timestamps(data: pd.DataFrame, column: str, source: str) -> pd.Series:
    """The time column parsed (UTC); a value that is not a timestamp is an error naming it."""
    ts = pd.to_datetime(data[column], errors="coerce", utc=True, format="ISO8601")
    bad = ts.isna()
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise ExperimentError(
            f"{source} row {int(data[ROW].iloc[i]):,} column {column!r}: "
            f"{data[column].iloc[i]!r} is not an ISO 8601 timestamp"
        )
    return ts


def run_analyze(cfg: AnalyzeConfig, out_dir: Path) -> AnalyzeRun:
    """Clean, analyse, write ``analysis.json`` and ``report.html``."""
    from cible.reporting.experiments import render_analysis_report

    source = str(cfg.source.path)
    frame = read_columns(cfg.source, _columns(cfg))
    data, cleaning = clean(
        frame,
        source=source,
        unit=cfg.unit,
        arm=cfg.arm,
        arms=list(cfg.planned),
        consistency=(cfg.consistency.column, cfg.consistency.expected) if cfg.consistency else None,
        duplicates=cfg.duplicates,
    )
    check_binary(data, cfg.outcomes, source)
    data = _numeric(data, [*cfg.outcomes, *[c for c in (cfg.revenue, cfg.covariate) if c]], source)
    if cfg.time is not None:
        data[cfg.time] = _timestamps(data, cfg.time, source)
    result = analyze(data, cfg, cleaning)
    meta = run_meta(cfg.id, source=Path(source).name)
    with staged(out_dir) as path:
        write_json(path("analysis.json"), {"meta": meta, **result.to_dict()})
        path("report.html").write_text(render_analysis_report(result, meta), encoding="utf-8")
    return AnalyzeRun(result, out_dir / "analysis.json", out_dir / "report.html")


@dataclass(frozen=True)
class AssignRun:
    counts: dict[str, dict[str, int]]
    csv_path: Path


def run_assign(
    source: ExperimentSource,
    id_column: str,
    plan: AssignmentPlan,
    out_dir: Path,
    stratify: str | None = None,
) -> AssignRun:
    """Assign every customer of the file; ``stratify`` names the segment column."""
    frame = read_columns(source, [id_column] + ([stratify] if stratify else []))
    strata = frame[stratify].astype(str).tolist() if stratify else None
    table = assign(frame[id_column].astype(str).tolist(), plan, strata)
    groups = (
        table.assign(stratum=table["stratum"].fillna("(all)")).groupby(["stratum", "arm"]).size()
    )
    counts: dict[str, dict[str, int]] = {}
    for key, n in groups.items():
        stratum, arm = key if isinstance(key, tuple) else (key, "")
        counts.setdefault(str(stratum), {})[str(arm)] = int(n)
    with staged(out_dir) as path:
        table[["customer_id", "stratum", "arm"]].to_csv(path("assignment.csv"), index=False)
        write_json(
            path("assignment.json"),
            {
                "experiment_id": plan.experiment_id,
                "arms": dict(plan.arms),
                "holdout": plan.holdout,
                "stratified_by": stratify,
                "counts": counts,
            },
        )
    return AssignRun(counts, out_dir / "assignment.csv")


def parse_arms(text: str) -> Mapping[str, float]:
    """``control=1,treatment=1`` -> weights; an error names the bad item."""
    arms: dict[str, float] = {}
    for item in text.split(","):
        name, sep, weight = item.partition("=")
        try:
            arms[name.strip()] = float(weight) if sep else 1.0
        except ValueError as e:
            raise ExperimentError(f"--arms item {item!r}: weight {weight!r} is not a number") from e
    return arms
