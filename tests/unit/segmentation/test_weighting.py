"""Feature weights from criteria and AHP, the weighting transformer, and the sensitivity analysis."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose
from sklearn.cluster import KMeans
from sklearn.exceptions import NotFittedError
from sklearn.metrics import adjusted_rand_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_estimator

from cible.config import FEATURE_NAMES, AHPConfig, SegmentationConfig
from cible.exceptions import ConfigError
from cible.segmentation.ahp import AHPResult
from cible.segmentation.transformers import build_preprocessor
from cible.segmentation.weighting import (
    FeatureWeighter,
    column_features,
    criterion_weights,
    feature_weights,
    sensitivity,
    spread_weights,
    weights_from_config,
)

DOCS = Path(__file__).resolve().parents[3] / "docs"
BEHAVIOURAL = ["recency_days", "frequency"]
DEMOGRAPHIC = ["tenure_days"]


def _two_criteria(ahp: AHPConfig | None = None) -> SegmentationConfig:
    return SegmentationConfig(
        features=[*BEHAVIOURAL, *DEMOGRAPHIC],
        criteria={"behavioural": BEHAVIOURAL, "demographic": DEMOGRAPHIC},
        ahp=ahp,
    )


# --- weights from the configuration -----------------------------------------------------------


def test_default_is_one_behavioural_criterion_with_equal_feature_weights() -> None:
    result = weights_from_config(SegmentationConfig())
    assert result.criterion_weights == {"behavioural": 1.0}
    assert list(result.feature_weights) == list(FEATURE_NAMES)
    assert_allclose(list(result.feature_weights.values()), [1 / 9] * 9, rtol=1e-12)
    assert result.ahp is None


def test_criteria_without_ahp_get_equal_weights() -> None:
    assert criterion_weights(_two_criteria()) == {"behavioural": 0.5, "demographic": 0.5}
    # each criterion's total is its weight, whatever its number of features
    assert feature_weights(_two_criteria()) == pytest.approx(
        {"recency_days": 0.25, "frequency": 0.25, "tenure_days": 0.5}
    )


def test_ahp_weights_are_spread_over_each_criterion_features() -> None:
    ahp = AHPConfig(criteria=["demographic", "behavioural"], matrix=[[1, 1 / 3], [3, 1]])
    result = weights_from_config(_two_criteria(ahp))
    assert result.criterion_weights == pytest.approx({"behavioural": 0.75, "demographic": 0.25})
    assert list(result.criterion_weights) == ["behavioural", "demographic"]  # criteria order
    assert result.feature_weights == pytest.approx(
        {"recency_days": 0.375, "frequency": 0.375, "tenure_days": 0.25}
    )
    assert result.feature_criterion == {
        "recency_days": "behavioural",
        "frequency": "behavioural",
        "tenure_days": "demographic",
    }
    assert isinstance(result.ahp, AHPResult)
    assert result.ahp.consistency_ratio == 0.0


def _four_criteria(matrix: list[list[float]], max_cr: float = 0.1) -> SegmentationConfig:
    names = ["behavioural", "demographic", "psychographic", "contextual"]
    return SegmentationConfig(
        criteria={
            "behavioural": ["recency_days", "frequency", "monetary", "avg_basket"],
            "demographic": ["tenure_days"],
            "psychographic": ["mean_interpurchase_days", "refund_rate"],
            "contextual": ["events_30d", "events_90d"],
        },
        ahp=AHPConfig(criteria=names, matrix=matrix, max_consistency_ratio=max_cr),
    )


def _matrix(weights: list[float]) -> list[list[float]]:
    return [[wi / wj for wj in weights] for wi in weights]


def test_consistent_four_criteria_golden_weights() -> None:
    result = weights_from_config(_four_criteria(_matrix([8.0, 4.0, 2.0, 1.0])))
    assert result.criterion_weights == pytest.approx(
        {
            "behavioural": 8 / 15,
            "demographic": 4 / 15,
            "psychographic": 2 / 15,
            "contextual": 1 / 15,
        }
    )
    assert result.feature_weights["monetary"] == pytest.approx(8 / 15 / 4)
    assert result.feature_weights["tenure_days"] == pytest.approx(4 / 15)
    assert result.feature_weights["refund_rate"] == pytest.approx(1 / 15)
    assert sum(result.feature_weights.values()) == pytest.approx(1.0)


def test_inconsistent_ahp_is_refused_naming_the_judgement() -> None:
    m = _matrix([8.0, 4.0, 2.0, 1.0])
    m[0][3], m[3][0] = 1 / 8, 8.0
    with pytest.raises(
        ConfigError,
        match=r"AHP consistency ratio 1\.01 > 0\.10: revise the judgements behavioural vs "
        r"contextual \(given 1/8, consistent would be about 0\.66\)",
    ):
        weights_from_config(_four_criteria(m))
    with pytest.raises(ConfigError, match=r"> 0\.50"):
        feature_weights(_four_criteria(m, max_cr=0.5))


def test_non_reciprocal_ahp_matrix_is_refused() -> None:
    ahp = AHPConfig(criteria=["behavioural", "demographic"], matrix=[[1, 3], [0.5, 1]])
    with pytest.raises(ConfigError, match=r"matrix\[0\]\[1\] = 3 but matrix\[1\]\[0\] = 0\.5"):
        criterion_weights(_two_criteria(ahp))


def test_a_criterion_without_features_is_refused() -> None:
    config = SegmentationConfig(
        features=["frequency"], criteria={"behavioural": ["frequency"], "demographic": []}
    )
    with pytest.raises(ConfigError, match=r"criteria \['demographic'\] have no features"):
        weights_from_config(config)


def test_spread_weights_normalises_and_refuses_bad_weights() -> None:
    assert spread_weights({"a": 3.0, "b": 1.0}, {"x": "a", "y": "a", "z": "b"}) == pytest.approx(
        {"x": 0.375, "y": 0.375, "z": 0.25}
    )
    with pytest.raises(ValueError, match=r"criteria \['c'\] have no weight"):
        spread_weights({"a": 1.0}, {"x": "c"})
    with pytest.raises(ValueError, match="finite and >= 0"):
        spread_weights({"a": -1.0}, {"x": "a"})
    with pytest.raises(ValueError, match="must not all be 0"):
        spread_weights({"a": 0.0}, {"x": "a"})


# --- FeatureWeighter --------------------------------------------------------------------------


def test_column_features_resolves_one_hot_columns_to_the_longest_feature() -> None:
    columns = ["events_30d", "channel_web", "channel_type_b", "channel_type"]
    owners = column_features(columns, ["events_30d", "channel", "channel_type"])
    assert owners == ["events_30d", "channel", "channel_type", "channel_type"]
    with pytest.raises(ValueError, match="column 'other' is not a weighted feature"):
        column_features(["other"], ["channel"])


def test_equal_weights_leave_the_data_unchanged() -> None:
    X = pd.DataFrame({"a": [1.0, -2.0], "b": [0.5, 3.0], "c": [4.0, 0.0]})
    out = FeatureWeighter({"a": 1 / 3, "b": 1 / 3, "c": 1 / 3}).fit_transform(X)
    assert_allclose(out, X.to_numpy(), rtol=1e-15)
    assert_allclose(FeatureWeighter().fit_transform(X), X.to_numpy())


def test_golden_factors_with_one_hot_columns() -> None:
    X = pd.DataFrame(
        {"a": [1.0, 2.0], "ch_web": [1.0, 0.0], "ch_shop": [0.0, 1.0], "b": [2.0, 4.0]}
    )
    before = X.copy()
    w = FeatureWeighter({"a": 2.0, "ch": 1.0, "b": 1.0}).fit(X)  # normalised: .5, .25, .25
    assert w.column_features_ == ["a", "ch", "ch", "b"]
    assert_allclose(w.factors_, [math.sqrt(1.5), math.sqrt(0.75), math.sqrt(0.75), math.sqrt(0.75)])
    assert_allclose(w.transform(X), X.to_numpy() * w.factors_)
    assert list(w.get_feature_names_out()) == ["a", "ch_web", "ch_shop", "b"]
    pd.testing.assert_frame_equal(X, before)


def test_criterion_share_of_squared_distances_is_its_weight() -> None:
    rng = np.random.default_rng(0)
    Z = StandardScaler().fit_transform(rng.normal(size=(50, 4)) * [1, 10, 100, 0.1])
    X = pd.DataFrame(Z, columns=["f1", "f2", "f3", "f4"])
    weights = spread_weights({"A": 0.7, "B": 0.3}, {"f1": "A", "f2": "B", "f3": "B", "f4": "B"})
    out = FeatureWeighter(weights).fit_transform(X)
    diffs = (out[:, None, :] - out[None, :, :]) ** 2  # all pairs, per column
    per_column = diffs.sum(axis=(0, 1))
    assert per_column[0] / per_column.sum() == pytest.approx(0.7, rel=1e-10)
    assert per_column[1:].sum() / per_column.sum() == pytest.approx(0.3, rel=1e-10)


@settings(max_examples=40, deadline=None)
@given(
    arrays(np.float64, (2, 3), elements=st.floats(-100, 100)),
    st.lists(st.floats(0.01, 10.0), min_size=3, max_size=3),
)
def test_property_weighted_distance_is_the_weighted_sum(xy: np.ndarray, raw: list[float]) -> None:
    weights = dict(zip(["a", "b", "c"], raw, strict=True))
    out = FeatureWeighter(weights, columns=["a", "b", "c"]).fit_transform(xy)
    w = np.asarray(raw) / sum(raw)
    expected = float((3 * w * (xy[0] - xy[1]) ** 2).sum())
    assert float(((out[0] - out[1]) ** 2).sum()) == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_array_input_needs_column_names() -> None:
    X = np.ones((2, 2))
    w = FeatureWeighter({"a": 0.5, "b": 0.5}, columns=["a", "b"]).fit(X)
    assert list(w.get_feature_names_out()) == ["a", "b"]
    with pytest.raises(ValueError, match="needs column names"):
        FeatureWeighter({"a": 1.0}).fit(X)
    with pytest.raises(ValueError, match="1 column names for 2 columns"):
        FeatureWeighter({"a": 1.0}, columns=["a"]).fit(X)


def test_weighter_refusals() -> None:
    X = pd.DataFrame({"a": [1.0], "b": [2.0]})
    with pytest.raises(ValueError, match=r"weighted feature\(s\) \['c'\] match no column"):
        FeatureWeighter({"a": 1.0, "b": 1.0, "c": 1.0}).fit(X)
    with pytest.raises(ValueError, match="column 'b' is not a weighted feature"):
        FeatureWeighter({"a": 1.0}).fit(X)
    with pytest.raises(NotFittedError):
        FeatureWeighter().transform(X)
    fitted = FeatureWeighter({"a": 1.0, "b": 1.0}).fit(X)
    with pytest.raises(ValueError, match="feature names should match"):
        fitted.transform(X[["b", "a"]])


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.SkipTestWarning")
def test_weighter_passes_scikit_learn_checks() -> None:
    results = check_estimator(FeatureWeighter(), on_fail=None)
    assert {r["check_name"]: str(r["exception"]) for r in results if r["status"] == "failed"} == {}


def test_weighter_after_the_preprocessor_in_one_pipeline() -> None:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({f: rng.lognormal(size=30) for f in [*BEHAVIOURAL, *DEMOGRAPHIC]})
    config = _two_criteria()
    pipe = Pipeline(
        [
            ("prepare", build_preprocessor(config, frame)),
            ("weight", FeatureWeighter(feature_weights(config))),
        ]
    ).set_output(transform="pandas")
    out = pipe.fit_transform(frame)
    prepared = pipe.named_steps["prepare"].transform(frame)
    assert list(out.columns) == [*BEHAVIOURAL, *DEMOGRAPHIC]
    # n = 3 features; weights .25, .25, .5 -> factors sqrt(.75), sqrt(.75), sqrt(1.5)
    factors = [math.sqrt(0.75), math.sqrt(0.75), math.sqrt(1.5)]
    assert_allclose(out.to_numpy(), prepared.to_numpy() * factors, rtol=1e-12)


# --- sensitivity ------------------------------------------------------------------------------


def _planted() -> tuple[pd.DataFrame, dict[str, str], np.ndarray]:
    """Three groups 4 apart on a1, a2 (criterion A, sd 0.3); b1, b2 (criterion B) are noise (sd 1)."""
    rng = np.random.default_rng(0)
    groups = np.repeat([0, 1, 2], 40)
    centres = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 4.0]])
    a = centres[groups] + rng.normal(0.0, 0.3, size=(120, 2))
    b = rng.normal(0.0, 1.0, size=(120, 2))
    frame = pd.DataFrame(np.hstack([a, b]), columns=["a1", "a2", "b1", "b2"])
    return frame, {"a1": "A", "a2": "A", "b1": "B", "b2": "B"}, groups


class _Recorder:
    def __init__(self) -> None:
        self.seen: list[np.ndarray] = []

    def __call__(self, X: np.ndarray) -> np.ndarray:
        self.seen.append(X.copy())
        labels: np.ndarray = KMeans(n_clusters=3, n_init=3, random_state=0).fit_predict(X)
        return labels


def test_sensitivity_is_stable_when_one_criterion_carries_the_structure() -> None:
    X, feature_criterion, groups = _planted()
    before = X.copy()
    weights = {"A": 0.5, "B": 0.5}
    base = _Recorder()(X.to_numpy())  # equal weights: the data unchanged
    assert adjusted_rand_score(groups, base) == 1.0
    fit = _Recorder()
    report = sensitivity(X, base, fit, feature_criterion, weights)
    assert len(fit.seen) == 4  # 2 x n_criteria
    assert list(report.columns) == ["criterion", "change", "weight_A", "weight_B", "ari"]
    assert report[["criterion", "change"]].values.tolist() == [
        ["A", "+20%"],
        ["A", "-20%"],
        ["B", "+20%"],
        ["B", "-20%"],
    ]
    # A +20 %: 0.6 / 1.1 and 0.5 / 1.1; A -20 %: 0.4 / 0.9 and 0.5 / 0.9
    assert_allclose(report["weight_A"], [0.6 / 1.1, 0.4 / 0.9, 0.5 / 1.1, 0.5 / 0.9], rtol=1e-12)
    assert_allclose(report["weight_A"] + report["weight_B"], 1.0, rtol=1e-12)
    assert_allclose(report["ari"], [1.0, 1.0, 1.0, 1.0])
    # the first call sees the columns multiplied by sqrt(n * w_f) with w_A = 0.6/1.1 over 2 features
    factors = np.sqrt(4 * np.array([0.3, 0.3, 0.25, 0.25]) / 1.1)
    assert_allclose(fit.seen[0], X.to_numpy() * factors, rtol=1e-12)
    pd.testing.assert_frame_equal(X, before)


def test_sensitivity_shows_instability_when_weights_decide() -> None:
    # a1 splits the rows one way, b1 another way, with the same spread: which split k-means
    # picks depends on which criterion weighs more.
    a1 = np.repeat([-1.0, 1.0], 20)
    b1 = np.tile([-1.0, 1.0], 20)
    X = pd.DataFrame({"a1": a1, "b1": b1})
    fit = lambda Z: KMeans(n_clusters=2, n_init=3, random_state=0).fit_predict(Z)  # noqa: E731
    report = sensitivity(X, (a1 > 0).astype(int), fit, {"a1": "A", "b1": "B"}, {"A": 0.5, "B": 0.5})
    # A up: the a1 split, ARI 1; B up: the b1 split, independent of a1, ARI about 0
    assert report["ari"].tolist()[:2] == pytest.approx([1.0, 0.0], abs=0.05)
    assert report["ari"].tolist()[2:] == pytest.approx([0.0, 1.0], abs=0.05)


def test_single_criterion_gives_an_empty_frame_without_fitting() -> None:
    X, _, _ = _planted()
    fit = _Recorder()
    report = sensitivity(X, np.zeros(120), fit, {c: "A" for c in X.columns}, {"A": 1.0})
    assert report.empty
    assert list(report.columns) == ["criterion", "change", "weight_A", "ari"]
    assert fit.seen == []


def test_sensitivity_refusals() -> None:
    X, feature_criterion, _ = _planted()
    labels = np.zeros(120)
    weights = {"A": 0.5, "B": 0.5}
    with pytest.raises(ValueError, match=r"delta must be in \(0, 1\), got 1.5"):
        sensitivity(X, labels, _Recorder(), feature_criterion, weights, delta=1.5)
    with pytest.raises(ValueError, match="base_labels has 3 labels for 120 rows"):
        sensitivity(X, labels[:3], _Recorder(), feature_criterion, weights)
    with pytest.raises(ValueError, match=r"criteria \['B'\] have no weight"):
        sensitivity(X, labels, _Recorder(), feature_criterion, {"A": 1.0})
    with pytest.raises(ValueError, match=r"feature\(s\) \['c1'\] match no column"):
        sensitivity(X, labels, _Recorder(), {**feature_criterion, "c1": "B"}, weights)


def test_sensitivity_change_label_follows_delta() -> None:
    X, feature_criterion, _ = _planted()
    base = _Recorder()(X.to_numpy())
    report = sensitivity(X, base, _Recorder(), feature_criterion, {"A": 2.0, "B": 1.0}, delta=0.125)
    assert report["change"].tolist() == ["+12.5%", "-12.5%", "+12.5%", "-12.5%"]
    # weights are normalised first: A = 2/3 * 1.125 / (2/3 * 1.125 + 1/3)
    assert report.loc[0, "weight_A"] == pytest.approx(0.75 / (0.75 + 1 / 3), rel=1e-12)


# --- the worked example of docs/segmentation-weighting.md -------------------------------------


def test_documented_example_gives_the_documented_numbers() -> None:
    text = (DOCS / "segmentation-weighting.md").read_text(encoding="utf-8")
    block = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    config = SegmentationConfig.model_validate(yaml.safe_load(block)["segmentation"])
    result = weights_from_config(config)
    assert result.ahp is not None
    assert result.ahp.lambda_max == pytest.approx(3.0385, abs=1e-4)
    assert result.ahp.consistency_index == pytest.approx(0.0193, abs=1e-4)
    assert result.ahp.consistency_ratio == pytest.approx(0.0332, abs=1e-4)
    assert result.criterion_weights == pytest.approx(
        {"value": 0.6370, "engagement": 0.2583, "loyalty": 0.1047}, abs=1e-4
    )
    assert result.feature_weights["monetary"] == pytest.approx(0.2123, abs=1e-4)
    assert result.feature_weights["events_30d"] == pytest.approx(0.0646, abs=1e-4)
    assert result.feature_weights["refund_rate"] == pytest.approx(0.0524, abs=1e-4)
    factors = {f: math.sqrt(9 * w) for f, w in result.feature_weights.items()}
    assert (factors["monetary"], factors["events_30d"], factors["tenure_days"]) == pytest.approx(
        (1.3824, 0.7623, 0.6865), abs=1e-4
    )
    moved = dict(result.criterion_weights, value=result.criterion_weights["value"] * 1.2)
    total = sum(moved.values())
    assert total == pytest.approx(1.1274, abs=1e-4)
    assert [moved[c] / total for c in ("value", "engagement", "loyalty")] == pytest.approx(
        [0.6780, 0.2291, 0.0929], abs=1e-4
    )
    not_reciprocal = [[1, 3, 5], [1 / 3, 1, 3], [0.5, 1 / 3, 1]]
    with pytest.raises(ConfigError) as refused:
        criterion_weights(
            config.model_copy(
                update={
                    "ahp": AHPConfig(
                        criteria=["value", "engagement", "loyalty"], matrix=not_reciprocal
                    )
                }
            )
        )
    assert str(refused.value).replace("\n", " ") in text.replace("\n", " ")
    inconsistent = [[1, 3, 1 / 3], [1 / 3, 1, 5], [3, 1 / 5, 1]]
    bad = config.model_copy(
        update={"ahp": AHPConfig(criteria=["value", "engagement", "loyalty"], matrix=inconsistent)}
    )
    with pytest.raises(ConfigError) as info:
        weights_from_config(bad)
    documented = text.split("```\nAHP consistency ratio", 1)[1].split("```", 1)[0]
    assert str(info.value) == "AHP consistency ratio" + documented.replace("\n", " ").rstrip()
