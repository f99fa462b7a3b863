"""``warehouse.memory_limit`` and ``ingest.chunk_rows``: defaults derived from the machine."""

from __future__ import annotations

from pathlib import Path

import pytest

from cible.config import default_chunk_rows, default_memory_limit, load_config
from cible.config.ingest import parse_size
from cible.exceptions import ConfigError
from tests.conftest import WriteConfig, orders_source

GIB = 2**30


def test_the_memory_limit_is_a_sixteenth_of_physical_memory_at_least_512_mib() -> None:
    assert default_memory_limit(24 * GIB) == "1536MiB"
    assert default_memory_limit(8 * GIB) == "512MiB"  # exactly the floor
    assert default_memory_limit(8 * GIB - 16) == "512MiB"
    assert default_memory_limit(8 * GIB + 16 * 2**20) == "513MiB"
    assert default_memory_limit(1 * GIB) == "512MiB"


def test_chunk_rows_are_the_memory_limit_over_8_kib_between_10k_and_1m() -> None:
    assert default_chunk_rows("1536MiB") == 196_608
    assert default_chunk_rows("80MiB") == 10_240
    assert default_chunk_rows(f"{10_000 * 8192}B") == 10_000  # exactly the floor
    assert default_chunk_rows("50MiB") == 10_000
    assert default_chunk_rows(f"{1_000_000 * 8192}B") == 1_000_000  # exactly the ceiling
    assert default_chunk_rows("10GB") == 1_000_000


def test_sizes_are_read_in_decimal_and_binary_units() -> None:
    assert parse_size("4GB") == 4 * 10**9
    assert parse_size("512MiB") == 512 * 2**20
    assert parse_size("3.5 GB") == 3_500_000_000
    assert parse_size("1024") == 1024
    with pytest.raises(ValueError, match="'lots' is not a memory size such as '4GB'"):
        parse_size("lots")


def test_the_settings_reach_the_run(tmp_path: Path, write_config: WriteConfig) -> None:
    cfg = load_config(
        write_config(
            {
                "warehouse": {"memory_limit": "2GB"},
                "ingest": {"chunk_rows": 5000},
                "sources": [orders_source()],
            }
        )
    )
    assert (cfg.memory_limit, cfg.chunk_rows) == ("2GB", 5000)
    derived = load_config(
        write_config({"warehouse": {"memory_limit": "1GiB"}, "sources": [orders_source()]})
    )
    assert derived.chunk_rows == 131_072


def test_a_bad_memory_limit_or_chunk_size_names_the_key(
    tmp_path: Path, write_config: WriteConfig
) -> None:
    with pytest.raises(ConfigError, match=r"warehouse\.duckdb\.memory_limit"):
        load_config(
            write_config({"warehouse": {"memory_limit": "a lot"}, "sources": [orders_source()]})
        )
    with pytest.raises(ConfigError, match=r"ingest\.chunk_rows"):
        load_config(write_config({"ingest": {"chunk_rows": 0}, "sources": [orders_source()]}))
