"""The CLV report section reads the typed result; it lays values out and escapes text."""

from __future__ import annotations

from datetime import date

import pandas as pd

from cible.predict.clv import CLVResult, ModelFit
from cible.reporting.clv import frequency_fit_figure, holdout_figure, render_clv_section


def _result(holdout: bool, warnings: tuple[str, ...] = ()) -> CLVResult:
    customers = pd.DataFrame(
        {
            "frequency": [0.0, 2.0],
            "recency": [0.0, 30.0],
            "T": [40.0, 50.0],
            "monetary_value": [0.0, 20.0],
            "p_alive": [1.0, 0.5],
            "expected_purchases": [0.5, 1.5],
            "expected_avg_value": [30.0, 25.0],
            "clv": [14.0, 36.0],
        },
        index=pd.Index(["a", "b"], name="customer_id"),
    )
    fit = pd.DataFrame(
        {"frequency": ["0", "1", "2+"], "actual": [1.0, 0.0, 1.0], "expected": [1.2, 0.5, 0.3]}
    )
    hold = pd.DataFrame(
        {
            "frequency": ["0", "1+"],
            "customers": [1, 1],
            "actual": [0.0, 2.0],
            "predicted": [0.4, 1.1],
        }
    )
    return CLVResult(
        as_of=date(2025, 1, 1),
        time_unit="D",
        horizon_days=365.0,
        discount_rate_annual=0.1,
        bgnbd=ModelFit(
            "BG/NBD",
            {"r": 0.25, "alpha": 30.0, "a": 0.8, "b": 2.4},
            {"r": 0.01, "alpha": 1.0, "a": float("nan"), "b": 0.2},
            -100.0,
            2,
        ),
        gamma_gamma=ModelFit(
            "Gamma-Gamma", {"p": 6.0, "q": 3.7, "v": 15.0}, {"p": 0.5, "q": 0.2, "v": 1.5}, -50.0, 1
        ),
        frequency_monetary_correlation=0.05,
        independence_doubtful=False,
        customers=customers,
        frequency_fit=fit,
        holdout_fit=hold if holdout else None,
        holdout_days=90 if holdout else None,
        warnings=warnings,
    )


def test_figures_show_the_result_tables() -> None:
    r = _result(holdout=True)
    bars = frequency_fit_figure(r)
    assert [list(t.y) for t in bars.data] == [[1.0, 0.0, 1.0], [1.2, 0.5, 0.3]]
    assert list(bars.data[0].x) == ["0", "1", "2+"]
    lines = holdout_figure(r)
    assert lines is not None
    assert [list(t.y) for t in lines.data] == [[0.0, 2.0], [0.4, 1.1]]
    assert "last 90 days" in lines.layout.title.text
    assert holdout_figure(_result(holdout=False)) is None


def test_section_html() -> None:
    html = str(render_clv_section(_result(holdout=True, warnings=("a <b>bold</b> claim",))))
    assert html.startswith('<section id="clv">')
    assert "<td>50</td>" in html  # total value over the horizon: 14 + 36
    assert "<td>0.2500</td><td>0.0100</td>" in html  # r and its standard error
    assert "<td>a</td><td>0.8000</td><td>–</td>" in html  # undefined standard error
    assert "a &lt;b&gt;bold&lt;/b&gt; claim" in html  # warnings are escaped
    assert 'id="chart-clv-frequency-fit"' in html and 'id="chart-clv-holdout"' in html
    plain = str(render_clv_section(_result(holdout=False)))
    assert 'id="chart-clv-holdout"' not in plain and "warnings" not in plain
