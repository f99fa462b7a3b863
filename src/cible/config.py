"""Configuration: the pydantic models of ``cible.yaml``.

The file is parsed once at the edge (:func:`load_config`) into typed models; nothing deeper in the
code reads raw dictionaries. Unknown keys are refused everywhere (``extra="forbid"``) so that a typo
is an error naming the key, not a silently ignored setting.
"""

from __future__ import annotations

import os
import re
import warnings
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from cible.config_predict import PredictConfig
from cible.exceptions import ConfigError
from cible.quality.dedup.settings import MatchingConfig
from cible.quality.golden.settings import SurvivorshipConfig
from cible.schemas.customers import CUSTOMER_FIELDS
from cible.schemas.events import EVENT_FIELDS
from cible.schemas.fields import RAW_VALUES
from cible.yaml_io import read_yaml

SourceKind = Literal["customers", "events"]
SourceFormat = Literal["auto", "csv", "parquet", "jsonl", "excel"]
SourceColumnType = Literal["string", "float", "int", "timestamp", "date", "bool"]
StandardizerName = Literal[
    "none",
    "email",
    "phone",
    "name",
    "city",
    "postal_code",
    "gender",
    "category",
    "date",
    "timestamp",
]
OnInvalid = Literal["quarantine", "null", "keep"]
DateOrder = Literal["dmy", "mdy"]

