"""Per-feature preparation before clustering, as scikit-learn transformers.

:func:`build_preprocessor` turns the ``segmentation`` section of ``cible.yaml`` into an unfitted
:class:`~sklearn.pipeline.Pipeline`. Each numeric feature goes through, in this order and each step
only when configured (:class:`~cible.config.FeaturePrep`):

1. impute (median / most_frequent per column; knn / iterative jointly over the numeric features, in
   a first pipeline step, see :mod:`cible.segmentation.imputation`);
2. winsorise (:class:`Winsorizer`: clip at quantiles learned in ``fit``);
3. ``log1p`` (:class:`Log1pTransformer`; default: the features in
   ``SegmentationConfig.log_transformed()``);
4. scale (z-score, min-max, robust, or none).

A categorical feature (declared ``kind: categorical``, or by default any feature whose column has an
object, string or category dtype) is imputed with its most frequent value (unless ``impute: none``)
and one-hot (``<feature>_<value>``, unknown values at transform give all zeros) or ordinal encoded.

The output is a dense float array whose columns are named by ``get_feature_names_out()``: the
feature names, and ``<feature>_<value>`` for one-hot columns. With the default configuration and
numeric data without missing values it is ``log1p(clip(x, lower=0))`` on the log features, then
z-scores (population standard deviation), column by column.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MinMaxScaler,
    OneHotEncoder,
    OrdinalEncoder,
    RobustScaler,
    StandardScaler,
)
from sklearn.utils import Tags
from sklearn.utils.validation import check_is_fitted, validate_data

from cible.config import FeaturePrep, SegmentationConfig
from cible.config.segmentation import DEFAULT_ALGORITHMS, MIXED_ALGORITHMS
from cible.exceptions import ConfigError
from cible.segmentation.imputation import MULTIVARIATE_KINDS, MultivariateImputer, make_imputer


class Winsorizer(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Clip each column to its ``lower`` and ``upper`` quantiles learned in ``fit``.

    Quantiles are computed with :func:`numpy.nanquantile` (linear interpolation, missing values
    ignored; missing values pass through). Fitted attributes: ``lower_bounds_`` and
    ``upper_bounds_`` (one per column), ``n_features_in_`` and, for frames, ``feature_names_in_``.
    """

    def __init__(self, lower: float = 0.01, upper: float = 0.99) -> None:
        self.lower = lower
        self.upper = upper

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    def fit(self, X: Any, y: Any = None) -> Winsorizer:
        if not 0.0 <= self.lower < self.upper <= 1.0:
            raise ValueError(
                f"Winsorizer needs 0 <= lower < upper <= 1, got lower={self.lower}, "
                f"upper={self.upper}"
            )
        values = validate_data(self, X, ensure_all_finite="allow-nan", dtype=np.float64)
        if values.shape[0] == 0 or np.isnan(values).all(axis=0).any():
            raise ValueError("Winsorizer.fit: every column needs at least one observed value")
        self.lower_bounds_ = np.nanquantile(values, self.lower, axis=0)
        self.upper_bounds_ = np.nanquantile(values, self.upper, axis=0)
        return self

    def transform(self, X: Any) -> NDArray[np.float64]:
        check_is_fitted(self, "lower_bounds_")
        values = validate_data(
            self, X, ensure_all_finite="allow-nan", dtype=np.float64, reset=False
        )
        out: NDArray[np.float64] = np.clip(values, self.lower_bounds_, self.upper_bounds_)
        return out


