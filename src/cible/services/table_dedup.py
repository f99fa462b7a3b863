"""Use case: deduplicate a plain table (``dedup.input``) - no ingestion, no warehouse.

The table is read as text and checked (:mod:`cible.identity.table_input`), matched with
``dedup.matching`` (:func:`cible.identity.find_duplicates`), checked by ``dedup.guards``, and the
result written to the output folder: ``clusters.csv`` (record_id, entity_id, one row per record
of the table), ``dedup.json`` (counts, largest entity, seconds), ``identity_pairs.parquet``
(scored candidate pairs, for ``cible calibrate``), ``identity_model.json`` (Fellegi-Sunter) and,
when configured, ``review_sample.csv``. Golden records need the canonical customer fields
(creation date, consents) and are built on the ingested-customers route only.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from cible.config import CibleConfig, DedupConfig
from cible.identity import MatchResult, find_duplicates
from cible.identity.guards import GuardReport, check_resolution, enforce
from cible.identity.survivorship import RECORD_ID
from cible.identity.table_input import read_records
from cible.services.identity_files import (
    MODEL_FILE,
    PAIRS_FILE,
    model_to_dict,
    write_pairs,
    write_review,
)
from cible.services.outputs import staged, write_json
from cible.services.progress import NullProgress, Progress


@dataclass(frozen=True)
class TableOutcome:
    """A plain table resolved: the match, the guards' report, the records and where they came
    from."""

    match: MatchResult
    guards: GuardReport
    records: pd.DataFrame
    path: Path
    seconds: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        clusters = self.match.clusters
        sizes = clusters.groupby("entity_id").size()
        stats = self.match.stats
        return {
            "input": str(self.path),
            "records": len(clusters),
            "entities": len(sizes),
            "merged_entities": int((sizes > 1).sum()),
            "records_merged_away": int(len(clusters) - len(sizes)),
            **self.guards.summary(),
            "threshold": self.match.threshold,
            "candidate_pairs": len(self.match.pairs),
            "matching_pairs": int(self.match.pairs["is_match"].sum()),
            "matcher": {k: v for k, v in stats.items() if k != "records"},
            "seconds": self.seconds,
        }


def resolve_table(
    config: CibleConfig, dedup: DedupConfig, progress: Progress | None = None
) -> TableOutcome:
    """Read, check, match and guard the table of ``dedup.input``."""
    assert dedup.input is not None
    progress = progress or NullProgress()
    path = config.resolve_path(dedup.input.path)
    t0 = time.perf_counter()
    progress.start(f"Reading {path.name}")
    records = read_records(path, dedup.input, dedup.matching)
    seconds = {"read": time.perf_counter() - t0}
    progress.done(f"{len(records):,} records")
    return resolve_records(records, path, dedup, progress, seconds)


def resolve_records(
    records: pd.DataFrame,
    path: Path,
    dedup: DedupConfig,
    progress: Progress | None = None,
    seconds: dict[str, float] | None = None,
) -> TableOutcome:
    """Match and guard ``records`` (read and checked, :func:`~cible.identity.table_input.
    read_records`); ``path`` names where they came from (the summary's ``input``, the review
    sample's ``source``). Shared by :func:`resolve_table` and :func:`cible.dedup`."""
    progress = progress or NullProgress()
    seconds = dict(seconds or {})
    t0 = time.perf_counter()
    progress.start("Finding duplicate records")
    match = find_duplicates(records, dedup.matching)
    labels = [f.label for f in dedup.matching.fields]
    lam = match.stats.get("em", {}).get("lambda_candidates")
    report = check_resolution(match.clusters, dedup.guards, match.model, labels, lam)
    enforce(report, dedup.guards)
    seconds["match"] = time.perf_counter() - t0
    entities = match.clusters["entity_id"].nunique()
    progress.done(f"{len(records):,} records -> {entities:,} entities")
    return TableOutcome(match, report, records, path, seconds)


def review_records(outcome: TableOutcome, id_column: str) -> pd.DataFrame:
    """The records as the review sample reads them: id as ``customer_id``, file as ``source``."""
    dropped = [c for c in (RECORD_ID, "source") if c != id_column]
    frame = outcome.records.drop(columns=dropped, errors="ignore")
    frame = frame.rename(columns={id_column: RECORD_ID})
    return frame.assign(source=outcome.path.name)


def write_table_outcome(outcome: TableOutcome, dedup: DedupConfig, out_dir: Path) -> list[Path]:
    """Every file of the plain-table route, staged (all or nothing); returns the files written."""
    names: list[str] = []
    with staged(out_dir) as staging:

        def path(name: str) -> Path:
            names.append(name)
            return staging(name)

        outcome.match.clusters[["record_id", "entity_id"]].to_csv(path("clusters.csv"), index=False)
        write_json(path("dedup.json"), outcome.summary())
        write_pairs(outcome.match, path(PAIRS_FILE))
        if outcome.match.model is not None:
            write_json(path(MODEL_FILE), model_to_dict(outcome.match.model))
        assert dedup.matching.id_column is not None
        write_review(dedup, outcome.match, review_records(outcome, dedup.matching.id_column), path)
    return [out_dir / n for n in names if (out_dir / n).is_file()]


def run_table_dedup(
    config: CibleConfig, dedup: DedupConfig, out_dir: Path, progress: Progress | None = None
) -> TableOutcome:
    """`cible dedup` on ``dedup.input``: resolve the table and write its files in ``out_dir``."""
    outcome = resolve_table(config, dedup, progress)
    write_table_outcome(outcome, dedup, out_dir)
    return outcome
