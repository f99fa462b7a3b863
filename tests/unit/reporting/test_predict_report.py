from __future__ import annotations

from pathlib import Path

import pytest

from cible.config.predict import TrainingSpec
from cible.predict import TrainingResult, score_customers, train_models
from cible.reporting.predict import comparison_rows, decile_rows, render_predict_report
from tests.unit.predict.data import planted_table


@pytest.fixture(scope="module")
def trained() -> TrainingResult:
    X, y = planted_table()
    spec = TrainingSpec(
        models=["logistic", "decision_tree", "random_forest"],
        param_grids={
            "logistic": {"C": [1.0]},
            "decision_tree": {"max_depth": [2]},
            "random_forest": {"n_estimators": [100], "max_depth": [3]},
        },
        permutation_repeats=2,
    )
    return train_models(X, y, spec)


def test_tables_are_formatted_from_the_result(trained: TrainingResult) -> None:
    rows = comparison_rows(trained)
    assert [r[0] for r in rows] == ["Logistic regression", "Decision tree", "Random forest"]
    logistic = trained.report("logistic")
    assert rows[0][2] == f"{logistic.test.roc_auc:.3f}" and rows[0][-1] == "C=1.0"
    deciles = decile_rows(trained)
    assert len(deciles) == 10 and deciles[0][0] == "1" and deciles[-1][5] == "100.0%"


def test_report_is_self_contained(trained: TrainingResult, tmp_path: Path) -> None:
    X, _ = planted_table()
    scores = score_customers(trained, X, "response")
    path = render_predict_report(
        tmp_path / "r" / "predict.html",
        result=trained,
        meta={"project": "Demo <shop>", "target": "answered = Y"},
        scores=scores,
        score_name="response",
    )
    html = path.read_text(encoding="utf-8")
    assert "<script src" not in html
    assert html.count('<script type="text/javascript">') == 1  # plotly.js inlined once
    assert "Demo &lt;shop&gt; · predictive profiles" in html  # escaped
    for section in ("comparison", "curves", "gain", "calibration", "importance", "rules", "scores"):
        assert f'<section id="{section}">' in html
    for chart in (
        "roc",
        "pr",
        "calibration",
        "gain",
        "lift",
        "confusion",
        "permutation",
        "forest",
        "scores",
    ):
        assert f'id="chart-predict-{chart}"' in html
    top = scores.sort_values("response", ascending=False).index[0]
    assert f'<td class="text">{top}</td>' in html
    assert "IF " in html and " THEN p = " in html
    assert '<tr class="chosen">' in html
