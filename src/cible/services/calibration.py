"""Use case: `cible calibrate` - measure thresholds on a labelled review sample.

The review sample is judged pair by pair and, when the dedup run's folder holds its candidate
pairs (``identity_pairs.parquet``, written by `cible dedup`), on entities after transitive
closure at every threshold, clustered as the run clustered them (``matcher.clustering`` of
``dedup.json``: connected components or evidence clustering with the run's prior). The threshold compared against is ``--threshold`` or, when not
given, the one of the run (``dedup.json``); ``calibration.json`` says which and where from.
An optional truth (CSV with ``record_id`` and ``entity_id``, e.g. a checked ``clusters.csv``)
adds pairwise and exact-cluster F1 over all records.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from cible.exceptions import ReviewFileError
from cible.identity import calibrate
from cible.identity.clustering import ClusteringRule
from cible.services.identity_files import PAIRS_FILE
from cible.services.outputs import staged, write_json

RUN_SUMMARY = "dedup.json"


def _run_summary(run_dir: Path) -> dict[str, Any]:
    path = run_dir / RUN_SUMMARY
    if not path.is_file():
        return {}
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as e:
        raise ReviewFileError(f"{path} is not the JSON summary of a dedup run: {e}") from e
    if not isinstance(summary, dict):
        raise ReviewFileError(f"{path} is not the JSON summary of a dedup run: not an object")
    return summary


def _run_threshold(summary: dict[str, Any]) -> float | None:
    value = summary.get("threshold")
    return float(value) if isinstance(value, int | float) else None


def _run_clustering(summary: dict[str, Any]) -> ClusteringRule:
    """How the run made entities (``matcher.clustering`` of ``dedup.json``), components when
    the summary does not say (a run from before it was recorded)."""
    matcher = summary.get("matcher")
    return ClusteringRule.from_dict(
        matcher.get("clustering") if isinstance(matcher, dict) else None
    )


def read_truth(path: Path) -> pd.Series:
    """record id -> true entity from a CSV with columns ``record_id`` and ``entity_id``."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError as e:
        raise ReviewFileError(f"truth file {path} does not exist") from e
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise ReviewFileError(f"truth file {path} is not a readable CSV: {e}") from e
    missing = [c for c in ("record_id", "entity_id") if c not in frame.columns]
    if missing:
        raise ReviewFileError(
            f"truth file {path} has no column(s) {missing}; it needs record_id and entity_id "
            f"(columns found: {list(frame.columns)})"
        )
    repeated = frame["record_id"][frame["record_id"].duplicated()]
    if len(repeated):
        raise ReviewFileError(
            f"truth file {path}: record_id {repeated.iloc[0]!r} appears more than once"
        )
    return pd.Series(frame["entity_id"].to_numpy(), index=frame["record_id"].to_numpy())


def calibrate_threshold(
    reviewed: Path,
    out_dir: Path,
    current_threshold: float | None = None,
    *,
    run_dir: Path | None = None,
    truth: Path | None = None,
) -> dict[str, Any]:
    """Read a labelled review sample, measure every threshold (on entities too when the run's
    pairs are found), write ``calibration.json`` and return its content."""
    run_dir = (run_dir or Path(reviewed).parent).resolve()
    source = "--threshold" if current_threshold is not None else None
    summary = _run_summary(run_dir)
    if current_threshold is None:
        current_threshold = _run_threshold(summary)
        source = str(run_dir / RUN_SUMMARY) if current_threshold is not None else None
    pairs_path = run_dir / PAIRS_FILE
    pairs = pd.read_parquet(pairs_path) if pairs_path.is_file() else None
    if truth is not None and pairs is None:
        raise ReviewFileError(
            f"a truth file needs the candidate pairs of the run: {pairs_path} is missing "
            "(give --run, the folder of `cible dedup --out`)"
        )
    report = calibrate(
        reviewed,
        current_threshold=current_threshold,
        pairs=pairs,
        truth=None if truth is None else read_truth(truth),
        clustering=_run_clustering(summary),
    ).to_dict()
    report |= {
        "current_threshold_source": source,
        "pairs_file": str(pairs_path) if pairs is not None else None,
    }
    with staged(out_dir.resolve()) as path:
        write_json(path("calibration.json"), report)
    return report
