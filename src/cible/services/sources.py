"""Reading and mapping every configured source: the first step of ingest, quality, dedup and run."""

from __future__ import annotations

from cible.config import CibleConfig
from cible.ingest.engine import QualityOptions, SourceResult, map_source
from cible.ingest.readers import read_source
from cible.services.progress import Progress


def map_all(
    config: CibleConfig, progress: Progress, quality: QualityOptions | None = None
) -> list[SourceResult]:
    """Read, standardise and map every source (with ``quality``: measure it too)."""
    results = []
    progress.start("Reading and validating sources", total=len(config.sources))
    for source in config.sources:
        raw = read_source(config.source_path(source), source)
        results.append(map_source(source, raw, config.standardize, quality))
        progress.advance()
    progress.done(f"{sum(r.read for r in results):,} rows read")
    return results
