"""Charts read the typed segmentation result; they lay values out and compute nothing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cible.config import SegmentationConfig
from cible.reporting import charts
from cible.segmentation import SegmentationResult, segment_customers


def _features(n_per_group: int = 40, n_prospects: int = 10) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    blocks = []
    for freq, basket, recency in ((12.0, 120.0, 5.0), (3.0, 30.0, 60.0), (1.0, 20.0, 500.0)):
        noise = rng.lognormal(0.0, 0.05, size=(n_per_group, 3))
        f = np.maximum(1.0, np.round(freq * noise[:, 0]))
        b = basket * noise[:, 1]
        r = recency * noise[:, 2]
        blocks.append(
            pd.DataFrame(
                {
                    "recency_days": r,
                    "frequency": f,
                    "monetary": f * b,
                    "avg_basket": b,
                    "tenure_days": r + 300.0,
                    "mean_interpurchase_days": 300.0 / f,
                    "refund_rate": 0.01,
                    "events_30d": f,
                    "events_90d": 3 * f,
                }
            )
        )
    prospects = pd.DataFrame(
        {
            "recency_days": np.nan,
            "frequency": 0.0,
            "monetary": 0.0,
            "avg_basket": 0.0,
            "tenure_days": 30.0,
            "mean_interpurchase_days": np.nan,
            "refund_rate": 0.0,
            "events_30d": 2.0,
            "events_90d": 2.0,
        },
        index=range(n_prospects),
    )
    frame = pd.concat([*blocks, prospects], ignore_index=True)
    frame.index = pd.Index([f"K{i:03d}" for i in range(len(frame))], name="customer_id")
    return frame


@pytest.fixture(scope="module")
def result() -> SegmentationResult:
    config = SegmentationConfig(k_min=2, k_max=5, n_init=2, random_state=0)
    return segment_customers(_features(), config)


def test_sizes_figure(result: SegmentationResult) -> None:
    fig = charts.sizes_figure(result)
    bar = fig.data[0]
    assert list(bar.x) == result.profiles["segment_name"].tolist()
    assert list(bar.y) == [10, 40, 40, 40]
    assert list(bar.text) == ["7.7%", "30.8%", "30.8%", "30.8%"]
    assert bar.marker.color[0] == charts.PROSPECT_COLOR


def test_lift_heatmap(result: SegmentationResult) -> None:
    fig = charts.lift_heatmap_figure(result)
    heat = fig.data[0]
    z = np.asarray(heat.z, dtype=float)
    assert z.shape == (4, 9)
    assert list(heat.x)[:3] == ["Recency (days)", "Orders", "Net revenue"]
    # colour = log2(lift) clipped to [-3, 3]; text shows the lift itself
    lift = float(result.profiles.loc[1, "frequency_lift"])
    assert z[1, 1] == pytest.approx(np.log2(lift))
    assert heat.text[1][1] == f"×{lift:.2f}"
    assert heat.text[0][0] == "–"  # prospects have no recency
    assert z[0, 1] == -3.0  # prospects: frequency lift 0, clipped


def test_pca_map(result: SegmentationResult) -> None:
    fig = charts.pca_map_figure(result)
    names = [t.name for t in fig.data]
    assert names == result.profiles["segment_name"].tolist()[1:]
    assert sum(len(t.x) for t in fig.data) == 120
    ev1, ev2 = result.pca_explained
    assert fig.layout.xaxis.title.text == f"PC1 ({ev1:.1%} of variance)"
    assert fig.layout.yaxis.title.text == f"PC2 ({ev2:.1%} of variance)"


def test_elbow_and_silhouette_mark_the_chosen_k(result: SegmentationResult) -> None:
    assert result.chosen_k == 3
    scores = result.k_scores.set_index("k")
    for fig, column in (
        (charts.elbow_figure(result), "inertia"),
        (charts.silhouette_figure(result), "silhouette"),
    ):
        curve, chosen = fig.data
        assert list(curve.x) == [2, 3, 4, 5]
        assert list(curve.y) == pytest.approx(scores[column].tolist())
        assert list(chosen.x) == [3]
        assert list(chosen.y) == pytest.approx([scores.loc[3, column]])
        assert chosen.name == "chosen k = 3"


def test_feature_labels() -> None:
    assert charts.feature_label("avg_basket") == "Avg basket"
    assert charts.feature_label("some_new_thing") == "Some new thing"
    assert charts.segment_color(0) == charts.PROSPECT_COLOR
    assert charts.segment_color(1) != charts.segment_color(2)
