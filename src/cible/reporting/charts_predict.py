"""Plotly figures of the prediction report, drawn from a :class:`~cible.predict.training_result.TrainingResult`.

Only layout here: every number was computed by :mod:`cible.predict.metrics` and
:mod:`cible.predict.model_explanations`. A model keeps the same colour in every chart.
"""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.colors import qualitative

from cible.predict.training_result import Importance, ModelReport, TrainingResult
from cible.reporting.charts import TEMPLATE, feature_label

_PALETTE: tuple[str, ...] = tuple(qualitative.D3)
_DIAGONAL = {"dash": "dot", "color": "#9e9e9e", "width": 1}


def model_color(result: TrainingResult, name: str) -> str:
    names = [r.name for r in result.reports]
    return _PALETTE[names.index(name) % len(_PALETTE)]


def _layout(fig: go.Figure, x: str, y: str, height: int = 420) -> go.Figure:
    fig.update_layout(
        template=TEMPLATE,
        height=height,
        margin={"t": 30, "b": 10},
        xaxis_title=x,
        yaxis_title=y,
        legend={"orientation": "h", "y": -0.2},
    )
    return fig


def _width(result: TrainingResult, r: ModelReport) -> float:
    return 3.0 if r.name == result.best else 1.5


def roc_figure(result: TrainingResult) -> go.Figure:
    fig = go.Figure()
    for r in result.reports:
        fig.add_trace(
            go.Scatter(
                x=r.test.roc.x,
                y=r.test.roc.y,
                mode="lines",
                name=f"{r.label} (AUC {r.test.roc_auc:.3f})",
                line={"color": model_color(result, r.name), "width": _width(result, r)},
            )
        )
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line=_DIAGONAL, name="chance"))
    return _layout(fig, "False positive rate", "True positive rate")


def pr_figure(result: TrainingResult) -> go.Figure:
    fig = go.Figure()
    for r in result.reports:
        fig.add_trace(
            go.Scatter(
                x=r.test.pr.x,
                y=r.test.pr.y,
                mode="lines",
                name=f"{r.label} (AP {r.test.pr_auc:.3f})",
                line={"color": model_color(result, r.name), "width": _width(result, r)},
            )
        )
    base = result.report().test.positives / result.report().test.n
    fig.add_trace(
        go.Scatter(x=[0, 1], y=[base, base], mode="lines", line=_DIAGONAL, name="base rate")
    )
    return _layout(fig, "Recall", "Precision")


def calibration_figure(result: TrainingResult) -> go.Figure:
    fig = go.Figure()
    for r in result.reports:
        bins = r.test.calibration
        fig.add_trace(
            go.Scatter(
                x=[b.mean_score for b in bins],
                y=[b.positive_rate for b in bins],
                mode="lines+markers",
                name=r.label,
                line={"color": model_color(result, r.name), "width": _width(result, r)},
                customdata=[b.customers for b in bins],
                hovertemplate="score %{x:.3f}<br>observed %{y:.3f}<br>%{customdata:,} rows",
            )
        )
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line=_DIAGONAL, name="perfect"))
    return _layout(fig, "Mean predicted probability (bin)", "Observed positive rate")


def gain_figure(result: TrainingResult) -> go.Figure:
    fig = go.Figure()
    for r in result.reports:
        rows = r.test.deciles
        shares = [0.0]
        for d in rows:
            shares.append(shares[-1] + d.customers / r.test.n)
        fig.add_trace(
            go.Scatter(
                x=[100 * s for s in shares],
                y=[0.0] + [100 * d.cumulative_gain for d in rows],
                mode="lines+markers",
                name=r.label,
                line={"color": model_color(result, r.name), "width": _width(result, r)},
            )
        )
    fig.add_trace(go.Scatter(x=[0, 100], y=[0, 100], mode="lines", line=_DIAGONAL, name="random"))
    return _layout(fig, "Customers contacted, highest scores first (%)", "Positives reached (%)")


def lift_figure(result: TrainingResult) -> go.Figure:
    r = result.report()
    rows = r.test.deciles
    fig = go.Figure(
        go.Bar(
            x=[d.decile for d in rows],
            y=[d.lift for d in rows],
            marker_color=model_color(result, r.name),
            text=[f"×{d.lift:.2f}" for d in rows],
            textposition="outside",
            customdata=[[d.customers, d.positives, d.rate] for d in rows],
            hovertemplate="decile %{x}<br>lift %{y:.2f}<br>%{customdata[1]:,} of %{customdata[0]:,}"
            " (%{customdata[2]:.1%})<extra></extra>",
        )
    )
    fig.add_hline(y=1.0, line=_DIAGONAL)
    fig.update_xaxes(tickmode="linear", dtick=1)
    return _layout(fig, "Decile of score (1 = highest)", "Lift (positive rate / base rate)")


def importance_figure(items: list[Importance], x_title: str) -> go.Figure:
    shown = list(reversed(items[:15]))
    fig = go.Figure(
        go.Bar(
            x=[i.mean for i in shown],
            y=[feature_label(i.feature) for i in shown],
            orientation="h",
            error_x={"type": "data", "array": [i.std for i in shown], "visible": True},
            marker_color="#1f77b4",
        )
    )
    return _layout(fig, x_title, "", height=max(300, 28 * len(shown) + 80))


def confusion_figure(result: TrainingResult) -> go.Figure:
    r = result.report()
    tn, fp, fn, tp = r.test.confusion
    z = [[tn, fp], [fn, tp]]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=["predicted 0", "predicted 1"],
            y=["actual 0", "actual 1"],
            text=[[f"{v:,}" for v in row] for row in z],
            texttemplate="%{text}",
            colorscale="Blues",
            showscale=False,
        )
    )
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, f"threshold {r.threshold:.3f}", "", height=320)


def score_histogram(edges: list[float], counts: list[int], name: str) -> go.Figure:
    width = edges[1] - edges[0] if len(edges) > 1 else 1.0
    fig = go.Figure(
        go.Bar(
            x=[e + width / 2 for e in edges],
            y=counts,
            width=width,
            marker_color="#1f77b4",
            hovertemplate="%{x:.3f}: %{y:,} customers<extra></extra>",
        )
    )
    fig.update_xaxes(range=[0, 1])
    return _layout(fig, feature_label(name), "Customers", height=320)
