"""Use case: the data-quality report of the configured sources, and its gate.

The report is measured while the sources are mapped (:func:`cible.ingest.engine.map_source`),
assembled here, written as ``quality.json`` and ``quality.html``, and checked against
``quality.thresholds``: with ``stop_on_breach`` a breach raises
:class:`~cible.exceptions.DataQualityError` *after* the files are written, so the user can see why.

Besides the thresholds on rows (missing, invalid), every mapped field is checked on its own
values (:class:`~cible.ingest.failures.FieldFailures`): more than ``max_lost_rate`` (default 50 %)
of them lost is a breach, more than ``warn_failed_rate`` (default 5 %) failed is a
:class:`FailureWarning` for the console and ``ingest_summary.json``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

from cible.config import CibleConfig, QualityThresholds
from cible.exceptions import DataQualityError
from cible.ingest.engine import QualityOptions, SourceResult
from cible.quality.report import build_report
from cible.quality.results import Breach, QualityReport
from cible.reporting.quality import render_quality_page, write_quality_json
from cible.services.outputs import run_meta, staged
from cible.services.progress import NullProgress, Progress
from cible.services.sources import mapped_sources

QUALITY_FILES = ("quality.json", "quality.html")


def reference_date(config: CibleConfig) -> date:
    """Dates after it are 'in the future' and ages are computed at it: ``as_of``, else today."""
    return config.as_of or datetime.now(UTC).date()


def quality_options(config: CibleConfig) -> QualityOptions:
    return QualityOptions(config.quality, reference_date(config))


def assess(config: CibleConfig, results: list[SourceResult]) -> QualityReport:
    """The report of mapped ``results`` (mapped with :func:`quality_options`) and its breaches
    (those of the row rates, then the fields that lost too many values)."""
    missing = [r.name for r in results if r.quality is None]
    if missing:
        raise ValueError(f"sources {missing} were mapped without quality measures")
    report = build_report(
        [r.quality for r in results if r.quality is not None],
        config.quality.thresholds,
        reference_date=reference_date(config),
        seconds=sum(r.seconds.get("quality", 0.0) for r in results),
    )
    lost = lost_breaches(results, config.quality.thresholds)
    return replace(report, breaches=report.breaches + lost) if lost else report


def _key(table: dict[str, float], field: str) -> str:
    return field if field in table else "default"


def lost_breaches(results: list[SourceResult], thresholds: QualityThresholds) -> tuple[Breach, ...]:
    """Every mapped field whose share of lost values is above its ``max_lost_rate``."""
    table = thresholds.max_lost_rate
    out: list[Breach] = []
    for r in results:
        for f in r.failures:
            limit = thresholds.limit(table, f.field)
            if limit is not None and f.lost_rate > limit:
                key = _key(table, f.field)
                out.append(
                    Breach(r.name, f.field, "lost_rate", f.lost_rate, limit, key, f.column, f.rules)
                )
    return tuple(out)


@dataclass(frozen=True)
class FailureWarning:
    """A mapped field with more than ``warn_failed_rate`` of its values that failed (no value
    is ever quoted: the message is safe for logs)."""

    source: str
    field: str
    column: str
    values: int
    failed: int
    lost: int
    quarantined: int
    rules: str
    allowed: float

    @property
    def share(self) -> float:
        return self.failed / self.values if self.values else 0.0

    def message(self) -> str:
        origin = f" (column '{self.column}')" if self.column != self.field else ""
        nulled, kept = self.lost - self.quarantined, self.failed - self.lost
        fates = [
            f"{nulled:,} nulled (kept as read in raw_values)" if nulled else "",
            f"{self.quarantined:,} rows quarantined (quarantine.csv)" if self.quarantined else "",
            f"{kept:,} kept as given (also in raw_values)" if kept else "",
        ]
        return (
            f"source '{self.source}' field '{self.field}'{origin}: {self.failed:,} of "
            f"{self.values:,} values ({self.share:.1%}) failed rule {self.rules}; "
            + ", ".join(f for f in fates if f)
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "field": self.field,
            "column": self.column,
            "values": self.values,
            "failed": self.failed,
            "lost": self.lost,
            "quarantined": self.quarantined,
            "share": self.share,
            "rule": self.rules,
            "allowed": self.allowed,
            "message": self.message(),
        }


def failure_warnings(result: SourceResult, thresholds: QualityThresholds) -> list[FailureWarning]:
    """The fields of ``result`` whose share of failed values is above ``warn_failed_rate``."""
    out = []
    for f in result.failures:
        limit = thresholds.limit(thresholds.warn_failed_rate, f.field)
        if limit is not None and f.failed_rate > limit:
            out.append(
                FailureWarning(
                    result.name,
                    f.field,
                    f.column,
                    f.values,
                    f.failed,
                    f.lost,
                    f.quarantined,
                    f.rules,
                    limit,
                )
            )
    return out


def write_quality(config: CibleConfig, report: QualityReport, out_dir: Path) -> list[Path]:
    """Write ``quality.json`` and ``quality.html`` into ``out_dir`` (atomically)."""
    with staged(out_dir) as path:
        write_quality_json(path("quality.json"), report)
        render_quality_page(path("quality.html"), report, run_meta(config.project))
    return [out_dir / name for name in QUALITY_FILES]


def gate(config: CibleConfig, report: QualityReport, out_dir: Path) -> None:
    """Raise :class:`DataQualityError` when a threshold is breached and ``stop_on_breach``."""
    if not report.breaches or not config.quality.stop_on_breach:
        return
    lines = tuple(b.message() for b in report.breaches)
    raise DataQualityError(
        f"data quality below the configured thresholds ({len(lines)} breach(es); see "
        f"{out_dir / 'quality.html'}):\n  - " + "\n  - ".join(lines),
        lines,
        kept_files=tuple(str(out_dir / name) for name in QUALITY_FILES),
    )


def run_quality(
    config: CibleConfig, out_dir: Path, progress: Progress | None = None
) -> QualityReport:
    """Read and map every source (nothing is loaded), write the report files, then gate."""
    progress = progress or NullProgress()
    out_dir = out_dir.resolve()
    with mapped_sources(config, progress, quality_options(config)) as results:
        report = assess(config, results)
    write_quality(config, report, out_dir)
    gate(config, report, out_dir)
    return report
