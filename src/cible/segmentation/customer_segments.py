"""Segment customers: scale, cluster with automatic k, order, profile, name, project in 2D.

Only purchasing customers (``frequency > 0``) are clustered; the others form segment 0,
"Prospects - no purchase yet", and take no part in fitting or in the silhouette; those among
them with refunds and a negative net revenue form the last segment, "Refund only - no purchase
recorded". k-means segments get ids ``1..k`` in order of decreasing mean monetary value, so the
same data always gives the same ids whatever order k-means found the clusters in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.decomposition import PCA

from cible.config import FEATURE_NAMES, SegmentationConfig
from cible.exceptions import SegmentationError
from cible.segmentation.category_profiles import category_shares, qualified_names
from cible.segmentation.naming import name_segments, purchase_cycle_days
from cible.segmentation.profiles import profile_segments
from cible.segmentation.science import ScienceResult, run_science
from cible.segmentation.segmentation_result import (
    NOISE_SEGMENT_NAME,
    PROSPECT_SEGMENT_ID,
    PROSPECT_SEGMENT_NAME,
    REFUND_ONLY_SEGMENT_NAME,
    SegmentationResult,
)
from cible.segmentation.selection import SelectionResult, candidate_grid
from cible.segmentation.selection_forward import ForwardPreference
from cible.segmentation.transformers import mixed_type_config, resolve_preps

MAP_SAMPLE_SIZE = 5000


def segment_customers(
    features: pd.DataFrame,
    config: SegmentationConfig,
    on_k: Callable[[int], None] | None = None,
    *,
    categories: Mapping[str, pd.Series] | None = None,
    on_step: Callable[[str], None] | None = None,
    forward: ForwardPreference | None = None,
) -> SegmentationResult:
    """Segment the customers of ``features`` (indexed by customer_id); ``features`` is not modified.

    The purchasing customers go through :func:`~cible.segmentation.science.run_science`
    (preparation, AHP weights, automatic selection over the algorithm grid, validation,
    explanation, maps). Noise points of a density method form their own segment,
    "Atypical - no clear segment", numbered after the others. ``on_k(i)`` is called after each
    candidate of the grid (progress); ``categories`` (aligned with ``features``) feed the
    representativeness tests; ``forward`` (:mod:`cible.segmentation.forward`) is the selection's
    tie-break or gate when ``segmentation.forward.use_in_selection`` asks for one.

    Raises :class:`~cible.exceptions.SegmentationError` when a needed column is absent, customer ids
    repeat, or there are fewer than ``k_min + 1`` purchasing customers.
    """
    buyers = _buyers(features, config)
    science = _fit_buyers(features, buyers, config, on_k, categories, on_step, forward)
    sel = science.selection
    buyer_ids = _ids_by_monetary(sel.labels, features.loc[buyers, "monetary"])
    all_ids = np.full(len(features), PROSPECT_SEGMENT_ID, dtype=np.int64)
    all_ids[buyers] = buyer_ids
    noise_id = int(buyer_ids.max()) if (sel.labels < 0).any() else None
    refund_only = ~buyers & (features["monetary"].to_numpy(dtype=np.float64) < 0)
    refund_id = int(buyer_ids.max()) + 1 if refund_only.any() else None
    if refund_id is not None:
        all_ids[refund_only] = refund_id
    segment_ids = pd.Series(all_ids, index=features.index)
    categorical = categorical_features(features, config)
    profiles, names = _named_profiles(
        features, buyers, segment_ids, (noise_id, refund_id), categorical
    )
    customer_ids = features.index.astype(str).to_numpy()
    assignments = pd.DataFrame({"customer_id": customer_ids, "segment_id": all_ids})
    assignments["segment_name"] = segment_ids.map(names).astype(str).to_numpy()
    map_2d, explained = _pca_map(
        science.prepared, science.pca.model, customer_ids[buyers], buyer_ids, names, config
    )
    return SegmentationResult(
        assignments=assignments,
        profiles=profiles,
        k_scores=_k_scores(sel),
        chosen_k=int(sel.chosen.n_segments),
        silhouette=float(sel.chosen.silhouette),
        map_2d=map_2d,
        pca_explained=explained,
        feature_names=list(config.features),
        n_prospects=int(len(features) - buyers.sum() - refund_only.sum()),
        algorithm=sel.chosen.candidate.name,
        science=science,
        label_map={int(a): int(b) for a, b in zip(sel.labels, buyer_ids, strict=True)},
        n_refund_only=int(refund_only.sum()),
    )


def _buyers(features: pd.DataFrame, config: SegmentationConfig) -> NDArray[np.bool_]:
    """The mask of purchasing customers, after checking the input and that there are enough."""
    _check_input(features, config)
    buyers = features["frequency"].to_numpy(dtype=np.float64) > 0
    n_buyers = int(buyers.sum())
    if n_buyers < config.k_min + 1:
        raise SegmentationError(
            f"segmentation needs at least k_min + 1 = {config.k_min + 1} customers with a purchase "
            f"(frequency > 0); got {n_buyers:,} out of {len(features):,} customers"
        )
    categorical = set(categorical_features(features, config))
    _check_complete(features.loc[buyers, [f for f in config.features if f not in categorical]])
    return buyers


def categorical_features(features: pd.DataFrame, config: SegmentationConfig) -> list[str]:
    """The segmentation features prepared as categories (by dtype or declared ``kind``); a
    missing one is imputed by the preparation (most frequent value) rather than refused."""
    preps = resolve_preps(config, features.loc[:, list(config.features)])
    return [f for f, p in preps.items() if p.kind == "categorical"]


def _fit_buyers(
    features: pd.DataFrame,
    buyers: NDArray[np.bool_],
    config: SegmentationConfig,
    on_k: Callable[[int], None] | None,
    categories: Mapping[str, pd.Series] | None,
    on_step: Callable[[str], None] | None,
    forward: ForwardPreference | None = None,
) -> ScienceResult:
    """Run the science on the purchasing customers (a fitting failure is a SegmentationError)."""
    counter = iter(range(1, 10_000))
    buyer_categories = (
        {k: v[buyers].reset_index(drop=True) for k, v in categories.items()} if categories else None
    )
    try:
        return run_science(
            features.loc[buyers],
            config,
            categories=buyer_categories,
            on_step=on_step,
            on_candidate=(lambda _c: on_k(next(counter))) if on_k else None,
            forward=forward,
        )
    except ValueError as e:
        raise SegmentationError(f"segmentation could not be fitted: {e}") from e


def _named_profiles(
    features: pd.DataFrame,
    buyers: NDArray[np.bool_],
    segment_ids: pd.Series,
    special: tuple[int | None, int | None],
    categorical: list[str] | None = None,
) -> tuple[pd.DataFrame, dict[int, str]]:
    """Segment profiles (lift against the buyers) and the name of every segment; ``special``:
    the ids of the noise and refund-only segments (``None`` when absent); ``categorical``: the
    categorical segmentation features, whose shares per segment join the profiles and whose
    dominant value joins the name (:mod:`cible.segmentation.category_profiles`)."""
    noise_id, refund_id = special
    profile_columns = [f for f in FEATURE_NAMES if f in features.columns]
    profiles = profile_segments(
        features.loc[:, profile_columns],
        segment_ids,
        reference=features.loc[buyers, profile_columns],
    )
    if categorical:
        reference = features.loc[buyers, categorical]
        profiles = category_shares(
            profiles, features, segment_ids, categorical, reference=reference
        )
    clustered = profiles[~profiles["segment_id"].isin([PROSPECT_SEGMENT_ID, noise_id, refund_id])]
    names = name_segments(clustered, cycle_days=purchase_cycle_days(features.loc[buyers]))
    if categorical:
        names = qualified_names(names, clustered, features.loc[buyers, categorical], categorical)
    names[PROSPECT_SEGMENT_ID] = PROSPECT_SEGMENT_NAME
    if noise_id is not None:
        names[noise_id] = NOISE_SEGMENT_NAME
    if refund_id is not None:
        names[refund_id] = REFUND_ONLY_SEGMENT_NAME
    return profiles.assign(segment_name=profiles["segment_id"].map(names).astype(str)), names


def _k_scores(sel: SelectionResult) -> pd.DataFrame:
    """Elbow and silhouette by k: the k-means candidates (the best candidate per k otherwise)."""
    rows = [
        {"k": c.n_segments, "inertia": c.inertia, "silhouette": c.silhouette}
        for c in sel.candidates
        if c.candidate.algorithm == "kmeans" and c.error is None
    ]
    if not rows:
        best: dict[int, float] = {}
        for c in sel.candidates:
            if c.error is None and np.isfinite(c.silhouette):
                best[c.n_segments] = max(best.get(c.n_segments, -1.0), c.silhouette)
        rows = [{"k": k, "inertia": float("nan"), "silhouette": v} for k, v in sorted(best.items())]
    return pd.DataFrame(rows, columns=["k", "inertia", "silhouette"]).astype(
        {"k": "int64", "inertia": "float64", "silhouette": "float64"}
    )


def _check_input(features: pd.DataFrame, config: SegmentationConfig) -> None:
    needed = list(dict.fromkeys([*config.features, "frequency", "monetary"]))
    missing = [c for c in needed if c not in features.columns]
    if missing:
        raise SegmentationError(f"features lack column(s) {missing}; segmentation needs {needed}")
    if features.index.has_duplicates:
        n_dup = int(features.index.duplicated().sum())
        raise SegmentationError(f"features have {n_dup:,} repeated customer_id value(s)")
    n_missing_freq = int(features["frequency"].isna().sum())
    if n_missing_freq:
        raise SegmentationError(
            f"column 'frequency' has {n_missing_freq:,} missing value(s); it must be 0 for "
            "customers without purchase"
        )


def _check_complete(buyer_frame: pd.DataFrame) -> None:
    """Purchasing customers must have every clustering feature (guard against upstream bugs)."""
    problems = []
    for col in buyer_frame.columns:
        values = pd.to_numeric(buyer_frame[col], errors="coerce").to_numpy(dtype=np.float64)
        n_bad = int((~np.isfinite(values)).sum())
        if n_bad:
            problems.append(f"'{col}' ({n_bad:,})")
    if problems:
        raise SegmentationError(
            "purchasing customers have missing, infinite or non-numeric values in column(s) "
            + ", ".join(problems)
            + "; every clustering feature must be set when frequency > 0"
        )


def _ids_by_monetary(labels: NDArray[np.int64], monetary: pd.Series) -> NDArray[np.int64]:
    """Relabel clusters 1..k by decreasing mean monetary (ties: label order); noise (-1) gets k+1."""
    means = pd.Series(monetary.to_numpy(dtype=np.float64)).groupby(labels).mean()
    order = sorted((lab for lab in means.index if lab >= 0), key=lambda lab: (-means[lab], lab))
    mapping = {int(label): rank for rank, label in enumerate(order, start=1)}
    mapping[-1] = len(order) + 1
    return np.asarray([mapping[int(label)] for label in labels], dtype=np.int64)


def _pca_map(
    scaled: NDArray[np.float64],
    pca: PCA | None,
    customer_ids: NDArray[np.object_],
    segment_ids: NDArray[np.int64],
    names: dict[int, str],
    config: SegmentationConfig,
) -> tuple[pd.DataFrame, tuple[float, float]]:
    """First two principal components of the scaled features for a seeded customer sample,
    projected with the PCA the science fitted (:func:`~cible.segmentation.maps.pca_summary`)."""
    n_rows, n_features = scaled.shape
    n_components = min(2, n_features, n_rows)
    if pca is None:  # a science result built without its model (older pickles)
        pca = PCA(svd_solver="full").fit(scaled)
    if n_rows > MAP_SAMPLE_SIZE:
        rng = np.random.default_rng(config.random_state)
        rows = np.sort(rng.choice(n_rows, size=MAP_SAMPLE_SIZE, replace=False))
    else:
        rows = np.arange(n_rows)
    coords = np.zeros((len(rows), 2))
    coords[:, :n_components] = pca.transform(scaled[rows])[:, :n_components]
    ratios = [float(r) for r in pca.explained_variance_ratio_] + [0.0, 0.0]
    sample_ids = segment_ids[rows]
    frame = pd.DataFrame(
        {
            "customer_id": customer_ids[rows],
            "pc1": coords[:, 0],
            "pc2": coords[:, 1],
            "segment_id": sample_ids,
            "segment_name": [names[int(i)] for i in sample_ids],
        }
    )
    return frame, (ratios[0], ratios[1])


def grid_size(features: pd.DataFrame, config: SegmentationConfig, n_buyers: int) -> int:
    """The number of candidates the selection of :func:`segment_customers` tries on
    ``features`` (the mixed grid when categorical features are coded as categories)."""
    effective = mixed_type_config(config, features.loc[:, list(config.features)])
    preps = resolve_preps(effective, features.loc[:, list(config.features)])
    coded = tuple(
        i for i, p in enumerate(preps.values()) if p.kind == "categorical" and p.encode == "ordinal"
    )
    return len(candidate_grid(effective, n_buyers, coded))
