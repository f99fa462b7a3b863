"""The ``experiment:`` (A/B analysis) and ``uplift:`` sections of an experiment file, e.g.
``examples/ab_data.yaml`` and ``examples/hillstrom_uplift.yaml``. Relative paths are resolved
against the folder of the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator

from cible.config.base import _Strict
from cible.config.files import read_yaml
from cible.exceptions import ConfigError

DuplicatePolicy = Literal["keep_first", "drop_all", "refuse"]


class ExperimentSource(_Strict):
    """A CSV or Parquet file with one row per unit (or per exposure, see ``duplicates``)."""

    path: Path
    format: Literal["auto", "csv", "parquet"] = "auto"


class Consistency(_Strict):
    """Rows whose ``column`` is not ``expected[arm]`` are assignment/logging errors: removed and
    counted (e.g. the control group shown the new page)."""

    column: str
    expected: dict[str, str]


class SequentialConfig(_Strict):
    looks: int = Field(default=10, ge=1, le=1000)
    tau: float = Field(default=0.01, gt=0)


class PowerConfig(_Strict):
    power: float = Field(default=0.8, gt=0, lt=1)
    mde: float = Field(default=0.01, gt=0, lt=1, description="absolute change of the rate")


class BootstrapConfig(_Strict):
    n_resamples: int = Field(default=2000, ge=100, le=100_000)
    seed: int = 0
    # BCa needs a jackknife over every unit (n refits): minutes on tens of thousands of units
    method: Literal["percentile", "BCa", "basic"] = "percentile"


class AnalyzeConfig(_Strict):
    id: str = Field(min_length=1)
    source: ExperimentSource
    unit: str | None = Field(default=None, description="unit id column; none: row numbers")
    arm: str
    control: str
    planned: dict[str, float] = Field(description="planned share of each arm, e.g. 0.5 / 0.5")
    outcomes: list[str] = Field(min_length=1, description="0/1 outcome columns")
    revenue: str | None = None
    covariate: str | None = Field(default=None, description="pre-period column for CUPED")
    segments: list[str] = Field(default_factory=list)
    consistency: Consistency | None = None
    duplicates: DuplicatePolicy = "keep_first"
    time: str | None = Field(default=None, description="timestamp column for sequential looks")
    sequential: SequentialConfig = Field(default_factory=SequentialConfig)
    power: PowerConfig = Field(default_factory=PowerConfig)
    bootstrap: BootstrapConfig = Field(default_factory=BootstrapConfig)
    alpha: float = Field(default=0.05, gt=0, lt=1)
    srm_threshold: float = Field(default=0.001, gt=0, lt=1)

    @model_validator(mode="after")
    def _arms(self) -> AnalyzeConfig:
        if self.control not in self.planned:
            raise ValueError(
                f"control {self.control!r} is not an arm of planned {sorted(self.planned)}"
            )
        if len(self.planned) < 2 or any(v <= 0 for v in self.planned.values()):
            raise ValueError("planned needs >= 2 arms with shares > 0")
        return self


class UpliftModelSpec(_Strict):
    method: Literal["t_learner", "class_transformation", "x_learner", "blend"]
    base: Literal["hgb", "hgb_slow", "logistic"]

    @property
    def name(self) -> str:
        return f"{self.method}/{self.base}"


class UpliftConfig(_Strict):
    source: ExperimentSource
    unit: str | None = None
    arm: str
    treatment: str
    control: str
    outcome: str
    numeric: list[str] = Field(default_factory=list)
    categorical: list[str] = Field(default_factory=list)
    test_size: float = Field(default=0.3, gt=0, lt=1)
    seed: int = 0
    models: list[UpliftModelSpec] = Field(min_length=1)
    baseline: str = Field(description="name (method/base) of the model to beat")
    target: str = Field(description="name of the model that builds the audience")
    audience_fraction: float = Field(default=0.3, gt=0, lt=1)

    @model_validator(mode="after")
    def _names(self) -> UpliftConfig:
        names = [m.name for m in self.models]
        for key in ("baseline", "target"):
            if getattr(self, key) not in names:
                raise ValueError(f"{key} {getattr(self, key)!r} is not one of models {names}")
        if not self.numeric and not self.categorical:
            raise ValueError("give at least one feature in numeric or categorical")
        return self


def _error(path: Path, section: str, err: ValidationError) -> ConfigError:
    lines = [f"{path}: invalid {section} section ({err.error_count()} problem(s))"]
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"])
        msg = "unknown key" if e["type"] == "extra_forbidden" else e["msg"]
        lines.append(f"  - {section}.{loc}: {msg}" if loc else f"  - {section}: {msg}")
    return ConfigError("\n".join(lines))


def _section(path: Path, section: str) -> dict[str, Any]:
    data = read_yaml(path)
    body = data.get(section) if isinstance(data, dict) else None
    if not isinstance(body, dict):
        raise ConfigError(f"{path}: no '{section}:' mapping at the top of the file")
    return body


def _resolved(source: ExperimentSource, path: Path) -> ExperimentSource:
    p = source.path if source.path.is_absolute() else path.resolve().parent / source.path
    return source.model_copy(update={"path": p})


def load_analyze_config(path: Path | str) -> AnalyzeConfig:
    """The ``experiment:`` section; a problem is a :class:`ConfigError` naming the key."""
    path = Path(path)
    try:
        cfg = AnalyzeConfig.model_validate(_section(path, "experiment"))
    except ValidationError as e:
        raise _error(path, "experiment", e) from e
    return cfg.model_copy(update={"source": _resolved(cfg.source, path)})


def load_uplift_config(path: Path | str) -> UpliftConfig:
    """The ``uplift:`` section; a problem is a :class:`ConfigError` naming the key."""
    path = Path(path)
    try:
        cfg = UpliftConfig.model_validate(_section(path, "uplift"))
    except ValidationError as e:
        raise _error(path, "uplift", e) from e
    return cfg.model_copy(update={"source": _resolved(cfg.source, path)})
