"""The candidate models: scikit-learn estimators with a small default grid each.

Every factory takes a ``random_state`` so that a run is reproducible, and uses one thread (the
machines cible runs on are shared; the search parallelises nothing either). LightGBM and XGBoost
are optional extras: asking for them without the package raises
:class:`~cible.exceptions.OptionalDependencyError` saying what to install.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sklearn.base import ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.tree import DecisionTreeClassifier

from cible.config.predict import ModelName
from cible.exceptions import OptionalDependencyError

Grid = dict[str, list[Any]]


@dataclass(frozen=True)
class ModelSpec:
    """A candidate: display label, whether it needs standardised inputs, factory, default grid."""

    name: ModelName
    label: str
    scaled: bool
    make: Callable[[int], ClassifierMixin]
    grid: Grid


def _logistic(seed: int) -> ClassifierMixin:
    return LogisticRegression(max_iter=2_000, random_state=seed)


def _tree(seed: int) -> ClassifierMixin:
    return DecisionTreeClassifier(random_state=seed)


def _forest(seed: int) -> ClassifierMixin:
    return RandomForestClassifier(n_estimators=200, random_state=seed, n_jobs=1)


def _hgb(seed: int) -> ClassifierMixin:
    return HistGradientBoostingClassifier(max_iter=300, early_stopping=True, random_state=seed)


def _mlp(seed: int) -> ClassifierMixin:
    return MLPClassifier(
        hidden_layer_sizes=(32,),
        learning_rate_init=0.01,  # with early stopping on accuracy, 0.001 stops before learning
        early_stopping=True,
        validation_fraction=0.15,
        n_iter_no_change=15,
        max_iter=400,
        random_state=seed,
    )


def _lightgbm(seed: int) -> ClassifierMixin:
    try:
        from lightgbm import LGBMClassifier
    except ImportError as e:
        raise OptionalDependencyError("lightgbm", "lightgbm", "The 'lightgbm' model") from e
    model: ClassifierMixin = LGBMClassifier(
        n_estimators=300, random_state=seed, n_jobs=1, verbose=-1, deterministic=True
    )
    return model


def _xgboost(seed: int) -> ClassifierMixin:
    try:
        from xgboost import XGBClassifier
    except ImportError as e:
        raise OptionalDependencyError("xgboost", "xgboost", "The 'xgboost' model") from e
    model: ClassifierMixin = XGBClassifier(
        n_estimators=300, random_state=seed, n_jobs=1, tree_method="hist", eval_metric="logloss"
    )
    return model


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            "logistic", "Logistic regression", True, _logistic, {"C": [0.01, 0.1, 1.0, 10.0]}
        ),
        ModelSpec(
            "decision_tree",
            "Decision tree",
            False,
            _tree,
            {"max_depth": [3, 5, 7], "min_samples_leaf": [20, 100]},
        ),
        ModelSpec(
            "random_forest",
            "Random forest",
            False,
            _forest,
            {"min_samples_leaf": [5, 20], "max_features": ["sqrt", 0.5]},
        ),
        ModelSpec(
            "hist_gradient_boosting",
            "Histogram gradient boosting",
            False,
            _hgb,
            {"learning_rate": [0.03, 0.1], "max_leaf_nodes": [8, 31], "l2_regularization": [1.0]},
        ),
        ModelSpec(
            "mlp",
            "Neural network (MLP)",
            True,
            _mlp,
            {"hidden_layer_sizes": [[32], [64, 32]], "alpha": [1e-3, 1e-1]},
        ),
        ModelSpec(
            "lightgbm",
            "LightGBM",
            False,
            _lightgbm,
            {"learning_rate": [0.03, 0.1], "num_leaves": [8, 31], "min_child_samples": [20]},
        ),
        ModelSpec(
            "xgboost",
            "XGBoost",
            False,
            _xgboost,
            {"learning_rate": [0.03, 0.1], "max_depth": [3, 6], "min_child_weight": [1]},
        ),
    )
}


def model_spec(name: str) -> ModelSpec:
    try:
        return MODELS[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; allowed: {sorted(MODELS)}") from None


def grid_for(name: str, overrides: dict[str, dict[str, list[Any]]]) -> Grid:
    """The model's grid: the configured one when given, else the default. List values of
    ``hidden_layer_sizes`` become tuples (YAML has no tuple)."""
    grid = overrides.get(name, model_spec(name).grid)
    return {
        key: [tuple(v) if isinstance(v, list) else v for v in values]
        for key, values in grid.items()
    }
