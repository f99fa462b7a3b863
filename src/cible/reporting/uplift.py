"""The uplift report: held-out Qini and uplift curves of every model against random targeting,
the table of held-out figures and the audience rule, rendered from an
:class:`~cible.experiments.uplift_run.UpliftResult`."""

from __future__ import annotations

from collections.abc import Mapping

import plotly.graph_objects as go
from markupsafe import Markup

from cible.experiments.uplift_run import UpliftResult
from cible.reporting.experiments import Section, Table, fmt, pct, points, render_page
from cible.reporting.render import chart_div


def _curves(result: UpliftResult, kind: str) -> Markup:
    fig = go.Figure()
    for e in result.evaluations:
        x, y = (e.qini_x, e.qini_y) if kind == "qini" else (e.uplift_x, e.uplift_y)
        fig.add_scatter(x=list(x), y=list(y), mode="lines", name=e.model)
    last = result.evaluations[0]
    x, y = (last.qini_x, last.qini_y) if kind == "qini" else (last.uplift_x, last.uplift_y)
    fig.add_scatter(
        x=[0, x[-1]],
        y=[0, y[-1]],
        mode="lines",
        name="random",
        line={"dash": "dash", "color": "#888"},
    )
    title = "Qini curve (extra responders among the treated)" if kind == "qini" else "Uplift curve"
    fig.update_layout(
        title=title,
        xaxis_title="customers targeted (held-out)",
        yaxis_title="incremental responders",
        height=420,
        template="plotly_white",
    )
    return chart_div(kind, fig)


def render_uplift_report(result: UpliftResult, meta: Mapping[str, str]) -> str:
    t, b = result.evaluation(result.target), result.evaluation(result.baseline)
    summary = [
        ("held-out customers", f"{result.n_test:,}"),
        ("average effect (held-out)", points(result.average_effect_test)),
        (f"{result.target} top 30%", points(t.uplift_top_30)),
        (f"{result.baseline} top 30%", points(b.uplift_top_30)),
        (f"{result.target} Qini", fmt(t.qini_coefficient)),
        (f"{result.baseline} Qini", fmt(b.qini_coefficient)),
        ("audience", f"{result.audience.members:,} of {result.audience.scored:,}"),
    ]
    rows = [
        [
            e.model,
            fmt(e.qini_coefficient),
            fmt(e.uplift_auc),
            points(e.uplift_top_10),
            points(e.uplift_top_30),
        ]
        for e in result.evaluations
    ]
    sections = [
        Section(
            "models",
            "Held-out evaluation",
            f"every model fitted on {result.n_train:,} training rows, judged on the same {result.n_test:,} held-out rows",
            [
                Table(
                    ["model", "Qini coefficient", "uplift AUC", "uplift top 10%", "uplift top 30%"],
                    rows,
                )
            ],
        ),
        Section(
            "curves", "Curves", "", charts=[_curves(result, "qini"), _curves(result, "uplift")]
        ),
        Section(
            "audience",
            "Audience",
            result.audience.rule,
            [
                Table(
                    ["fraction", "threshold", "members", "scored"],
                    [
                        [
                            pct(result.audience.fraction, 0),
                            fmt(result.audience.threshold, 6),
                            f"{result.audience.members:,}",
                            f"{result.audience.scored:,}",
                        ]
                    ],
                )
            ],
        ),
    ]
    return render_page("Uplift targeting", summary, sections, meta)
