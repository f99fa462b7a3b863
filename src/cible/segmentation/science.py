"""The segmentation science, end to end on one feature frame.

``run_science`` prepares the features (imputation, winsorising, log1p, scaling, encoding:
:mod:`cible.segmentation.transformers`), weights them by criterion (AHP:
:mod:`cible.segmentation.weighting`), selects a segmentation over the grid of algorithms
(:mod:`cible.segmentation.selection`), validates it (:mod:`cible.segmentation.validation`),
explains it (surrogate rules, permutation importance:
:mod:`cible.segmentation.segment_explanations`), measures how much it depends on the criterion
weights (sensitivity), and projects it (PCA, t-SNE, UMAP, autoencoder:
:mod:`cible.segmentation.maps`). Every step returns a typed result; nothing is rendered here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, clone
from sklearn.pipeline import Pipeline

from cible.config import SegmentationConfig
from cible.exceptions import OptionalDependencyError
from cible.segmentation.imputation import missing_report
from cible.segmentation.maps import (
    AutoencoderMapResult,
    MapResult,
    PCAResult,
    autoencoder_map,
    pca_summary,
    sample_rows,
    tsne_map,
    umap_map,
)
from cible.segmentation.segment_explanations import (
    RulesResult,
    permutation_importance_by_feature,
    surrogate_rules,
)
from cible.segmentation.selection import Candidate, SelectionResult, select_segmentation
from cible.segmentation.selection_forward import ForwardPreference
from cible.segmentation.transformers import (
    build_preprocessor,
    imputation_methods,
    mixed_type_config,
    resolve_preps,
)
from cible.segmentation.validation import ValidationResult, validate
from cible.segmentation.weighting import (
    FeatureWeighter,
    WeightsResult,
    sensitivity,
    weights_from_config,
)

STABILITY_SAMPLE = 3_000
IMPORTANCE_SAMPLE = 5_000
#: the weight sensitivity refits the chosen model on a seeded sample of at most this many rows
#: (the configured weights refitted on the same rows are its reference): ``2 x criteria + 1``
#: fits of ``min(n, 3,000)`` rows instead of ``2 x criteria`` of all ``n`` rows; an ARI from
#: 3,000 rows is within about 0.02 of the full one
SENSITIVITY_SAMPLE = 3_000
#: the rules and importances read a categorical feature as indicators of its most frequent values
RULE_CATEGORIES = 8


@dataclass(frozen=True)
class Prepared:
    """Features ready for clustering: unweighted (for sensitivity) and weighted (for fitting)."""

    unweighted: pd.DataFrame
    weighted: NDArray[np.float64]
    weights: WeightsResult
    missing: pd.DataFrame
    categorical: tuple[int, ...]
    preparation: Any = None  # the fitted preprocessor + FeatureWeighter (a Pipeline): live scoring


@dataclass(frozen=True)
class ScienceResult:
    prepared: NDArray[np.float64]
    prepared_columns: list[str]
    weights: WeightsResult
    missing: pd.DataFrame
    selection: SelectionResult
    validation: ValidationResult
    rules: RulesResult
    importance: pd.DataFrame
    sensitivity: pd.DataFrame
    pca: PCAResult
    tsne: MapResult | None
    umap: MapResult | None
    autoencoder: AutoencoderMapResult | None
    notes: list[str]
    preparation: Any = None  # Prepared.preparation, kept for the published segment model

    def weights_dict(self) -> dict[str, Any]:
        ahp = self.weights.ahp
        return {
            "criterion_weights": self.weights.criterion_weights,
            "feature_weights": self.weights.feature_weights,
            "ahp": None
            if ahp is None
            else {
                "consistency_ratio": ahp.consistency_ratio,
                "lambda_max": ahp.lambda_max,
                "consistency_index": ahp.consistency_index,
            },
            "sensitivity": self.sensitivity.to_dict(orient="records"),
        }

    def validation_dict(self) -> dict[str, Any]:
        return {
            **self.validation.to_dict(),
            "rules": self.rules.to_dict(),
            "permutation_importance": self.importance.to_dict(orient="records"),
            "weights": self.weights_dict(),
            "missing_values": self.missing.reset_index().to_dict(orient="records"),
            "maps": {
                m.method: m.to_dict(include_coords=False)
                for m in (self.pca, self.tsne, self.umap, self.autoencoder)
                if m is not None
            },
            "notes": self.notes,
        }


def prepare(frame: pd.DataFrame, config: SegmentationConfig) -> Prepared:
    """Prepare and weight ``config.features`` of ``frame`` (not modified); categorical features
    follow :func:`~cible.segmentation.transformers.mixed_type_config`."""
    config = mixed_type_config(config, frame)
    data = frame.loc[:, list(config.features)]
    preps = resolve_preps(config, data)
    pipe = build_preprocessor(config, data).set_output(transform="pandas")
    unweighted = pipe.fit_transform(data)
    weights = weights_from_config(config)
    weighter = FeatureWeighter(weights.feature_weights)
    weighted = weighter.fit_transform(unweighted)
    methods = imputation_methods(pipe)
    categorical = tuple(
        i
        for i, c in enumerate(unweighted.columns)
        if preps.get(str(c), None) is not None
        and preps[str(c)].kind == "categorical"
        and preps[str(c)].encode == "ordinal"
    )
    return Prepared(
        unweighted=unweighted,
        weighted=np.asarray(weighted, dtype=np.float64),
        weights=weights,
        missing=missing_report(data, imputed_columns=list(methods), methods=methods),
        categorical=categorical,
        preparation=Pipeline([("prepare", pipe), ("weight", weighter)]),
    )


def explained_frame(
    frame: pd.DataFrame, config: SegmentationConfig
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The features in original units for the validation tests (the numeric ones) and for the
    rules and importances: the numeric ones, then for each categorical feature 0/1 indicators
    ``"<feature> = <value>"`` of its :data:`RULE_CATEGORIES` most frequent values (ties by
    value; a rule reads
    ``region = Bretagne`` or ``region != Bretagne``). Without categorical features both are the
    numeric columns of ``config.features``."""
    data = frame.loc[:, list(config.features)]
    numeric = data.select_dtypes(include="number")
    preps = resolve_preps(config, data)
    categorical = [f for f, p in preps.items() if p.kind == "categorical"]
    if not categorical:
        return numeric, numeric
    numeric = numeric.drop(columns=[f for f in categorical if f in numeric.columns])
    parts = [numeric]
    for feature in categorical:
        values = data[feature].astype("object")
        counts = values.value_counts()
        top = sorted(counts.index, key=lambda v: (-counts[v], str(v)))[:RULE_CATEGORIES]
        for value in top:
            parts.append((values == value).astype(np.float64).rename(f"{feature} = {value}"))
    return numeric, pd.concat(parts, axis=1)