FEATURE_NAMES: tuple[str, ...] = (
    "recency_days",
    "frequency",
    "monetary",
    "avg_basket",
    "tenure_days",
    "mean_interpurchase_days",
    "refund_rate",
    "events_30d",
    "events_90d",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldMapping(_Strict):
    """How one canonical field is obtained from a source row.

    Exactly one of ``column`` (a source column), ``expr`` (a DuckDB SQL expression over the source
    columns), ``value`` (a constant) or ``columns`` (for JSON fields: the source columns to keep).
    """

    column: str | None = None
    expr: str | None = None
    value: str | None = None
    columns: list[str] | None = None
    format: list[str] | None = Field(
        default=None, description="strptime formats for timestamp/date fields, tried in order"
    )
    timezone: str = Field(default="UTC", description="zone of naive timestamps in the source")
    true_values: list[str] = Field(default_factory=lambda: ["true", "1", "yes", "y", "oui", "t"])
    false_values: list[str] = Field(default_factory=lambda: ["false", "0", "no", "n", "non", "f"])
    lower: bool = Field(default=False, description="lower-case the text value")
    standardize: StandardizerName | None = Field(
        default=None,
        description="standardiser applied to the mapped values; default: the canonical field's "
        "own (see the `standardize` section), 'none' to switch it off",
    )
    on_invalid: OnInvalid | None = Field(
        default=None,
        description="a value that cannot be standardised: quarantine the row, null the value or "
        "keep it as given; default: standardize.on_invalid",
    )
    region: str | None = Field(
        default=None, description="phone: region of numbers without +prefix (ISO 3166, e.g. FR)"
    )
    date_order: DateOrder | None = Field(
        default=None, description="dates: dmy (03/04 = 3 April) or mdy; default: standardize"
    )
    mapping: dict[str, str] | None = Field(
        default=None, description="category: raw spelling -> canonical value (implies category)"
    )

    @field_validator("format", mode="before")
    @classmethod
    def _one_format_is_a_list(cls, v: object) -> object:
        return [v] if isinstance(v, str) else v

    @model_validator(mode="after")
    def _exactly_one_origin(self) -> FieldMapping:
        given = [k for k in ("column", "expr", "value", "columns") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "a field mapping needs exactly one of 'column', 'expr', 'value' or 'columns'"
                f" (got {', '.join(given) or 'none'})"
            )
        return self


class Rule(_Strict):
    """A row rule: when the SQL condition holds, set canonical fields to constants or quarantine."""

    name: str = Field(pattern=r"^[A-Za-z0-9_\-]+$")
    when: str = Field(min_length=1, description="DuckDB SQL condition over the source columns")
    set: dict[str, str] | None = None
    quarantine: str | None = Field(default=None, description="reason written to the quarantine")

    @model_validator(mode="after")
    def _one_action(self) -> Rule:
        if (self.set is None) == (self.quarantine is None):
            raise ValueError(f"rule '{self.name}' needs exactly one of 'set' or 'quarantine'")
        return self


_STANDARDIZER_KINDS: dict[str, str] = {
    "email": "string",
    "phone": "string",
    "name": "string",
    "city": "string",
    "postal_code": "string",
    "gender": "string",
    "category": "string",
    "date": "date",
    "timestamp": "timestamp",
}


class SourceConfig(_Strict):
    """One input file and how it maps to canonical customers or events."""

    name: str = Field(pattern=r"^[A-Za-z0-9_\-]+$")
    kind: SourceKind
    path: Path
    format: SourceFormat = "auto"
    delimiter: str = Field(default="auto", description="',', ';', '\\t', '|' or auto")
    encoding: str = Field(
        default="auto",
        description="auto (UTF-8 per line with a detected single-byte fallback; UTF-16 with a "
        "BOM) or a Python codec name such as utf-8, cp1252, latin-1, utf-16",
    )
    fallback_encoding: str = Field(
        default="auto",
        description="with encoding auto: the single-byte codec for lines that are not UTF-8 "
        "(auto: chosen by charset-normalizer)",
    )
    max_record_lines: int = Field(
        default=1_000,
        ge=1,
        description="CSV: most physical lines one quoted record may span; a quote still open "
        "after them is an unbalanced quote",
    )
    sheet: str | int | None = Field(default=None, description="Excel sheet (name or index)")
    types: dict[str, SourceColumnType] = Field(
        default_factory=dict,
        description="types of source columns used in expressions and rules; a value that does not "
        "convert quarantines the row",
    )
    fields: dict[str, FieldMapping]
    rules: list[Rule] = Field(default_factory=list)
    on_duplicate_rows: Literal["quarantine", "keep"] = "quarantine"

    @field_validator("fields", mode="before")
    @classmethod
    def _shorthand_columns(cls, v: object) -> object:
        if isinstance(v, dict):
            return {k: ({"column": m} if isinstance(m, str) else m) for k, m in v.items()}
        return v

    @model_validator(mode="after")
    def _canonical_fields(self) -> SourceConfig:
        specs = CUSTOMER_FIELDS if self.kind == "customers" else EVENT_FIELDS
        known = {s.name for s in specs} - {"source", RAW_VALUES}  # both set by ingestion
        unknown = sorted(set(self.fields) - known)
        if unknown:
            raise ValueError(
                f"source '{self.name}': unknown {self.kind} field(s) {unknown}; "
                f"allowed: {sorted(known)}"
            )
        auto = {"event_id"} if self.kind == "events" else set()
        missing = sorted(
            s.name
            for s in specs
            if s.required
            and s.name not in self.fields
            and s.name not in auto
            and s.name != "source"
            and not any(r.set and s.name in r.set for r in self.rules)
        )
        if missing:
            raise ValueError(f"source '{self.name}': required field(s) {missing} are not mapped")
        for r in self.rules:
            bad = sorted(set(r.set or {}) - known)
            if bad:
                raise ValueError(f"rule '{r.name}' sets unknown field(s) {bad}")
        return self

    @model_validator(mode="after")
    def _standardizers_fit(self) -> SourceConfig:
        kinds = {
            s.name: s.kind for s in (CUSTOMER_FIELDS if self.kind == "customers" else EVENT_FIELDS)
        }
        for name, m in self.fields.items():
            chosen = "category" if m.standardize is None and m.mapping else m.standardize
            if chosen in (None, "none"):
                continue
            wanted = _STANDARDIZER_KINDS[chosen]
            if kinds[name] != wanted or m.columns is not None:
                raise ValueError(
                    f"source '{self.name}' field '{name}' ({kinds[name]}): standardize '{chosen}' "
                    f"applies to {wanted} fields mapped from a column, expr or value"
                )
            if chosen == "category" and not m.mapping:
                raise ValueError(
                    f"source '{self.name}' field '{name}': standardize 'category' needs a "
                    "'mapping' (raw spelling -> canonical value)"
                )
        return self


class DuckDBWarehouseConfig(_Strict):
    """``warehouse: {engine: duckdb, path: ...}``: one embedded DuckDB file (the default)."""

    engine: Literal["duckdb"] = "duckdb"
    path: Path = Field(default=Path("warehouse.duckdb"), description="relative to --out")
    memory_limit: str | None = Field(default=None, description="e.g. '4GB'")


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
    Annotated[DuckDBWarehouseConfig | PostgreSQLWarehouseConfig, Field(discriminator="engine")],
    BeforeValidator(_warehouse_engine),
]
"""The ``warehouse`` section: one model per engine, chosen by ``engine``."""


