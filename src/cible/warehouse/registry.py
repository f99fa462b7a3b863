"""The warehouse backends by engine, bound late: a backend's module (and its driver) is imported
only when that engine is opened. Kept apart from :mod:`cible.warehouse.base` so the seam never
imports the backends built on it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from cible.exceptions import WarehouseError
from cible.warehouse.base import Warehouse

if TYPE_CHECKING:
    from cible.config import (
        DuckDBWarehouseConfig,
        PostgreSQLWarehouseConfig,
        SparkWarehouseConfig,
    )

    AnyWarehouseConfig = DuckDBWarehouseConfig | PostgreSQLWarehouseConfig | SparkWarehouseConfig


Opener = Callable[["AnyWarehouseConfig", Path], Warehouse]


def _open_duckdb(config: AnyWarehouseConfig, base_dir: Path) -> Warehouse:
    from cible.config import DuckDBWarehouseConfig, default_memory_limit
    from cible.warehouse.duckdb import DuckDBWarehouse

    assert isinstance(config, DuckDBWarehouseConfig)
    path = config.path if config.path.is_absolute() else base_dir / config.path
    return DuckDBWarehouse(path, memory_limit=config.memory_limit or default_memory_limit())


def _open_postgresql(config: AnyWarehouseConfig, base_dir: Path) -> Warehouse:
    from cible.config import PostgreSQLWarehouseConfig
    from cible.warehouse.postgresql import PostgreSQLWarehouse

    assert isinstance(config, PostgreSQLWarehouseConfig)
    return PostgreSQLWarehouse(config.url, schema=config.db_schema)


def _open_spark(config: AnyWarehouseConfig, base_dir: Path) -> Warehouse:
    from cible.config import SparkWarehouseConfig
    from cible.warehouse.spark import SparkWarehouse

    assert isinstance(config, SparkWarehouseConfig)
    path = config.path if config.path.is_absolute() else base_dir / config.path
    return SparkWarehouse(path, master=config.master, conf=config.conf)


def backends() -> Mapping[str, Opener]:
    """The warehouse backends: ``engine`` of the configuration -> the function opening it.

    Each opener imports its driver only when called; a new backend is one module and one entry
    here (plus its configuration model)."""
    return {"duckdb": _open_duckdb, "postgresql": _open_postgresql, "spark": _open_spark}


def open_warehouse(config: AnyWarehouseConfig, base_dir: Path) -> Warehouse:
    """The backend named by ``config.engine``, bound late so that callers never import a driver.
    ``base_dir`` (the output folder) anchors relative paths of file-based engines."""
    known = backends()
    opener = known.get(config.engine)
    if opener is None:
        raise WarehouseError(
            f"unknown warehouse engine {config.engine!r}; known: {', '.join(sorted(known))}"
        )
    return opener(config, base_dir)
