from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from cible.config.predict import TrainingSpec
from cible.predict import TrainingResult, join_scores, score_customers, train_models
from cible.predict.model_explanations import background_values, occlusion_effects, occlusion_reasons
from cible.predict.scores import format_value, reason_texts, score_deciles
from tests.unit.predict.data import planted_table


@pytest.fixture(scope="module")
def trained() -> TrainingResult:
    X, y = planted_table()
    spec = TrainingSpec(models=["logistic"], param_grids={"logistic": {"C": [1.0]}})
    return train_models(X, y, spec)


def test_score_columns(trained: TrainingResult) -> None:
    X, _ = planted_table()
    before = X.copy()
    s = score_customers(trained, X, "resp")
    pd.testing.assert_frame_equal(X, before)
    assert list(s.columns) == [
        "resp",
        "resp_flag",
        "resp_decile",
        "resp_reason_1",
        "resp_reason_2",
        "resp_reason_3",
        "resp_reason_1_text",
        "resp_reason_2_text",
        "resp_reason_3_text",
    ]
    assert s.index.name == "customer_id" and s.index.equals(X.index.rename("customer_id"))
    assert s["resp"].between(0, 1).all()
    assert (s["resp_flag"] == (s["resp"] >= trained.report().threshold)).all()
    assert s["resp_decile"].value_counts().sort_index().tolist() == [60] * 10
    assert s.groupby("resp_decile")["resp"].min().is_monotonic_decreasing
    np.testing.assert_allclose(s["resp"], trained.predict_proba(X))


def test_reasons_follow_the_planted_drivers(trained: TrainingResult) -> None:
    X, _ = planted_table()
    s = X.join(score_customers(trained, X, "resp"))
    assert (s.loc[s["x1"] > 1.5, "resp_reason_1"] == "x1").all()
    typical_pro = s[(s["plan"] == "pro") & (s["x1"].abs() < 0.3) & (s["x2"].abs() < 0.3)]
    assert len(typical_pro) == 4 and (typical_pro["resp_reason_1"] == "plan").all()
    reasons = s[["resp_reason_1", "resp_reason_2", "resp_reason_3"]].stack().dropna().unique()
    assert set(reasons) == {"x1", "x2", "plan"}  # noise has no importance: never a reason
    # a customer below the population on every driver has no reason at all
    assert s.loc["id0003", ["resp_reason_1", "resp_reason_2", "resp_reason_3"]].isna().all()


class _Sigmoid:
    """A fixed 'model': p = sigmoid(a), ignoring b."""

    def predict_proba(self, X: pd.DataFrame) -> Any:
        p = 1 / (1 + np.exp(-X["a"].to_numpy(dtype=float)))
        return np.column_stack([1 - p, p])


def test_occlusion_effect_is_score_minus_background_mean() -> None:
    X = pd.DataFrame({"a": [2.0, -1.0, 0.0], "b": ["u", "v", "u"]})
    background = background_values(
        pd.DataFrame({"a": [-1.0, 0.0, 1.0, 2.0], "b": ["u", "u", "u", "v"]}), size=2
    )
    assert background["a"] == ([-1.0, 1.0], [0.5, 0.5])
    assert background["b"] == (["u", "v"], [0.75, 0.25])
    effects = occlusion_effects(_Sigmoid(), X, ["a", "b"], background)
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    mean_bg = (sig(-1.0) + sig(1.0)) / 2
    np.testing.assert_allclose(effects[:, 0], sig(X["a"].to_numpy()) - mean_bg)
    np.testing.assert_allclose(effects[:, 1], 0.0, atol=1e-15)  # b plays no part
    labels, sizes = occlusion_reasons(_Sigmoid(), X, ["a", "b"], background, 2)
    assert labels.loc[0, "reason_1"] == "a" and labels.loc[1:, "reason_1"].isna().all()
    assert sizes.loc[0, "reason_1"] == pytest.approx(sig(2.0) - mean_bg)


def test_saturated_scores_keep_their_reasons() -> None:
    # scores within 1e-7 of 1: the probability differences are below 1e-6, the log-odds are not
    X = pd.DataFrame({"a": [18.0, 16.0], "b": ["u", "u"]})
    background = {"a": ([16.0, 17.0], [0.5, 0.5]), "b": (["u"], [1.0])}
    labels, sizes = occlusion_reasons(_Sigmoid(), X, ["a", "b"], background, 2)
    assert labels.loc[0, "reason_1"] == "a" and pd.isna(labels.loc[1, "reason_1"])
    assert labels["reason_2"].isna().all()  # b changes nothing
    assert 0 < sizes.loc[0, "reason_1"] < 1e-6


def test_deciles() -> None:
    assert score_deciles(np.array([0.5, 0.9, 0.1])).tolist() == [2, 1, 3]
    assert score_deciles(np.linspace(1, 0, 20)).tolist() == [
        d for d in range(1, 11) for _ in (0, 1)
    ]


def test_join_scores() -> None:
    a = pd.DataFrame({"p": [0.1, 0.2]}, index=pd.Index(["x", "y"], name="customer_id"))
    b = pd.DataFrame({"clv": [10.0]}, index=pd.Index(["z"], name="customer_id"))
    joined = join_scores([a, b])
    assert list(joined.index) == ["x", "y", "z"] and list(joined.columns) == ["p", "clv"]
    assert np.isnan(joined.loc["z", "p"])
    with pytest.raises(ValueError, match=r"score column\(s\) \['p'\] appear in more than one"):
        join_scores([a, a])
    with pytest.raises(ValueError, match="at least one"):
        join_scores([])


def test_score_histogram() -> None:
    from cible.predict.scores import score_histogram

    edges, counts = score_histogram(np.array([0.0, 0.05, 0.5, 1.0]), bins=4)
    assert edges == [0.0, 0.25, 0.5, 0.75] and counts == [2, 0, 1, 1]


def test_reason_texts_say_the_value_and_the_direction(trained: TrainingResult) -> None:
    X, _ = planted_table()
    s = X.join(score_customers(trained, X, "resp_rate"))
    pro = s[(s["plan"] == "pro") & (s["x1"].abs() < 0.3) & (s["x2"].abs() < 0.3)]
    assert (pro["resp_rate_reason_1_text"] == "plan = pro raises resp rate").all()
    high = s[s["x1"] > 1.5].iloc[0]
    assert high["resp_rate_reason_1_text"] == f"x1 = {high['x1']:.4g} raises resp rate"
    # a reason column and its text are empty on the same rows
    for k in (1, 2, 3):
        name, text = s[f"resp_rate_reason_{k}"], s[f"resp_rate_reason_{k}_text"]
        assert (name.isna() == text.isna()).all()
        named = name.notna()
        assert (text[named].str.split(" = ").str[0] == name[named]).all()


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (2.0, "2"),
        (70.35, "70.35"),
        (0.00123456, "0.001235"),
        (12_345.6, "12,346"),
        (10_000, "10,000"),
        (9_999, "9999"),
        (np.nan, "missing"),
        (None, "missing"),
        (True, "yes"),
        ("Month-to-month", "Month-to-month"),
    ],
)
def test_values_are_formatted_for_people(value: object, text: str) -> None:
    assert format_value(value) == text


def test_a_negative_effect_lowers() -> None:
    frame = pd.DataFrame({"tenure": [60.0, 2.0]})
    features = pd.Series(["tenure", "tenure"])
    effects = pd.Series([-0.2, 0.3])
    texts = reason_texts(features, effects, frame, "churn risk")
    assert texts.tolist() == ["tenure = 60 lowers churn risk", "tenure = 2 raises churn risk"]
