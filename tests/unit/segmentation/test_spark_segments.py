"""Segmentation in Spark MLlib against scikit-learn on planted clusters (one shared local Spark
session; marked spark + integration)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.preprocessing import StandardScaler

from tests.conftest import SPARK_MASTER

pytestmark = [pytest.mark.spark, pytest.mark.integration]


def _planted(n: int = 600, seed: int = 3) -> tuple[pd.DataFrame, np.ndarray]:
    """Three well-apart groups of customers: low, middle and high spenders."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 3, n)
    centres = np.array([[10.0, 1.0], [200.0, 5.0], [2000.0, 20.0]])
    values = centres[truth] * rng.normal(1.0, 0.05, (n, 2))
    frame = pd.DataFrame(
        {
            "customer_id": [f"c{i:04d}" for i in range(n)],
            "monetary": values[:, 0],
            "frequency": values[:, 1],
        }
    )
    # a middle customer without frequency: imputed by the median, a middle value
    frame.loc[int(np.flatnonzero(truth == 1)[0]), "frequency"] = np.nan
    return frame, truth


@pytest.mark.parametrize("algorithm", ["kmeans", "gaussian_mixture"])
def test_mllib_finds_the_planted_segments(algorithm: Any) -> None:
    from cible.segmentation.spark_segments import segment_in_spark
    from cible.warehouse.sparksession import spark_session

    spark = spark_session(SPARK_MASTER)
    frame, truth = _planted()
    result = segment_in_spark(
        spark.createDataFrame(frame),
        ["monetary", "frequency"],
        k=3,
        algorithm=algorithm,
        seed=7,
        log_features=["monetary", "frequency"],
        silhouette_sample=400,
    )
    got = result.assignments.toPandas().set_index("customer_id")["segment"]
    assert len(got) == 600
    assert adjusted_rand_score(truth, got.loc[frame["customer_id"]].to_numpy()) == pytest.approx(
        1.0
    )
    # segment 0 spends least, 2 most; sizes and means are the planted groups'
    sizes = np.bincount(truth)
    assert result.profiles["customers"].tolist() == sizes.tolist()
    assert result.profiles["share"].sum() == pytest.approx(1.0)
    assert result.profiles["monetary"].is_monotonic_increasing
    assert result.silhouette_rows <= 400
    assert 0.8 < result.silhouette <= 1.0


def test_silhouette_and_assignments_match_scikit_learn() -> None:
    from cible.segmentation.spark_segments import segment_in_spark
    from cible.warehouse.sparksession import spark_session

    spark = spark_session(SPARK_MASTER)
    frame, _ = _planted(300, seed=5)
    result = segment_in_spark(
        spark.createDataFrame(frame),
        ["monetary", "frequency"],
        k=3,
        seed=1,
        log_features=["monetary", "frequency"],
        silhouette_sample=10_000,  # all rows
    )
    x = np.log1p(frame[["monetary", "frequency"]].fillna(frame["frequency"].median()))
    z = StandardScaler().fit_transform(x)
    ours = result.assignments.toPandas().set_index("customer_id")["segment"]
    ours = ours.loc[frame["customer_id"]].to_numpy()
    theirs = KMeans(3, n_init=10, random_state=0).fit_predict(z)
    assert adjusted_rand_score(ours, theirs) == pytest.approx(1.0)
    # MLlib's silhouette (squared Euclidean) is scikit-learn's with metric="sqeuclidean";
    # StandardScaler differs only by n vs n-1 (a common factor): same silhouette
    assert result.silhouette_rows == 300
    assert result.silhouette == pytest.approx(
        silhouette_score(z, ours, metric="sqeuclidean"), rel=1e-6
    )


def test_arguments_are_checked() -> None:
    from cible.segmentation.spark_segments import segment_in_spark

    with pytest.raises(ValueError, match="k must be at least 2, got 1"):
        segment_in_spark(None, ["monetary"], k=1)
    with pytest.raises(ValueError, match=r"fit_fraction must be in \(0, 1\], got 0.0"):
        segment_in_spark(None, ["monetary"], k=2, fit_fraction=0.0)
