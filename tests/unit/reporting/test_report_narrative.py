"""The report says what the run did, colours each segment once, and draws without WebGL."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from cible.config import SegmentationConfig
from cible.reporting import render_report
from cible.reporting.charts import SegmentPalette
from cible.reporting.charts_validation import SVG_MAX_POINTS, map_figure
from cible.reporting.forward import ForwardSection
from cible.reporting.narrative import (
    choice_text,
    fmt_number,
    gate_losers,
    report_warnings,
    rule_gaps,
)
from cible.segmentation import SegmentationResult, segment_customers
from cible.segmentation.segment_explanations import RulesResult, SegmentRule
from cible.segmentation.selection import Candidate, CandidateScore, SelectionResult
from tests.unit.reporting.test_report_html import INGEST, META, _features

WEBGL_TYPES = {"scattergl", "heatmapgl", "scatter3d", "surface", "mesh3d", "pointcloud"}
_NEW_PLOT = re.compile(r'Plotly\.newPlot\(\s*"(chart-[\w-]+)",\s*')


@pytest.fixture(scope="module")
def result() -> SegmentationResult:
    return segment_customers(_features(), SegmentationConfig(k_min=2, k_max=4, n_init=2))


@pytest.fixture(scope="module")
def html(result: SegmentationResult, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("narrative") / "report.html"
    render_report(path, segmentation=result, ingest=INGEST, meta=META)
    return path.read_text(encoding="utf-8")


def _figures(html: str) -> dict[str, list[dict[str, object]]]:
    """Every chart's traces, parsed from the JSON plotly embeds in ``Plotly.newPlot``."""
    decoder = json.JSONDecoder()
    out = {}
    for m in _NEW_PLOT.finditer(html):
        data, _ = decoder.raw_decode(html, m.end())
        out[m.group(1)] = data
    return out


def _segment_colours(traces: list[dict[str, object]], names: set[str]) -> list[tuple[str, str]]:
    """(segment name, colour) pairs: bars coloured per category, or one trace per segment."""
    pairs = []
    for t in traces:
        marker = t.get("marker") or {}
        assert isinstance(marker, dict)
        colour = marker.get("color")
        if isinstance(colour, list) and isinstance(t.get("x"), list):
            pairs += [(str(x), str(c)) for x, c in zip(t["x"], colour, strict=True) if x in names]
        elif isinstance(colour, str) and t.get("name") in names:
            pairs.append((str(t["name"]), colour))
    return pairs


def test_every_figure_uses_one_colour_per_segment(html: str, result: SegmentationResult) -> None:
    palette = SegmentPalette.of(result)
    names = set(palette.names.values())
    seen: dict[str, set[str]] = {}
    charts_per_segment: dict[str, set[str]] = {}
    for key, traces in _figures(html).items():
        for name, colour in _segment_colours(traces, names):
            seen.setdefault(name, set()).add(colour)
            charts_per_segment.setdefault(name, set()).add(key)
    assert set(seen) == names
    for sid, name in palette.names.items():
        assert seen[name] == {palette.color(sid)}, name
        # sizes, PCA map, silhouette bars, t-SNE map (at least)
        assert {"chart-sizes", "chart-map", "chart-seg_silhouette", "chart-map_tsne"} <= (
            charts_per_segment[name]
        )


def test_segments_come_in_the_same_order_in_every_chart(
    html: str, result: SegmentationResult
) -> None:
    order = [str(n) for n in result.profiles["segment_name"]]
    figs = _figures(html)
    assert figs["chart-sizes"][0]["x"] == order
    assert figs["chart-seg_silhouette"][0]["x"] == order
    assert [t["name"] for t in figs["chart-map"]] == order
    assert [t["name"] for t in figs["chart-map_tsne"]] == order


def test_no_chart_is_empty_and_none_needs_webgl(html: str) -> None:
    containers = re.findall(r'<div id="(chart-[\w-]+)"', html)
    figs = _figures(html)
    assert len(containers) >= 9
    assert sorted(containers) == sorted(figs)
    for key, traces in figs.items():
        assert traces, key
        assert all(t.get("x") or t.get("z") for t in traces), key
        assert not {str(t["type"]) for t in traces} & WEBGL_TYPES, key


def test_maps_are_svg_up_to_ten_thousand_points() -> None:
    def kind(n: int) -> str:
        coords = np.zeros((n, 2))
        return map_figure(coords, ["A"] * n, "map", [1] * n).data[0].type

    assert SVG_MAX_POINTS == 10_000
    assert kind(10_000) == "scatter"
    assert kind(10_001) == "scattergl"


def test_text_names_what_was_done(html: str) -> None:
    assert "k-means was fitted for each k" not in html
    assert "12 candidates were fitted (DBSCAN, Gaussian mixture, HDBSCAN, " in html
    assert "k-means with 3 segments was chosen (kmeans(n_clusters=3), silhouette 0.638)." in html
    assert (
        "kmeans(n_clusters=2) scored a higher silhouette (0.663 against 0.638) but failed the "
        "gate(s) max_largest_share (largest segment 66.7% of customers)."
    ) in html
    assert (
        "dbscan(min_samples=10) scored a higher silhouette (0.661) but left 4.4% of customers "
        "as noise: noise-adjusted silhouette 0.631 against 0.638."
    ) in html
    assert "best k for the mixture family = " in html
    assert "chosen k = 10" not in html


def _score(algorithm: str, k: int, silhouette: float, **gates: bool) -> CandidateScore:
    params = {"n_clusters": k, "linkage": "ward"} if algorithm == "agglomerative" else {}
    params = params or {"n_clusters": k}
    all_gates = {"min_segment_share": True, "max_largest_share": True} | gates
    return CandidateScore(
        Candidate(algorithm, params), k, 0.0, 0.4, 0.015, silhouette, 1.0, 100.0, all_gates, 0.1
    )


