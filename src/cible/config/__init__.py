"""Configuration: the pydantic models of ``cible.yaml``, one module per section.

The file is parsed once at the edge (:func:`load_config`; YAML is read only by
:mod:`cible.config.files`) into typed models; nothing deeper in the code reads raw dictionaries.
Unknown keys are refused everywhere (``extra="forbid"``) so that a typo is an error naming the key.
This package is the floor of the house: it imports only :mod:`cible.schemas` and
:mod:`cible.exceptions` (``tests/unit/test_architecture.py`` walks the imports to keep it so).

Modules: ``base`` (literal types, the strict base model), ``sources`` (reading and mapping a
file), ``warehouse`` (storage engines), ``features`` (feature families), ``ingest`` (chunk size, memory defaults), ``segmentation``, ``quality`` (standardisation defaults,
the data-quality gate), ``identity`` (the ``dedup`` section, with ``matching`` for the matcher
and ``survivorship`` for golden records), ``predict``, ``project`` (the whole file).
"""

from __future__ import annotations

from cible.config.base import (
    DateOrder,
    OnInvalid,
    SourceColumnType,
    SourceFormat,
    SourceKind,
    StandardizerName,
)
from cible.config.dedup import DedupInput, GuardsConfig
from cible.config.features import (
    CONTEXTUAL_NAMES,
    DEMOGRAPHIC_NAMES,
    FEATURE_FAMILIES,
    AttributeFeature,
    ContextualConfig,
    DemographicConfig,
    FeaturesConfig,
)
from cible.config.identity import DedupConfig
from cible.config.ingest import IngestConfig, default_chunk_rows, default_memory_limit
from cible.config.matching import MatchingConfig, load_matching_config, parse_matching_config
from cible.config.predict import CLVConfig, PredictConfig, TableConfig, TrainingSpec
from cible.config.project import CibleConfig, load_config, parse_config
from cible.config.quality import (
    DEFAULT_MAX_LOST_RATE,
    DEFAULT_STANDARDIZERS,
    DEFAULT_WARN_FAILED_RATE,
    QualityConfig,
    QualityThresholds,
    StandardizeConfig,
)
from cible.config.segmentation import (
    DEFAULT_ALGORITHMS,
    FEATURE_NAMES,
    AHPConfig,
    AlgorithmName,
    FeaturePrep,
    ForwardConfig,
    GatesConfig,
    MapsConfig,
    SegmentationConfig,
    SelectionConfig,
    ValidationConfig,
)
from cible.config.sources import FieldMapping, Rule, SourceConfig
from cible.config.survivorship import SurvivorshipConfig
from cible.config.warehouse import (
    DEFAULT_POSTGRESQL_URL,
    DuckDBWarehouseConfig,
    PostgreSQLWarehouseConfig,
    SparkWarehouseConfig,
    WarehouseConfig,
)

__all__ = [
    "CONTEXTUAL_NAMES",
    "DEFAULT_ALGORITHMS",
    "DEFAULT_MAX_LOST_RATE",
    "DEFAULT_POSTGRESQL_URL",
    "DEFAULT_STANDARDIZERS",
    "DEFAULT_WARN_FAILED_RATE",
    "DEMOGRAPHIC_NAMES",
    "FEATURE_FAMILIES",
    "FEATURE_NAMES",
    "AHPConfig",
    "AlgorithmName",
    "AttributeFeature",
    "CLVConfig",
    "CibleConfig",
    "ContextualConfig",
    "DateOrder",
    "DedupConfig",
    "DedupInput",
    "DemographicConfig",
    "DuckDBWarehouseConfig",
    "FeaturePrep",
    "FeaturesConfig",
    "FieldMapping",
    "ForwardConfig",
    "GatesConfig",
    "GuardsConfig",
    "IngestConfig",
    "MapsConfig",
    "MatchingConfig",
    "OnInvalid",
    "PostgreSQLWarehouseConfig",
    "PredictConfig",
    "QualityConfig",
    "QualityThresholds",
    "Rule",
    "SegmentationConfig",
    "SelectionConfig",
    "SourceColumnType",
    "SourceConfig",
    "SourceFormat",
    "SourceKind",
    "SparkWarehouseConfig",
    "StandardizeConfig",
    "StandardizerName",
    "SurvivorshipConfig",
    "TableConfig",
    "TrainingSpec",
    "ValidationConfig",
    "WarehouseConfig",
    "default_chunk_rows",
    "default_memory_limit",
    "load_config",
    "load_matching_config",
    "parse_config",
    "parse_matching_config",
]