AlgorithmName = Literal["kmeans", "gmm", "agglomerative", "dbscan", "hdbscan", "kprototypes"]
DEFAULT_ALGORITHMS: tuple[AlgorithmName, ...] = (
    "kmeans",
    "gmm",
    "agglomerative",
    "hdbscan",
    "dbscan",
)


class FeaturePrep(_Strict):
    """How one feature is prepared before clustering (scikit-learn transformers, in this order:
    impute, winsorise, log1p, scale; categorical features are imputed then encoded)."""

    kind: Literal["numeric", "categorical"] = "numeric"
    impute: Literal["none", "median", "most_frequent", "knn", "iterative"] = "median"
    winsorize: tuple[float, float] | None = Field(
        default=None, description="lower and upper quantiles to clip at, e.g. [0.01, 0.99]"
    )
    log1p: bool | None = Field(default=None, description="None: the segmentation default")
    scale: Literal["zscore", "minmax", "robust", "none"] = "zscore"
    encode: Literal["onehot", "ordinal"] = "onehot"

    @model_validator(mode="after")
    def _quantiles(self) -> FeaturePrep:
        if self.winsorize is not None:
            lo, hi = self.winsorize
            if not 0.0 <= lo < hi <= 1.0:
                raise ValueError(
                    f"winsorize needs 0 <= lower < upper <= 1, got {list(self.winsorize)}"
                )
        return self


def _fraction(x: object) -> object:
    if isinstance(x, str) and "/" in x:
        num, _, den = x.partition("/")
        try:
            return float(num) / float(den)
        except (ValueError, ZeroDivisionError):
            return x  # left for pydantic to refuse with its own message
    return x


class AHPConfig(_Strict):
    """Analytic Hierarchy Process: pairwise comparisons of criteria on Saaty's 1-9 scale.

    ``matrix[i][j]`` says how much more important ``criteria[i]`` is than ``criteria[j]``; the
    matrix must be positive and reciprocal (``matrix[j][i] == 1 / matrix[i][j]``).
    """

    criteria: list[str] = Field(min_length=2)
    matrix: list[list[float]]
    max_consistency_ratio: float = Field(default=0.1, gt=0.0)

    @field_validator("matrix", mode="before")
    @classmethod
    def _fractions(cls, v: object) -> object:
        """Accept Saaty's fractions as text ("1/3"), since YAML has no fraction literal."""
        if not isinstance(v, list):
            return v
        return [[_fraction(x) for x in row] if isinstance(row, list) else row for row in v]

    @model_validator(mode="after")
    def _square(self) -> AHPConfig:
        n = len(self.criteria)
        if len(self.matrix) != n or any(len(row) != n for row in self.matrix):
            raise ValueError(f"the AHP matrix must be {n} x {n} (one row and column per criterion)")
        return self


class GatesConfig(_Strict):
    """A candidate segmentation is eligible only if it passes every gate."""

    min_segment_share: float = Field(default=0.02, ge=0.0, le=0.5)
    max_segments: int = Field(default=12, ge=2)
    max_noise_share: float = Field(default=0.20, ge=0.0, le=1.0)
    max_largest_share: float = Field(default=0.60, gt=0.0, le=1.0)


class SelectionConfig(_Strict):
    """The grid of candidate algorithms and the gates of the automatic selection."""

    algorithms: list[AlgorithmName] = Field(default_factory=lambda: list(DEFAULT_ALGORITHMS))
    gates: GatesConfig = Field(default_factory=GatesConfig)
    fit_sample: int = Field(
        default=20_000,
        ge=500,
        description="algorithms that do not scale (hierarchical, density) fit on a sample this "
        "large and assign the other customers to the nearest segment",
    )


class ValidationConfig(_Strict):
    bootstrap: int = Field(default=20, ge=0, description="resamples for stability (0: skip)")
    unstable_jaccard: float = Field(default=0.6, ge=0.0, le=1.0)
    representativeness: list[str] = Field(
        default_factory=list, description="categorical columns to test segment composition on"
    )


class MapsConfig(_Strict):
    pca_variance: float = Field(default=0.95, gt=0.0, le=1.0)
    tsne: bool = True
    umap: bool = False
    autoencoder: bool = False
    sample: int = Field(default=2_000, ge=100, description="customers drawn on the 2-D maps")


