"""Winsorizer, Log1pTransformer and build_preprocessor: golden numbers, names, refusals."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import check_estimator

from cible.config import FEATURE_NAMES, FeaturePrep, SegmentationConfig
from cible.exceptions import ConfigError
from cible.segmentation.imputation import MultivariateImputer, missing_report
from cible.segmentation.transformers import (
    Log1pTransformer,
    Winsorizer,
    build_preprocessor,
    imputation_methods,
    resolve_preps,
)

E = math.e


def _features(n: int = 60, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {f: rng.lognormal(mean=2.0, sigma=1.0, size=n) for f in FEATURE_NAMES},
        index=pd.RangeIndex(100, 100 + n),
    )
    frame["refund_rate"] = rng.uniform(0.0, 0.3, size=n)
    frame["frequency"] = rng.integers(1, 30, size=n)
    frame.loc[100, "monetary"] = -25.0  # net refunds: clipped to 0 before the log
    return frame


def _zscore(values: list[float]) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    return (v - v.mean()) / v.std()


# --- Winsorizer -------------------------------------------------------------------------------


def test_winsorizer_learns_quantiles_and_clips() -> None:
    train = pd.DataFrame({"a": np.arange(101.0), "b": np.arange(101.0) * 10})
    w = Winsorizer(lower=0.01, upper=0.99).fit(train)
    assert_allclose(w.lower_bounds_, [1.0, 10.0])
    assert_allclose(w.upper_bounds_, [99.0, 990.0])
    out = w.transform(pd.DataFrame({"a": [-5.0, 50.0, 200.0], "b": [0.0, 500.0, 1e6]}))
    assert_allclose(out, [[1.0, 10.0], [50.0, 500.0], [99.0, 990.0]])
    assert list(w.get_feature_names_out()) == ["a", "b"]


def test_winsorizer_interpolates_and_keeps_missing_values() -> None:
    w = Winsorizer(lower=0.25, upper=0.75).fit(np.array([[1.0], [2.0], [3.0], [np.nan], [5.0]]))
    # nanquantile of [1, 2, 3, 5]: 25% -> 1.75, 75% -> 3.5
    assert_allclose(w.lower_bounds_, [1.75])
    assert_allclose(w.upper_bounds_, [3.5])
    assert_allclose(w.transform(np.array([[0.0], [np.nan], [9.0]])), [[1.75], [np.nan], [3.5]])


def test_winsorizer_refuses_bad_quantiles_other_columns_and_unfitted() -> None:
    with pytest.raises(ValueError, match=r"0 <= lower < upper <= 1, got lower=0.9, upper=0.1"):
        Winsorizer(lower=0.9, upper=0.1).fit(np.zeros((3, 1)))
    with pytest.raises(ValueError, match="at least one observed value"):
        Winsorizer().fit(np.array([[np.nan], [np.nan]]))
    w = Winsorizer().fit(pd.DataFrame({"a": [1.0, 2.0]}))
    with pytest.raises(ValueError, match="feature names should match"):
        w.transform(pd.DataFrame({"b": [1.0]}))
    with pytest.raises(NotFittedError):
        Winsorizer().transform(np.zeros((1, 1)))


def test_winsorizer_does_not_mutate_its_input() -> None:
    frame = pd.DataFrame({"a": [-100.0, 1.0, 2.0, 100.0]})
    before = frame.copy()
    Winsorizer(0.25, 0.75).fit_transform(frame)
    pd.testing.assert_frame_equal(frame, before)


# --- Log1pTransformer -------------------------------------------------------------------------


def test_log1p_clips_negative_amounts_at_zero() -> None:
    frame = pd.DataFrame({"monetary": [-3.0, 0.0, E - 1, np.nan]})
    before = frame.copy()
    out = Log1pTransformer().fit_transform(frame)
    assert_allclose(out[:, 0], [0.0, 0.0, 1.0, np.nan], rtol=1e-12)
    pd.testing.assert_frame_equal(frame, before)


def test_log1p_names_and_column_check() -> None:
    t = Log1pTransformer().fit(pd.DataFrame({"a": [1.0], "b": [2.0]}))
    assert list(t.get_feature_names_out()) == ["a", "b"]
    with pytest.raises(ValueError, match="feature names should match"):
        t.transform(pd.DataFrame({"b": [1.0], "a": [2.0]}))


# check_array_api_input is skipped by scikit-learn itself unless SCIPY_ARRAY_API=1 is set before
# scipy is imported; these transformers do not claim array-API support.
SKIPPED_BY_SKLEARN = {"check_array_api_input"}


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.SkipTestWarning")
@pytest.mark.parametrize("estimator", [Winsorizer(), Log1pTransformer()], ids=type)
def test_scikit_learn_estimator_checks(estimator: object) -> None:
    results = check_estimator(estimator, on_fail=None)
    failed = {r["check_name"]: str(r["exception"]) for r in results if r["status"] == "failed"}
    skipped = {r["check_name"] for r in results if r["status"] == "skipped"}
    assert failed == {}
    assert skipped <= SKIPPED_BY_SKLEARN
    assert len(results) > 40


# --- build_preprocessor -----------------------------------------------------------------------


def test_default_config_reproduces_feature_transformer() -> None:
    frame = _features()
    config = SegmentationConfig()
    pre = build_preprocessor(config, frame)
    out = pre.fit_transform(frame)
    logged = set(config.log_transformed())
    reference = frame[config.features].astype(np.float64)
    for col in reference.columns:
        if col in logged:
            reference[col] = np.log1p(reference[col].clip(lower=0.0))
    expected = (reference - reference.mean()) / reference.std(ddof=0)
    assert out.dtype == np.float64
    assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    assert list(pre.get_feature_names_out()) == list(FEATURE_NAMES)
    assert [name for name, _ in pre.steps] == ["prepare"]


def test_log_features_and_explicit_log1p() -> None:
    frame = pd.DataFrame({"monetary": [-5.0, E - 1, E**2 - 1], "frequency": [0.0, E - 1, 2.0]})
    config = SegmentationConfig(
        features=["monetary", "frequency"],
        log_features=["monetary", "frequency"],
        preprocessing={"frequency": FeaturePrep(log1p=False)},
    )
    out = build_preprocessor(config, frame).fit_transform(frame)
    assert_allclose(out[:, 0], _zscore([0.0, 1.0, 2.0]), rtol=1e-12)
    assert_allclose(out[:, 1], _zscore([0.0, E - 1, 2.0]), rtol=1e-12)


def test_median_imputation_then_zscore() -> None:
    frame = pd.DataFrame({"frequency": [1.0, 2.0, np.nan, 3.0], "monetary": [4.0, 4.0, 4.0, 8.0]})
    config = SegmentationConfig(features=["frequency", "monetary"], log_features=[])
    out = build_preprocessor(config, frame).fit_transform(frame)
    assert_allclose(out[:, 0], _zscore([1.0, 2.0, 2.0, 3.0]), rtol=1e-12)
    assert_allclose(out[:, 1], _zscore([4.0, 4.0, 4.0, 8.0]), rtol=1e-12)


def test_winsorize_then_minmax_and_robust_scaling() -> None:
    frame = pd.DataFrame(
        {"monetary": np.arange(101.0), "frequency": [1.0, 2.0, 3.0, 4.0, 100.0] * 20 + [3.0]}
    )
    config = SegmentationConfig(
        features=["monetary", "frequency"],
        log_features=[],
        preprocessing={
            "monetary": FeaturePrep(winsorize=(0.1, 0.9), scale="minmax"),
            "frequency": FeaturePrep(scale="robust"),
        },
    )
    out = build_preprocessor(config, frame).fit_transform(frame)
    # monetary clipped to [10, 90] then mapped to [0, 1]
    assert_allclose(out[[0, 10, 50, 90, 100], 0], [0.0, 0.0, 0.5, 1.0, 1.0], atol=1e-12)
    # frequency: median 3, IQR 4 - 2 = 2
    assert_allclose(out[:5, 1], [-1.0, -0.5, 0.0, 0.5, 48.5], rtol=1e-12)


def test_no_step_at_all_is_passthrough() -> None:
    frame = pd.DataFrame({"monetary": [1.0, np.nan, 3.0]})
    config = SegmentationConfig(
        features=["monetary"],
        preprocessing={"monetary": FeaturePrep(impute="none", log1p=False, scale="none")},
    )
    pre = build_preprocessor(config, frame)
    assert pre.named_steps["prepare"].transformers[0][1] == "passthrough"
    assert_allclose(pre.fit_transform(frame)[:, 0], [1.0, np.nan, 3.0])


def test_string_column_is_one_hot_encoded_with_readable_names() -> None:
    frame = pd.DataFrame(
        {
            "monetary": [10.0, 20.0, 30.0, 40.0],
            "tenure_days": pd.Series(["web", "shop", None, "web"], dtype="str"),
        }
    )
    config = SegmentationConfig(features=["monetary", "tenure_days"], log_features=[])
    pre = build_preprocessor(config, frame)
    out = pre.fit_transform(frame)
    assert list(pre.get_feature_names_out()) == ["monetary", "tenure_days_shop", "tenure_days_web"]
    # the missing channel takes the most frequent value, "web"
    assert_allclose(out[:, 1:], [[0.0, 1.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    unseen = pre.transform(pd.DataFrame({"monetary": [10.0], "tenure_days": ["app"]}))
    assert_allclose(unseen[0, 1:], [0.0, 0.0])


@pytest.mark.parametrize("dtype", ["object", "category", "str"])
def test_categorical_by_dtype(dtype: str) -> None:
    frame = pd.DataFrame({"tenure_days": pd.Series(["a", "b", "a"], dtype=dtype)})
    prep = resolve_preps(SegmentationConfig(features=["tenure_days"]), frame)["tenure_days"]
    assert (prep.kind, prep.impute, prep.encode, prep.scale) == (
        "categorical",
        "most_frequent",
        "onehot",
        "none",
    )


def test_ordinal_encoding_and_unknown_values() -> None:
    frame = pd.DataFrame({"tenure_days": ["b", "a", "c", "a"]})
    config = SegmentationConfig(
        features=["tenure_days"],
        preprocessing={"tenure_days": FeaturePrep(kind="categorical", encode="ordinal")},
    )
    pre = build_preprocessor(config, frame)
    assert_allclose(pre.fit_transform(frame)[:, 0], [1.0, 0.0, 2.0, 0.0])
    assert_allclose(pre.transform(pd.DataFrame({"tenure_days": ["z"]}))[:, 0], [-1.0])
    assert list(pre.get_feature_names_out()) == ["tenure_days"]


def test_declared_categorical_numeric_codes() -> None:
    frame = pd.DataFrame({"tenure_days": [1, 2, 2, 1]})
    config = SegmentationConfig(
        features=["tenure_days"],
        preprocessing={"tenure_days": FeaturePrep(kind="categorical")},
    )
    pre = build_preprocessor(config, frame)
    assert_allclose(pre.fit_transform(frame), [[1, 0], [0, 1], [0, 1], [1, 0]])
    assert list(pre.get_feature_names_out()) == ["tenure_days_1", "tenure_days_2"]


@pytest.mark.parametrize(
    ("prep", "column", "message"),
    [
        (
            FeaturePrep(kind="categorical", impute="knn"),
            ["a"],
            "impute must be most_frequent or none, got knn",
        ),
        (
            FeaturePrep(winsorize=(0.1, 0.9)),
            ["a"],
            r"categorical: \['winsorize'\] apply to numeric",
        ),
        (FeaturePrep(log1p=True), ["a"], r"\['log1p'\] apply to numeric"),
        (FeaturePrep(kind="numeric"), ["a"], "declared numeric but its column has dtype"),
        (FeaturePrep(encode="ordinal"), [1.0], "is numeric: 'encode' does not apply"),
    ],
)
def test_options_that_do_not_fit_the_kind_are_refused(
    prep: FeaturePrep, column: list[object], message: str
) -> None:
    frame = pd.DataFrame({"tenure_days": column})
    config = SegmentationConfig(features=["tenure_days"], preprocessing={"tenure_days": prep})
    with pytest.raises(ConfigError, match=message):
        build_preprocessor(config, frame)


def test_feature_missing_from_the_frame_is_refused() -> None:
    with pytest.raises(ValueError, match=r"features \['monetary'\] are not columns"):
        build_preprocessor(
            SegmentationConfig(features=["frequency", "monetary"]),
            pd.DataFrame({"frequency": [1.0]}),
        )


def test_knn_and_iterative_run_first_on_the_numeric_features_only() -> None:
    frame = _features(40)
    frame["customer_id"] = np.arange(40) * 1000  # numeric but not a feature: not in the context
    frame.loc[103, "monetary"] = np.nan
    frame.loc[104, "frequency"] = np.nan
    frame.loc[105, "recency_days"] = np.nan  # median
    config = SegmentationConfig(
        preprocessing={
            "monetary": FeaturePrep(impute="knn"),
            "frequency": FeaturePrep(impute="iterative"),
        },
        random_state=3,
    )
    pre = build_preprocessor(config, frame)
    assert [name for name, _ in pre.steps] == ["impute_knn", "impute_iterative", "prepare"]
    knn = pre.named_steps["impute_knn"]
    assert isinstance(knn, MultivariateImputer)
    assert (knn.columns, knn.kind, knn.random_state) == (["monetary"], "knn", 3)
    out = pre.fit_transform(frame)
    assert knn.context_ == list(FEATURE_NAMES)
    assert out.shape == (40, 9)
    assert not np.isnan(out).any()
    assert "impute" not in pre.named_steps["prepare"].named_transformers_["monetary"].named_steps


def test_pandas_output_keeps_index_and_names_and_input_is_untouched() -> None:
    frame = _features(20)
    frame.loc[101, "avg_basket"] = np.nan
    before = frame.copy()
    pre = build_preprocessor(SegmentationConfig(), frame).set_output(transform="pandas")
    out = pre.fit_transform(frame)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(FEATURE_NAMES)
    assert list(out.index) == list(frame.index)
    assert out.dtypes.unique().tolist() == [np.dtype("float64")]
    pd.testing.assert_frame_equal(frame, before)


def test_preprocessor_is_clonable_takes_any_column_order_and_refuses_missing_columns() -> None:
    frame = _features(20)
    pre = clone(build_preprocessor(SegmentationConfig(), frame))
    assert isinstance(pre, Pipeline)
    pre.fit(frame)
    assert_allclose(pre.transform(frame[frame.columns[::-1]]), pre.transform(frame))
    with pytest.raises(ValueError, match="monetary"):
        pre.transform(frame.drop(columns=["monetary"]))


def test_imputation_methods_are_read_from_the_fitted_preprocessor() -> None:
    frame = _features(30)
    frame["channel"] = ["web", "store", None] * 10
    frame.loc[103, "monetary"] = np.nan
    frame.loc[104, "frequency"] = np.nan
    config = SegmentationConfig(
        features=["monetary", "frequency", "recency_days", "tenure_days", "channel"],
        preprocessing={
            "monetary": FeaturePrep(impute="knn"),
            "frequency": FeaturePrep(impute="iterative"),
            "tenure_days": FeaturePrep(impute="none"),
        },
    )
    pre = build_preprocessor(config, frame)
    with pytest.raises(NotFittedError):
        imputation_methods(pre)
    pre.fit(frame)
    assert imputation_methods(pre) == {
        "monetary": "knn",
        "frequency": "iterative",
        "recency_days": "median",
        "channel": "most_frequent",
    }
    report = missing_report(
        frame[config.features],
        imputed_columns=list(imputation_methods(pre)),
        methods=imputation_methods(pre),
    )
    assert report["method"].tolist() == ["knn", "iterative", "median", "none", "most_frequent"]
    assert report["n_missing"].tolist() == [1, 1, 0, 0, 10]
    assert report["n_rows"].tolist() == [30] * 5
    assert_allclose(report["imputed_share"], [1 / 30, 1 / 30, 0.0, 0.0, 1 / 3])