def _refit(
    estimator: BaseEstimator, fit_sample: int, seed: int
) -> Callable[[NDArray[np.float64]], NDArray[np.int64]]:
    """Refit a clone of the chosen estimator (on a sample when large) and label every row."""

    def fit_labels(X: NDArray[np.float64]) -> NDArray[np.int64]:
        est = clone(estimator)
        n = X.shape[0]
        if n > fit_sample:
            rows = np.sort(np.random.default_rng(seed).choice(n, size=fit_sample, replace=False))
            est.fit(X[rows])
            return np.asarray(est.predict(X), dtype=np.int64)
        est.fit(X)
        return np.asarray(est.labels_, dtype=np.int64)

    return fit_labels


def run_science(
    frame: pd.DataFrame,
    config: SegmentationConfig,
    *,
    categories: Mapping[str, pd.Series] | None = None,
    on_step: Callable[[str], None] | None = None,
    on_candidate: Callable[[Candidate], None] | None = None,
    forward: ForwardPreference | None = None,
) -> ScienceResult:
    """Prepare, select (with the ``forward`` tie-break or gate, when given), validate, explain
    and map the segmentation of ``frame``'s rows.

    ``on_step(name)`` is called as each part ends: ``"prepared"``, ``"selected"``, then every name
    of :func:`finishing_steps` in order; ``on_candidate`` after each candidate of the grid.
    """
    step = on_step or (lambda _name: None)
    config = mixed_type_config(config, frame)
    prep = prepare(frame, config)
    step("prepared")
    sel = select_segmentation(
        prep.weighted,
        config,
        categorical=prep.categorical,
        on_candidate=on_candidate,
        forward=forward,
    )
    step("selected")
    numeric_originals, explained = explained_frame(frame, config)
    fit_labels = _refit(sel.estimator, config.selection.fit_sample, config.random_state)
    validation = _validate(prep, sel.labels, numeric_originals, fit_labels, config, categories)
    step("validation")
    rules, importance, sens = _explain(prep, sel.labels, explained, fit_labels, config, step)
    cols = [str(c) for c in prep.unweighted.columns]
    pca, tsne, umap, auto, notes = _maps(prep, cols, config, step)
    return ScienceResult(
        prepared=prep.weighted,
        prepared_columns=cols,
        weights=prep.weights,
        missing=prep.missing,
        selection=sel,
        validation=validation,
        rules=rules,
        importance=importance,
        sensitivity=sens,
        pca=pca,
        tsne=tsne,
        umap=umap,
        autoencoder=auto,
        notes=notes,
        preparation=prep.preparation,
    )