class Log1pTransformer(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """``log1p(max(x, 0))`` per column (stateless; ``fit`` only records the columns).

    Values are clipped at 0 first because amounts can be negative (a customer whose refunds exceed
    their purchases has a negative net spend) and ``log1p`` is undefined below -1; such customers
    are treated as having spent nothing. Missing values pass through.
    """

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    def fit(self, X: Any, y: Any = None) -> Log1pTransformer:
        validate_data(self, X, ensure_all_finite="allow-nan", dtype=np.float64)
        return self

    def transform(self, X: Any) -> NDArray[np.float64]:
        check_is_fitted(self, "n_features_in_")
        values = validate_data(
            self, X, ensure_all_finite="allow-nan", dtype=np.float64, reset=False
        )
        out: NDArray[np.float64] = np.log1p(np.clip(values, 0.0, None))
        return out


def is_categorical_dtype(series: pd.Series) -> bool:
    """Object, string and category columns are categorical; numbers and booleans are numeric."""
    dtype = series.dtype
    return (
        isinstance(dtype, pd.CategoricalDtype)
        or pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
    )


def resolve_preps(config: SegmentationConfig, frame: pd.DataFrame) -> dict[str, FeaturePrep]:
    """The effective preparation of every feature, in ``config.features`` order.

    Fills in what the configuration leaves to defaults: the kind (from the column's dtype when not
    declared), ``log1p`` (from ``config.log_transformed()``), and for categorical features the
    imputation (most_frequent unless none). Raises :class:`~cible.exceptions.ConfigError` when a
    declared option does not fit the feature's kind, and ValueError when a feature is not a column.
    """
    missing = [f for f in config.features if f not in frame.columns]
    if missing:
        raise ValueError(
            f"features {missing} are not columns of the frame; columns: "
            f"{[str(c) for c in frame.columns]}"
        )
    logged = set(config.log_transformed())
    preps: dict[str, FeaturePrep] = {}
    for feature in config.features:
        given = config.preprocessing.get(feature, FeaturePrep())
        set_fields = given.model_fields_set
        dtype_categorical = is_categorical_dtype(frame[feature])
        if "kind" in set_fields:
            kind = given.kind
            if kind == "numeric" and dtype_categorical:
                raise ConfigError(
                    f"feature '{feature}' is declared numeric but its column has dtype "
                    f"{frame[feature].dtype}"
                )
        else:
            kind = "categorical" if dtype_categorical else "numeric"
        if kind == "categorical":
            preps[feature] = _categorical_prep(feature, given)
        else:
            if "encode" in set_fields:
                raise ConfigError(f"feature '{feature}' is numeric: 'encode' does not apply")
            log1p = given.log1p if given.log1p is not None else feature in logged
            preps[feature] = given.model_copy(update={"kind": "numeric", "log1p": log1p})
    return preps


def _categorical_prep(feature: str, given: FeaturePrep) -> FeaturePrep:
    set_fields = given.model_fields_set
    if "impute" in set_fields and given.impute not in ("most_frequent", "none"):
        raise ConfigError(
            f"feature '{feature}' is categorical: impute must be most_frequent or none, "
            f"got {given.impute}"
        )
    numeric_only = [
        name
        for name in ("winsorize", "log1p", "scale")
        if name in set_fields and getattr(given, name) not in (None, False, "none")
    ]
    if numeric_only:
        raise ConfigError(
            f"feature '{feature}' is categorical: {numeric_only} apply to numeric features only"
        )
    impute = "none" if given.impute == "none" else "most_frequent"
    return given.model_copy(
        update={"kind": "categorical", "impute": impute, "log1p": False, "scale": "none"}
    )


def build_preprocessor(config: SegmentationConfig, frame: pd.DataFrame) -> Pipeline:
    """An unfitted pipeline preparing ``config.features`` of frames like ``frame``.

    ``frame`` is only read for the columns' dtypes (never modified). The pipeline's steps are
    ``impute_knn`` / ``impute_iterative`` (:class:`~cible.segmentation.imputation.MultivariateImputer`,
    only when some feature uses them) and ``prepare`` (a :class:`~sklearn.compose.ColumnTransformer`
    with one branch per feature, named after it, in ``config.features`` order). Call
    ``set_output(transform="pandas")`` on it for a DataFrame output.
    """
    preps = resolve_preps(config, frame)
    steps: list[tuple[str, Any]] = []
    numeric = [f for f, p in preps.items() if p.kind == "numeric"]
    for kind in MULTIVARIATE_KINDS:
        columns = [f for f, p in preps.items() if p.kind == "numeric" and p.impute == kind]
        if columns:
            steps.append(
                (
                    f"impute_{kind}",
                    MultivariateImputer(
                        columns=columns,
                        kind=kind,
                        context=numeric,
                        random_state=config.random_state,
                    ),
                )
            )
    branches = [
        (
            feature,
            _numeric_branch(prep) if prep.kind == "numeric" else _categorical_branch(prep),
            [feature],
        )
        for feature, prep in preps.items()
    ]
    prepare = ColumnTransformer(
        branches, remainder="drop", sparse_threshold=0.0, verbose_feature_names_out=False
    )
    steps.append(("prepare", prepare))
    return Pipeline(steps)


def _numeric_branch(prep: FeaturePrep) -> Pipeline | str:
    steps: list[tuple[str, Any]] = []
    if prep.impute in ("median", "most_frequent"):
        steps.append(("impute", make_imputer(prep.impute)))
    if prep.winsorize is not None:
        steps.append(("winsorize", Winsorizer(lower=prep.winsorize[0], upper=prep.winsorize[1])))
    if prep.log1p:
        steps.append(("log1p", Log1pTransformer()))
    scaler = {"zscore": StandardScaler, "minmax": MinMaxScaler, "robust": RobustScaler}.get(
        prep.scale
    )
    if scaler is not None:
        steps.append(("scale", scaler()))
    return Pipeline(steps) if steps else "passthrough"


def missing_as_nan(X: Any) -> pd.DataFrame:
    """Categorical values as objects with every missing marker (``None``, ``pd.NA``, NaN) as NaN,
    the one the imputer and the encoders recognise (an object column mixing ``None`` and NaN
    would otherwise keep ``None`` as a category and pass NaN to the clustering)."""
    frame = pd.DataFrame(X).astype(object)
    return frame.where(frame.notna(), np.nan)


def _categorical_branch(prep: FeaturePrep) -> Pipeline:
    steps: list[tuple[str, Any]] = [
        ("missing", FunctionTransformer(missing_as_nan, feature_names_out="one-to-one"))
    ]
    if prep.impute == "most_frequent":
        steps.append(("impute", make_imputer("most_frequent")))
    if prep.encode == "onehot":
        encoder: Any = OneHotEncoder(handle_unknown="ignore", sparse_output=False, dtype=np.float64)
    else:
        # A value unseen in fit is coded -1 (below every known code) rather than NaN, which
        # the clustering step would refuse.
        encoder = OrdinalEncoder(
            handle_unknown="use_encoded_value", unknown_value=-1, dtype=np.float64
        )
    steps.append(("encode", encoder))
    return Pipeline(steps)


def imputation_methods(preprocessor: Pipeline) -> dict[str, str]:
    """Feature -> imputer (``knn``, ``iterative``, ``median``, ``most_frequent``) of a *fitted*
    :func:`build_preprocessor` pipeline; features without an imputer are absent."""
    check_is_fitted(preprocessor.steps[-1][1], "transformers_")
    methods: dict[str, str] = {}
    for _name, step in preprocessor.steps[:-1]:
        if isinstance(step, MultivariateImputer):
            check_is_fitted(step, "imputer_")
            methods.update(dict.fromkeys(step.columns_, step.kind))
    prepare: ColumnTransformer = preprocessor.steps[-1][1]
    for feature, branch, _columns in prepare.transformers_:
        if isinstance(branch, Pipeline) and "impute" in branch.named_steps:
            imputer = branch.named_steps["impute"]
            methods.setdefault(str(feature), str(getattr(imputer, "strategy", "imputed")))
    return methods


def mixed_type_config(config: SegmentationConfig, frame: pd.DataFrame) -> SegmentationConfig:
    """The configuration that clusters the categorical features of ``config`` as categories.

    Unchanged when every feature is numeric. Otherwise: when ``selection.algorithms`` is not set,
    the grid is the default one plus k-prototypes and Gower k-medoids
    (:data:`~cible.config.segmentation.MIXED_ALGORITHMS`); and when the grid holds one of those,
    every categorical feature whose ``encode`` is not set is ordinal-encoded (one column of
    category codes, which those algorithms compare for equality; the numeric algorithms of the
    grid then cluster the numeric features only, :mod:`cible.segmentation.selection_mixed`).
    An explicit ``encode: onehot`` keeps the one-hot columns (and no mixed candidate).
    """
    preps = resolve_preps(config, frame)
    categorical = [f for f, p in preps.items() if p.kind == "categorical"]
    if not categorical:
        return config
    selection = config.selection
    if "algorithms" not in selection.model_fields_set:
        algorithms = [*DEFAULT_ALGORITHMS, *MIXED_ALGORITHMS]
        selection = selection.model_copy(update={"algorithms": algorithms})
    if not set(selection.algorithms) & set(MIXED_ALGORITHMS):
        return config.model_copy(update={"selection": selection})
    preprocessing = dict(config.preprocessing)
    for feature in categorical:
        given = preprocessing.get(feature, FeaturePrep())
        if "encode" not in given.model_fields_set:
            preprocessing[feature] = FeaturePrep(
                **given.model_dump(exclude_unset=True) | {"kind": "categorical"},
                encode="ordinal",
            )
    return config.model_copy(update={"selection": selection, "preprocessing": preprocessing})
