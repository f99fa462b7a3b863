"""The model engine shared by event mode and table mode: ``train_models(X, y, spec)``.

1. One train/test split (:mod:`cible.predict.splits`): stratified at random, or the latest rows
   as the test split (``split: {by: time}``). The test split is used only to report metrics,
   never to choose anything.
2. For each model: ``prep -> [RFE] -> model`` inside :class:`~cible.predict.balance.BalancedClassifier`,
   tuned by a cross-validated grid or random search on folds of the training split (stratified,
   or forward in time). With ``class_weight: auto`` balanced and unweighted fits are both
   candidates of that search, so the weighting is chosen by validation like any parameter.
3. The threshold is chosen on out-of-fold predictions of the training split (refits of the best
   parameters on the same folds), e.g. the one maximising F1.
4. The chosen model is the one with the best mean cross-validated score; permutation importance
   of its inputs (on the test split) ranks the features for the per-customer reasons.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.model_selection import GridSearchCV, ParameterGrid, RandomizedSearchCV
from threadpoolctl import threadpool_limits

from cible.config.predict import TrainingSpec
from cible.exceptions import PredictError
from cible.predict.balance import BalancedClassifier
from cible.predict.metrics import compute_metrics, max_f1_threshold
from cible.predict.model_explanations import (
    background_values,
    impurity_importances,
    permutation_ranking,
    selected_inputs,
    tree_rules,
)
from cible.predict.model_inputs import make_pipeline_for, model_frame
from cible.predict.models import grid_for, model_spec
from cible.predict.splits import Folds, out_of_fold, search_folds, split_positions
from cible.predict.training_result import ModelReport, TrainingResult

PARAM_PREFIX = "estimator__model__"
BALANCE_PARAM = "balance"


def check_training_data(X: pd.DataFrame, y: pd.Series, spec: TrainingSpec) -> None:
    if not isinstance(X, pd.DataFrame) or not isinstance(y, pd.Series):
        raise PredictError("train_models needs X as a DataFrame and y as a Series")
    if len(X) != len(y) or not X.index.equals(y.index):
        raise PredictError("X and y must have the same rows (the same index, in the same order)")
    values = set(pd.unique(y.dropna()).tolist())
    if y.isna().any() or not values <= {0, 1}:
        raise PredictError(
            f"y must hold 0/1 labels without gaps; values seen: {sorted(map(str, values))}"
        )
    n_min = int(min((y == 0).sum(), (y == 1).sum()))
    need = 2 * spec.search.cv_folds
    if n_min < need:
        raise PredictError(
            f"the rarer class has {n_min} row(s); {spec.search.cv_folds}-fold search on a "
            f"training split needs at least {need} of each class"
        )


def build_search(
    name: str, X: pd.DataFrame, spec: TrainingSpec, folds: Folds
) -> GridSearchCV | RandomizedSearchCV:
    """The cross-validated search of one model (unfitted) on ``folds``."""
    ms = model_spec(name)
    pipe = make_pipeline_for(
        X,
        ms.make(spec.random_state),
        scaled=ms.scaled,
        selection=spec.feature_selection,
        seed=spec.random_state,
    )
    wrapped = BalancedClassifier(pipe, balance=spec.class_weight != "none")
    grid = grid_for(name, {k: dict(v) for k, v in spec.param_grids.items()})
    allowed = set(pipe.named_steps["model"].get_params())
    unknown = sorted(set(grid) - allowed)
    if unknown:
        raise PredictError(
            f"param_grids.{name}: unknown parameter(s) {unknown}; allowed: {sorted(allowed)}"
        )
    params: dict[str, list[Any]] = {PARAM_PREFIX + k: v for k, v in grid.items()}
    if spec.class_weight == "auto":
        params[BALANCE_PARAM] = [True, False]
    size = len(ParameterGrid(params))
    if spec.search.method == "random" and spec.search.n_iter < size:
        return RandomizedSearchCV(
            wrapped,
            params,
            n_iter=spec.search.n_iter,
            scoring=spec.search.scoring,
            cv=folds,
            random_state=spec.random_state,
            n_jobs=1,
            error_score="raise",
        )
    return GridSearchCV(
        wrapped, params, scoring=spec.search.scoring, cv=folds, n_jobs=1, error_score="raise"
    )


def fit_one(
    name: str,
    X_train: pd.DataFrame,
    y_train: pd.Series,
    X_test: pd.DataFrame,
    y_test: pd.Series,
    spec: TrainingSpec,
    folds: Folds,
) -> tuple[ModelReport, Any]:
    """Search, threshold on out-of-fold scores, evaluate on the test split."""
    t0 = time.perf_counter()
    search = build_search(name, X_train, spec, folds)
    search.fit(X_train, y_train.to_numpy())
    best = search.best_estimator_
    i = int(search.best_index_)
    cv_score = float(search.cv_results_["mean_test_score"][i])
    cv_std = float(search.cv_results_["std_test_score"][i])
    if spec.threshold == "max_f1":
        rows, oof = out_of_fold(best, X_train, y_train, folds)
        threshold = max_f1_threshold(y_train.to_numpy()[rows], oof)
    else:
        threshold = float(spec.threshold)
    seconds = time.perf_counter() - t0
    scores = best.predict_proba(X_test)[:, 1]
    chosen = dict(search.best_params_)
    balanced = bool(chosen.pop(BALANCE_PARAM, spec.class_weight != "none"))
    report = ModelReport(
        name=name,
        label=model_spec(name).label,
        best_params={k.removeprefix(PARAM_PREFIX): v for k, v in chosen.items()},
        class_weight="balanced" if balanced else "none",
        cv_score=cv_score,
        cv_std=cv_std,
        candidates=len(search.cv_results_["params"]),
        threshold=threshold,
        test=compute_metrics(y_test.to_numpy(), scores, threshold),
        fit_seconds=seconds,
        selected_features=selected_inputs(best),
        rules=tree_rules(best),
        importances=impurity_importances(best),
    )
    return report, best


def train_models(
    X: pd.DataFrame,
    y: pd.Series,
    spec: TrainingSpec,
    *,
    times: NDArray[np.float64] | None = None,
    on_model: Callable[[str], None] | None = None,
) -> TrainingResult:
    """Train, tune and compare ``spec.models`` on ``X`` (features) and ``y`` (0/1 labels, same
    index). Neither argument is modified. ``times`` (one number per row) orders the rows for
    ``split.by: time``; without it the row order is the time order. ``on_model(name)`` is called
    after each model."""
    check_training_data(X, y, spec)
    for name in spec.models:  # an optional model that is not installed fails before any training
        model_spec(name).make(spec.random_state)
    frame = model_frame(X)
    train_pos, test_pos = split_positions(y, spec, times)
    X_train, X_test = frame.iloc[train_pos], frame.iloc[test_pos]
    y_train, y_test = y.iloc[train_pos], y.iloc[test_pos]
    for part, labels in (("test", y_test), ("training", y_train)):
        if labels.nunique() < 2:
            raise PredictError(f"the {part} split holds a single class: change test_size")
    folds = search_folds(spec, y_train)
    reports: list[ModelReport] = []
    fitted: dict[str, Any] = {}
    # One thread for BLAS and OpenMP: on a shared machine oversubscribed OpenMP threads make
    # histogram boosting several times slower, and results are the same.
    with threadpool_limits(1):
        for name in spec.models:
            report, model = fit_one(name, X_train, y_train, X_test, y_test, spec, folds)
            reports.append(report)
            fitted[name] = model
            if on_model is not None:
                on_model(name)
        best = max(reports, key=lambda r: r.cv_score).name
        ranking = permutation_ranking(
            fitted[best],
            X_test,
            y_test,
            repeats=spec.permutation_repeats,
            random_state=spec.random_state,
        )
    return TrainingResult(
        reports=reports,
        best=best,
        estimators=fitted,
        feature_names=[str(c) for c in X.columns],
        background=background_values(X_train),
        permutation=ranking,
        scoring=spec.search.scoring,
        n_train=len(X_train),
        n_test=len(X_test),
        positive_rate=float(y.mean()),
        class_weight=next(r.class_weight for r in reports if r.name == best),
        split_by=spec.split.by,
    )
