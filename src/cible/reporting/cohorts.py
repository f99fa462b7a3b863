"""The cohort report: retention and revenue-per-customer heatmaps (cohort x months since
acquisition) with the matrices as tables, rendered from a
:class:`~cible.experiments.cohorts.CohortResult`."""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go
from markupsafe import Markup

from cible.experiments.cohorts import CohortResult
from cible.reporting.experiments import Section, Table, fmt, pct, render_page
from cible.reporting.render import chart_div


def _heatmap(key: str, frame: pd.DataFrame, title: str, fmt_text: str) -> Markup:
    z = [[None if not math.isfinite(v) else v for v in row] for row in frame.to_numpy(dtype=float)]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[str(k) for k in frame.columns],
            y=[str(c) for c in frame.index],
            colorscale="Blues",
            texttemplate=fmt_text,
            hoverongaps=False,
        )
    )
    fig.update_layout(
        title=title,
        xaxis_title="months since first order",
        yaxis_title="cohort",
        yaxis={"autorange": "reversed"},
        height=max(360, 28 * len(frame) + 140),
        template="plotly_white",
    )
    return chart_div(key, fig)


def _table(frame: pd.DataFrame, sizes: pd.Series, cell: str) -> Table:
    rows = []
    size = {str(k): int(v) for k, v in sizes.items()}
    for cohort, row in frame.iterrows():
        cells = [pct(v, 1) if cell == "pct" else fmt(v, 2) for v in row.to_numpy(dtype=float)]
        rows.append([str(cohort), f"{size[str(cohort)]:,}", *cells])
    return Table(["cohort", "customers", *[str(k) for k in frame.columns]], rows)


def render_cohort_report(result: CohortResult, meta: Mapping[str, str]) -> str:
    summary = [
        ("cohorts", f"{len(result.sizes):,}"),
        ("customers", f"{int(result.sizes.sum()):,}"),
        ("first cohort", str(result.sizes.index[0])),
        ("last cohort", str(result.sizes.index[-1])),
    ]
    sections = [
        Section(
            "heatmaps",
            "Retention and revenue",
            "cohort = calendar month (UTC) of the first order; blank cells are not observed yet",
            charts=[
                _heatmap("retention", result.retention, "Retention", "%{z:.0%}"),
                _heatmap(
                    "revenue",
                    result.revenue_per_customer,
                    "Revenue per cohort customer",
                    "%{z:.1f}",
                ),
            ],
        ),
        Section(
            "retention",
            "Retention matrix",
            "share of the cohort with an order in that month",
            [_table(result.retention, result.sizes, "pct")],
        ),
        Section(
            "revenue",
            "Revenue matrix",
            "revenue of the cohort in that month",
            [_table(result.revenue, result.sizes, "num")],
        ),
    ]
    return render_page("Acquisition-month cohorts", summary, sections, meta)
