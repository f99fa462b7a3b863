"""Segmentation at scale: fitted and scored in Spark (MLlib), summarised on the driver.

When the customers do not fit one machine, the features stay a Spark DataFrame (the feature SQL
run by the Spark warehouse, :meth:`cible.warehouse.spark.SparkWarehouse.frame`) and:

1. **prepare**: missing values imputed by the median (MLlib ``Imputer``), the skewed counts and
   amounts of ``log_features`` through ``log1p``, then standardised (``StandardScaler``, mean 0,
   standard deviation 1): the preparation of the in-memory path, in MLlib;
2. **fit** k-means (``k-means||`` initialisation) or a Gaussian mixture on the
   full data or on a ``fit_fraction`` sample, with a fixed ``seed``;
3. **score** every customer with the fitted model (one pass, no collect);
4. **silhouette** on a sample of at most ``silhouette_sample`` scored customers (MLlib's
   ``ClusteringEvaluator``, squared Euclidean distance, the measure k-means minimises);
5. **summarise**: size and mean of every feature per segment, the only rows pulled to the driver
   (``k`` rows, whatever the number of customers), for the report.

Segment ids are ordered by mean ``monetary`` (0 = lowest), as on the in-memory path.
``pyspark`` is imported only when this module is used (the extra ``spark``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

SparkAlgorithm = Literal["kmeans", "gaussian_mixture"]


@dataclass(frozen=True)
class SparkSegments:
    """A segmentation computed in Spark: the scored customers stay there."""

    assignments: Any  # Spark DataFrame: customer_id, segment
    profiles: pd.DataFrame  # one row per segment: customers, share, mean of each feature
    silhouette: float
    silhouette_rows: int
    algorithm: str
    k: int


def _logged(value: Any) -> Any:
    """``log1p`` of ``value`` clipped at 0, NULL (to impute) kept NULL."""
    from pyspark.sql import functions as F

    return F.when(value.isNull() | F.isnan(value), F.lit(None)).otherwise(
        F.log1p(F.greatest(value, F.lit(0.0)))
    )


def prepared_vectors(
    frame: Any, features: list[str], log_features: list[str], factors: list[float] | None = None
) -> Any:
    """``frame`` as ``customer_id`` and a ``__features`` vector: imputed by the median, log1p
    where asked, standardised, then each column times its ``factors`` entry (the weights)."""
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import ElementwiseProduct, Imputer, StandardScaler, VectorAssembler
    from pyspark.ml.linalg import Vectors
    from pyspark.sql import functions as F

    cast = frame.select(
        "customer_id",
        *[
            (
                _logged(F.col(c).cast("double")) if c in log_features else F.col(c).cast("double")
            ).alias(c)
            for c in features
        ],
    )
    imputed = [f"__imp_{c}" for c in features]
    stages: list[Any] = [
        Imputer(inputCols=features, outputCols=imputed, strategy="median"),
        VectorAssembler(inputCols=imputed, outputCol="__raw"),
        StandardScaler(inputCol="__raw", outputCol="__scaled", withMean=True, withStd=True),
        ElementwiseProduct(
            scalingVec=Vectors.dense(factors or [1.0] * len(features)),
            inputCol="__scaled",
            outputCol="__features",
        ),
    ]
    return Pipeline(stages=stages).fit(cast).transform(cast).select("customer_id", "__features")


def _estimator(algorithm: SparkAlgorithm, k: int, seed: int) -> Any:
    from pyspark.ml.clustering import GaussianMixture, KMeans

    if algorithm == "kmeans":
        return KMeans(
            k=k,
            seed=seed,
            maxIter=100,
            tol=1e-6,
            initMode="k-means||",
            featuresCol="__features",
            predictionCol="__cluster",
        )
    return GaussianMixture(
        k=k,
        seed=seed,
        maxIter=200,
        tol=1e-6,
        probabilityCol="__probability",
        featuresCol="__features",
        predictionCol="__cluster",
    )


def _cost(model: Any, algorithm: SparkAlgorithm) -> float:
    """Lower is better: the k-means cost, or minus the mixture's log-likelihood."""
    summary = model.summary
    return (
        -float(summary.logLikelihood)
        if algorithm == "gaussian_mixture"
        else float(summary.trainingCost)
    )


