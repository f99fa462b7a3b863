"""The CLV section of a report, rendered from a :class:`~cible.predict.clv.clv_result.CLVResult`.

Figures lay out values already in the result (no statistic is computed here):

* the in-sample fit check: customers by number of repeat purchases, actual against the BG/NBD
  expectation (figure 2 of Fader, Hardie & Lee 2005);
* with a holdout, the mean number of purchases in the holdout period by calibration frequency,
  actual against predicted (their figure 4).

:func:`render_clv_section` returns an HTML ``<section>`` fragment (autoescaped template) for a page
that already loads plotly.js, as the main report does.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import plotly.graph_objects as go
from markupsafe import Markup

from cible.predict.clv.clv_result import CLVResult, ModelFit
from cible.reporting.render import chart_div as default_chart_div
from cible.reporting.render import template_environment

TEMPLATE = "plotly_white"
ACTUAL_COLOR = "#1f77b4"
MODEL_COLOR = "#d62728"
_UNIT_NAMES = {"h": "hours", "D": "days", "W": "weeks"}

ChartDiv = Callable[[str, go.Figure], Markup]


def frequency_fit_figure(result: CLVResult) -> go.Figure:
    """Grouped bars: customers by repeat purchases in the data, actual and expected."""
    table = result.frequency_fit
    fig = go.Figure(
        [
            go.Bar(
                name="Actual", x=table["frequency"], y=table["actual"], marker_color=ACTUAL_COLOR
            ),
            go.Bar(
                name="BG/NBD", x=table["frequency"], y=table["expected"], marker_color=MODEL_COLOR
            ),
        ]
    )
    fig.update_layout(
        template=TEMPLATE,
        barmode="group",
        title="Repeat purchases per customer: actual vs model",
        xaxis_title=f"Repeat purchases ({_UNIT_NAMES[result.time_unit]} with a purchase, minus 1)",
        yaxis_title="Customers",
        legend={"orientation": "h", "y": -0.2},
    )
    return fig


def holdout_figure(result: CLVResult) -> go.Figure | None:
    """Lines: mean holdout purchases by calibration frequency, actual and predicted."""
    table = result.holdout_fit
    if table is None:
        return None
    text = [f"{n:,} customers" for n in table["customers"]]
    fig = go.Figure(
        [
            go.Scatter(
                name="Actual",
                x=table["frequency"],
                y=table["actual"],
                mode="lines+markers",
                line={"color": ACTUAL_COLOR},
                text=text,
            ),
            go.Scatter(
                name="BG/NBD",
                x=table["frequency"],
                y=table["predicted"],
                mode="lines+markers",
                line={"color": MODEL_COLOR, "dash": "dash"},
                text=text,
            ),
        ]
    )
    fig.update_layout(
        template=TEMPLATE,
        title=f"Holdout check: purchases in the last {result.holdout_days} days",
        xaxis_title="Repeat purchases before the holdout",
        yaxis_title="Mean purchases in the holdout",
        legend={"orientation": "h", "y": -0.2},
    )
    return fig


def _fmt(value: float, digits: int = 3) -> str:
    return "–" if not math.isfinite(value) else f"{value:,.{digits}f}"


def _param_rows(fit: ModelFit) -> list[list[str]]:
    return [
        [fit.name, name, _fmt(value, 4), _fmt(fit.standard_errors.get(name, math.nan), 4)]
        for name, value in fit.params.items()
    ]


def _per_period(params: dict[str, float]) -> str:
    return ", ".join(f"{k} {_fmt(v, 3)}" for k, v in params.items())


def render_clv_section(result: CLVResult, chart_div: ChartDiv | None = None) -> Markup:
    """The ``<section id="clv">`` fragment: totals, parameters, warnings and the fit charts."""
    div = chart_div or default_chart_div
    totals = result.totals()
    summary = [
        ("Customers valued", f"{int(totals['customers']):,}"),
        (f"Value over {result.horizon_days:,.0f} days", _fmt(totals["clv"], 0)),
        ("Mean value per customer", _fmt(totals["mean_clv"], 2)),
        ("Expected purchases", _fmt(totals["expected_purchases"], 0)),
        ("Mean P(alive)", f"{totals['mean_p_alive']:.1%}"),
        ("Annual discount rate", f"{result.discount_rate_annual:.1%}"),
        ("Period", _UNIT_NAMES[result.time_unit]),
        *(
            (f"BG/NBD per {label}", _per_period(result.bgnbd_per(days)))
            for label, days in (("day", 1.0), ("week (7 days)", 7.0))
        ),
        ("Frequency-spend correlation", _fmt(result.frequency_monetary_correlation, 2)),
    ]
    charts = [div("clv-frequency-fit", frequency_fit_figure(result))]
    holdout = holdout_figure(result)
    if holdout is not None:
        charts.append(div("clv-holdout", holdout))
    env = template_environment()
    html = env.get_template("clv_section.html.j2").render(
        as_of=result.as_of.isoformat(),
        summary=summary,
        param_rows=_param_rows(result.bgnbd) + _param_rows(result.gamma_gamma),
        warnings=list(result.warnings),
        charts=charts,
    )
    return Markup(html)
