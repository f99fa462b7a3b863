"""Automatic selection on public reference data sets with known structure."""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score
from sklearn.preprocessing import StandardScaler

from cible.config import MapsConfig, SegmentationConfig
from cible.segmentation.science import run_science
from tests.conftest import shared_dataset

pytestmark = pytest.mark.integration
MALL_FEATURES = ["Annual Income (k$)", "Spending Score (1-100)"]
SPEND = ["Fresh", "Milk", "Grocery", "Frozen", "Detergents_Paper", "Delicassen"]


def test_mall_customers_five_groups_on_income_and_spending() -> None:
    mall = pd.read_csv(
        shared_dataset("mall_customers", "Mall_Customers.csv"), dtype={"CustomerID": str}
    )
    config = SegmentationConfig(
        features=MALL_FEATURES, log_features=[], k_min=2, k_max=10, maps=MapsConfig(tsne=False)
    )
    result = run_science(mall, config)
    assert result.selection.chosen.n_segments == 5
    assert result.selection.chosen.candidate.name == "kmeans(n_clusters=5)"
    # the five well-known groups: the textbook k-means with k = 5 on the standardised pair
    textbook = KMeans(5, n_init=10, random_state=0).fit_predict(
        StandardScaler().fit_transform(mall[MALL_FEATURES])
    )
    assert adjusted_rand_score(textbook, result.selection.labels) == pytest.approx(1.0)
    assert result.selection.chosen.silhouette == pytest.approx(0.555, abs=0.01)


def test_wholesale_customers_against_channel() -> None:
    path = shared_dataset("wholesale_customers", "Wholesale customers data.csv")
    # this copy has latin-1 notes in 4 trailing columns (see its SOURCE.txt)
    data = pd.read_csv(path, encoding="latin-1", usecols=range(8))
    config = SegmentationConfig(features=SPEND, k_min=2, k_max=8, maps=MapsConfig(tsne=False))
    result = run_science(data, config)
    ari = adjusted_rand_score(data["Channel"], result.selection.labels)
    print(
        f"Wholesale customers: {result.selection.chosen.candidate.name}, ARI vs Channel {ari:.3f}"
    )
    assert result.selection.chosen.candidate.name == "kmeans(n_clusters=2)"
    assert ari == pytest.approx(0.514, abs=0.01)  # Horeca vs Retail, unsupervised on log spend
    assert result.validation.stability is not None
    assert result.validation.stability.mean_ari == pytest.approx(0.889, abs=0.03)
