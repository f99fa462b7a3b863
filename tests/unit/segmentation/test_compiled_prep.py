"""The compiled preparation of live scoring: bit for bit the fitted one, or not used at all."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import QuantileTransformer

from cible.config import FEATURE_NAMES, FeaturePrep, SegmentationConfig
from cible.segmentation.compiled_prep import compile_preparation, probe
from cible.segmentation.science import prepare
from cible.segmentation.weighting import FeatureWeighter


def history(rows: int = 400, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data = pd.DataFrame(
        np.exp(rng.normal(1.0, 1.5, size=(rows, len(FEATURE_NAMES)))), columns=FEATURE_NAMES
    )
    data.loc[rng.random(rows) < 0.2, "recency_days"] = np.nan  # no order: missing recency
    data.loc[:10, "monetary"] = -5.0  # refunds above purchases
    return data


def fitted(preps: dict[str, FeaturePrep]) -> Pipeline:
    config = SegmentationConfig(features=list(FEATURE_NAMES), preprocessing=preps)
    return prepare(history(), config).preparation


def reference(preparation: Pipeline) -> object:
    return lambda data: np.asarray(preparation.transform(data), dtype=np.float64)


@pytest.mark.parametrize(
    "preps",
    [
        {},
        {"monetary": FeaturePrep(winsorize=(0.01, 0.99), scale="minmax")},
        {"frequency": FeaturePrep(scale="robust"), "avg_basket": FeaturePrep(scale="none")},
        {"tenure_days": FeaturePrep(log1p=False, winsorize=(0.0, 0.5))},
    ],
)
def test_the_compiled_preparation_equals_the_fitted_one_bit_for_bit(preps: dict) -> None:
    preparation = fitted(preps)
    fast = compile_preparation(preparation, FEATURE_NAMES, reference(preparation))
    assert fast is not None
    live = probe(FEATURE_NAMES, rows=1000).iloc[::-1]  # another order, another index
    expected = np.asarray(preparation.transform(live), dtype=np.float64)
    got = fast(live)
    assert got.shape == (1000, len(FEATURE_NAMES))
    assert got.tobytes() == expected.tobytes()  # not merely close: the same bits


def test_a_preparation_it_does_not_know_runs_as_fitted() -> None:
    data = history().fillna(0.0)
    quantile = Pipeline([("q", QuantileTransformer(n_quantiles=50)), ("w", FeatureWeighter())])
    quantile.fit(data)
    assert compile_preparation(quantile, FEATURE_NAMES, reference(quantile)) is None


def test_a_compiled_preparation_that_differs_is_refused() -> None:
    preparation = fitted({})

    def shifted(data: pd.DataFrame) -> np.ndarray:
        out = np.asarray(preparation.transform(data), dtype=np.float64)
        out[3, 0] = np.nextafter(out[3, 0], np.inf)  # one value one ulp away
        return out

    assert compile_preparation(preparation, FEATURE_NAMES, shifted) is None


def test_the_probe_holds_missing_negative_zero_and_huge_values() -> None:
    values = probe(["a", "b"]).to_numpy()
    assert np.isnan(values).any() and (values < 0).any() and (values == 0).any()
    assert np.nanmax(values) >= 1e12 and values.shape == (257, 2)
