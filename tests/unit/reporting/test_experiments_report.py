"""The experiment pages: rendered from typed results, self-contained, values escaped."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cible.config.experiments import AnalyzeConfig
from cible.experiments.analysis import analyze
from cible.experiments.cleaning import clean
from cible.experiments.cohorts import cohort_matrices
from cible.reporting.cohorts import render_cohort_report
from cible.reporting.experiments import pct, pval, render_analysis_report


def _result() -> object:
    rng = np.random.default_rng(0)
    n = 600
    frame = pd.DataFrame(
        {
            "arm": np.where(np.arange(n) % 2 == 0, "control", "<b>new</b>"),
            "y": rng.integers(0, 2, n),
            "seg": rng.choice(["<script>x</script>", "b"], n),
        }
    )
    cfg = AnalyzeConfig.model_validate(
        {
            "id": "t & co",
            "source": {"path": "x.csv"},
            "arm": "arm",
            "control": "control",
            "planned": {"control": 1, "<b>new</b>": 1},
            "outcomes": ["y"],
            "segments": ["seg"],
        }
    )
    data, summary = clean(
        frame,
        source="x.csv",
        unit=None,
        arm="arm",
        arms=list(cfg.planned),
        consistency=None,
        duplicates="keep_first",
    )
    return analyze(data, cfg, summary)


def test_analysis_page_escapes_names_and_inlines_plotly() -> None:
    html = render_analysis_report(_result(), {"project": "t"})  # type: ignore[arg-type]
    assert "&lt;script&gt;x&lt;/script&gt;" in html
    assert "<script>x</script>" not in html
    assert "&lt;b&gt;new&lt;/b&gt;" in html
    assert "t &amp; co · A/B analysis" in html
    assert "Per-segment effects" in html and "interaction LRT" in html
    assert html.count('<script type="text/javascript">') == 1  # plotly.js once, no CDN
    assert "<script src=" not in html  # nothing fetched: readable offline


def test_cohort_page_leaves_unobserved_cells_blank() -> None:
    long = pd.DataFrame(
        {
            "cohort": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-02-01"]),
            "months_since": [0, 1, 0],
            "customers": [2, 1, 1],
            "revenue": [10.0, 4.0, 3.0],
        }
    )
    html = render_cohort_report(cohort_matrices(long), {"project": "t"})
    assert "chart-retention" in html and "chart-revenue" in html
    assert "<td>50.0%</td>" in html  # January cohort, month 1
    assert "<td>–</td>" in html  # February cohort, month 1: not observed yet


def test_formatting_of_missing_and_tiny_values() -> None:
    assert pct(float("nan")) == "–" and pct(0.1204) == "12.04%"
    assert pval(5.7e-112) == "5.70e-112" and pval(0.18988) == "0.1899" and pval(None) == "–"


def test_differences_are_signed_percentage_points() -> None:
    from cible.reporting.experiments import points

    assert points(-0.0015782) == "-0.16 pt"
    assert points(0.0766) == "+7.66 pt"
    assert points(0.0) == "+0.00 pt"
    assert points(float("nan")) == "–"
