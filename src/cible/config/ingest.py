"""How sources are read (``ingest``) and the memory defaults derived from the machine.

A source is read in chunks of ``ingest.chunk_rows`` records and staged in a DuckDB database on
disk that may use at most ``warehouse.memory_limit`` (spilling to disk beyond it), so peak memory
depends on those two settings and on the distinct values standardised, not on the file size.
Left unset, both are derived from the machine's physical memory (:func:`default_memory_limit`,
:func:`default_chunk_rows`).
"""

from __future__ import annotations

import os
import re

from pydantic import Field

from cible.config.base import _Strict

MEMORY_SHARE = 16  # the default memory limit is 1/16 of physical memory (per DuckDB database) ...
MIN_MEMORY = 512 * 2**20  # ... and at least 512 MiB
BYTES_PER_CHUNK_ROW = 8192  # the chunk's share of the memory limit, per record
MIN_CHUNK_ROWS, MAX_CHUNK_ROWS = 10_000, 1_000_000
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B|B)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12}
_UNITS |= {"KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


def physical_memory() -> int:
    """Bytes of physical memory (4 GiB when the system does not say)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 4 * 2**30


def parse_size(text: str) -> int:
    """``'4GB'``, ``'512MiB'``, ``'3.5 GB'`` -> bytes; a ``ValueError`` naming the allowed forms."""
    m = _SIZE.match(text)
    if m is None:
        raise ValueError(f"{text!r} is not a memory size such as '4GB', '512MiB' or '3.5GB'")
    return int(float(m.group(1)) * _UNITS[(m.group(2) or "").upper()])


def default_memory_limit(physical: int | None = None) -> str:
    """1/16 of physical memory, at least 512 MiB, in DuckDB's notation (``'1536MiB'``)."""
    total = physical_memory() if physical is None else physical
    return f"{max(total // MEMORY_SHARE, MIN_MEMORY) // 2**20}MiB"


def default_chunk_rows(memory_limit: str) -> int:
    """Records per chunk: ``memory_limit`` / 8 KiB, between 10,000 and 1,000,000."""
    rows = parse_size(memory_limit) // BYTES_PER_CHUNK_ROW
    return int(min(max(rows, MIN_CHUNK_ROWS), MAX_CHUNK_ROWS))


class IngestConfig(_Strict):
    """``ingest: {chunk_rows: 200000}``: how many records of a file are held in memory at once."""

    chunk_rows: int | None = Field(
        default=None,
        ge=1,
        description="records per chunk; default: warehouse.memory_limit / 8 KiB (10k-1M)",
    )

    def rows(self, memory_limit: str) -> int:
        return self.chunk_rows or default_chunk_rows(memory_limit)
