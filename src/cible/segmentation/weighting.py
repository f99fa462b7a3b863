"""Feature weights from criterion weights (AHP), applied to the prepared data, and their sensitivity.

Criteria group the features (``segmentation.criteria``: e.g. behavioural, demographic). Each
criterion ``c`` gets a weight ``W_c`` (AHP principal eigenvector when ``segmentation.ahp`` is set,
``1 / n_criteria`` otherwise), spread equally over its ``m_c`` features: ``w_f = W_c / m_c``. A
criterion's total influence is therefore its AHP weight whatever its number of features; adding a
tenth behavioural feature dilutes the other behavioural features, not the demographic ones.

:class:`FeatureWeighter` multiplies each prepared column of feature ``f`` by ``sqrt(n * w_f)``, where
``n`` is the number of features. For two customers ``x`` and ``y`` the squared Euclidean distance
(what k-means minimises) becomes

    d^2(x, y) = sum_f n * w_f * (x_f - y_f)^2

so equal weights (``w_f = 1 / n``) leave the data unchanged, and, the prepared features being
z-scores (``E[(x_f - y_f)^2] = 2``), criterion ``c`` contributes ``2 n W_c`` of the expected total
``2 n``: a share ``W_c``. One-hot columns ``<feature>_<value>`` take their feature's weight.

:func:`sensitivity` re-fits the segmentation with each criterion weight moved by +-20 % and reports
the adjusted Rand index against the reference labels.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.metrics import adjusted_rand_score
from sklearn.utils.validation import check_is_fitted, validate_data

from cible.config import SegmentationConfig
from cible.exceptions import ConfigError
from cible.segmentation.ahp import AHPResult, ahp_weights, check_consistency


@dataclass(frozen=True)
class WeightsResult:
    """Criterion and feature weights (each summing to 1) and the AHP result they come from."""

    criterion_weights: dict[str, float]
    feature_weights: dict[str, float]
    feature_criterion: dict[str, str]
    ahp: AHPResult | None


def weights_from_config(config: SegmentationConfig) -> WeightsResult:
    """Criterion weights (AHP, or equal), spread over the features; refuses inconsistent AHP.

    Raises :class:`~cible.exceptions.ConfigError` when the AHP matrix is invalid, when its
    consistency ratio exceeds ``config.ahp.max_consistency_ratio`` (naming the judgements to
    revise), or when a criterion has no feature.
    """
    criteria = config.criteria_map()
    empty = sorted(c for c, features in criteria.items() if not features)
    if empty:
        raise ConfigError(f"criteria {empty} have no features; give each criterion a feature")
    result: AHPResult | None = None
    if config.ahp is None:
        by_criterion = {c: 1.0 / len(criteria) for c in criteria}
    else:
        result = ahp_weights(config.ahp.matrix, list(config.ahp.criteria))
        check_consistency(result, config.ahp.max_consistency_ratio)
        by_criterion = {c: result.weights[c] for c in criteria}
    feature_criterion = {f: c for c, features in criteria.items() for f in features}
    by_feature = spread_weights(by_criterion, feature_criterion)
    return WeightsResult(
        criterion_weights=by_criterion,
        feature_weights={f: by_feature[f] for f in config.features},
        feature_criterion={f: feature_criterion[f] for f in config.features},
        ahp=result,
    )


def criterion_weights(config: SegmentationConfig) -> dict[str, float]:
    """Weight of each criterion (see :func:`weights_from_config`)."""
    return weights_from_config(config).criterion_weights


def feature_weights(config: SegmentationConfig) -> dict[str, float]:
    """Weight of each feature, in ``config.features`` order (see :func:`weights_from_config`)."""
    return weights_from_config(config).feature_weights


def spread_weights(
    criterion_weights: Mapping[str, float], feature_criterion: Mapping[str, str]
) -> dict[str, float]:
    """``w_f = W_c / m_c``: each criterion's weight shared equally by its features.

    Criterion weights are normalised to sum 1 first; ValueError on a negative weight, a zero sum or
    a feature whose criterion has no weight.
    """
    unknown = sorted(set(feature_criterion.values()) - set(criterion_weights))
    if unknown:
        raise ValueError(f"criteria {unknown} have no weight; weights: {dict(criterion_weights)}")
    total = _checked_total(criterion_weights)
    counts: dict[str, int] = {}
    for criterion in feature_criterion.values():
        counts[criterion] = counts.get(criterion, 0) + 1
    return {f: criterion_weights[c] / total / counts[c] for f, c in feature_criterion.items()}


def column_features(columns: list[str], features: list[str]) -> list[str]:
    """The feature of each prepared column: the column itself, or for a one-hot column
    ``<feature>_<value>`` the longest feature name it starts with followed by ``_``."""
    by_length = sorted(features, key=len, reverse=True)
    known = set(features)
    out = []
    for column in columns:
        if column in known:
            out.append(column)
            continue
        owner = next((f for f in by_length if column.startswith(f + "_")), None)
        if owner is None:
            raise ValueError(
                f"column '{column}' is not a weighted feature nor a one-hot column "
                f"'<feature>_<value>' of one; features: {features}"
            )
        out.append(owner)
    return out


def column_factors(columns: list[str], weights: Mapping[str, float]) -> NDArray[np.float64]:
    """``sqrt(n * w_f)`` for each column (``n`` = number of weighted features, weights normalised).

    ValueError when a weighted feature has no column (its weight would be silently lost).
    """
    features = list(weights)
    total = _checked_total(weights)
    owners = column_features(columns, features)
    absent = [f for f in features if f not in set(owners)]
    if absent:
        raise ValueError(f"weighted feature(s) {absent} match no column; columns: {columns}")
    n = len(features)
    return np.array([math.sqrt(n * weights[f] / total) for f in owners], dtype=np.float64)


class FeatureWeighter(TransformerMixin, BaseEstimator):
    """Multiply each prepared column by ``sqrt(n_features * weight of its feature)``.

    Parameters
    ----------
    weights:
        Feature -> weight (normalised to sum 1 here). ``None``: every column is left unchanged.
    columns:
        Column names for array input (e.g. ``preprocessor.get_feature_names_out()``); a DataFrame's
        own column names take precedence.

    Fitted attributes: ``columns_`` (the names used), ``column_features_`` (the feature of each
    column), ``factors_`` (the multipliers), ``n_features_in_`` and, for frames,
    ``feature_names_in_``. ``transform`` returns a new array (use ``set_output`` for frames).
    """

    def __init__(
        self, weights: dict[str, float] | None = None, columns: list[str] | None = None
    ) -> None:
        self.weights = weights
        self.columns = columns

    def fit(self, X: Any, y: Any = None) -> FeatureWeighter:
        values = validate_data(self, X, dtype=np.float64)
        if hasattr(self, "feature_names_in_"):
            names = [str(c) for c in self.feature_names_in_]
        elif self.columns is not None:
            names = [str(c) for c in self.columns]
            if len(names) != values.shape[1]:
                raise ValueError(
                    f"FeatureWeighter: {len(names)} column names for {values.shape[1]} columns"
                )
        elif self.weights is None:
            names = [f"x{i}" for i in range(values.shape[1])]
        else:
            raise ValueError(
                "FeatureWeighter needs column names to match the weights: fit it on a DataFrame "
                "or pass columns= (e.g. preprocessor.get_feature_names_out())"
            )
        self.columns_ = names
        if self.weights is None:
            self.column_features_ = list(names)
            self.factors_ = np.ones(len(names), dtype=np.float64)
        else:
            self.column_features_ = column_features(names, list(self.weights))
            self.factors_ = column_factors(names, self.weights)
        return self

    def transform(self, X: Any) -> NDArray[np.float64]:
        check_is_fitted(self, "factors_")
        values = validate_data(self, X, dtype=np.float64, reset=False)
        out: NDArray[np.float64] = values * self.factors_
        return out

    def get_feature_names_out(self, input_features: Any = None) -> NDArray[np.object_]:
        check_is_fitted(self, "factors_")
        return np.asarray(list(self.columns_), dtype=object)


def sensitivity(
    X_prepared_unweighted: pd.DataFrame,
    base_labels: ArrayLike,
    fit_labels: Callable[[NDArray[np.float64]], ArrayLike],
    feature_criterion: dict[str, str],
    criterion_weights: dict[str, float],
    delta: float = 0.2,
) -> pd.DataFrame:
    """How much the segmentation moves when one criterion weight moves by ``+-delta``.

    For each criterion ``c`` and each sign, ``W_c`` is multiplied by ``1 + delta`` (then
    ``1 - delta``), all criterion weights are renormalised to sum 1, spread over the features
    (:func:`spread_weights`), the columns of ``X_prepared_unweighted`` (named by feature, or
    ``<feature>_<value>``) are multiplied by ``sqrt(n * w_f)``, and ``fit_labels`` is called on the
    weighted array. Its labels are compared with ``base_labels`` by the adjusted Rand index
    (1: same partition; about 0: unrelated).

    Returns one row per (criterion, change) with columns ``criterion``, ``change`` (``"+20%"`` /
    ``"-20%"``), ``weight_<criterion>`` for every criterion (after renormalisation) and ``ari``;
    ``fit_labels`` is called ``2 * n_criteria`` times. With a single criterion the frame is empty
    (same columns): renormalising one weight always gives it back 1, so there is nothing to perturb.
    """
    if not 0.0 < delta < 1.0:
        raise ValueError(f"delta must be in (0, 1), got {delta}")
    criteria = list(criterion_weights)
    weight_columns = [f"weight_{c}" for c in criteria]
    columns = ["criterion", "change", *weight_columns, "ari"]
    names = [str(c) for c in X_prepared_unweighted.columns]
    features = list(feature_criterion)
    owners = column_features(names, features)
    absent = [f for f in features if f not in set(owners)]
    if absent:
        raise ValueError(f"feature(s) {absent} match no column; columns: {names}")
    spread_weights(criterion_weights, feature_criterion)  # validates before any fit
    labels = np.asarray(base_labels)
    if labels.shape[0] != len(X_prepared_unweighted):
        raise ValueError(
            f"base_labels has {labels.shape[0]} labels for {len(X_prepared_unweighted)} rows"
        )
    if len(criteria) < 2:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns}).astype(
            {c: np.float64 for c in [*weight_columns, "ari"]}
        )
    values = X_prepared_unweighted.to_numpy(dtype=np.float64, copy=True)
    rows = [
        _perturbed_row(
            values,
            labels,
            fit_labels,
            feature_criterion,
            criterion_weights,
            owners,
            criterion,
            sign * delta,
        )
        for criterion in criteria
        for sign in (1.0, -1.0)
    ]
    return pd.DataFrame(rows, columns=columns)


def _perturbed_row(
    values: NDArray[np.float64],
    labels: NDArray[Any],
    fit_labels: Callable[[NDArray[np.float64]], ArrayLike],
    feature_criterion: dict[str, str],
    criterion_weights: dict[str, float],
    owners: list[str],
    criterion: str,
    change: float,
) -> dict[str, Any]:
    """Move the weight of ``criterion`` by ``change`` (renormalised), refit, compare by ARI."""
    total = _checked_total(criterion_weights)
    moved = {c: w / total for c, w in criterion_weights.items()}
    moved[criterion] *= 1.0 + change
    new_total = sum(moved.values())
    moved = {c: w / new_total for c, w in moved.items()}
    by_feature = spread_weights(moved, feature_criterion)
    n_features = len(feature_criterion)
    factors = np.array([math.sqrt(n_features * by_feature[f]) for f in owners], dtype=np.float64)
    found = np.asarray(fit_labels(values * factors))
    return {
        "criterion": criterion,
        "change": f"{'+' if change > 0 else '-'}{abs(change) * 100:g}%",
        **{f"weight_{c}": moved[c] for c in criterion_weights},
        "ari": float(adjusted_rand_score(labels, found)),
    }


def _checked_total(weights: Mapping[str, float]) -> float:
    bad = {k: v for k, v in weights.items() if not (math.isfinite(v) and v >= 0.0)}
    if bad:
        raise ValueError(f"weights must be finite and >= 0, got {bad}")
    total = float(sum(weights.values()))
    if total <= 0.0:
        raise ValueError(f"weights must not all be 0, got {dict(weights)}")
    return total
