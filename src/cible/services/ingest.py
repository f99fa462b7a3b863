"""Use case: ingest every source of a configuration into the warehouse.

All sources are read and mapped first; only when every one of them could be used is anything
written (warehouse in one transaction, then the quarantine, summary and data-quality files), so a
missing file or column leaves the warehouse and the output folder as they were. A breached
data-quality threshold (``quality.stop_on_breach``), including a mapped field that lost more than
half its values (``quality.thresholds.max_lost_rate``), stops before the warehouse is touched,
with only ``quality.json`` and ``quality.html`` written (:mod:`cible.services.quality`). A field
with more than 5 % of its values failed is a warning of its source in the summary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from cible.config import CibleConfig
from cible.config.activation import ActivationSettings
from cible.ingest.engine import QUARANTINE_SCHEMA, SourceResult
from cible.quality.results import QualityReport
from cible.services.outputs import staged, write_json
from cible.services.progress import NullProgress, Progress
from cible.services.quality import (
    FailureWarning,
    assess,
    failure_warnings,
    gate,
    quality_options,
    write_quality,
)
from cible.services.quarantine import pseudonymised
from cible.services.sources import mapped_sources
from cible.warehouse.base import LoadCounts, Warehouse


@dataclass(frozen=True)
class SourceSummary:
    name: str
    kind: str
    path: str
    format: str
    encoding: str | None
    delimiter: str | None
    read: int
    accepted: int
    quarantined: int
    inserted: int
    already_present: int
    quarantine_by_rule: dict[str, int]
    warnings: list[FailureWarning] = field(default_factory=list)
    fallback_encoding: str | None = None  # lines not in UTF-8 were decoded with this
    fallback_lines: int = 0

    def as_dict(self) -> dict[str, object]:
        return {**self.__dict__, "warnings": [w.as_dict() for w in self.warnings]}


@dataclass(frozen=True)
class IngestSummary:
    sources: list[SourceSummary]
    quality: QualityReport | None = field(default=None, compare=False)

    @property
    def balanced(self) -> bool:
        return all(s.read == s.accepted + s.quarantined for s in self.sources)

    def as_dict(self) -> dict[str, object]:
        total = {
            k: sum(getattr(s, k) for s in self.sources)
            for k in ("read", "accepted", "quarantined", "inserted", "already_present")
        }
        return {
            "sources": [s.as_dict() for s in self.sources],
            "totals": total,
            "balanced": self.balanced,
        }


LOAD_BATCH_ROWS = 100_000


def _load(
    warehouse: Warehouse, results: list[SourceResult], progress: Progress
) -> list[LoadCounts]:
    """Every source's accepted rows in one transaction: all of the run, or nothing (the bar
    counts rows, source by source)."""
    counts = []
    with warehouse.transaction():
        for r in results:
            rows = r.accepted
            progress.note(r.name)
            data = rows if isinstance(rows, pa.Table) else rows.batches(LOAD_BATCH_ROWS)
            counts.append(warehouse.load_rows(r.kind, data, rows.num_rows))
            progress.advance(rows.num_rows)
    return counts


def ingest(
    config: CibleConfig,
    warehouse: Warehouse,
    out_dir: Path,
    progress: Progress | None = None,
    *,
    write_quality_files: bool = True,
) -> IngestSummary:
    """Read, validate, load; write ``quarantine.csv`` and ``ingest_summary.json`` in ``out_dir``.

    ``quality.json``/``quality.html`` are written too, unless ``write_quality_files`` is false:
    the pipeline writes them once, at the end, with the imputed shares of the segmentation (a
    breached gate writes them here in any case, before it stops the run).
    """
    progress = progress or NullProgress()
    with mapped_sources(config, progress, quality_options(config)) as results:
        report = assess(config, results)
        if report.breaches and config.quality.stop_on_breach:
            write_quality(config, report, out_dir)
            gate(config, report, out_dir)
        progress.start("Loading the warehouse", total=sum(r.accepted.num_rows for r in results))
        loads = _load(warehouse, results, progress)
        progress.done(f"{sum(c.inserted for c in loads):,} rows inserted")
    summary = IngestSummary(
        [
            SourceSummary(
                name=r.name,
                kind=r.kind,
                path=str(r.path),
                format=r.format,
                encoding=r.encoding,
                delimiter=r.delimiter,
                read=r.read,
                accepted=r.accepted.num_rows,
                quarantined=r.quarantine.num_rows,
                inserted=c.inserted,
                already_present=c.already_present,
                quarantine_by_rule=r.rule_counts,
                warnings=failure_warnings(r, config.quality.thresholds),
                fallback_encoding=r.fallback_encoding,
                fallback_lines=r.fallback_lines,
            )
            for r, c in zip(results, loads, strict=True)
        ],
        quality=report,
    )
    with staged(out_dir) as path:
        quarantine = (
            pa.concat_tables([r.quarantine for r in results])
            if results
            else (QUARANTINE_SCHEMA.empty_table())
        )
        if config.quality.pseudonymise_quarantine:
            quarantine = pseudonymised(quarantine, ActivationSettings().secret())
        pacsv.write_csv(quarantine, path("quarantine.csv"))
        write_json(path("ingest_summary.json"), summary.as_dict())
    if write_quality_files:
        write_quality(config, report, out_dir)
    return summary
