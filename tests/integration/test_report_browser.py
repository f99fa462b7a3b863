"""The HTML reports of a real run, loaded in Debian's headless chromium with WebGL disabled:
every chart container draws an SVG with data, every map draws its points, nothing fails to load,
and the full-page screenshots (kept under the test's tmp dir, printed with ``-s``) are not blank.

The run is a small ``cible demo`` (2,000 generated customers: segmentation, predict, CLV, the
quality page). The mutant checks prove the inspection fails on an empty chart and on an empty map.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import pytest

from cible.reporting.render import chart_div
from cible.services.demo import DemoResult, run_demo
from tests.integration.report_browser import blank_areas, chromium, inspect_report

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    return run_demo(tmp_path_factory.mktemp("demo_browser"), customers=2_000, seed=7)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with chromium(tmp_path_factory.mktemp("chromium_profile")) as context:
        yield context


@pytest.fixture(scope="module")
def artefacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("report_screenshots")


def _reports(demo: DemoResult) -> list[Path]:
    pages = sorted(demo.pipeline.out_dir.rglob("*.html"))
    return [p for p in pages if "plotly-graph-div" in p.read_text(encoding="utf-8")]


def test_every_chart_and_map_is_drawn(demo: DemoResult, browser: Any, artefacts: Path) -> None:
    pages = _reports(demo)
    assert [p.name for p in pages] == ["report.html"]  # quality.html has tables only
    got = inspect_report(browser, pages[0], artefacts / "report.png")
    print(f"report.html: {len(got.charts)} charts, screenshot {got.screenshot}")
    assert not got.timed_out, f"charts not drawn: {got.empty_charts()}"
    assert (got.console_errors, got.page_errors, got.failed_requests) == ([], [], [])
    assert [c.id for c in got.charts] == [
        "chart-sizes",
        "chart-lifts",
        "chart-map",
        "chart-elbow",
        "chart-silhouette",
        "chart-dendrogram",
        "chart-kdistance",
        "chart-bic",
        "chart-seg_silhouette",
        "chart-stability",
        "chart-importance",
        "chart-map_tsne",
    ]
    assert got.empty_charts() == []
    assert blank_areas(got) == []
    assert got.screenshot is not None and got.screenshot.stat().st_size > 200_000
    by_id = {c.id: c for c in got.charts}
    segments = demo.pipeline.segmentation.chosen_k
    for key in ("chart-map", "chart-map_tsne"):  # PCA and t-SNE maps: SVG scatter, no WebGL
        m = by_id[key]
        assert m.types == ["scatter"] * segments, key
        assert m.scatter_points == m.points == 2_000, key  # every sampled customer is drawn
    assert by_id["chart-sizes"].points == segments
    assert by_id["chart-lifts"].types == ["heatmap"]
    assert not by_id["chart-dendrogram"].is_map  # lines only: no marker to count


def _mutant(report: Path, out: Path, fig: go.Figure, key: str) -> Path:
    """The report with one more chart container, holding ``fig``, before ``</body>``."""
    html = report.read_text(encoding="utf-8")
    html = html.replace("</body>", f"{chart_div(key, fig)}</body>", 1)
    out.write_text(html, encoding="utf-8")
    return out


def test_an_empty_chart_fails_the_check(demo: DemoResult, browser: Any, artefacts: Path) -> None:
    page = _mutant(
        demo.pipeline.out_dir / "report.html", artefacts / "mutant.html", go.Figure(), "empty"
    )
    got = inspect_report(browser, page, artefacts / "mutant.png")
    assert got.empty_charts() == [
        "chart-empty: 0 trace(s), 0 data point(s)",
        "chart-empty: no mark drawn in the SVG",
    ]


def test_an_empty_map_fails_the_check(demo: DemoResult, browser: Any, artefacts: Path) -> None:
    report = demo.pipeline.out_dir / "report.html"
    # no point at all: plotly hides the trace, so no trace and no data are left
    empty = go.Figure(go.Scatter(x=[], y=[], mode="markers"))
    page = _mutant(report, artefacts / "map.html", empty, "map-empty")
    got = inspect_report(browser, page, artefacts / "map.png")
    assert got.empty_charts() == [
        "chart-map-empty: 0 trace(s), 0 data point(s)",
        "chart-map-empty: no mark drawn in the SVG",
    ]
    # 50 customers whose coordinates were lost: data in the figure, no point drawn
    lost = go.Figure(go.Scatter(x=[math.nan] * 50, y=[math.nan] * 50, mode="markers"))
    page = _mutant(report, artefacts / "map_nan.html", lost, "map-nan")
    got = inspect_report(browser, page, artefacts / "map_nan.png")
    (nan_map,) = [c for c in got.charts if c.id == "chart-map-nan"]
    assert (nan_map.traces, nan_map.points, nan_map.scatter_points) == (1, 50, 0)
    assert got.empty_charts() == [
        "chart-map-nan: no mark drawn in the SVG",
        "chart-map-nan: a scatter with no point drawn",
    ]


def test_a_chart_never_drawn_fails_the_check(
    demo: DemoResult, browser: Any, artefacts: Path
) -> None:
    html = (demo.pipeline.out_dir / "report.html").read_text(encoding="utf-8")
    # a container whose figure is never plotted (as when plotly.js throws before drawing it)
    html = html.replace("</body>", '<div id="chart-dead" class="plotly-graph-div"></div></body>')
    page = artefacts / "dead.html"
    page.write_text(html, encoding="utf-8")
    got = inspect_report(browser, page, artefacts / "dead.png", timeout_ms=3_000)
    assert got.timed_out
    assert got.empty_charts() == [
        "chart-dead: no SVG drawn",
        "chart-dead: 0 trace(s), 0 data point(s)",
        "chart-dead: no mark drawn in the SVG",
    ]
    assert re.fullmatch(r"chart-dead at .*", blank_areas(got)[-1])
