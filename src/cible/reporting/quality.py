"""Render the data-quality report: ``quality.json`` and the HTML section / page.

Everything is read from :class:`~cible.quality.results.QualityReport` (formatting only, no
statistic). The section is ``templates/quality.html.j2``, included in the run report and in the
standalone ``quality.html`` page (``templates/quality_page.html.j2``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from cible.quality.results import (
    ColumnQuality,
    Finding,
    QualityReport,
    SourceQuality,
    ValueCount,
)
from cible.reporting.render import template_environment

PAGE_TEMPLATE = "quality_page.html.j2"
COLUMN_HEADERS = (
    "Column",
    "Kind",
    "Missing",
    "Invalid",
    "Distinct",
    "Top values (patterns for personal data)",
    "Invalid because",
    "Outliers and impossible values",
)


@dataclass(frozen=True)
class FindingView:
    column: str
    kind: str
    message: str
    groups: list[tuple[str, str]]


@dataclass(frozen=True)
class SourceView:
    name: str
    kind: str
    rows: str
    columns: list[list[str]]
    breached: list[bool]
    findings: list[FindingView]


@dataclass(frozen=True)
class QualitySection:
    """Display rows of the quality section (every cell already a string)."""

    sources: list[SourceView]
    breaches: list[str]
    imputation: list[list[str]] | None
    reference_date: str
    notes: list[str]


def _count_rate(n: int, rate: float) -> str:
    return "–" if n == 0 else f"{n:,} ({rate:.1%})"


def _missing(c: ColumnQuality) -> str:
    text = _count_rate(c.n_missing, c.missing_rate)
    if not c.n_missing_like:
        return text
    like = f"{c.n_missing_like:,} written as n/a, null…"
    return like if c.n_missing == 0 else f"{text} + {like}"


def _values(items: tuple[ValueCount, ...]) -> str:
    return " · ".join(f"{v.value} ({v.count:,})" for v in items) or "–"


def _outliers(c: ColumnQuality) -> str:
    parts: list[str] = []
    if c.numeric is not None:
        n = c.numeric
        parts.append(
            f"robust z > 3.5: {n.robust_z:,}; outside IQR fences: {n.iqr:,} "
            f"(median {n.median:g}, Q1 {n.q1:g}, Q3 {n.q3:g})"
        )
        if n.examples:
            parts.append(
                "e.g. "
                + ", ".join(
                    f"row {e.row}" + (f" = {e.value}" if e.value else "") for e in n.examples
                )
            )
    if c.dates is not None:
        d = c.dates
        counts = [f"after {d.reference}: {d.future:,}", f"before 1900: {d.before_1900:,}"]
        if d.over_120 is not None:
            counts.append(f"age over 120: {d.over_120:,}")
        parts.append("; ".join(counts))
        if d.examples:
            parts.append(
                "e.g. "
                + ", ".join(
                    f"row {e.row} ({e.problem}{', ' + e.value if e.value else ''})"
                    for e in d.examples
                )
            )
        if d.earliest is not None:
            parts.append(f"range {d.earliest} to {d.latest}")
    return " — ".join(parts) or "–"


def _column_row(c: ColumnQuality) -> list[str]:
    top = _values(c.top_patterns) if c.personal else _values(c.top_values)
    return [
        c.name + (" (personal)" if c.personal else ""),
        c.kind,
        _missing(c),
        _count_rate(c.n_invalid, c.invalid_rate),
        f"{c.n_distinct:,}",
        top,
        _values(c.invalid_reasons),
        _outliers(c),
    ]


def _finding(f: Finding) -> FindingView:
    groups = [
        (
            g.canonical if g.canonical is not None else "not recognised",
            ", ".join(f"{v.value!r} ({v.count:,})" for v in g.variants),
        )
        for g in f.groups
    ]
    return FindingView(f.column, f.kind.replace("_", " "), f.message, groups)


def _source(s: SourceQuality, breached: set[tuple[str, str]]) -> SourceView:
    return SourceView(
        name=s.source,
        kind=s.kind,
        rows=f"{s.n_rows:,}",
        columns=[_column_row(c) for c in s.columns],
        breached=[(s.source, c.name) in breached for c in s.columns],
        findings=[_finding(f) for f in s.findings],
    )


def quality_section(report: QualityReport) -> QualitySection:
    """The display rows of ``report``."""
    breached = {(b.source, b.column) for b in report.breaches}
    imputation = (
        None
        if report.imputation is None
        else [
            [i.feature, i.method, f"{i.n_imputed:,} of {i.n_rows:,}", f"{i.share:.1%}"]
            for i in report.imputation
        ]
    )
    return QualitySection(
        sources=[_source(s, breached) for s in report.sources],
        breaches=[b.message() for b in report.breaches],
        imputation=imputation,
        reference_date=report.reference_date or "–",
        notes=list(report.notes),
    )


def render_quality_page(path: Path, report: QualityReport, meta: dict[str, str]) -> Path:
    """Write the standalone ``quality.html`` (no script, no chart) and return ``path``."""
    html = (
        template_environment()
        .get_template(PAGE_TEMPLATE)
        .render(
            title=str(meta.get("project", "cible")),
            meta=[(k.replace("_", " ").capitalize(), str(v)) for k, v in meta.items()],
            quality=quality_section(report),
            column_headers=COLUMN_HEADERS,
        )
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path


def write_quality_json(path: Path, report: QualityReport) -> Path:
    """Write ``quality.json`` (:meth:`QualityReport.to_dict`) and return ``path``."""
    text = json.dumps(report.to_dict(), indent=2, ensure_ascii=False, default=str)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n", encoding="utf-8")
    return path
