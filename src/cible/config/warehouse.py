"""Where canonical customers and events are stored (``warehouse``)."""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
)

from cible.config.base import _Strict
from cible.config.ingest import parse_size


class DuckDBWarehouseConfig(_Strict):
    """``warehouse: {engine: duckdb, path: ...}``: one embedded DuckDB file (the default)."""

    engine: Literal["duckdb"] = "duckdb"
    path: Path = Field(default=Path("warehouse.duckdb"), description="relative to --out")
    memory_limit: str | None = Field(
        default=None,
        description="e.g. '4GB'; also bounds ingestion's staging; default: 1/8 of physical memory",
    )

    @field_validator("memory_limit")
    @classmethod
    def _size(cls, v: str | None) -> str | None:
        if v is not None:
            parse_size(v)
        return v


DEFAULT_POSTGRESQL_URL = "postgresql://postgres@127.0.0.1:5432/test"


_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def _expand_env(text: str) -> str:
    """``${NAME}`` and ``${NAME:-default}`` replaced by the environment variable (or default)."""

    def value(m: re.Match[str]) -> str:
        name, default = m.group(1), m.group(2)
        found = os.environ.get(name) or default
        if found is None:
            raise ValueError(f"environment variable {name} is not set and has no default")
        return found

    return _ENV_REFERENCE.sub(value, text)


class PostgreSQLWarehouseConfig(_Strict):
    """``warehouse: {engine: postgresql, url: ...}``: tables in a PostgreSQL schema."""

    engine: Literal["postgresql"]
    url: str = Field(
        default=DEFAULT_POSTGRESQL_URL,
        description="libpq URL; ${NAME} / ${NAME:-default} read the environment when the file "
        "is loaded",
    )
    db_schema: str = Field(
        default="public",
        alias="schema",
        pattern=r"^[a-z_][a-z0-9_]{0,62}$",
        description="schema holding the tables (created if absent)",
    )
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("url")
    @classmethod
    def _environment(cls, v: str) -> str:
        return _expand_env(v)


class SparkWarehouseConfig(_Strict):
    """``warehouse: {engine: spark, master: ..., conf: {...}}``: canonical tables as Parquet under
    ``path``, queried by Apache Spark (the optional extra ``spark``)."""

    engine: Literal["spark"]
    path: Path = Field(
        default=Path("warehouse.spark"),
        description="directory of the Parquet tables, relative to --out (a cluster needs a path "
        "every executor reads: HDFS, S3, DBFS...)",
    )
    master: str = Field(
        default="local[2]",
        description="local[N], spark://host:7077, yarn, k8s://..., or sc://host for Spark Connect",
    )
    conf: dict[str, str] = Field(
        default_factory=dict, description="Spark settings, e.g. spark.executor.memory: 8g"
    )
    segment_in: Literal["spark", "driver"] = Field(
        default="spark",
        description="spark: features and segmentation stay in Spark (MLlib k-means / Gaussian "
        "mixture, every customer scored there, the report from aggregates); driver: the feature "
        "table is pulled to the driver for the full in-memory science (validation, maps, "
        "forward check, CLV), when the customers fit it",
    )

    @field_validator("master")
    @classmethod
    def _master(cls, v: str) -> str:
        v = _expand_env(v).strip()
        if not v:
            raise ValueError("warehouse.master cannot be empty (e.g. local[2] or sc://host)")
        return v

    @field_validator("conf", mode="before")
    @classmethod
    def _conf_text(cls, v: object) -> object:
        if isinstance(v, dict):
            return {str(k): str(x).lower() if isinstance(x, bool) else str(x) for k, x in v.items()}
        return v


def _warehouse_engine(v: object) -> object:
    """``engine`` defaults to duckdb; the former ``backend:`` key is read as ``engine:``."""
    if not isinstance(v, dict):
        return v
    v = dict(v)
    if "backend" in v:
        if "engine" in v:
            raise ValueError("warehouse: give 'engine' only ('backend' is its former name)")
        warnings.warn(
            "warehouse.backend is deprecated: write warehouse.engine", DeprecationWarning, 2
        )
        v["engine"] = v.pop("backend")
    v.setdefault("engine", "duckdb")
    return v


WarehouseConfig = Annotated[
    Annotated[
        DuckDBWarehouseConfig | PostgreSQLWarehouseConfig | SparkWarehouseConfig,
        Field(discriminator="engine"),
    ],
    BeforeValidator(_warehouse_engine),
]
"""The ``warehouse`` section: one model per engine, chosen by ``engine``."""