class SegmentationConfig(_Strict):
    """Features, their preparation and weights, the candidate algorithms and the checks."""

    features: list[str] = Field(
        default_factory=lambda: list(FEATURE_NAMES),
        min_length=1,
        description="columns of the feature table to segment on (checked when the table is built)",
    )
    log_features: list[str] | None = Field(
        default=None,
        description="features log1p-transformed before scaling; default all but refund_rate",
    )
    preprocessing: dict[str, FeaturePrep] = Field(
        default_factory=dict, description="per-feature preparation; unlisted features: defaults"
    )
    criteria: dict[str, list[str]] | None = Field(
        default=None,
        description="criterion name -> its features (demographic, behavioural, psychographic, "
        "contextual); default: one 'behavioural' criterion holding every feature",
    )
    ahp: AHPConfig | None = None
    selection: SelectionConfig = Field(default_factory=SelectionConfig)
    validation: ValidationConfig = Field(default_factory=ValidationConfig)
    maps: MapsConfig = Field(default_factory=MapsConfig)
    k_min: int = Field(default=2, ge=2)
    k_max: int = Field(default=10, ge=2, le=30)
    silhouette_sample: int = Field(default=5000, ge=100)
    n_init: int = Field(default=10, ge=1)
    random_state: int = 0

    @model_validator(mode="after")
    def _ranges(self) -> SegmentationConfig:
        if len(set(self.features)) != len(self.features):
            raise ValueError("features are listed more than once")
        if self.k_max < self.k_min:
            raise ValueError(f"k_max ({self.k_max}) must be >= k_min ({self.k_min})")
        if self.log_features is not None:
            extra = sorted(set(self.log_features) - set(self.features))
            if extra:
                raise ValueError(f"log_features {extra} are not in features")
        extra = sorted(set(self.preprocessing) - set(self.features))
        if extra:
            raise ValueError(f"preprocessing names feature(s) {extra} that are not in features")
        if self.criteria is not None:
            listed = [f for fs in self.criteria.values() for f in fs]
            dup = sorted({f for f in listed if listed.count(f) > 1})
            if dup:
                raise ValueError(f"feature(s) {dup} belong to more than one criterion")
            if set(listed) != set(self.features):
                raise ValueError(
                    "criteria must cover exactly the features: missing "
                    f"{sorted(set(self.features) - set(listed))}, unknown {sorted(set(listed) - set(self.features))}"
                )
        if self.ahp is not None:
            names = set(self.criteria or {"behavioural": []})
            if set(self.ahp.criteria) != names:
                raise ValueError(
                    f"ahp.criteria {sorted(self.ahp.criteria)} must be the criteria {sorted(names)}"
                )
        return self

    def log_transformed(self) -> list[str]:
        if self.log_features is not None:
            return list(self.log_features)
        return [f for f in self.features if f != "refund_rate"]

    def criteria_map(self) -> dict[str, list[str]]:
        """Criterion -> features (one 'behavioural' criterion when none is configured)."""
        return {k: list(v) for k, v in (self.criteria or {"behavioural": self.features}).items()}


class DedupConfig(_Strict):
    """Duplicate customers: matching, golden records, review sample (``dedup`` in ``cible.yaml``).

    Records are the ingested customers; their id is ``customer_id`` (unique across sources).
    """

    enabled: bool = Field(
        default=True, description="run identity resolution inside `cible run` (always in `dedup`)"
    )
    matching: MatchingConfig
    survivorship: SurvivorshipConfig = Field(default_factory=SurvivorshipConfig)
    review_sample: int = Field(
        default=0,
        ge=0,
        description="candidate pairs around the threshold written to review_sample.csv for manual "
        "labelling (0: none); the file holds personal data",
    )
    review_width: float = Field(
        default=0.1, gt=0, le=1, description="half-width of the score band sampled for review"
    )

    @field_validator("matching")
    @classmethod
    def _customer_ids(cls, value: MatchingConfig) -> MatchingConfig:
        if value.id_column not in (None, "customer_id"):
            raise ValueError(
                f"id_column is {value.id_column!r}; customer records are identified by "
                "customer_id (leave id_column out)"
            )
        return value.model_copy(update={"id_column": "customer_id"})


class StandardizeConfig(_Strict):
    """Project-wide standardisation defaults (``standardize`` section; see docs/data-quality.md).

    With ``auto`` each mapped customer field without its own ``standardize`` option gets its
    canonical standardiser (:data:`DEFAULT_STANDARDIZERS`).
    """

    auto: bool = Field(default=True, description="apply each canonical field's standardiser")
    phone_region: str = Field(default="FR", pattern=r"^[A-Za-z]{2}$")
    country: str = Field(
        default="FR", pattern=r"^[A-Za-z]{2}$", description="postal codes of rows without country"
    )
    date_order: DateOrder = "dmy"
    on_invalid: OnInvalid = Field(
        default="null", description="default for a value that cannot be standardised"
    )


