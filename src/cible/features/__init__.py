"""Feature builders over the warehouse."""

from cible.features.behaviour import build_context, build_features, default_as_of, feature_sql

__all__ = ["build_context", "build_features", "default_as_of", "feature_sql"]
