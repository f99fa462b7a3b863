"""Plotly figures and display rows drawn from the validation, explanation and map results.

Like :mod:`cible.reporting.charts`, these functions only lay out values already computed
(:mod:`cible.segmentation.validation`, :mod:`cible.segmentation.segment_explanations`,
:mod:`cible.segmentation.maps`). Segments are coloured by id with
:func:`~cible.reporting.charts.segment_color`, so pass the report's segment ids (``1..k``) for the
colours to match the other charts. ``names`` maps a segment id to its display name (default
``"Segment <id>"``). Table builders return rows of display strings for
:class:`~cible.reporting.html.Table`, with their headers in ``*_HEADERS``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from numpy.typing import ArrayLike

from cible.reporting.charts import TEMPLATE, SegmentPalette, feature_label, segment_color
from cible.segmentation.segment_explanations import RulesResult
from cible.segmentation.validation.anova import AnovaResult
from cible.segmentation.validation.kruskal import KruskalResult
from cible.segmentation.validation.silhouette import SilhouetteResult
from cible.segmentation.validation.stability import (
    STABLE_JACCARD,
    UNSTABLE_JACCARD,
    StabilityResult,
)

ANOVA_HEADERS: tuple[str, ...] = ("Feature", "F", "p", "η²", "H", "p (Kruskal-Wallis)", "ε²")
RULES_HEADERS: tuple[str, ...] = ("Segment", "Rule", "Customers", "Support", "Purity", "Coverage")
DASH = "–"
# Up to this many points a map is drawn as SVG (``Scatter``), which needs no WebGL.
SVG_MAX_POINTS = 10_000


def silhouette_bars_figure(
    result: SilhouetteResult,
    names: Mapping[int, str] | None = None,
    palette: SegmentPalette | None = None,
) -> go.Figure:
    """One bar per segment: its mean silhouette; a dotted line at the overall mean.

    With ``palette``, the result's labels are the algorithm's raw labels: bars follow the
    report's order, colours and names (``names`` is then ignored)."""
    segments = _ordered(list(result.segments), palette)
    values = [result.per_segment[s] for s in segments]
    fig = go.Figure(
        go.Bar(
            x=[_label(s, names, palette) for s in segments],
            y=[None if math.isnan(v) else v for v in values],
            marker_color=[_color(s, palette) for s in segments],
            text=[_num(v, 2) for v in values],
            textposition="outside",
            customdata=[result.sizes[s] for s in segments],
            hovertemplate="%{x}<br>silhouette %{y:.3f}<br>%{customdata:,} customers<extra></extra>",
            name="silhouette",
        )
    )
    if not math.isnan(result.overall):
        fig.add_hline(
            y=result.overall,
            line_dash="dot",
            line_color="#555555",
            annotation_text=f"overall {result.overall:.2f}",
        )
    fig.add_hline(y=0.0, line_color="#999999", line_width=1)
    fig.update_layout(
        template=TEMPLATE,
        height=400,
        margin={"t": 30, "b": 10},
        yaxis={"title": "Mean silhouette", "range": [min(-0.1, *_finite(values)) - 0.05, 1.05]},
        xaxis_title=None,
    )
    return fig


