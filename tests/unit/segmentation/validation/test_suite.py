"""validate(): every check bundled, JSON-ready, inputs untouched."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from numpy.typing import NDArray
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs

from cible.config import ValidationConfig
from cible.exceptions import SegmentationError
from cible.segmentation.validation import ValidationResult, validate


def _data() -> tuple[NDArray[np.float64], NDArray[np.int64], pd.DataFrame]:
    X, y = make_blobs(n_samples=240, centers=3, n_features=2, cluster_std=0.5, random_state=4)
    labels = y.astype(np.int64)
    labels[:6] = -1
    rng = np.random.default_rng(0)
    features = pd.DataFrame(
        {
            "spend": 100.0 * (labels + 2) + rng.normal(size=240),
            "noise": rng.normal(size=240),
            "channel": rng.choice(["web", "shop"], size=240),
        }
    )
    return X, labels, features


def _fit_predict(Z: NDArray[np.float64]) -> NDArray[np.int64]:
    return KMeans(n_clusters=3, n_init=2, random_state=0).fit_predict(Z)


def test_validate_runs_every_check() -> None:
    X, labels, features = _data()
    country = pd.Series(np.where(labels == 0, "FR", "DE"), name="ignored")
    X0, l0, f0 = X.copy(), labels.copy(), features.copy()
    config = ValidationConfig(bootstrap=5, representativeness=["channel"])
    result = validate(X, labels, features, _fit_predict, config, categories={"country": country})
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(labels, l0)
    pd.testing.assert_frame_equal(features, f0)

    assert isinstance(result, ValidationResult)
    assert result.n_rows == 240 and result.n_noise == 6
    assert result.noise_share == pytest.approx(0.025)
    assert sum(result.sizes.values()) == 234
    assert result.silhouette.overall > 0.7
    assert result.stability is not None and result.stability.n_boot == 5
    # the 6 noise rows join refit clusters, enlarging them: Jaccards a little below 1
    assert min(result.stability.mean_jaccard.values()) > 0.9
    assert result.stability.mean_ari == 1.0
    assert list(result.anova.table["feature"]) == ["spend", "noise"]
    assert result.anova.table.loc[0, "eta_squared"] > 0.99
    assert result.kruskal.table.loc[0, "epsilon_squared"] > 0.8
    assert set(result.composition) == {"country", "channel"}
    assert result.composition["country"].cramers_v > 0.99
    assert result.warnings == ()

    data = result.to_dict()
    text = json.dumps(data, allow_nan=False)
    assert json.loads(text)["stability"]["n_boot"] == 5
    assert data["composition"]["country"]["column"] == "country"
    assert data["sizes"][0] == {"segment": 0, "size": result.sizes[0]}


def test_no_bootstrap_and_warnings_reported() -> None:
    X, labels, features = _data()
    result = validate(X, labels, features, None, ValidationConfig(bootstrap=0))
    assert result.stability is None
    assert result.to_dict()["stability"] is None
    assert result.composition == {}
    # 240 customers for 2 features is enough; nothing else is wrong
    assert result.warnings == ()
    few = validate(X[:60], labels[:60], features.iloc[:60], None, ValidationConfig(bootstrap=0))
    assert few.warnings == (
        "few customers for 2 features: 60 (at least 70 per feature = 140 recommended)",
    )


def test_unknown_representativeness_column() -> None:
    X, labels, features = _data()
    config = ValidationConfig(bootstrap=0, representativeness=["region"])
    with pytest.raises(SegmentationError, match="representativeness column 'region'"):
        validate(X, labels, features, None, config)
    with pytest.raises(ValueError, match="features has 10 rows but labels has 240"):
        validate(X, labels, features.iloc[:10], None, config)
