"""Validation charts and tables lay out the typed results: traces, points and display strings."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cible.reporting import charts_validation as cv
from cible.reporting.charts import segment_color
from cible.segmentation.segment_explanations import surrogate_rules
from cible.segmentation.validation import (
    SilhouetteResult,
    StabilityResult,
    anova_by_feature,
    kruskal_by_feature,
)

NAMES = {1: "Champions", 2: "At risk", 3: "New"}


def _silhouettes() -> SilhouetteResult:
    return SilhouetteResult(
        segments=(1, 2, 3),
        per_segment={1: 0.6, 2: -0.1, 3: math.nan},
        sizes={1: 50, 2: 30, 3: 20},
        sampled={1: 50, 2: 30, 3: 20},
        overall=0.27,
        n_rows=100,
        n_noise=0,
    )


def _stability() -> StabilityResult:
    jaccards = np.array([[0.9, 0.5, 0.7], [0.8, 0.6, np.nan]])
    return StabilityResult(
        segments=(1, 2, 3),
        jaccards=jaccards,
        mean_jaccard={1: 0.85, 2: 0.55, 3: 0.7},
        recovered={1: 1.0, 2: 0.5, 3: 1.0},
        aris=(0.8, 0.7),
        mean_ari=0.75,
        n_boot=2,
        resample_size=100,
    )


def test_silhouette_bars() -> None:
    fig = cv.silhouette_bars_figure(_silhouettes(), NAMES)
    assert len(fig.data) == 1
    bar = fig.data[0]
    assert list(bar.x) == ["Champions", "At risk", "New"]
    assert list(bar.y) == [0.6, -0.1, None]
    assert list(bar.text) == ["0.60", "-0.10", "–"]
    assert list(bar.marker.color) == [segment_color(1), segment_color(2), segment_color(3)]
    assert [s.y0 for s in fig.layout.shapes] == [0.27, 0.0]


def test_stability_bars_with_hennig_lines() -> None:
    fig = cv.stability_figure(_stability())
    bar = fig.data[0]
    assert list(bar.x) == ["Segment 1", "Segment 2", "Segment 3"]
    assert list(bar.y) == [0.85, 0.55, 0.7]
    np.testing.assert_allclose(bar.error_y.array, [0.05, 0.05, 0.0])
    assert [s.y0 for s in fig.layout.shapes] == [0.6, 0.75]
    assert [list(c) for c in bar.customdata] == [
        [1.0, "stable"],
        [0.5, "unstable"],
        [1.0, "fuzzy"],
    ]


def test_anova_table_rows() -> None:
    features = pd.DataFrame(
        {"frequency": [1.0, 2.0, 4.0, 5.0], "c": [3.0] * 4, "z": [1.0, 2.0, 2.0, 1.0]}
    )
    labels = [0, 0, 1, 1]
    anova = anova_by_feature(features, labels)
    rows = cv.anova_table_rows(anova, kruskal_by_feature(features, labels))
    assert len(cv.ANOVA_HEADERS) == 7
    assert rows[0] == ["Orders", "18.0", "0.051", "0.900", "2.4", "0.121", "0.800"]
    assert rows[1] == ["Z", "0.0", "1.000", "0.000", "0.0", "1.000", "0.000"]
    assert rows[2] == ["C", "–", "–", "–", "–", "–", "–"]  # constant feature last
    assert cv.anova_table_rows(anova)[0][4:] == ["–", "–", "–"]


def test_map_figure_one_trace_per_segment() -> None:
    coords = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [3.0, 3.0], [4.0, 4.0]])
    names = ["New", "Champions", "New", "At risk", "Champions"]
    fig = cv.map_figure(coords, names, "t-SNE", segment_ids=[3, 1, 3, 2, 1])
    assert [t.name for t in fig.data] == ["Champions", "At risk", "New"]
    assert [len(t.x) for t in fig.data] == [2, 1, 2]
    assert list(fig.data[2].x) == [0.0, 2.0]
    assert fig.data[1].marker.color == segment_color(2)
    assert fig.layout.title.text == "t-SNE"
    plain = cv.map_figure(coords, names, "PCA")
    assert [t.name for t in plain.data] == ["At risk", "Champions", "New"]
    assert sum(len(t.x) for t in plain.data) == 5
    with pytest.raises(ValueError, match="one segment name per row"):
        cv.map_figure(coords, names[:3], "PCA")


def test_rules_rows() -> None:
    x = np.tile(np.arange(20.0), 10)
    rules = surrogate_rules(pd.DataFrame({"x": x}), np.where(x > 9, 2, 1))
    rows = cv.rules_rows(rules, NAMES)
    assert rows == [
        ["Champions", "x <= 9", "100", "50.0%", "100.0%", "100.0%"],
        ["At risk", "x > 9", "100", "50.0%", "100.0%", "100.0%"],
    ]
    assert len(cv.RULES_HEADERS) == len(rows[0])


def test_importance_bars_most_important_on_top() -> None:
    table = pd.DataFrame(
        {
            "feature": ["monetary", "frequency", "noise"],
            "importance_mean": [0.4, 0.2, 0.0],
            "importance_std": [0.02, 0.01, 0.0],
        }
    )
    fig = cv.importance_figure(table)
    bar = fig.data[0]
    assert bar.orientation == "h"
    assert list(bar.y) == ["Noise", "Orders", "Net revenue"]  # plotly draws the last on top
    assert list(bar.x) == [0.0, 0.2, 0.4]
    assert list(bar.error_x.array) == [0.0, 0.01, 0.02]