def stability_figure(
    result: StabilityResult,
    names: Mapping[int, str] | None = None,
    palette: SegmentPalette | None = None,
) -> go.Figure:
    """Mean bootstrap Jaccard per segment (error bars: standard deviation over resamples), with
    Hennig's reference lines at 0.6 (unstable below) and 0.75 (stable above). ``palette``: as
    for :func:`silhouette_bars_figure`."""
    columns = {s: i for i, s in enumerate(result.segments)}
    segments = _ordered(list(result.segments), palette)
    means = [result.mean_jaccard[s] for s in segments]
    spread = [
        float(np.nanstd(col)) if np.isfinite(col).any() else 0.0
        for col in (result.jaccards[:, columns[s]] for s in segments)
    ]
    fig = go.Figure(
        go.Bar(
            x=[_label(s, names, palette) for s in segments],
            y=[None if math.isnan(v) else v for v in means],
            error_y={"type": "data", "array": spread, "visible": True},
            marker_color=[_color(s, palette) for s in segments],
            customdata=[[result.recovered[s], result.stability_class(s)] for s in segments],
            hovertemplate="%{x}<br>mean Jaccard %{y:.2f} (%{customdata[1]})"
            "<br>recovered in %{customdata[0]:.0%} of resamples<extra></extra>",
            name="mean Jaccard",
        )
    )
    fig.add_hline(
        y=UNSTABLE_JACCARD,
        line_dash="dash",
        line_color="#d62728",
        annotation_text=f"unstable < {UNSTABLE_JACCARD}",
    )
    fig.add_hline(
        y=STABLE_JACCARD,
        line_dash="dash",
        line_color="#2ca02c",
        annotation_text=f"stable > {STABLE_JACCARD}",
    )
    fig.update_layout(
        template=TEMPLATE,
        height=400,
        margin={"t": 30, "b": 10},
        yaxis={"title": f"Mean Jaccard over {result.n_boot} resamples", "range": [0, 1.05]},
        xaxis_title=None,
    )
    return fig


def anova_table_rows(anova: AnovaResult, kruskal: KruskalResult | None = None) -> list[list[str]]:
    """One row per feature (headers :data:`ANOVA_HEADERS`), by decreasing η²; Kruskal-Wallis
    cells are dashes when ``kruskal`` is not given or lacks the feature."""
    kw: dict[str, tuple[float, float, float]] = {}
    if kruskal is not None:
        k = kruskal.table
        kw = {
            str(f): (float(h), float(p), float(e))
            for f, h, p, e in zip(
                k["feature"],
                k["h_stat"].to_numpy(dtype=np.float64),
                k["p_value"].to_numpy(dtype=np.float64),
                k["epsilon_squared"].to_numpy(dtype=np.float64),
                strict=True,
            )
        }
    table = anova.table.sort_values("eta_squared", ascending=False, na_position="last")
    rows = []
    for f, f_stat, p_value, eta in zip(
        table["feature"],
        table["f_stat"].to_numpy(dtype=np.float64),
        table["p_value"].to_numpy(dtype=np.float64),
        table["eta_squared"].to_numpy(dtype=np.float64),
        strict=True,
    ):
        feature = str(f)
        h, p_kw, eps = kw.get(feature, (math.nan, math.nan, math.nan))
        rows.append(
            [
                feature_label(feature),
                _num(float(f_stat), 1),
                _p(float(p_value)),
                _num(float(eta), 3),
                _num(h, 1),
                _p(p_kw),
                _num(eps, 3),
            ]
        )
    return rows


def map_figure(
    coords: ArrayLike,
    segment_names: Sequence[str],
    title: str,
    segment_ids: Sequence[int] | None = None,
    axis_titles: tuple[str, str] = ("", ""),
    palette: SegmentPalette | None = None,
) -> go.Figure:
    """Scatter of 2-D map coordinates (PCA, t-SNE, UMAP, autoencoder), one trace per segment.

    ``segment_names`` (and optionally ``segment_ids``, for colours) give each point's segment,
    aligned with the rows of ``coords``. Traces are ordered by segment id when given (by the
    ``palette``'s order and colours when given too), else by name. Up to :data:`SVG_MAX_POINTS`
    points the traces are SVG ``Scatter`` (no WebGL needed), above that ``Scattergl``.
    """
    xy = np.asarray(coords, dtype=np.float64)
    names = [str(n) for n in segment_names]
    if xy.ndim != 2 or xy.shape[1] != 2 or len(names) != xy.shape[0]:
        raise ValueError(
            f"coords must be (n, 2) with one segment name per row; got {xy.shape} and "
            f"{len(names)} names"
        )
    ids = list(segment_ids) if segment_ids is not None else None
    if ids is not None and len(ids) != len(names):
        raise ValueError(f"{len(ids)} segment ids for {len(names)} points")
    order = _trace_order(names, ids, palette)
    trace = go.Scatter if xy.shape[0] <= SVG_MAX_POINTS else go.Scattergl
    label = np.asarray(names, dtype=object)
    fig = go.Figure()
    for position, name in enumerate(order):
        mask = label == name
        colour = (
            _color(int(ids[int(np.flatnonzero(mask)[0])]), palette, raw=False)
            if ids is not None
            else segment_color(position + 1)
        )
        fig.add_trace(
            trace(
                x=xy[mask, 0].tolist(),
                y=xy[mask, 1].tolist(),
                mode="markers",
                name=name,
                marker={"color": colour, "size": 5, "opacity": 0.6},
                hovertemplate="%{fullData.name}<extra></extra>",
            )
        )
    fig.update_layout(
        template=TEMPLATE,
        title={"text": title},
        height=560,
        margin={"t": 50},
        xaxis_title=axis_titles[0],
        yaxis_title=axis_titles[1],
        legend_title_text="Segment",
    )
    return fig


