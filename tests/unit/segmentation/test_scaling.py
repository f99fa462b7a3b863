"""FeatureTransformer: log1p then z-scores, golden numbers, and clear errors."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from cible.segmentation.scaling import FeatureTransformer

E = math.e


def _frame() -> pd.DataFrame:
    # log1p(clip(a, 0)) = [0, 1, 2]  (the -5 is clipped to 0);  b is kept as is: [1, 1, 4]
    return pd.DataFrame({"a": [-5.0, E - 1, E**2 - 1], "b": [1.0, 1.0, 4.0]})


def test_log1p_then_zscore_golden_numbers() -> None:
    out = FeatureTransformer(log_features=["a"]).fit_transform(_frame())
    # z-scores, population std: [0,1,2] -> mean 1, std sqrt(2/3); [1,1,4] -> mean 2, std sqrt(2)
    expected = np.array(
        [
            [-1 / math.sqrt(2 / 3), -1 / math.sqrt(2)],
            [0.0, -1 / math.sqrt(2)],
            [1 / math.sqrt(2 / 3), 2 / math.sqrt(2)],
        ]
    )
    assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


def test_no_log_features_is_plain_standardisation() -> None:
    out = FeatureTransformer().fit_transform(pd.DataFrame({"b": [1.0, 1.0, 4.0]}))
    assert_allclose(out[:, 0], [-1 / math.sqrt(2), -1 / math.sqrt(2), math.sqrt(2)], rtol=1e-12)


def test_fitted_attributes_and_feature_names() -> None:
    tr = FeatureTransformer(log_features=["a"]).fit(_frame())
    assert list(tr.feature_names_in_) == ["a", "b"]
    assert tr.n_features_in_ == 2
    assert tr.log_features_ == ["a"]
    assert list(tr.get_feature_names_out()) == ["a", "b"]
    assert_allclose(tr.scaler_.mean_, [1.0, 2.0])


def test_transform_reorders_columns_and_keeps_input() -> None:
    frame = _frame()
    before = frame.copy()
    tr = FeatureTransformer(log_features=["a"]).fit(frame)
    assert_allclose(tr.transform(frame[["b", "a"]]), tr.transform(frame))
    pd.testing.assert_frame_equal(frame, before)


def test_wrong_columns_are_refused() -> None:
    tr = FeatureTransformer(log_features=["a"]).fit(_frame())
    with pytest.raises(ValueError, match=r"missing: \['b'\], unexpected: \['c'\]"):
        tr.transform(pd.DataFrame({"a": [1.0], "c": [2.0]}))


def test_nan_is_refused_with_column_and_count() -> None:
    frame = _frame()
    frame.loc[[0, 2], "b"] = np.nan
    with pytest.raises(ValueError, match=r"column 'b' has 2 missing or infinite value\(s\)"):
        FeatureTransformer().fit(frame)
    tr = FeatureTransformer().fit(_frame())
    with pytest.raises(ValueError, match=r"column 'b' has 2 missing"):
        tr.transform(frame)


def test_unknown_log_feature_and_non_frame_are_refused() -> None:
    with pytest.raises(ValueError, match=r"log_features \['zz'\] are not columns"):
        FeatureTransformer(log_features=["zz"]).fit(_frame())
    with pytest.raises(TypeError, match="expects a pandas DataFrame"):
        FeatureTransformer().fit(np.ones((3, 2)))  # type: ignore[arg-type]


def test_estimator_conventions() -> None:
    tr = FeatureTransformer(log_features=["a"])
    assert tr.get_params() == {"log_features": ["a"]}
    assert clone(tr).get_params() == {"log_features": ["a"]}
    with pytest.raises(NotFittedError):
        tr.transform(_frame())
    assert tr.fit(_frame()) is tr
