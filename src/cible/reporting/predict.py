"""The prediction report: one self-contained HTML page (plotly.js inlined once, as in the
segmentation report), rendered from a :class:`~cible.predict.training_result.TrainingResult` and the
scores table. Formatting only: no statistic is computed here.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from markupsafe import Markup
from plotly.offline import get_plotlyjs

from cible.predict.clv import CLVResult
from cible.predict.scores import score_histogram
from cible.predict.training_result import TrainingResult
from cible.reporting import charts_predict as cp
from cible.reporting.clv import render_clv_section
from cible.reporting.render import chart_div, template_environment

if TYPE_CHECKING:
    import plotly.graph_objects as go

TEMPLATE_NAME = "predict.html.j2"
TOP_CUSTOMERS = 20
RULES_SHOWN = 40
COMPARISON_HEADERS = (
    "Model",
    "CV score (± sd)",
    "ROC AUC",
    "PR AUC",
    "F1",
    "Threshold",
    "Log-loss",
    "Brier",
    "Fit seconds",
    "Best parameters",
)
DECILE_HEADERS = ("Decile", "Customers", "Positives", "Rate", "Lift", "Cum. gain", "Cum. lift")


def _f(value: float, digits: int = 3) -> str:
    return "–" if value is None or math.isnan(value) else f"{value:,.{digits}f}"


def comparison_rows(result: TrainingResult) -> list[list[str]]:
    rows = []
    for r in result.reports:
        params = ", ".join(f"{k}={v}" for k, v in sorted(r.best_params.items()))
        rows.append(
            [
                r.label,
                f"{_f(r.cv_score)} ± {_f(r.cv_std)}",
                _f(r.test.roc_auc),
                _f(r.test.pr_auc),
                _f(r.test.f1),
                _f(r.threshold),
                _f(r.test.log_loss),
                _f(r.test.brier),
                _f(r.fit_seconds, 1),
                params or "–",
            ]
        )
    return rows


def decile_rows(result: TrainingResult) -> list[list[str]]:
    return [
        [
            str(d.decile),
            f"{d.customers:,}",
            f"{d.positives:,}",
            f"{d.rate:.1%}",
            f"×{d.lift:.2f}",
            f"{d.cumulative_gain:.1%}",
            f"×{d.cumulative_lift:.2f}",
        ]
        for d in result.report().test.deciles
    ]


def top_customer_rows(scores: pd.DataFrame, name: str) -> tuple[list[str], list[list[str]]]:
    reasons = [
        c
        for c in scores.columns
        if str(c).startswith(f"{name}_reason_") and str(c).endswith("_text")
    ]
    headers = ["Customer id", "Score", "Decile", *[f"Reason {i + 1}" for i in range(len(reasons))]]
    top = scores.sort_values(name, ascending=False, kind="stable").head(TOP_CUSTOMERS)
    rows = []
    for cid, row in top.iterrows():
        cells = [str(cid), f"{row[name]:.3f}", str(int(row[f"{name}_decile"]))]
        cells += [str(row[c]) if pd.notna(row[c]) else "–" for c in reasons]
        rows.append(cells)
    return headers, rows


def render_predict_report(
    path: Path,
    *,
    result: TrainingResult,
    meta: dict[str, str],
    scores: pd.DataFrame,
    score_name: str,
    clv: CLVResult | None = None,
    clv_skipped: str | None = None,
    warnings: tuple[str, ...] = (),
) -> Path:
    """Write the report to ``path`` and return it. ``meta`` is listed in the header (target,
    cutoff, ...); ``scores`` is the table from :func:`cible.predict.score_customers`."""
    best = result.report()
    tree = next((r for r in result.reports if r.rules), None)
    rules = (tree.rules or "").splitlines() if tree else []
    headers, top_rows = top_customer_rows(scores, score_name)
    html = (
        template_environment()
        .get_template(TEMPLATE_NAME)
        .render(
            clv_section=render_clv_section(clv, chart_div) if clv is not None else None,
            clv_skipped=clv_skipped,
            warnings=list(warnings),
            title=str(meta.get("project", "cible")),
            plotly_js=Markup(get_plotlyjs()),
            summary=summary_items(result, meta, scores),
            charts={
                k: chart_div(f"predict-{k}", fig)
                for k, fig in _figures(result, scores, score_name).items()
            },
            comparison_headers=COMPARISON_HEADERS,
            comparison_rows=comparison_rows(result),
            chosen_row=[r.name for r in result.reports].index(result.best),
            scoring=result.scoring,
            class_weight=class_weighting(result),
            best_label=best.label,
            decile_headers=DECILE_HEADERS,
            decile_rows=decile_rows(result),
            rules=rules[:RULES_SHOWN],
            n_rules=len(rules),
            selected={r.label: r.selected_features for r in result.reports if r.selected_features},
            top_headers=headers,
            top_rows=top_rows,
            score_name=score_name,
        )
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path


def class_weighting(result: TrainingResult) -> str:
    """The class weighting of each model, as chosen by its search (or as configured)."""
    chosen = {r.class_weight for r in result.reports}
    if len(chosen) == 1:
        return chosen.pop()
    return ", ".join(f"{r.label} {r.class_weight}" for r in result.reports)


def _figures(result: TrainingResult, scores: pd.DataFrame, score_name: str) -> dict[str, go.Figure]:
    figures = {
        "roc": cp.roc_figure(result),
        "pr": cp.pr_figure(result),
        "calibration": cp.calibration_figure(result),
        "gain": cp.gain_figure(result),
        "lift": cp.lift_figure(result),
        "confusion": cp.confusion_figure(result),
        "permutation": cp.importance_figure(
            result.permutation, "Drop of test ROC AUC when shuffled"
        ),
        "scores": cp.score_histogram(*score_histogram(scores[score_name].to_numpy()), score_name),
    }
    forest = next((r for r in result.reports if r.importances and r.name == "random_forest"), None)
    if forest is not None and forest.importances:
        figures["forest"] = cp.importance_figure(forest.importances, "Impurity importance (share)")
    return figures


def summary_items(
    result: TrainingResult, meta: dict[str, str], scores: pd.DataFrame
) -> list[tuple[str, str]]:
    """The header lines: the run metadata (but the project, the title), then the headline figures."""
    best = result.report()
    return [
        (k.replace("_", " ").capitalize(), str(v)) for k, v in meta.items() if k != "project"
    ] + [
        ("Training / test rows", f"{result.n_train:,} / {result.n_test:,}"),
        ("Positive rate", f"{result.positive_rate:.1%}"),
        ("Chosen model", best.label),
        ("Test ROC AUC", _f(best.test.roc_auc)),
        ("Threshold", _f(best.threshold)),
        ("Customers scored", f"{len(scores):,}"),
    ]