def rules_rows(rules: RulesResult, names: Mapping[int, str] | None = None) -> list[list[str]]:
    """One row per rule (headers :data:`RULES_HEADERS`), segments in id order, rules by support."""
    rows = []
    for segment in sorted(rules.rules):
        for r in rules.rules[segment]:
            rows.append(
                [
                    _name(segment, names),
                    r.rule,
                    f"{r.n_rows:,}",
                    f"{r.support:.1%}",
                    f"{r.purity:.1%}",
                    f"{r.coverage:.1%}",
                ]
            )
    return rows


def importance_figure(importance: pd.DataFrame) -> go.Figure:
    """Horizontal bars: permutation importance (drop in accuracy) per feature, most important on
    top, with the standard deviation over repeats as error bars."""
    frame = importance.sort_values("importance_mean", ascending=True, kind="stable")
    fig = go.Figure(
        go.Bar(
            x=[float(v) for v in frame["importance_mean"]],
            y=[feature_label(str(f)) for f in frame["feature"]],
            orientation="h",
            error_x={
                "type": "data",
                "array": [float(v) for v in frame["importance_std"]],
                "visible": True,
            },
            marker_color="#1f77b4",
            hovertemplate="%{y}<br>accuracy drop %{x:.3f}<extra></extra>",
            name="importance",
        )
    )
    fig.update_layout(
        template=TEMPLATE,
        height=max(300, 32 * len(frame) + 100),
        margin={"t": 30},
        xaxis_title="Drop in accuracy when the feature is shuffled",
        yaxis_title=None,
    )
    return fig


def _trace_order(
    names: list[str], ids: list[int] | None, palette: SegmentPalette | None = None
) -> list[str]:
    if ids is None:
        return sorted(set(names))
    first_id: dict[str, int] = {}
    for name, i in zip(names, ids, strict=True):
        first_id.setdefault(name, int(i))
    rank = palette.rank if palette is not None else (lambda i: 0)
    return sorted(first_id, key=lambda n: (rank(first_id[n]), first_id[n], n))


def _ordered(raw_segments: list[int], palette: SegmentPalette | None) -> list[int]:
    """Raw labels in the report's order (unchanged without a palette)."""
    if palette is None:
        return raw_segments
    return sorted(raw_segments, key=lambda s: (palette.rank(palette.report_id(s)), s))


def _color(segment: int, palette: SegmentPalette | None, raw: bool = True) -> str:
    if palette is None:
        return segment_color(segment)
    return palette.color(palette.report_id(segment) if raw else segment)


def _label(segment: int, names: Mapping[int, str] | None, palette: SegmentPalette | None) -> str:
    return (
        palette.name(palette.report_id(segment)) if palette is not None else _name(segment, names)
    )


def _name(segment: int, names: Mapping[int, str] | None) -> str:
    return names[segment] if names and segment in names else f"Segment {segment}"


def _num(value: float, digits: int) -> str:
    return DASH if math.isnan(value) else f"{value:,.{digits}f}"


def _p(value: float) -> str:
    if math.isnan(value):
        return DASH
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def _finite(values: list[float]) -> list[float]:
    return [v for v in values if not math.isnan(v)] or [0.0]
