"""The model engine on a small table with a planted signal (x1 up, x2 down, plan 'pro' up)."""

from __future__ import annotations

import sys

import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from cible.config.predict import TrainingSpec
from cible.exceptions import OptionalDependencyError, PredictError
from cible.predict import TrainingResult, max_f1_threshold, train_models
from cible.predict.model_inputs import model_frame
from cible.predict.splits import split_positions
from tests.unit.predict.data import planted_table

SMALL: dict[str, dict[str, list[object]]] = {
    "logistic": {"C": [0.1, 1.0]},
    "decision_tree": {"max_depth": [3], "min_samples_leaf": [20]},
    "random_forest": {"n_estimators": [100], "min_samples_leaf": [10], "max_features": ["sqrt"]},
    "hist_gradient_boosting": {"max_iter": [50]},
    "mlp": {"hidden_layer_sizes": [[8]], "alpha": [0.01]},
    "lightgbm": {"n_estimators": [50]},
    "xgboost": {"n_estimators": [50]},
}


def _spec(*models: str, **kwargs: object) -> TrainingSpec:
    grids = {m: SMALL[m] for m in models}
    return TrainingSpec.model_validate({"models": list(models), "param_grids": grids, **kwargs})


@pytest.fixture(scope="module")
def result() -> TrainingResult:
    X, y = planted_table()
    spec = _spec("logistic", "decision_tree", "random_forest", class_weight="balanced")
    return train_models(X, y, spec)


def test_comparison_and_choice(result: TrainingResult) -> None:
    rows = {r["model"]: r for r in result.comparison()}
    assert result.best == "logistic"  # the planted signal is linear
    assert rows["logistic"]["cv_roc_auc"] == pytest.approx(0.8511, abs=2e-3)
    assert rows["logistic"]["roc_auc"] == pytest.approx(0.9226, abs=2e-3)
    assert rows["decision_tree"]["roc_auc"] == pytest.approx(0.8163, abs=5e-3)
    assert rows["random_forest"]["roc_auc"] == pytest.approx(0.8862, abs=5e-3)
    assert result.best == max(result.reports, key=lambda r: r.cv_score).name
    assert result.report().best_params == {"C": 1.0}
    assert (result.n_train, result.n_test) == (450, 150)
    assert result.positive_rate == pytest.approx(0.35333, abs=1e-4)


def test_permutation_ranking_finds_the_planted_drivers(result: TrainingResult) -> None:
    assert [i.feature for i in result.permutation][:3] == ["x1", "x2", "plan"]
    assert result.permutation[-1].feature == "noise"
    assert result.permutation[-1].mean == pytest.approx(0.0, abs=0.01)


def test_threshold_is_chosen_out_of_fold_on_the_training_split(result: TrainingResult) -> None:
    X, y = planted_table()
    frame = model_frame(X)
    rows, _ = split_positions(y, _spec("logistic"))
    folds = StratifiedKFold(3, shuffle=True, random_state=0)
    model = clone(result.estimators["logistic"])
    oof = cross_val_predict(
        model, frame.iloc[rows], y.iloc[rows].to_numpy(), cv=folds, method="predict_proba"
    )
    assert result.report("logistic").threshold == pytest.approx(
        max_f1_threshold(y.iloc[rows], oof[:, 1])
    )


def test_reproducible_and_input_unchanged() -> None:
    X, y = planted_table()
    X_before, y_before = X.copy(), y.copy()
    spec = _spec("logistic", "decision_tree")
    a = train_models(X, y, spec)
    b = train_models(X, y, spec)
    strip = lambda r: {k: v for k, v in r.items() if k != "fit_seconds"}  # noqa: E731
    assert [strip(r) for r in a.comparison()] == [strip(r) for r in b.comparison()]
    pd.testing.assert_frame_equal(X, X_before)
    pd.testing.assert_series_equal(y, y_before)


def test_decision_tree_rules_and_forest_importance(result: TrainingResult) -> None:
    rules = (result.report("decision_tree").rules or "").splitlines()
    assert 2 <= len(rules) <= 8
    assert all(line.startswith("IF ") and " THEN p = " in line for line in rules)
    probs = [float(line.split("THEN p = ")[1].split()[0]) for line in rules]
    assert probs == sorted(probs, reverse=True)
    assert "x1" in rules[0]
    forest = result.report("random_forest").importances or []
    assert forest[0].feature == "x1"
    assert sum(i.mean for i in forest) == pytest.approx(1.0)
    assert result.report("logistic").rules is None


def test_rfe_keeps_the_planted_columns() -> None:
    X, y = planted_table()
    r = train_models(X, y, _spec("logistic", feature_selection={"n_features": 3}))
    assert r.report().selected_features == ["x1", "x2", "plan_pro"]


def test_random_search_and_fixed_threshold() -> None:
    X, y = planted_table()
    spec = TrainingSpec(
        models=["logistic"],
        param_grids={"logistic": {"C": [0.01, 0.1, 1.0, 10.0, 100.0]}},
        search={"method": "random", "n_iter": 2},
        threshold=0.3,
        class_weight="none",
    )
    r = train_models(X, y, spec)
    assert r.report().candidates == 2
    assert r.report().threshold == 0.3
    assert r.estimators["logistic"].logit_shift_ == 0.0


def test_every_model_family_trains() -> None:
    X, y = planted_table()
    r = train_models(X, y, _spec("hist_gradient_boosting", "mlp", "lightgbm", "xgboost"))
    assert {rep.name: rep.test.roc_auc > 0.8 for rep in r.reports} == {
        "hist_gradient_boosting": True,
        "mlp": True,
        "lightgbm": True,
        "xgboost": True,
    }


@pytest.mark.parametrize(("module", "extra"), [("lightgbm", "lightgbm"), ("xgboost", "xgboost")])
def test_optional_models_say_what_to_install(
    monkeypatch: pytest.MonkeyPatch, module: str, extra: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # import fails as if not installed
    X, y = planted_table()
    with pytest.raises(OptionalDependencyError, match=rf"pip install 'cible\[{extra}\]'"):
        train_models(X, y, _spec(module))


def test_bad_inputs() -> None:
    X, y = planted_table()
    with pytest.raises(
        PredictError, match=r"param_grids.logistic: unknown parameter\(s\) \['depth'\]"
    ):
        train_models(
            X, y, TrainingSpec(models=["logistic"], param_grids={"logistic": {"depth": [1]}})
        )
    with pytest.raises(PredictError, match="same rows"):
        train_models(X, y.iloc[1:], _spec("logistic"))
    with pytest.raises(PredictError, match=r"0/1 labels"):
        train_models(X, y.replace(1, 2), _spec("logistic"))
    few = y.copy()
    few[:] = 0
    few.iloc[:4] = 1
    with pytest.raises(PredictError, match="the rarer class has 4 row"):
        train_models(X, few, _spec("logistic"))
