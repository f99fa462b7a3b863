"""Rendering of the segment lifecycle: the migration matrix as a Sankey chart, the drift report
as an HTML section / page.

Only lays out values already computed (:mod:`cible.lifecycle.migration`,
:mod:`cible.lifecycle.drift`). Sankey: left nodes are the segments before, right nodes the
segments after, each link the customers of one cell (customers present on one side only come
from "entered" / go to "left"). Drift: one row per feature, the drifted ones highlighted
(``templates/drift.html.j2``, in the standalone ``templates/drift_page.html.j2``)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import plotly.graph_objects as go

from cible.lifecycle.drift import DriftReport, FeatureDrift
from cible.lifecycle.migration import OUTSIDE, MigrationMatrix
from cible.reporting.render import template_environment

DRIFT_HEADERS = (
    "Feature",
    "Kind",
    "Drifted",
    "q (BH)",
    "Effect",
    "KS / chi-square",
    "PSI",
    "Jensen-Shannon",
    "KL",
    "Rows ref / current",
)


def _label(segment: int, names: Mapping[int, str], outside: str) -> str:
    if segment == OUTSIDE:
        return outside
    return f"{segment} {names[segment]}" if segment in names else f"Segment {segment}"


def migration_sankey(
    matrix: MigrationMatrix,
    before_names: Mapping[int, str] | None = None,
    after_names: Mapping[int, str] | None = None,
    *,
    title: str = "Segment migration",
) -> go.Figure:
    """The migration matrix as a Sankey chart (one node per segment and side)."""
    before_names = before_names or {}
    after_names = after_names or {}
    rows = [int(v) for v in matrix.counts.index]
    cols = [int(v) for v in matrix.counts.columns]
    labels = [_label(s, before_names, "entered") for s in rows]
    labels += [_label(s, after_names, "left") for s in cols]
    source, target, value = [], [], []
    for move in matrix.moves():
        a = OUTSIDE if move["from"] is None else int(move["from"])
        b = OUTSIDE if move["to"] is None else int(move["to"])
        source.append(rows.index(a))
        target.append(len(rows) + cols.index(b))
        value.append(int(move["customers"] or 0))
    figure = go.Figure(
        go.Sankey(
            node={"label": labels, "pad": 12, "thickness": 14},
            link={"source": source, "target": target, "value": value},
        )
    )
    figure.update_layout(title=title, template="plotly_white")
    return figure


@dataclass(frozen=True)
class DriftRow:
    drifted: bool
    cells: list[str]


@dataclass(frozen=True)
class DriftSection:
    summary: str
    rule: str
    headers: tuple[str, ...]
    rows: list[DriftRow]


def _num(value: float, digits: int = 3) -> str:
    if not math.isfinite(value):
        return "–"
    return f"{value:.2e}" if 0 < abs(value) < 10 ** (-digits) else f"{value:.{digits}f}"


def _drift_row(f: FeatureDrift) -> DriftRow:
    t = f.tests

    def score(name: str) -> str:
        return _num(t[name].score) if name in t else "–"

    first = "ks" if f.kind == "numeric" else "chi_square"
    psi = "psi" if f.kind == "numeric" else "psi_categorical"
    return DriftRow(
        f.drifted,
        [
            f.feature,
            f.kind,
            "yes" if f.drifted else "no",
            _num(f.q_value),
            _num(f.effect),
            score(first),
            score(psi),
            score("jensen_shannon"),
            score("kl"),
            f"{f.reference_rows:,} / {f.current_rows:,}",
        ],
    )


def drift_section(report: DriftReport) -> DriftSection:
    """The display rows of ``report``."""
    p = report.policy
    drifted = report.drifted_features
    summary = f"{len(drifted)} of {len(report.features)} features drifted" + (
        f": {', '.join(drifted)}." if drifted else "."
    )
    rule = (
        f"Drifted = Benjamini-Hochberg q < {p.alpha} AND effect >= {p.min_effect} "
        f"(Wasserstein / reference spread, numeric) or PSI >= {p.min_psi} (categorical); "
        f"{p.bins} quantile bins."
    )
    return DriftSection(summary, rule, DRIFT_HEADERS, [_drift_row(f) for f in report.features])


def render_drift_page(path: Path, report: DriftReport, title: str = "cible") -> Path:
    """Write a standalone drift page (no script) and return ``path``."""
    html = (
        template_environment()
        .get_template("drift_page.html.j2")
        .render(title=title, meta=[], drift=drift_section(report))
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path
