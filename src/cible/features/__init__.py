"""Feature builders over the warehouse: the behaviour family (:mod:`.behaviour`) and the opt-in
demographic (:mod:`.demographic`) and contextual (:mod:`.contextual`) families, put together by
:mod:`.families` as ``features.families`` asks."""

from cible.features.behaviour import build_context, build_features, default_as_of, feature_sql
from cible.features.families import FeatureSpec, build_feature_table, feature_schema

__all__ = [
    "FeatureSpec",
    "build_context",
    "build_feature_table",
    "build_features",
    "default_as_of",
    "feature_schema",
    "feature_sql",
]
