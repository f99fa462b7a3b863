"""The A/B analysis report: one self-contained HTML page (plotly.js inlined once) rendered from
an :class:`~cible.experiments.analysis.AnalysisResult`; formatting only, no statistics. The page
template ``experiments.html.j2`` (summary, sections of tables and charts) is shared with the
uplift and cohort reports (:func:`render_page`)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import plotly.graph_objects as go
from markupsafe import Markup
from plotly.offline import get_plotlyjs

from cible.experiments.analysis import AnalysisResult, Comparison
from cible.experiments.heterogeneity import HeterogeneityResult
from cible.reporting.render import chart_div, template_environment

TEMPLATE_NAME = "experiments.html.j2"


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[str]]
    caption: str = ""


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    note: str = ""
    tables: list[Table] = field(default_factory=list)
    charts: list[Markup] = field(default_factory=list)


def fmt(value: float | None, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:.{digits}f}"


def pct(value: float | None, digits: int = 2) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{100 * value:.{digits}f}%"


def points(value: float | None, digits: int = 2) -> str:
    """A difference of rates in percentage points, signed."""
    if value is None or not math.isfinite(value):
        return "–"
    return f"{100 * value:+.{digits}f} pt"


def pval(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:.2e}" if value < 1e-4 else f"{value:.4f}"


def render_page(
    title: str,
    summary: Sequence[tuple[str, str]],
    sections: Sequence[Section],
    meta: Mapping[str, str],
    warnings: Sequence[str] = (),
) -> str:
    return (
        template_environment()
        .get_template(TEMPLATE_NAME)
        .render(
            title=title,
            summary=list(summary),
            sections=list(sections),
            meta=dict(meta),
            warnings=list(warnings),
            plotly_js=Markup(get_plotlyjs()),
        )
    )


def _comparison_rows(comparisons: Sequence[Comparison]) -> list[list[str]]:
    return [
        [
            c.outcome,
            c.arm,
            pct(c.ztest.rate_control),
            pct(c.ztest.rate_treatment),
            points(c.ztest.difference),
            f"[{points(c.ztest.ci_low)}, {points(c.ztest.ci_high)}]",
            fmt(c.ztest.z, 3),
            pval(c.ztest.p_value),
            pval(c.p_holm),
            pval(c.p_bh),
            fmt(c.bayes.probability_treatment_beats_control, 3),
            fmt(c.power_achieved, 3),
            f"{c.sample_size.n_control:,}" if c.sample_size else "–",
        ]
        for c in comparisons
    ]


def _sequential_chart(c: Comparison) -> Markup | None:
    if c.sequential is None:
        return None
    looks = c.sequential.looks
    x = [lk.n_control + lk.n_treatment for lk in looks]
    fig = go.Figure()
    fig.add_scatter(x=x, y=[lk.difference for lk in looks], mode="lines+markers", name="difference")
    fig.add_scatter(
        x=x,
        y=[lk.cs_high for lk in looks],
        mode="lines",
        name="always-valid upper",
        line={"dash": "dot"},
    )
    fig.add_scatter(
        x=x,
        y=[lk.cs_low for lk in looks],
        mode="lines",
        name="always-valid lower",
        line={"dash": "dot"},
    )
    fig.update_layout(
        title=f"{c.outcome}: {c.arm} vs control at each look",
        xaxis_title="units so far",
        yaxis_title="rate difference",
        height=380,
        template="plotly_white",
    )
    return chart_div(f"seq-{c.outcome}-{c.arm}".replace(" ", "_"), fig)


def _segment_table(h: HeterogeneityResult) -> Table:
    rows = [
        [
            str(r["segment"]),
            str(r["arm"]),
            f"{r['n_control']:,}",
            f"{r['n_treatment']:,}",
            pct(r["rate_control"]),
            pct(r["rate_treatment"]),
            points(r["difference"]),
            pval(r["p_value"]),
            pval(r["p_holm"]),
            pval(r["p_bh"]),
        ]
        for r in h.table.to_dict(orient="records")
    ]
    i = h.interaction
    caption = f"{h.outcome} by {h.segment_column}: interaction LRT = {i.statistic:.2f} on {i.dof} df, p = {pval(i.p_value)}"
    return Table(
        [
            "segment",
            "arm",
            "n control",
            "n arm",
            "control",
            "arm",
            "difference",
            "p",
            "p Holm",
            "p BH",
        ],
        rows,
        caption,
    )


def _revenue_rows(result: AnalysisResult) -> list[list[str]]:
    rows = []
    for r in result.revenue:
        w, b = r.welch, r.bootstrap
        row = [
            r.metric,
            r.arm,
            fmt(w.mean_control),
            fmt(w.mean_treatment),
            fmt(w.difference),
            f"[{fmt(w.ci_low)}, {fmt(w.ci_high)}]",
            pval(w.p_value),
            f"[{fmt(b.ci_low)}, {fmt(b.ci_high)}]",
        ]
        row += (
            [pval(r.cuped.adjusted.p_value), pct(r.cuped.variance_reduction)]
            if r.cuped
            else ["–", "–"]
        )
        rows.append(row)
    return rows


def _summary(result: AnalysisResult) -> list[tuple[str, str]]:
    first = result.comparisons[0]
    c, s = result.cleaning, result.srm
    return [
        ("rows read", f"{c.rows_read:,}"),
        ("mismatched removed", f"{c.mismatched_removed:,}"),
        ("repeated rows removed", f"{c.duplicate_rows_removed:,}"),
        ("rows analysed", f"{c.rows_analysed:,}"),
        (f"{first.outcome}: control", pct(first.ztest.rate_control)),
        (f"{first.outcome}: {first.arm}", pct(first.ztest.rate_treatment)),
        ("p-value (two-sided)", pval(first.ztest.p_value)),
        ("sample ratio", "MISMATCH" if s.mismatch else f"ok (p = {pval(s.p_value)})"),
    ]


COMPARISON_HEADERS = [
    "outcome",
    "arm",
    "control",
    "arm rate",
    "difference",
    "95% CI",
    "z",
    "p",
    "p Holm",
    "p BH",
    "P(beat control)",
    "power",
    "n/arm needed",
]
REVENUE_HEADERS = [
    "metric",
    "arm",
    "control",
    "arm",
    "difference",
    "Welch CI",
    "p",
    "bootstrap CI",
    "p CUPED",
    "variance cut",
]


def _sections(result: AnalysisResult) -> list[Section]:
    s = result.srm
    srm_rows = [[a, f"{s.observed[a]:,}", f"{s.expected[a]:,.1f}"] for a in s.observed]
    sections = [
        Section(
            "comparisons",
            "Each arm against control",
            "two-proportion z-test; Holm and Benjamini-Hochberg across every (outcome, arm); "
            "Beta(1, 1) prior; power for the configured minimum detectable effect",
            [Table(COMPARISON_HEADERS, _comparison_rows(result.comparisons))],
        ),
        Section(
            "srm",
            "Sample-ratio check",
            f"chi-square against the planned split; mismatch when p <= {s.threshold}",
            [Table(["arm", "observed", "expected"], srm_rows)],
        ),
    ]
    charts = [ch for ch in map(_sequential_chart, result.comparisons) if ch is not None]
    if charts:
        note = "always-valid confidence sequence: safe to read at every look"
        sections.append(Section("sequential", "Sequential test (mSPRT)", note, charts=charts))
    if result.revenue:
        note = "Welch t-test, bootstrap interval, CUPED with the pre-period covariate"
        table = Table(REVENUE_HEADERS, _revenue_rows(result))
        sections.append(Section("revenue", "Revenue per unit", note, [table]))
    if result.segments:
        note = (
            "z-test per segment, corrected across the table; interaction likelihood-ratio test "
            "of a logistic regression"
        )
        tables = [_segment_table(h) for h in result.segments]
        sections.append(Section("segments", "Per-segment effects", note, tables))
    return sections


def render_analysis_report(result: AnalysisResult, meta: Mapping[str, str]) -> str:
    s = result.srm
    warnings = (
        [
            f"sample-ratio mismatch (p = {pval(s.p_value)}): the assignment or logging is "
            "broken; do not trust the estimates"
        ]
        if s.mismatch
        else []
    )
    title = f"{result.experiment_id} · A/B analysis"
    return render_page(title, _summary(result), _sections(result), meta, warnings)