DEFAULT_STANDARDIZERS: dict[str, StandardizerName] = {
    "email": "email",
    "phone": "phone",
    "first_name": "name",
    "last_name": "name",
    "city": "city",
    "postal_code": "postal_code",
    "gender": "gender",
    "birth_date": "date",
}


DEFAULT_MAX_LOST_RATE = 0.5
DEFAULT_WARN_FAILED_RATE = 0.05


class QualityThresholds(_Strict):
    """Largest allowed rates per column (a canonical field, ``attributes.<col>`` or
    ``properties.<col>``) or ``default`` (every other column).

    ``max_missing_rate`` and ``max_invalid_rate`` are shares of rows (no limit unless given).
    ``max_lost_rate`` and ``warn_failed_rate`` are shares of a mapped field's non-missing values:
    above ``max_lost_rate`` (default 0.5) of them lost (nulled or quarantined because they could
    not be standardised, typed or allowed) is a breach; above ``warn_failed_rate`` (default 0.05)
    failed is a warning. Their ``default`` stays unless given.
    """

    max_missing_rate: dict[str, float] = Field(default_factory=dict)
    max_invalid_rate: dict[str, float] = Field(default_factory=dict)
    max_lost_rate: dict[str, float] = Field(
        default_factory=lambda: {"default": DEFAULT_MAX_LOST_RATE}
    )
    warn_failed_rate: dict[str, float] = Field(
        default_factory=lambda: {"default": DEFAULT_WARN_FAILED_RATE}
    )

    @field_validator("max_missing_rate", "max_invalid_rate", "max_lost_rate", "warn_failed_rate")
    @classmethod
    def _rates(cls, v: dict[str, float]) -> dict[str, float]:
        bad = {k: r for k, r in v.items() if not 0.0 <= r <= 1.0}
        if bad:
            raise ValueError(f"rates must be between 0 and 1, got {bad}")
        return v

    @field_validator("max_lost_rate")
    @classmethod
    def _lost_default(cls, v: dict[str, float]) -> dict[str, float]:
        return {"default": DEFAULT_MAX_LOST_RATE, **v}

    @field_validator("warn_failed_rate")
    @classmethod
    def _warn_default(cls, v: dict[str, float]) -> dict[str, float]:
        return {"default": DEFAULT_WARN_FAILED_RATE, **v}

    def limit(self, table: dict[str, float], column: str) -> float | None:
        """The limit of ``column`` in ``table``: its own, else ``default``, else none."""
        return table.get(column, table.get("default"))


class QualityConfig(_Strict):
    """The data-quality report and its gate (``quality`` section)."""

    thresholds: QualityThresholds = Field(default_factory=QualityThresholds)
    stop_on_breach: bool = Field(
        default=True, description="a breached threshold stops the run (report files written)"
    )
    personal_columns: list[str] = Field(
        default_factory=list,
        description="source columns kept in attributes/properties that hold personal data "
        "(their values are never shown, only counts and patterns)",
    )
    top_values: int = Field(default=5, ge=1, le=50)


class CibleConfig(_Strict):
    """The whole ``cible.yaml``."""

    project: str = "cible"
    as_of: date | None = Field(
        default=None, description="date features are computed at; default: day after the last event"
    )
    warehouse: WarehouseConfig = Field(default_factory=DuckDBWarehouseConfig)
    sources: list[SourceConfig] = Field(
        default_factory=list, description="at least one, unless predict.table is given"
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
        if not self.sources and (self.predict is None or self.predict.table is None):
            raise ValueError("sources: at least one source is needed (or predict.table)")
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

    def source_path(self, source: SourceConfig) -> Path:
        """The source file, relative paths taken from the config file's folder."""
        p = source.path.expanduser()
        return p if p.is_absolute() else (self.base_dir / p)


def _format_validation_error(path: Path, err: ValidationError) -> str:
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
        raise ConfigError(_format_validation_error(path, e)) from e
    return cfg.model_copy(update={"base_dir": base_dir or path.parent})


def load_config(path: Path) -> CibleConfig:
    """Read and validate ``cible.yaml``; every problem is a :class:`ConfigError` naming the file."""
    path = Path(path)
    data = read_yaml(path)
    return parse_config(data, path=path, base_dir=path.resolve().parent)
