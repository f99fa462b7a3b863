"""Plotly figures for the clustering algorithms: k-distance curve, dendrogram, BIC curve.

They draw values already computed by the fitted estimators of
:mod:`cible.segmentation.algorithms` (``AutoDBSCAN.k_distances_`` / ``eps_``,
``AgglomerativeSegmenter.linkage_matrix_`` / ``cut_height_``, ``GMMSegmenter.bic_``) and compute
nothing beyond what drawing needs: thinning a long curve, and the dendrogram's line coordinates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from numpy.typing import NDArray
from scipy.cluster.hierarchy import dendrogram

from cible.reporting.charts import CHOSEN_COLOR, TEMPLATE

CURVE_COLOR = "#1f77b4"
# The k-distance curve keeps at most this many points (the HTML report embeds every point).
MAX_CURVE_POINTS = 2000


def k_distance_figure(k_distances: NDArray[np.float64], eps: float, min_samples: int) -> go.Figure:
    """Sorted k-distance curve with ``eps`` as a horizontal line and the knee marked.

    The knee is drawn at the first point of the curve at or above ``eps`` (where the curve meets
    the line). Curves longer than :data:`MAX_CURVE_POINTS` are thinned to evenly spaced points,
    always keeping the first, the last and the knee.
    """
    values = np.asarray(k_distances, dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"k_distances must be a non-empty 1-D array, got shape {values.shape}")
    n = values.size
    knee = min(int(np.searchsorted(values, eps, side="left")), n - 1)
    shown = np.unique(
        np.concatenate([np.linspace(0, n - 1, min(n, MAX_CURVE_POINTS - 1)).round(), [knee]])
    ).astype(np.int64)
    fig = go.Figure(
        go.Scatter(
            x=shown.tolist(),
            y=values[shown].tolist(),
            mode="lines",
            name=f"distance to neighbour {min_samples}",
            line={"color": CURVE_COLOR},
            hovertemplate="row %{x:,} (sorted)<br>k-distance %{y:.4g}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[knee],
            y=[float(values[knee])],
            mode="markers",
            name=f"knee: eps = {eps:.4g}",
            marker={"color": CHOSEN_COLOR, "size": 12, "symbol": "star"},
            hovertemplate="knee at row %{x:,}<br>k-distance %{y:.4g}<extra></extra>",
        )
    )
    fig.add_hline(y=eps, line_dash="dot", line_color=CHOSEN_COLOR)
    fig.update_layout(
        template=TEMPLATE,
        height=380,
        margin={"t": 30},
        xaxis_title=f"Rows sorted by k-distance (sample of {n:,})",
        yaxis_title=f"Distance to neighbour {min_samples} (k-distance)",
        showlegend=True,
        legend={"orientation": "h", "y": 1.1},
    )
    return fig


def dendrogram_figure(
    linkage_matrix: NDArray[np.float64], cut_height: float | None, max_leaves: int = 40
) -> go.Figure:
    """Dendrogram of the last ``max_leaves`` clusters of a scipy linkage matrix, with a cut line.

    One trace holds every link (segments separated by gaps). A leaf is a training row, or
    ``(n)`` for a collapsed subtree of n rows.
    """
    if max_leaves < 2:
        raise ValueError(f"max_leaves must be >= 2, got {max_leaves}")
    tree = dendrogram(
        np.asarray(linkage_matrix, dtype=np.float64),
        p=max_leaves,
        truncate_mode="lastp",
        no_plot=True,
    )
    xs: list[float | None] = []
    ys: list[float | None] = []
    for icoord, dcoord in zip(tree["icoord"], tree["dcoord"], strict=True):
        xs.extend([*icoord, None])
        ys.extend([*dcoord, None])
    leaves = [str(label) for label in tree["ivl"]]
    fig = go.Figure(
        go.Scatter(
            x=xs,
            y=ys,
            mode="lines",
            name="merges",
            line={"color": CURVE_COLOR, "width": 1.5},
            hoverinfo="y",
        )
    )
    if cut_height is not None:
        fig.add_hline(
            y=cut_height,
            line_dash="dot",
            line_color=CHOSEN_COLOR,
            annotation_text=f"cut at {cut_height:.4g}",
            annotation_position="top right",
        )
    fig.update_layout(
        template=TEMPLATE,
        height=420,
        margin={"t": 30},
        showlegend=False,
        xaxis={
            "tickmode": "array",
            "tickvals": [5 + 10 * i for i in range(len(leaves))],
            "ticktext": leaves,
            "title": "Rows (n) = collapsed subtree of n rows",
        },
        yaxis_title="Linkage distance",
    )
    return fig


def bic_figure(bic: pd.DataFrame, chosen_k: int, overall_k: int | None = None) -> go.Figure:
    """BIC (lower is better) against the number of mixture components; ``chosen_k``, the best k
    of the mixture family, is marked as such (``overall_k``: the k of the segmentation the
    selection chose, named in the legend when it differs)."""
    missing = {"k", "bic"} - set(bic.columns)
    if missing:
        raise ValueError(f"bic must have columns 'k' and 'bic'; missing {sorted(missing)}")
    ks = [int(k) for k in bic["k"]]
    values = [float(v) for v in bic["bic"]]
    if chosen_k not in ks:
        raise ValueError(f"chosen_k={chosen_k} is not one of the k in bic: {ks}")
    fig = go.Figure(
        go.Scatter(
            x=ks,
            y=values,
            mode="lines+markers",
            name="BIC",
            line={"color": CURVE_COLOR},
            hovertemplate="k=%{x}<br>BIC %{y:,.0f}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[chosen_k],
            y=[values[ks.index(chosen_k)]],
            mode="markers",
            name=f"best k for the mixture family = {chosen_k}"
            + ("" if overall_k in (None, chosen_k) else f" (overall chosen k = {overall_k})"),
            marker={"color": CHOSEN_COLOR, "size": 14, "symbol": "star"},
            hovertemplate="best mixture k=%{x}<br>BIC %{y:,.0f}<extra></extra>",
        )
    )
    fig.add_vline(x=chosen_k, line_dash="dot", line_color=CHOSEN_COLOR)
    fig.update_layout(
        template=TEMPLATE,
        height=380,
        margin={"t": 30},
        xaxis={"title": "k (number of components)", "dtick": 1},
        yaxis_title="BIC (lower is better)",
        showlegend=True,
        legend={"orientation": "h", "y": 1.1},
    )
    return fig
