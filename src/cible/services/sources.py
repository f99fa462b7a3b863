"""Reading and mapping every configured source: the first step of ingest, quality, dedup and run.

Each source is read in chunks into the run's staging database (:mod:`cible.ingest.staging`) and
mapped there; the results' accepted rows stay in that database until the caller has loaded them,
so :func:`mapped_sources` is a context manager: the staging files go when its block ends.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from cible.config import CibleConfig
from cible.ingest.engine import QualityOptions, SourceResult
from cible.ingest.staging import Staging
from cible.services.progress import Progress


@contextmanager
def mapped_sources(
    config: CibleConfig, progress: Progress, quality: QualityOptions | None = None
) -> Iterator[list[SourceResult]]:
    """Read, standardise and map every source (with ``quality``: measure it too); a bar per
    source in bytes read."""
    with Staging(config.memory_limit, config.chunk_rows) as staging:
        results = []
        for source in config.sources:
            path = config.source_path(source)
            size = path.stat().st_size if path.is_file() else 0
            progress.start(f"Reading {source.name} ({path.name})", total=size, unit="bytes")
            t0 = time.perf_counter()

            def rows(n: int, t0: float = t0) -> None:
                rate = n / max(time.perf_counter() - t0, 1e-9)
                progress.note(f"{n:,} rows, {rate:,.0f} rows/s")

            result = staging.map(source, path, config.standardize, quality, progress.advance, rows)
            seconds = max(time.perf_counter() - t0, 1e-9)
            results.append(result)
            progress.done(f"{result.read:,} rows, {result.read / seconds:,.0f} rows/s")
        yield results