def _validate(
    prep: Prepared,
    labels: NDArray[np.int64],
    numeric_originals: pd.DataFrame,
    fit_labels: Callable[[NDArray[np.float64]], NDArray[np.int64]],
    config: SegmentationConfig,
    categories: Mapping[str, pd.Series] | None,
) -> ValidationResult:
    return validate(
        prep.weighted,
        labels,
        numeric_originals,
        fit_labels,
        config.validation,
        categories=categories,
        random_state=config.random_state,
        silhouette_sample=config.silhouette_sample,
        stability_sample=STABILITY_SAMPLE,
        min_share=config.selection.gates.min_segment_share,
        categorical=prep.categorical,
    )


def _explain(
    prep: Prepared,
    labels: NDArray[np.int64],
    numeric_originals: pd.DataFrame,
    fit_labels: Callable[[NDArray[np.float64]], NDArray[np.int64]],
    config: SegmentationConfig,
    step: Callable[[str], None],
) -> tuple[RulesResult, pd.DataFrame, pd.DataFrame]:
    """Surrogate rules, permutation importance and sensitivity to the criterion weights."""
    rules = surrogate_rules(numeric_originals, labels, random_state=config.random_state)
    step("rules")
    importance = permutation_importance_by_feature(
        numeric_originals, labels, random_state=config.random_state, sample=IMPORTANCE_SAMPLE
    )
    step("importance")
    sens = _sensitivity(prep, labels, fit_labels, config.random_state)
    step("sensitivity")
    return rules, importance, sens


def _sensitivity(
    prep: Prepared,
    labels: NDArray[np.int64],
    fit_labels: Callable[[NDArray[np.float64]], NDArray[np.int64]],
    random_state: int,
) -> pd.DataFrame:
    """:func:`~cible.segmentation.weighting.sensitivity` on a seeded sample of at most
    :data:`SENSITIVITY_SAMPLE` rows; on a sample, the reference partition is the chosen model
    refitted on those rows with the configured weights (not the full fit's labels of those rows,
    which would mix the effect of sampling with the effect of the weights)."""
    weights = prep.weights
    rows = sample_rows(len(labels), SENSITIVITY_SAMPLE, random_state)
    if len(weights.criterion_weights) < 2 or len(rows) == len(labels):
        unweighted, reference = prep.unweighted, labels
    else:
        unweighted, reference = prep.unweighted.iloc[rows], fit_labels(prep.weighted[rows])
    return sensitivity(
        unweighted, reference, fit_labels, weights.feature_criterion, weights.criterion_weights
    )


def _maps(
    prep: Prepared, cols: list[str], config: SegmentationConfig, step: Callable[[str], None]
) -> tuple[PCAResult, MapResult | None, MapResult | None, AutoencoderMapResult | None, list[str]]:
    """The PCA summary and the configured maps; a map whose extra is missing becomes a note."""
    maps_cfg = config.maps
    pca = pca_summary(
        prep.weighted, maps_cfg.pca_variance, cols, maps_cfg.sample, config.random_state
    )
    step("PCA")
    notes: list[str] = []
    tsne = None
    if maps_cfg.tsne:
        tsne = tsne_map(prep.weighted, maps_cfg.sample, config.random_state)
        step("t-SNE")
    umap = None
    if maps_cfg.umap:
        try:
            umap = umap_map(prep.weighted, maps_cfg.sample, config.random_state)
        except OptionalDependencyError as e:
            notes.append(str(e))
        step("UMAP")
    auto = None
    if maps_cfg.autoencoder:
        auto = autoencoder_map(prep.weighted, maps_cfg.sample, random_state=config.random_state)
        step("autoencoder")
    return pca, tsne, umap, auto, notes


def finishing_steps(config: SegmentationConfig) -> list[str]:
    """The names :func:`run_science` reports through ``on_step`` after ``"selected"``, in order
    (one per sub-step: a progress bar knows its total before it starts)."""
    maps = config.maps
    optional = [("t-SNE", maps.tsne), ("UMAP", maps.umap), ("autoencoder", maps.autoencoder)]
    return [
        "validation",
        "rules",
        "importance",
        "sensitivity",
        "PCA",
        *(name for name, on in optional if on),
    ]
