"""The feature table: the families configured in ``features.families``, one row per customer.

=============  ===============================  ===============================================
family         module                           features
=============  ===============================  ===============================================
behaviour      :mod:`cible.features.behaviour`  recency, frequency, monetary, ... (always)
demographic    :mod:`.demographic`              age, age band, gender, country, département,
                                                région, mapped ``attributes`` fields
contextual     :mod:`.contextual`               season, holiday, weekend and time-of-day shares
=============  ===============================  ===============================================

Each family is its own query at ``as_of``; the table is the behaviour population (every customer
with an event or a record before as_of) with the other families joined on ``customer_id``.
:func:`feature_schema` says the family and the kind (numeric or categorical) of every column:
categorical columns hold text (``None`` when missing), numeric ones float64 (NaN when missing).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

import pandas as pd

from cible.config import CONTEXTUAL_NAMES, FEATURE_NAMES, FeaturesConfig
from cible.features.behaviour import build_features
from cible.features.contextual import build_contextual
from cible.features.demographic import build_demographic, categorical_names, demographic_names
from cible.warehouse.base import WarehouseReader


@dataclass(frozen=True)
class FeatureSpec:
    """One column of the feature table."""

    name: str
    family: str
    kind: Literal["numeric", "categorical"]


def feature_schema(config: FeaturesConfig) -> tuple[FeatureSpec, ...]:
    """Every column of the feature table :func:`build_feature_table` makes, in order."""
    specs = [FeatureSpec(n, "behaviour", "numeric") for n in FEATURE_NAMES]
    if config.computes("demographic"):
        categorical = set(categorical_names(config.demographic))
        specs.extend(
            FeatureSpec(n, "demographic", "categorical" if n in categorical else "numeric")
            for n in demographic_names(config.demographic)
        )
    if config.computes("contextual"):
        specs.extend(FeatureSpec(n, "contextual", "numeric") for n in CONTEXTUAL_NAMES)
    return tuple(specs)


def build_feature_table(
    warehouse: WarehouseReader, as_of: date, config: FeaturesConfig
) -> pd.DataFrame:
    """The feature table at ``as_of`` (index ``customer_id``), columns :func:`feature_schema`.

    With the default configuration (behaviour only) it is :func:`build_features` itself."""
    table = build_features(warehouse, as_of)
    parts = [table]
    if config.computes("demographic"):
        demo = build_demographic(warehouse, as_of, config.demographic).reindex(table.index)
        parts.append(demo.astype({c: object for c in categorical_names(config.demographic)}))
    if config.computes("contextual"):
        parts.append(build_contextual(warehouse, as_of, config.contextual).reindex(table.index))
    if len(parts) == 1:
        return table
    out = pd.concat(parts, axis=1)
    for spec in feature_schema(config):
        if spec.kind == "categorical":
            column = out[spec.name]
            out[spec.name] = column.where(column.notna(), None)
    return out