def test_ward_choice_and_the_gate_that_removed_a_better_candidate() -> None:
    ward = _score("agglomerative", 8, 0.31)
    k4 = _score("kmeans", 4, 0.35, min_segment_share=False)
    tie = _score("kmeans", 5, 0.31, min_segment_share=False)  # equal silhouette: not "better"
    sel = SelectionResult([k4, tie, ward], ward, np.zeros(3, dtype=np.int64), None, 3, 3, 3)
    assert choice_text(sel) == (
        "3 candidates were fitted (agglomerative (hierarchical) clustering, k-means); "
        "agglomerative (hierarchical) clustering with 8 segments was chosen "
        "(agglomerative(n_clusters=8, linkage=ward), silhouette 0.310)."
    )
    assert gate_losers(sel) == [
        "kmeans(n_clusters=4) scored a higher silhouette (0.350 against 0.310) but failed the "
        "gate(s) min_segment_share (smallest segment 1.5% of customers)."
    ]


def _palette() -> SegmentPalette:
    return SegmentPalette(
        order=(1, 2, 3),
        colors={1: "#111111", 2: "#222222", 3: "#333333"},
        names={1: "Champions", 2: "Frequent returners", 3: "Dormant"},
        raw_to_id={0: 2, 1: 1, 2: 3},
    )


def test_every_segment_has_a_rule_or_a_sentence() -> None:
    rules = RulesResult(
        fidelity=0.7,
        fidelity_by_segment={0: 0.0, 1: 0.0, 2: 0.5},
        rules={0: [], 1: [], 2: [SegmentRule(2, "recency_days > 200", 30, 0.3, 0.9, 0.5)]},
        feature_names=("recency_days",),
        max_depth=4,
        min_samples_leaf=5,
        n_rows=100,
    )
    assert rule_gaps(rules, _palette()) == [
        "Champions: no rule of depth <= 4 describes this segment faithfully (fidelity 0.00)",
        "Frequent returners: no rule of depth <= 4 describes this segment faithfully "
        "(fidelity 0.00)",
    ]


def test_report_warnings_are_the_validation_ones_then_the_gaps_then_forward(
    result: SegmentationResult,
) -> None:
    skipped = ForwardSection(skipped="no purchase dates in the holdout")
    assert report_warnings(result, forward=skipped) == [
        *result.science.validation.warnings,  # type: ignore[union-attr]
        "next-period comparison not measured: no purchase dates in the holdout",
    ]
    assert report_warnings(result)[0].startswith("few customers for 9 features: 90")


def test_the_run_command_prints_the_report_warnings(
    result: SegmentationResult, tmp_path: Path
) -> None:
    from cible.cli.main import _print_result
    from cible.services.pipeline import PipelineResult

    console = Console(record=True, width=200)
    run = PipelineResult(
        tmp_path,
        None,
        date(2025, 3, 1),
        90,
        result,
        tmp_path / "report.html",  # type: ignore[arg-type]
        {"segment": 1.0},
        None,
        ["few customers for 9 features", "Champions: no rule"],
    )
    _print_result(console, run)
    text = console.export_text()
    assert "warning: few customers for 9 features\n" in text
    assert "warning: Champions: no rule\n" in text
    assert text.index("warning: Champions") < text.index("Report: ")


def test_numbers_for_people() -> None:
    assert fmt_number(17.700000000000003) == "17.7"
    assert fmt_number(1_234_567.891) == "1,234,568"
    assert fmt_number(np.int64(12_345)) == "12,345"
    assert fmt_number(100.0) == "100"
    assert fmt_number(99.94) == "99.9"
    assert fmt_number(1.0) == "1.0"
    assert fmt_number(0.012345) == "0.0123"
    assert fmt_number(0) == "0"
    assert fmt_number(1234.5, 2) == "1,234.50"
    assert fmt_number(float("nan")) == "–"
    assert fmt_number(None) == "–"
    assert fmt_number(True) == "–"


def test_profile_table_has_no_raw_floats(html: str) -> None:
    table = html[html.index('id="profiles"') : html.index('id="lifts"')]
    assert not re.search(r"\d\.\d{4,}", table)


def test_wide_tables_scroll_with_wrapping_headers_and_a_sticky_first_column(html: str) -> None:
    css = html[html.index("<style>") : html.index("</style>")]
    assert ".table-wrap, .scroll { overflow-x: auto; max-width: 100%; }" in css
    assert "th, .scroll th { white-space: normal;" in css
    assert "{ position: sticky; left: 0;" in css
    profiles = html[html.index('id="profiles"') : html.index('id="lifts"')]
    assert '<div class="table-wrap">\n  <table>' in profiles
    assert ">Days between orders</th>" in profiles  # the full header, wrapped, not cut


def test_the_report_lists_its_warnings_at_the_top(html: str) -> None:
    top = html[html.index('<section id="warnings">') : html.index('<section id="ingestion">')]
    assert "<li>few customers for 9 features: 90 (at least 70 per feature = 630" in top


def test_no_segment_is_grey_like_the_prospects() -> None:
    from cible.reporting.charts import PROSPECT_COLOR, segment_color

    colours = [segment_color(i) for i in range(1, 17)]
    assert segment_color(0) == PROSPECT_COLOR
    assert "#7F7F7F" not in colours and "rgb(179,179,179)" not in colours
    assert len(set(colours)) == 16  # 9 of D3 + 7 of Set2 before the palette repeats
    assert segment_color(17) == segment_color(1)