def fit_best(
    prepared: Any,
    algorithm: SparkAlgorithm,
    k: int,
    seed: int,
    restarts: int = 1,
    fit_fraction: float = 1.0,
) -> Any:
    """The best of ``restarts`` fits (seeds ``seed``, ``seed + 1``, ...; lowest cost) of
    ``algorithm`` on ``prepared`` or on a seeded ``fit_fraction`` sample of it."""
    train = prepared if fit_fraction >= 1.0 else prepared.sample(fraction=fit_fraction, seed=seed)
    best, best_cost = None, float("inf")
    for attempt in range(max(1, restarts)):
        model = _estimator(algorithm, k, seed + attempt).fit(train)
        cost = _cost(model, algorithm)
        if best is None or cost < best_cost:
            best, best_cost = model, cost
    return best


def _silhouette(scored: Any, rows: int, sample: int, seed: int) -> tuple[float, int]:
    from pyspark.ml.evaluation import ClusteringEvaluator

    part = (
        scored
        if rows <= sample
        else scored.sample(fraction=min(1.0, 1.2 * sample / rows), seed=seed).limit(sample)
    )
    part = part.cache()
    counted = part.count()
    if part.select("__cluster").distinct().count() < 2:
        part.unpersist()
        return float("nan"), counted
    evaluator = ClusteringEvaluator(
        featuresCol="__features", predictionCol="__cluster", distanceMeasure="squaredEuclidean"
    )
    value = float(evaluator.evaluate(part))
    part.unpersist()
    return value, counted


def segment_in_spark(
    frame: Any,
    features: list[str],
    *,
    k: int,
    algorithm: SparkAlgorithm = "kmeans",
    seed: int = 0,
    log_features: list[str] | None = None,
    fit_fraction: float = 1.0,
    silhouette_sample: int = 20_000,
) -> SparkSegments:
    """Fit ``algorithm`` on the customers of ``frame`` (a Spark DataFrame with ``customer_id``
    and ``features``), score them all, and summarise (see the module)."""
    from pyspark.sql import functions as F

    if not 0.0 < fit_fraction <= 1.0:
        raise ValueError(f"fit_fraction must be in (0, 1], got {fit_fraction}")
    if k < 2:
        raise ValueError(f"k must be at least 2, got {k}")
    frame = frame.persist()  # the feature SQL runs once, not once per fit and pass
    prepared = prepared_vectors(frame, features, log_features or []).cache()
    rows = prepared.count()
    if rows < k:
        prepared.unpersist()
        frame.unpersist()
        raise ValueError(f"{rows} customer(s) cannot form {k} segments")
    model = fit_best(prepared, algorithm, k, seed, 1, fit_fraction)
    scored = model.transform(prepared).select("customer_id", "__features", "__cluster")
    silhouette, checked = _silhouette(scored, rows, silhouette_sample, seed)
    raw = frame.select("customer_id", *[F.col(c).cast("double").alias(c) for c in features])
    labelled = scored.select("customer_id", "__cluster").join(raw, "customer_id")
    summary = (
        labelled.groupBy("__cluster")
        .agg(F.count("*").alias("customers"), *[F.avg(c).alias(c) for c in features])
        .toPandas()
    )
    order_by = "monetary" if "monetary" in features else features[0]
    summary = summary.sort_values([order_by, "__cluster"]).reset_index(drop=True)
    renumber = {int(c): i for i, c in enumerate(summary["__cluster"])}
    mapping = F.create_map(*[x for c, i in renumber.items() for x in (F.lit(c), F.lit(i))])
    assignments = scored.select("customer_id", mapping[F.col("__cluster")].alias("segment"))
    profiles = summary.drop(columns="__cluster")
    profiles.index.name = "segment"
    profiles.insert(1, "share", profiles["customers"] / rows)
    assignments = assignments.localCheckpoint()  # computed now, before the caches go
    prepared.unpersist()
    frame.unpersist()
    return SparkSegments(assignments, profiles, silhouette, checked, algorithm, k)
