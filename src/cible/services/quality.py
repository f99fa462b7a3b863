"""Use case: the data-quality report of the configured sources, and its gate.

The report is measured while the sources are mapped (:func:`cible.ingest.engine.map_source`),
assembled here, written as ``quality.json`` and ``quality.html``, and checked against
``quality.thresholds``: with ``stop_on_breach`` a breach raises
:class:`~cible.exceptions.DataQualityError` *after* the files are written, so the user can see why.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from cible import __version__
from cible.config import CibleConfig
from cible.exceptions import DataQualityError
from cible.ingest.engine import QualityOptions, SourceResult
from cible.quality.report import build_report
from cible.quality.results import QualityReport
from cible.reporting.quality import render_quality_page, write_quality_json
from cible.services.outputs import staged
from cible.services.progress import NullProgress, Progress

QUALITY_FILES = ("quality.json", "quality.html")


def reference_date(config: CibleConfig) -> date:
    """Dates after it are 'in the future' and ages are computed at it: ``as_of``, else today."""
    return config.as_of or datetime.now(UTC).date()


def quality_options(config: CibleConfig) -> QualityOptions:
    return QualityOptions(config.quality, reference_date(config))


def assess(config: CibleConfig, results: list[SourceResult]) -> QualityReport:
    """The report of mapped ``results`` (mapped with :func:`quality_options`) and its breaches."""
    missing = [r.name for r in results if r.quality is None]
    if missing:
        raise ValueError(f"sources {missing} were mapped without quality measures")
    return build_report(
        [r.quality for r in results if r.quality is not None],
        config.quality.thresholds,
        reference_date=reference_date(config),
        seconds=sum(r.seconds.get("quality", 0.0) for r in results),
    )


def _meta(config: CibleConfig) -> dict[str, str]:
    return {
        "project": config.project,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cible_version": __version__,
    }


def write_quality(config: CibleConfig, report: QualityReport, out_dir: Path) -> list[Path]:
    """Write ``quality.json`` and ``quality.html`` into ``out_dir`` (atomically)."""
    with staged(out_dir) as path:
        write_quality_json(path("quality.json"), report)
        render_quality_page(path("quality.html"), report, _meta(config))
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
    from cible.services.ingest import map_all

    progress = progress or NullProgress()
    out_dir = out_dir.resolve()
    results = map_all(config, progress, quality_options(config))
    report = assess(config, results)
    write_quality(config, report, out_dir)
    gate(config, report, out_dir)
    return report
