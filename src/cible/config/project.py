"""The whole ``cible.yaml`` and the one place it is read (:func:`load_config`)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import (
    Field,
    ValidationError,
    model_validator,
)

from cible.config.base import _Strict
from cible.config.features import FeaturesConfig
from cible.config.files import read_yaml
from cible.config.identity import DedupConfig
from cible.config.ingest import IngestConfig, default_memory_limit
from cible.config.predict import PredictConfig
from cible.config.quality import QualityConfig, StandardizeConfig
from cible.config.segmentation import SegmentationConfig
from cible.config.sources import SourceConfig
from cible.config.warehouse import DuckDBWarehouseConfig, WarehouseConfig
from cible.exceptions import ConfigError
from cible.schemas.customers import CUSTOMER_FIELDS
from cible.schemas.events import EVENT_FIELDS


class CibleConfig(_Strict):
    """The whole ``cible.yaml``."""

    project: str = "cible"
    as_of: date | None = Field(
        default=None, description="date features are computed at; default: day after the last event"
    )
    warehouse: WarehouseConfig = Field(default_factory=DuckDBWarehouseConfig)
    ingest: IngestConfig = Field(default_factory=IngestConfig)
    sources: list[SourceConfig] = Field(
        default_factory=list, description="at least one, unless predict.table is given"
    )
    features: FeaturesConfig = Field(
        default_factory=FeaturesConfig,
        description="feature families computed at as_of (default: behaviour only)",
    )
    segmentation: SegmentationConfig = Field(default_factory=SegmentationConfig)
    dedup: DedupConfig | None = Field(
        default=None, description="duplicate customers and golden records (off when absent)"
    )
    standardize: StandardizeConfig = Field(default_factory=StandardizeConfig)
    quality: QualityConfig = Field(default_factory=QualityConfig)
    predict: PredictConfig | None = Field(
        default=None, description="predictive profiles (propensity, churn risk); see predict.md"
    )
    base_dir: Path = Field(default=Path("."), exclude=True)

    @model_validator(mode="after")
    def _unique_sources(self) -> CibleConfig:
        tables = (self.predict is not None and self.predict.table is not None) or (
            self.dedup is not None and self.dedup.input is not None
        )
        if not self.sources and not tables:
            raise ValueError(
                "sources: at least one source is needed (or a plain table: predict.table, "
                "dedup.input)"
            )
        names = [s.name for s in self.sources]
        dups = sorted({n for n in names if names.count(n) > 1})
        if dups:
            raise ValueError(f"source names must be unique; repeated: {dups}")
        return self

    @model_validator(mode="after")
    def _threshold_columns(self) -> CibleConfig:
        known = {"default"} | {s.name for s in (*CUSTOMER_FIELDS, *EVENT_FIELDS)}
        for src in self.sources:
            for field_name, m in src.fields.items():
                known.update(f"{field_name}.{c}" for c in m.columns or [])
        t = self.quality.thresholds
        named = (
            set(t.max_missing_rate)
            | set(t.max_invalid_rate)
            | set(t.max_lost_rate)
            | set(t.warn_failed_rate)
        )
        unknown = sorted(named - known)
        if unknown:
            raise ValueError(
                f"quality.thresholds name unknown column(s) {unknown}; allowed: 'default', a "
                "canonical field or '<attributes|properties>.<column>' of a mapped JSON field"
            )
        return self

    @property
    def memory_limit(self) -> str:
        """``warehouse.memory_limit``, or one eighth of physical memory (at least 512 MiB)."""
        limit = getattr(self.warehouse, "memory_limit", None)
        return limit if isinstance(limit, str) else default_memory_limit()

    @property
    def chunk_rows(self) -> int:
        """``ingest.chunk_rows``, or derived from :attr:`memory_limit`."""
        return self.ingest.rows(self.memory_limit)

    def source_path(self, source: SourceConfig) -> Path:
        """The source file, relative paths taken from the config file's folder."""
        return self.resolve_path(source.path)

    def resolve_path(self, path: Path) -> Path:
        """A file named in the configuration, relative paths taken from the config's folder."""
        p = path.expanduser()
        return p if p.is_absolute() else (self.base_dir / p)


def format_validation_error(path: Path, err: ValidationError) -> str:
    lines = [f"{path}: invalid configuration ({err.error_count()} problem(s))"]
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"])
        if e["type"] == "extra_forbidden":
            lines.append(f"  - {loc}: unknown key")
        else:
            lines.append(f"  - {loc or '(top level)'}: {e['msg']}")
    return "\n".join(lines)


def parse_config(data: object, *, path: Path, base_dir: Path | None = None) -> CibleConfig:
    """Validate an already-loaded mapping into a :class:`CibleConfig`."""
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: the configuration must be a YAML mapping, not {type(data).__name__}"
        )
    try:
        cfg = CibleConfig.model_validate(data)
    except ValidationError as e:
        raise ConfigError(format_validation_error(path, e)) from e
    return cfg.model_copy(update={"base_dir": base_dir or path.parent})


def load_config(path: Path) -> CibleConfig:
    """Read and validate ``cible.yaml``; every problem is a :class:`ConfigError` naming the file."""
    path = Path(path)
    data = read_yaml(path)
    return parse_config(data, path=path, base_dir=path.resolve().parent)
