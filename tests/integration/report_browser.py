"""Load an HTML report in Debian's headless chromium (WebGL disabled) and say what it drew.

Playwright drives ``/usr/bin/chromium`` (installed by ``.ci/services chromium``; Playwright's own
browser download is not used) with a fresh user-data directory. :func:`inspect_report` opens a
page by ``file://``, waits until every Plotly container has drawn (or a timeout), and returns the
console errors, the failed requests, what each chart container holds (traces and data points in
the figure, marks drawn in its SVG, points of SVG scatter traces) and a full-page screenshot, whose
pixels, and each chart's area of it, :func:`blank_areas` checks are not a single flat colour.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-webgl",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# A chart area whose grey levels vary less than this (standard deviation, 0-255) is blank.
BLANK_STD = 2.0

# Per Plotly container: the figure's traces and data points, the marks its SVG holds.
_CHARTS_JS = """
() => Array.from(document.querySelectorAll('.plotly-graph-div')).map((el) => {
  const data = el._fullData || [];
  const size = (v) => (v == null ? 0 : Array.isArray(v) || ArrayBuffer.isView(v)
    ? Array.from(v).reduce((n, x) => n + (Array.isArray(x) || ArrayBuffer.isView(x)
        ? x.length : 1), 0) : 0);
  const points = data.filter((t) => t.visible !== false).reduce((n, t) => n + Math.max(
    size(t.x), size(t.y), size(t.z), size(t.values),
    t.cells ? size(t.cells.values) : 0, t.dimensions ? t.dimensions.length : 0), 0);
  const svg = el.querySelectorAll('svg.main-svg');
  const marks = el.querySelectorAll(
    'g.trace path, g.trace text, g.hm image, g.slice, g.table .cell-rect, g.point'
  ).length;

  const r = el.getBoundingClientRect();
  return {
    id: el.id,
    types: data.map((t) => t.type),
    modes: data.map((t) => String(t.mode)),
    traces: data.filter((t) => t.visible !== false).length,
    points: points,
    svg: svg.length,
    marks: marks,
    scatter_points: el.querySelectorAll('g.trace.scatter path.point').length,
    box: [r.left + window.scrollX, r.top + window.scrollY, r.width, r.height],
  };
})
"""
_DRAWN_JS = """
() => Array.from(document.querySelectorAll('.plotly-graph-div'))
  .every((el) => el._fullLayout && el.querySelector('svg.main-svg'))
"""


@dataclass(frozen=True)
class Chart:
    """What one Plotly container holds once the page is loaded."""

    id: str
    types: list[str]
    traces: int
    points: int
    svg: int
    marks: int
    scatter_points: int
    box: tuple[float, float, float, float]

    modes: list[str]

    @property
    def is_map(self) -> bool:
        """A chart of SVG scatter traces drawn with markers (the 2-D maps, the curves' points);
        a line-only scatter (the dendrogram) is not."""
        return any(
            t == "scatter" and "markers" in m for t, m in zip(self.types, self.modes, strict=True)
        )

    def problems(self) -> list[str]:
        """Why this container counts as empty (none when it drew a chart with data)."""
        out = []
        if self.svg == 0:
            out.append("no SVG drawn")
        if self.traces == 0 or self.points == 0:
            out.append(f"{self.traces} trace(s), {self.points} data point(s)")
        if self.marks == 0:
            out.append("no mark drawn in the SVG")
        webgl = sorted({t for t in self.types if t.endswith("gl")})
        if webgl:
            out.append(f"WebGL trace type(s) {webgl}")
        if self.is_map and self.scatter_points == 0:
            out.append("a scatter with no point drawn")
        return [f"{self.id}: {p}" for p in out]


@dataclass
class PageReport:
    """A loaded page: its console errors, failed requests, charts and screenshot."""

    path: Path
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    screenshot: Path | None = None
    timed_out: bool = False

    def empty_charts(self) -> list[str]:
        return [p for c in self.charts for p in c.problems()]


@contextmanager
def chromium(user_data_dir: Path) -> Iterator[Any]:
    """A browser context of Debian's chromium with WebGL off and a fresh profile."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install it with `.ci/services chromium` (apt-get install "
            "chromium chromium-driver), which `make pytest` runs",
            pytrace=False,
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is missing: pip install -e '.[test]'", pytrace=False)
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(user_data_dir),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
        )
        try:
            yield context
        finally:
            context.close()


def inspect_report(
    context: Any, path: Path, screenshot: Path, timeout_ms: int = 30_000
) -> PageReport:
    """Open ``path`` in ``context`` (60 s to load: the page holds 5 MB of plotly.js and data),
    wait up to ``timeout_ms`` for its charts, and record what it drew."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    report = PageReport(path)
    page = context.new_page()
    page.on(
        "console", lambda m: report.console_errors.append(m.text) if m.type == "error" else None
    )
    page.on("pageerror", lambda e: report.page_errors.append(str(e)))
    page.on("requestfailed", lambda r: report.failed_requests.append(f"{r.url} {r.failure}"))
    page.goto(path.resolve().as_uri(), wait_until="load", timeout=60_000)
    try:
        page.wait_for_function(_DRAWN_JS, timeout=timeout_ms)
    except PlaywrightTimeout:
        report.timed_out = True
    page.wait_for_timeout(500)  # let responsive relayouts settle before the screenshot
    report.charts = [Chart(**{**c, "box": tuple(c["box"])}) for c in page.evaluate(_CHARTS_JS)]
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(screenshot), full_page=True)
    report.screenshot = screenshot
    page.close()
    return report


def grey(png: Path) -> np.ndarray[Any, np.dtype[np.float64]]:
    """The screenshot as grey levels 0-255 (rows x columns)."""
    with Image.open(io.BytesIO(png.read_bytes())) as im:
        return np.asarray(im.convert("L"), dtype=np.float64)


def blank_areas(report: PageReport) -> list[str]:
    """The page, or chart areas of its screenshot, that are one flat colour."""
    assert report.screenshot is not None
    pixels = grey(report.screenshot)
    out = []
    if pixels.std() < BLANK_STD:
        out.append(f"the whole page (grey std {pixels.std():.2f})")
    for c in report.charts:
        x, y, w, h = (round(v) for v in c.box)
        area = pixels[max(y, 0) : y + h, max(x, 0) : x + w]
        if area.size == 0 or area.std() < BLANK_STD:
            std = area.std() if area.size else 0.0
            out.append(f"{c.id} at {c.box} (grey std {std:.2f})")
    return out
