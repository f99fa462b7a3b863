"""Plotly figures drawn from a :class:`~cible.segmentation.segmentation_result.SegmentationResult`.

Every function reads values already computed by the segmentation and only lays them out: no
statistic is computed here. Colours follow the segment id so that a segment has the same colour
in every chart of a report.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative

from cible.segmentation.segmentation_result import PROSPECT_SEGMENT_ID, SegmentationResult

TEMPLATE = "plotly_white"
PROSPECT_COLOR = "#9e9e9e"
CHOSEN_COLOR = "#d62728"
# The greys of D3 and Set2 are left out: grey is the prospects' colour.
_GREYS = frozenset({"#7F7F7F", "rgb(179,179,179)"})
_PALETTE: tuple[str, ...] = tuple(
    c for c in (*qualitative.D3, *qualitative.Set2) if c not in _GREYS
)

FEATURE_LABELS: dict[str, str] = {
    "recency_days": "Recency (days)",
    "frequency": "Orders",
    "monetary": "Net revenue",
    "avg_basket": "Avg basket",
    "tenure_days": "Tenure (days)",
    "mean_interpurchase_days": "Days between orders",
    "refund_rate": "Refund rate",
    "events_30d": "Events 30d",
    "events_90d": "Events 90d",
}

# Lifts are coloured on a log2 scale clipped to [1/8, 8], so that x2 and /2 look equally strong.
_LIFT_CLIP = 3.0


def feature_label(feature: str) -> str:
    """Display label of a feature column."""
    return FEATURE_LABELS.get(feature, feature.replace("_", " ").capitalize())


def profile_features(result: SegmentationResult) -> list[str]:
    """The features profiled in ``result.profiles`` (those with a ``<f>_lift`` column), in order."""
    return [str(c)[: -len("_lift")] for c in result.profiles.columns if str(c).endswith("_lift")]


def segment_color(segment_id: int) -> str:
    """The colour of a segment: grey for prospects, then a fixed qualitative palette."""
    if segment_id == PROSPECT_SEGMENT_ID:
        return PROSPECT_COLOR
    return _PALETTE[(segment_id - 1) % len(_PALETTE)]


@dataclass(frozen=True)
class SegmentPalette:
    """Report segment id -> colour and name, in the report's segment order (the profiles').

    Built once per report (:meth:`of`) and passed to every figure, so that a segment has one
    colour and one position everywhere; the science results are keyed by the algorithm's raw
    labels, which :meth:`report_id` translates."""

    order: tuple[int, ...]
    colors: dict[int, str]
    names: dict[int, str]
    raw_to_id: dict[int, int]

    @classmethod
    def of(cls, result: SegmentationResult) -> SegmentPalette:
        p = result.profiles
        ids = tuple(int(i) for i in p["segment_id"])
        names = {int(i): str(n) for i, n in zip(p["segment_id"], p["segment_name"], strict=True)}
        return cls(
            order=ids,
            colors={i: segment_color(i) for i in ids},
            names=names,
            raw_to_id={int(a): int(b) for a, b in result.label_map.items()},
        )

    def color(self, segment_id: int) -> str:
        """The colour of a report segment id (an id outside the report: the fixed palette's)."""
        return self.colors.get(segment_id, segment_color(segment_id))

    def name(self, segment_id: int) -> str:
        return self.names.get(segment_id, f"Segment {segment_id}")

    def rank(self, segment_id: int) -> int:
        """Position in the report order (ids outside the report go last)."""
        return self.order.index(segment_id) if segment_id in self.order else len(self.order)

    def report_id(self, raw_label: int) -> int:
        """The report segment id of an algorithm label (unknown labels keep their value)."""
        return self.raw_to_id.get(int(raw_label), int(raw_label))


def sizes_figure(result: SegmentationResult, palette: SegmentPalette | None = None) -> go.Figure:
    """Bar chart: customers per segment, with the share of all customers."""
    palette = palette or SegmentPalette.of(result)
    p = result.profiles
    ids = [int(i) for i in p["segment_id"]]
    fig = go.Figure(
        go.Bar(
            x=list(p["segment_name"]),
            y=list(p["size"]),
            marker_color=[palette.color(i) for i in ids],
            text=[f"{s:.1%}" for s in p["share"]],
            textposition="outside",
            hovertemplate="%{x}<br>%{y:,} customers (%{text})<extra></extra>",
        )
    )
    fig.update_layout(
        template=TEMPLATE,
        height=420,
        margin={"t": 30, "b": 10},
        yaxis_title="Customers",
        xaxis_title=None,
    )
    return fig


def lift_heatmap_figure(result: SegmentationResult) -> go.Figure:
    """Heatmap of segment mean / mean of purchasing customers, segments x features."""
    p = result.profiles
    features = profile_features(result)
    lifts = p[[f"{f}_lift" for f in features]].to_numpy(dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        colour = np.log2(np.clip(lifts, 2.0**-_LIFT_CLIP, 2.0**_LIFT_CLIP))
    text = [[_lift_text(v) for v in row] for row in lifts]
    ticks = [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0]
    fig = go.Figure(
        go.Heatmap(
            z=colour,
            x=[feature_label(f) for f in features],
            y=list(p["segment_name"]),
            text=text,
            texttemplate="%{text}",
            hovertemplate="%{y}<br>%{x}: %{text}<extra></extra>",
            colorscale="RdBu_r",
            zmid=0.0,
            zmin=-_LIFT_CLIP,
            zmax=_LIFT_CLIP,
            colorbar={
                "title": {"text": "lift"},
                "tickvals": ticks,
                "ticktext": [f"×{2.0**t:g}" for t in ticks],
            },
        )
    )
    fig.update_layout(
        template=TEMPLATE,
        height=max(300, 60 * len(p) + 120),
        margin={"t": 30},
        yaxis={"autorange": "reversed"},
    )
    return fig


def pca_map_figure(result: SegmentationResult, palette: SegmentPalette | None = None) -> go.Figure:
    """Scatter of the sampled customers on the first two principal components, by segment (SVG
    ``Scatter``: the map is a sample, and WebGL is not available everywhere)."""
    palette = palette or SegmentPalette.of(result)
    m = result.map_2d
    ev1, ev2 = result.pca_explained
    fig = go.Figure()
    for seg_id in sorted({int(i) for i in m["segment_id"]}, key=lambda i: (palette.rank(i), i)):
        part = m[m["segment_id"] == seg_id]
        fig.add_trace(
            go.Scatter(
                x=list(part["pc1"]),
                y=list(part["pc2"]),
                mode="markers",
                name=str(part["segment_name"].iloc[0]),
                marker={"color": palette.color(seg_id), "size": 5, "opacity": 0.6},
                customdata=list(part["customer_id"]),
                hovertemplate="%{customdata}<extra>%{fullData.name}</extra>",
            )
        )
    fig.update_layout(
        template=TEMPLATE,
        height=560,
        margin={"t": 30},
        xaxis_title=f"PC1 ({ev1:.1%} of variance)",
        yaxis_title=f"PC2 ({ev2:.1%} of variance)",
        legend_title_text="Segment",
    )
    return fig


def elbow_figure(result: SegmentationResult) -> go.Figure:
    """Inertia (within-cluster sum of squares) against k; the chosen k is marked."""
    return _k_curve(result, "inertia", "Inertia (within-segment sum of squares)", ",.0f")


def silhouette_figure(result: SegmentationResult) -> go.Figure:
    """Sampled silhouette against k; the chosen k is marked."""
    return _k_curve(result, "silhouette", "Silhouette (sampled)", ".3f")


def _k_curve(result: SegmentationResult, column: str, title: str, fmt: str) -> go.Figure:
    scores = result.k_scores
    ks = [int(k) for k in scores["k"]]
    values = [float(v) for v in scores[column]]
    fig = go.Figure(
        go.Scatter(
            x=ks,
            y=values,
            mode="lines+markers",
            name=column,
            line={"color": "#1f77b4"},
            hovertemplate=f"k=%{{x}}<br>%{{y:{fmt}}}<extra></extra>",
        )
    )
    chosen = [v for k, v in zip(ks, values, strict=True) if k == result.chosen_k]
    if chosen:
        fig.add_trace(
            go.Scatter(
                x=[result.chosen_k],
                y=chosen,
                mode="markers",
                name=f"chosen k = {result.chosen_k}",
                marker={"color": CHOSEN_COLOR, "size": 14, "symbol": "star"},
                hovertemplate=f"chosen k=%{{x}}<br>%{{y:{fmt}}}<extra></extra>",
            )
        )
    fig.add_vline(x=result.chosen_k, line_dash="dot", line_color=CHOSEN_COLOR)
    fig.update_layout(
        template=TEMPLATE,
        height=380,
        margin={"t": 30},
        xaxis={"title": "k (number of segments)", "dtick": 1},
        yaxis_title=title,
        showlegend=True,
        legend={"orientation": "h", "y": 1.1},
    )
    return fig


def _lift_text(value: float) -> str:
    if math.isnan(value):
        return "–"
    return f"×{value:.2f}"
