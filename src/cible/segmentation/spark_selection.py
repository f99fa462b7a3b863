"""The automatic selection of :mod:`cible.segmentation.selection`, fitted and scored in Spark.

For ``cible run`` on the Spark warehouse (``warehouse: {engine: spark}``, ``segment_in: spark``):
the purchasing customers stay a Spark DataFrame, and

1. **prepare** (MLlib): median imputation, ``log1p`` of ``segmentation.log_transformed()``,
   standardisation, then each column times ``sqrt(n_features x weight)`` (the AHP or equal
   weights of :func:`~cible.segmentation.weighting.weights_from_config`), as on the driver;
2. **fit** every candidate of the grid that MLlib has - ``kmeans`` (``KMeans``, ``k-means||``,
   the best of ``n_init`` seeds by cost) and ``gmm`` (``GaussianMixture``) - for
   ``k_min..k_max``, on a seeded sample of at most ``selection.fit_sample`` customers (the
   driver path's fit sample);
3. **gate** on the segment shares of *every* customer (one Spark aggregation per candidate) and
   **score** on a seeded sample of at most ``silhouette_sample`` customers, the only rows
   pulled to the driver (silhouette, Davies-Bouldin, Calinski-Harabasz with scikit-learn, as
   on the driver);
4. **choose** with the driver path's rule (:func:`cible.segmentation.selection.choose`).

Algorithms MLlib lacks (agglomerative, DBSCAN, HDBSCAN, k-prototypes) are skipped and listed in
:attr:`SparkSelection.skipped`; none left is a :class:`~cible.exceptions.SegmentationError`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

from cible.config import SegmentationConfig
from cible.exceptions import ConfigError, SegmentationError
from cible.segmentation.selection import Candidate, CandidateScore, choose
from cible.segmentation.spark_segments import SparkAlgorithm, fit_best, prepared_vectors
from cible.segmentation.weighting import weights_from_config

#: cible's algorithm names -> MLlib's
MLLIB_ALGORITHMS: dict[str, SparkAlgorithm] = {
    "kmeans": "kmeans",
    "gmm": "gaussian_mixture",
}


@dataclass(frozen=True)
class SparkSelection:
    """The scored grid, the winner, its fitted MLlib model and the prepared buyers."""

    scores: list[CandidateScore]
    chosen: CandidateScore
    fallback: bool
    model: Any  # the fitted MLlib model of ``chosen``
    prepared: Any  # Spark DataFrame: customer_id, __features (cached)
    rows: int
    skipped: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "engine": "spark",
            "chosen": self.chosen.candidate.name,
            "fallback": self.fallback,
            "customers": self.rows,
            "skipped": self.skipped,
            "candidates": [c.to_dict() for c in self.scores],
        }


@dataclass(frozen=True)
class SparkSegmentation:
    """What the driver holds of a segmentation done in Spark: aggregates only."""

    profiles: pd.DataFrame  # segment_id, segment_name, size, share, <feature>_mean/_median/_lift
    selection: SparkSelection
    chosen_k: int
    silhouette: float
    algorithm: str


def check_spark_preparation(config: SegmentationConfig) -> None:
    """Refuse the per-feature settings the Spark preparation does not do (it does median
    imputation, ``log1p`` and z-score scaling)."""
    for feature, prep in config.preprocessing.items():
        unsupported = [
            f"{name}={value!r}"
            for name, value, default in (
                ("kind", prep.kind, "numeric"),
                ("impute", prep.impute, "median"),
                ("winsorize", prep.winsorize, None),
                ("scale", prep.scale, "zscore"),
            )
            if value != default
        ]
        if unsupported:
            raise ConfigError(
                f"segmentation.preprocessing.{feature}: {', '.join(unsupported)} is not done by "
                "the Spark segmentation (median imputation, log1p, z-score only); remove it or "
                "set warehouse.segment_in: driver"
            )


def _log_features(config: SegmentationConfig) -> list[str]:
    logged = set(config.log_transformed())
    for feature, prep in config.preprocessing.items():
        if prep.log1p is not None:
            (logged.add if prep.log1p else logged.discard)(feature)
    return [f for f in config.features if f in logged]


def _scores(labels: np.ndarray, sample: np.ndarray) -> tuple[float, float, float]:
    ks = np.unique(labels)
    if len(ks) < 2 or len(labels) <= len(ks):
        return float("nan"), float("nan"), float("nan")
    return (
        float(silhouette_score(sample, labels)),
        float(davies_bouldin_score(sample, labels)),
        float(calinski_harabasz_score(sample, labels)),
    )


def _score(
    candidate: Candidate, model: Any, prepared: Any, sample: tuple[Any, np.ndarray], config: Any
) -> CandidateScore:
    """Shares of every customer (Spark) and quality on the pulled sample (driver)."""
    t0 = time.perf_counter()
    counts = model.transform(prepared).groupBy("__cluster").count().collect()
    sizes = np.array([r["count"] for r in counts if r["count"] > 0], dtype=np.float64)
    shares = sizes / sizes.sum()
    ids, vectors = sample
    labelled = model.transform(ids).select("__row", "__cluster").toPandas().sort_values("__row")
    sil, db, ch = _scores(labelled["__cluster"].to_numpy(), vectors)
    gates = config.selection.gates
    k = len(sizes)
    return CandidateScore(
        candidate=candidate,
        n_segments=k,
        noise_share=0.0,
        largest_share=float(shares.max()),
        smallest_share=float(shares.min()),
        silhouette=sil,
        davies_bouldin=db,
        calinski_harabasz=ch,
        gates={
            "at_least_2_segments": k >= 2,
            "min_segment_share": float(shares.min()) >= gates.min_segment_share,
            "max_segments": k <= gates.max_segments,
            "max_noise_share": True,
            "max_largest_share": float(shares.max()) <= gates.max_largest_share,
        },
        seconds=time.perf_counter() - t0,
    )


def _score_sample(prepared: Any, rows: int, size: int, seed: int) -> tuple[Any, np.ndarray]:
    """A seeded sample of at most ``size`` prepared rows: as a cached Spark frame (with a row
    number) and its vectors on the driver, in the same order."""
    from pyspark.sql import functions as F

    part = (
        prepared
        if rows <= size
        else prepared.sample(fraction=min(1.0, 1.3 * size / rows), seed=seed)
    )
    part = (
        part.orderBy("customer_id").limit(size).withColumn("__row", F.monotonically_increasing_id())
    )
    part = part.localCheckpoint()
    pulled = part.select("__row", "__features").toPandas().sort_values("__row")
    vectors = np.vstack([np.asarray(v.toArray()) for v in pulled["__features"]])
    return part, vectors


def select_in_spark(
    buyers: Any,
    config: SegmentationConfig,
    on_candidate: Callable[[CandidateScore], None] | None = None,
) -> SparkSelection:
    """Fit, gate and score the MLlib candidates on ``buyers`` (customer_id and the features)
    and choose one (see the module)."""
    check_spark_preparation(config)
    wanted = list(dict.fromkeys(config.selection.algorithms))
    usable = [a for a in wanted if a in MLLIB_ALGORITHMS]
    skipped = [str(a) for a in wanted if a not in MLLIB_ALGORITHMS]
    if not usable:
        raise SegmentationError(
            f"segmentation.selection.algorithms {wanted} has no algorithm MLlib fits (kmeans, "
            "gmm); add one or set warehouse.segment_in: driver"
        )
    weights = weights_from_config(config).feature_weights
    n = len(config.features)
    factors = [float(np.sqrt(n * weights[f])) for f in config.features]
    prepared = prepared_vectors(buyers, list(config.features), _log_features(config), factors)
    prepared = prepared.cache()
    rows = prepared.count()
    if rows < config.k_min + 1:
        prepared.unpersist()
        raise SegmentationError(
            f"segmentation needs at least k_min + 1 = {config.k_min + 1} customers with a "
            f"purchase (frequency > 0); got {rows:,}"
        )
    seed = config.random_state
    fit_fraction = min(1.0, config.selection.fit_sample / rows)
    sample = _score_sample(prepared, rows, config.silhouette_sample, seed)
    scores: list[CandidateScore] = []
    models: dict[str, Any] = {}
    for algorithm in usable:
        restarts = config.n_init if algorithm == "kmeans" else 1
        for k in range(config.k_min, min(config.k_max, rows - 1) + 1):
            candidate = Candidate(algorithm, {"n_clusters": k})
            model = fit_best(prepared, MLLIB_ALGORITHMS[algorithm], k, seed, restarts, fit_fraction)
            score = _score(candidate, model, prepared, sample, config)
            scores.append(score)
            models[candidate.name] = model
            if on_candidate is not None:
                on_candidate(score)
    chosen, fallback = choose(scores)
    model = models[chosen.candidate.name]
    return SparkSelection(scores, chosen, fallback, model, prepared, rows, skipped)
