"""Figures of the algorithm suite: they draw the fitted values, thinned or truncated for size."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.cluster.hierarchy import linkage

from cible.reporting.charts import CHOSEN_COLOR
from cible.reporting.charts_algorithms import (
    MAX_CURVE_POINTS,
    bic_figure,
    dendrogram_figure,
    k_distance_figure,
)


def test_k_distance_figure_thins_a_long_curve_and_marks_the_knee() -> None:
    curve = np.concatenate([np.linspace(0.1, 0.5, 4000), np.linspace(0.5, 3.0, 1000)])
    eps = float(curve[3999])
    fig = k_distance_figure(curve, eps=eps, min_samples=10)
    line, knee = fig.data
    assert len(line.x) <= MAX_CURVE_POINTS
    assert len(line.x) == 2000  # 1,999 evenly spaced rows + the knee row
    assert line.x[0] == 0 and line.x[-1] == 4999
    assert line.y[0] == pytest.approx(0.1) and line.y[-1] == pytest.approx(3.0)
    assert 3999 in line.x
    assert list(knee.x) == [3999]
    assert list(knee.y) == [pytest.approx(0.5)]
    assert knee.name == "knee: eps = 0.5"
    (hline,) = fig.layout.shapes
    assert hline.y0 == hline.y1 == eps
    assert hline.line.color == CHOSEN_COLOR
    assert fig.layout.yaxis.title.text == "Distance to neighbour 10 (k-distance)"


def test_k_distance_figure_keeps_a_short_curve_whole() -> None:
    curve = np.array([0.1, 0.2, 0.2, 0.3, 1.0, 2.0])
    fig = k_distance_figure(curve, eps=0.3, min_samples=4)
    assert list(fig.data[0].x) == [0, 1, 2, 3, 4, 5]
    assert list(fig.data[0].y) == curve.tolist()
    assert list(fig.data[1].x) == [3]
    with pytest.raises(ValueError, match="non-empty 1-D array"):
        k_distance_figure(np.array([]), eps=0.3, min_samples=4)


def test_dendrogram_figure_truncates_to_max_leaves_and_draws_the_cut() -> None:
    points = np.random.RandomState(0).rand(100, 3)
    tree = linkage(points, method="ward")
    fig = dendrogram_figure(tree, cut_height=1.5, max_leaves=10)
    (links,) = fig.data
    # 10 leaves -> 9 links of 4 points each, separated by gaps.
    assert len(links.x) == len(links.y) == 9 * 5
    assert sum(x is None for x in links.x) == 9
    assert max(y for y in links.y if y is not None) == pytest.approx(tree[-1, 2])
    assert list(fig.layout.xaxis.tickvals) == [5 + 10 * i for i in range(10)]
    assert len(fig.layout.xaxis.ticktext) == 10
    assert (
        sum(int(t.strip("()")) for t in fig.layout.xaxis.ticktext if t.startswith("("))
        + sum(1 for t in fig.layout.xaxis.ticktext if not t.startswith("("))
        == 100
    )
    (cut,) = fig.layout.shapes
    assert cut.y0 == cut.y1 == 1.5
    assert fig.layout.annotations[0].text == "cut at 1.5"


def test_dendrogram_figure_small_tree_without_cut() -> None:
    tree = linkage(np.array([[0.0], [1.0], [5.0], [6.0]]), method="average")
    fig = dendrogram_figure(tree, cut_height=None)
    assert len(fig.data[0].x) == 3 * 5
    assert sorted(fig.layout.xaxis.ticktext) == ["0", "1", "2", "3"]
    assert fig.layout.shapes == ()
    with pytest.raises(ValueError, match="max_leaves must be >= 2, got 1"):
        dendrogram_figure(tree, cut_height=None, max_leaves=1)


def test_bic_figure_marks_the_chosen_k() -> None:
    bic = pd.DataFrame({"k": [2, 3, 4, 5], "bic": [3619.8, 3022.5, 3055.9, 3093.4]})
    fig = bic_figure(bic, chosen_k=3)
    curve, chosen = fig.data
    assert list(curve.x) == [2, 3, 4, 5]
    assert list(curve.y) == [3619.8, 3022.5, 3055.9, 3093.4]
    assert list(chosen.x) == [3] and list(chosen.y) == [3022.5]
    assert chosen.name == "best k for the mixture family = 3"
    assert bic_figure(bic, chosen_k=3, overall_k=3).data[1].name == chosen.name
    other = bic_figure(bic, chosen_k=3, overall_k=8).data[1]
    assert other.name == "best k for the mixture family = 3 (overall chosen k = 8)"
    (vline,) = fig.layout.shapes
    assert vline.x0 == vline.x1 == 3
    with pytest.raises(ValueError, match=r"chosen_k=7 is not one of the k in bic: \[2, 3, 4, 5\]"):
        bic_figure(bic, chosen_k=7)
    with pytest.raises(ValueError, match=r"missing \['bic'\]"):
        bic_figure(bic[["k"]], chosen_k=3)
