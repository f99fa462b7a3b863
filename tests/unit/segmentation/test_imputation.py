"""Imputers: planted missing values recovered, observed values kept, and the missing-value report."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose
from sklearn.exceptions import NotFittedError
from sklearn.experimental import enable_iterative_imputer  # noqa: F401  (IterativeImputer)
from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer
from sklearn.linear_model import BayesianRidge
from sklearn.utils.estimator_checks import check_estimator

from cible.segmentation.imputation import (
    MultivariateImputer,
    ScaledKNNImputer,
    make_imputer,
    missing_report,
)


def _correlated(n: int = 40, seed: int = 0) -> pd.DataFrame:
    """x on a grid, y = 2x + 1 exactly, spend = 1000 x + small noise (a column in euros)."""
    rng = np.random.default_rng(seed)
    x = np.arange(n, dtype=np.float64)
    return pd.DataFrame({"x": x, "y": 2 * x + 1, "spend": 1000 * x + rng.normal(0, 50, n)})


def test_make_imputer_kinds() -> None:
    median = make_imputer("median")
    assert isinstance(median, SimpleImputer)
    assert (median.strategy, median.keep_empty_features) == ("median", True)
    assert make_imputer("most_frequent").strategy == "most_frequent"  # type: ignore[attr-defined]
    knn = make_imputer("knn", n_neighbors=3)
    assert isinstance(knn, ScaledKNNImputer)
    assert knn.n_neighbors == 3
    iterative = make_imputer("iterative", random_state=7).named_steps["iterative"]  # type: ignore[attr-defined]
    assert isinstance(iterative, IterativeImputer)
    assert isinstance(iterative.estimator, BayesianRidge)
    assert iterative.random_state == 7
    with pytest.raises(ValueError, match=r"unknown imputer 'mean'; allowed: \['none', 'median'"):
        make_imputer("mean")  # type: ignore[arg-type]


def test_median_most_frequent_and_none_golden() -> None:
    X = np.array([[1.0, 5.0], [np.nan, 5.0], [4.0, np.nan], [10.0, 7.0]])
    assert_allclose(make_imputer("median").fit_transform(X), [[1, 5], [4, 5], [4, 5], [10, 7]])
    assert_allclose(
        make_imputer("most_frequent").fit_transform(X), [[1, 5], [1, 5], [4, 5], [10, 7]]
    )
    assert_allclose(make_imputer("none").fit_transform(X), X)


def test_knn_recovers_a_planted_value_on_a_correlated_frame() -> None:
    frame = _correlated()
    truth = frame.loc[20, "y"]  # 41
    frame.loc[20, "y"] = np.nan
    out = make_imputer("knn", n_neighbors=4).fit_transform(frame)
    # neighbours in z-score space are x = 18, 19, 21, 22 -> mean y = 41 (exact up to the noise
    # in spend, which could only swap x = 18 and 22, both giving the same mean); tolerance 0.5.
    assert out[20, 1] == pytest.approx(truth, abs=0.5)
    assert_allclose(np.delete(out, 20, axis=0), np.delete(_correlated().to_numpy(), 20, axis=0))


def test_knn_distance_is_computed_on_z_scores() -> None:
    frame = _correlated()
    frame.loc[[3, 20], "y"] = np.nan
    values = frame.to_numpy()
    mean, std = np.nanmean(values, axis=0), np.nanstd(values, axis=0)
    by_hand = KNNImputer(n_neighbors=3).fit_transform((values - mean) / std) * std + mean
    scaled = ScaledKNNImputer(n_neighbors=3).fit(frame)
    assert_allclose(scaled.mean_, mean, rtol=1e-12)
    assert_allclose(scaled.scale_, std, rtol=1e-12)
    assert_allclose(scaled.transform(frame), by_hand, rtol=1e-12)


def test_scaled_knn_constant_and_empty_columns_do_not_divide_by_zero() -> None:
    X = np.array([[1.0, 3.0, np.nan], [2.0, 3.0, np.nan], [np.nan, 3.0, np.nan]])
    imp = ScaledKNNImputer(n_neighbors=2).fit(X)
    assert_allclose(imp.scale_, [0.5, 1.0, 1.0])
    assert_allclose(imp.transform(X), [[1.0, 3.0, 0.0], [2.0, 3.0, 0.0], [1.5, 3.0, 0.0]])


def test_iterative_recovers_a_linear_relation() -> None:
    frame = _correlated()[["x", "y"]]
    frame.loc[[7, 33], "y"] = np.nan
    before = frame.copy()
    out = make_imputer("iterative").fit_transform(frame)
    # y = 2x + 1 exactly on the observed rows; BayesianRidge recovers it to within 0.01
    assert_allclose(out[[7, 33], 1], [15.0, 67.0], atol=0.01)
    pd.testing.assert_frame_equal(frame, before)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.SkipTestWarning")
def test_scaled_knn_passes_scikit_learn_checks() -> None:
    results = check_estimator(ScaledKNNImputer(), on_fail=None)
    failed = {r["check_name"]: str(r["exception"]) for r in results if r["status"] == "failed"}
    assert failed == {}
    assert {r["check_name"] for r in results if r["status"] == "skipped"} <= {
        "check_array_api_input"
    }


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # random data
@settings(max_examples=30, deadline=None)
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(3, 12), st.integers(1, 4)),
        elements=st.one_of(st.floats(-1e3, 1e3), st.just(np.nan)),
    ),
    st.sampled_from(["median", "most_frequent", "knn", "iterative"]),
)
def test_property_observed_values_are_kept_and_nothing_is_left_missing(
    X: np.ndarray, kind: str
) -> None:
    original = X.copy()
    out = make_imputer(kind).fit_transform(X)  # type: ignore[arg-type]
    observed = ~np.isnan(original)
    assert out.shape == X.shape
    assert_allclose(out[observed], original[observed], rtol=1e-9, atol=1e-9)
    assert not np.isnan(out).any()
    assert_allclose(X, original)  # input untouched (NaN == NaN for assert_allclose)


# --- MultivariateImputer ------------------------------------------------------------------------


def test_multivariate_imputer_fills_only_its_columns() -> None:
    frame = _correlated(20)
    frame["channel"] = ["web", "shop"] * 10
    frame.loc[5, "y"] = np.nan
    frame.loc[8, "spend"] = np.nan
    before = frame.copy()
    imp = MultivariateImputer(columns=["y"], kind="iterative").fit(frame)
    out = imp.transform(frame)
    assert imp.context_ == ["x", "y", "spend"]
    # spend's noise (sd 50, i.e. 0.05 in units of x) blurs the relation a little: tolerance 0.1
    assert out.loc[5, "y"] == pytest.approx(11.0, abs=0.1)
    assert np.isnan(out.loc[8, "spend"])  # left for its own imputer
    assert list(out.columns) == list(frame.columns)
    assert list(imp.get_feature_names_out()) == list(frame.columns)
    pd.testing.assert_frame_equal(frame, before)


def test_multivariate_imputer_context_is_restricted() -> None:
    frame = _correlated(20)
    frame["customer_id"] = np.arange(20.0) * 7919
    frame.loc[5, "y"] = np.nan
    imp = MultivariateImputer(columns=["y"], kind="knn", context=["x"], n_neighbors=4).fit(frame)
    assert imp.context_ == ["x", "y"]
    # neighbours x = 3, 4, 6, 7 (customer_id, on a far larger scale, is not looked at)
    assert imp.transform(frame).loc[5, "y"] == pytest.approx(11.0)


def test_multivariate_imputer_refusals() -> None:
    frame = pd.DataFrame({"x": [1.0, 2.0], "c": ["a", "b"]})
    with pytest.raises(ValueError, match=r"columns \['c'\] are not numeric"):
        MultivariateImputer(columns=["c"]).fit(frame)
    with pytest.raises(ValueError, match=r"columns \['z'\] are not in the frame"):
        MultivariateImputer(columns=["z"]).fit(frame)
    with pytest.raises(ValueError, match="kind must be one of"):
        MultivariateImputer(columns=["x"], kind="median").fit(frame)  # type: ignore[arg-type]
    # an array's columns are named by position: a name is not one of them
    with pytest.raises(ValueError, match=r"columns \['x'\] are not in the frame \['0', '1'\]"):
        MultivariateImputer(columns=["x"]).fit(np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"0 sample\(s\)"):
        MultivariateImputer(columns=["x"]).fit(frame.iloc[:0])
    with pytest.raises(NotFittedError):
        MultivariateImputer(columns=["x"]).transform(frame)
    imp = MultivariateImputer(columns=["x"]).fit(frame)
    with pytest.raises(ValueError, match=r"differ from those seen in fit \(missing: \['c'\]"):
        imp.transform(frame[["x"]])
    reordered = imp.transform(frame[["c", "x"]])
    assert list(reordered.columns) == ["x", "c"]


def test_multivariate_imputer_on_an_array_fills_by_position() -> None:
    values = _correlated(20).to_numpy(copy=True)
    values[5, 1] = np.nan  # y
    values[8, 2] = np.nan  # spend
    imp = MultivariateImputer(columns=[1], kind="knn", context=[0], n_neighbors=4).fit(values)
    assert imp.context_ == ["0", "1"] and imp.columns_ == ["1"]
    assert not hasattr(imp, "feature_names_in_") and imp.n_features_in_ == 3
    out = imp.transform(values)
    assert isinstance(out, np.ndarray)
    assert out[5, 1] == pytest.approx(11.0)  # neighbours x = 3, 4, 6, 7
    assert np.isnan(out[8, 2])  # not one of its columns
    assert list(imp.get_feature_names_out()) == ["x0", "x1", "x2"]
    with pytest.raises(
        ValueError, match="X has 2 features, but MultivariateImputer is expecting 3"
    ):
        imp.transform(values[:, :2])


def test_multivariate_imputer_without_columns_fills_its_whole_context() -> None:
    frame = _correlated(20)
    frame["channel"] = ["web", "shop"] * 10
    frame.loc[5, "y"] = np.nan
    frame.loc[8, "spend"] = np.nan
    imp = MultivariateImputer(kind="knn", context=["x", "spend"], n_neighbors=2).fit(frame)
    assert imp.columns_ == ["x", "spend"] == imp.context_
    out = imp.transform(frame)
    assert np.isnan(out.loc[5, "y"])  # y is outside the context
    assert out.loc[8, "spend"] == pytest.approx(
        0.5 * (frame.loc[7, "spend"] + frame.loc[9, "spend"])
    )
    with pytest.raises(ValueError, match="infinity"):
        imp.transform(frame.assign(x=np.inf))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.SkipTestWarning")
def test_multivariate_imputer_passes_scikit_learn_checks() -> None:
    results = check_estimator(MultivariateImputer(), on_fail=None)
    failed = {r["check_name"]: str(r["exception"]) for r in results if r["status"] == "failed"}
    assert failed == {}
    assert {r["check_name"] for r in results if r["status"] == "skipped"} == {
        "check_array_api_input"
    }
    assert sum(r["status"] == "passed" for r in results) == 45


# --- missing_report -----------------------------------------------------------------------------


def test_missing_report_golden() -> None:
    frame = pd.DataFrame(
        {"a": [1.0, np.nan, 3.0, np.nan], "b": ["x", None, "y", "z"], "c": [1, 2, 3, 4]}
    )
    before = frame.copy()
    report = missing_report(frame, imputed_columns=["a"])
    assert list(report.index) == ["a", "b", "c"]
    assert report.index.name == "column"
    assert report["n_missing"].tolist() == [2, 1, 0]
    assert_allclose(report["missing_rate"], [0.5, 0.25, 0.0])
    assert report["imputed"].tolist() == [True, False, False]
    assert_allclose(report["imputed_share"], [0.5, 0.0, 0.0])
    pd.testing.assert_frame_equal(frame, before)


def test_missing_report_defaults_to_every_column_imputed_and_handles_empty_frames() -> None:
    report = missing_report(pd.DataFrame({"a": [np.nan, 1.0], "b": [1.0, 2.0]}))
    assert report["imputed"].tolist() == [True, True]
    assert_allclose(report["imputed_share"], [0.5, 0.0])
    empty = missing_report(pd.DataFrame({"a": pd.Series([], dtype=float)}))
    assert empty["n_missing"].tolist() == [0]
    assert empty["missing_rate"].tolist() == [0.0]
    with pytest.raises(ValueError, match=r"imputed_columns \['z'\] are not columns"):
        missing_report(pd.DataFrame({"a": [1.0]}), imputed_columns=["z"])
