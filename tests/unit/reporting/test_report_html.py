"""render_report: one self-contained, escaped HTML file with every section and plotly.js once."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from plotly.offline import get_plotlyjs

from cible.config import SegmentationConfig
from cible.reporting import render_report
from cible.segmentation import SegmentationResult, segment_customers

HOSTILE_ID = "</script><script>alert(1)</script>"
SECTIONS = (
    "Summary",
    "Data ingestion",
    "Segment sizes",
    "Segment profiles",
    "Lift by segment",
    "Customer map (PCA)",
    "Choosing the number of segments",
    "Elbow curve",
    "Silhouette by k",
)
INGEST: list[dict[str, object]] = [
    {
        "name": "orders",
        "kind": "events",
        "path": "data/orders.csv",
        "read": 12_040,
        "accepted": 11_900,
        "quarantined": 140,
        "inserted": 11_000,
        "already_present": 900,
        "quarantine_by_rule": {"bad_date": 90, "negative_quantity": 50},
    },
    {
        "name": "crm",
        "kind": "customers",
        "path": "data/crm.xlsx",
        "read": 500,
        "accepted": 498,
        "quarantined": 1,
        "inserted": 498,
        "already_present": 0,
        "quarantine_by_rule": {"no_id": 1},
    },
]
META = {"project": "Acme <Shop> & Co", "as_of": "2025-03-01", "generated_at": "2025-03-02 09:15"}


def _features() -> pd.DataFrame:
    rng = np.random.default_rng(9)
    blocks = []
    for freq, basket, recency in ((12.0, 120.0, 5.0), (3.0, 30.0, 60.0), (1.0, 20.0, 500.0)):
        noise = rng.lognormal(0.0, 0.05, size=(30, 3))
        f = np.maximum(1.0, np.round(freq * noise[:, 0]))
        b = basket * noise[:, 1]
        blocks.append(
            pd.DataFrame(
                {
                    "recency_days": recency * noise[:, 2],
                    "frequency": f,
                    "monetary": f * b,
                    "avg_basket": b,
                    "tenure_days": 400.0 * noise[:, 2],
                    "mean_interpurchase_days": 300.0 / f,
                    "refund_rate": 0.01,
                    "events_30d": f,
                    "events_90d": 3 * f,
                }
            )
        )
    frame = pd.concat(blocks, ignore_index=True)
    ids = [f"K{i:03d}" for i in range(len(frame))]
    ids[0] = HOSTILE_ID
    frame.index = pd.Index(ids, name="customer_id")
    return frame


@pytest.fixture(scope="module")
def result() -> SegmentationResult:
    return segment_customers(_features(), SegmentationConfig(k_min=2, k_max=4, n_init=2))


@pytest.fixture(scope="module")
def html(result: SegmentationResult, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("report") / "out" / "report.html"
    written = render_report(path, segmentation=result, ingest=INGEST, meta=META)
    assert written == path
    return path.read_text(encoding="utf-8")


def test_every_section_is_there(html: str) -> None:
    for title in SECTIONS:
        assert f">{title}</h" in html, title


def test_header_meta_and_summary(html: str, result: SegmentationResult) -> None:
    assert "Acme &lt;Shop&gt; &amp; Co" in html
    assert "Acme <Shop>" not in html
    assert "<dd>2025-03-01</dd>" in html
    assert "<dd>2025-03-02 09:15</dd>" in html
    assert "<dt>Customers segmented</dt><dd>90</dd>" in html
    assert f"<dt>Chosen k</dt><dd>{result.chosen_k}</dd>" in html
    assert f"<dt>Silhouette</dt><dd>{result.silhouette:.3f}</dd>" in html


def test_ingestion_numbers_and_balance_check(html: str) -> None:
    for number in ("12,040", "11,900", "140", "11,000", "900"):
        assert f"<td>{number}</td>" in html
    assert "<li>bad_date: 90</li><li>negative_quantity: 50</li>" in html
    assert "<li>no_id: 1</li>" in html
    # orders: 12,040 = 11,900 + 140; crm: 500 != 498 + 1
    assert html.count("&#10004; balanced") == 1
    assert html.count("&#10008; does not add up") == 1


def test_profile_table_lists_segments(html: str, result: SegmentationResult) -> None:
    for name in result.profiles["segment_name"]:
        assert f'<td class="text">{name}</td>' in html
    assert "<th>Net revenue</th>" in html


def test_self_contained_no_remote_resources(html: str) -> None:
    bundle = get_plotlyjs()
    assert html.count(bundle) == 1
    assert html.count("plotly.js v") == 1  # the bundle's header comment: embedded exactly once
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts and all("src" not in tag for tag in scripts)
    assert re.search(r"<link\b", html) is None
    assert re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html.replace(bundle, "")) is None
    # outside plotly.js itself (which mentions map-tile attributions) there is no URL at all
    rest = html.replace(bundle, "")
    assert "http://" not in rest and "https://" not in rest


def test_file_size_is_reasonable(html: str) -> None:
    bundle_size = len(get_plotlyjs())
    assert bundle_size < len(html) < bundle_size + 1_000_000


def test_customer_ids_are_escaped_in_chart_data(html: str) -> None:
    assert HOSTILE_ID not in html
    assert "\\u003c\\u002fscript\\u003e\\u003cscript\\u003ealert(1)" in html


def test_charts_carry_the_axis_titles(html: str, result: SegmentationResult) -> None:
    ev1, _ = result.pca_explained
    assert f"PC1 ({ev1:.1%} of variance)" in html
    assert f"chosen k = {result.chosen_k}" in html


def test_incomplete_ingest_summary_is_refused(result: SegmentationResult, tmp_path: Path) -> None:
    bad: list[dict[str, object]] = [{"name": "orders", "kind": "events", "path": "x.csv"}]
    with pytest.raises(ValueError, match=r"ingest summary #1 lacks key\(s\) \['read'"):
        render_report(tmp_path / "r.html", segmentation=result, ingest=bad, meta=META)
    with pytest.raises(ValueError, match="'read' must be a count"):
        render_report(
            tmp_path / "r.html",
            segmentation=result,
            ingest=[{**INGEST[0], "read": "many"}],
            meta=META,
        )
    assert not (tmp_path / "r.html").exists()


def test_failed_value_warnings_are_listed(result: SegmentationResult, tmp_path: Path) -> None:
    message = "source 'crm' field 'phone' (column 'tel'): 3 of 10 values (30.0%) failed rule x"
    ingest = [INGEST[0], {**INGEST[1], "warnings": [{"message": message, "share": 0.3}]}]
    render_report(tmp_path / "r.html", segmentation=result, ingest=ingest, meta=META)
    text = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert (
        '<li class="bad">source &#39;crm&#39; field &#39;phone&#39; (column &#39;tel&#39;)' in text
    )
    render_report(tmp_path / "s.html", segmentation=result, ingest=INGEST, meta=META)
    assert "field &#39;phone&#39;" not in (tmp_path / "s.html").read_text(encoding="utf-8")


def test_profile_table_shows_the_main_category_of_each_segment(result: SegmentationResult) -> None:
    from dataclasses import replace

    from cible.reporting import charts
    from cible.reporting.html import profile_table

    n = len(result.profiles)
    gb = np.linspace(1.0, 0.0, n)  # the first segment all GB, the last none
    profiles = result.profiles.assign(**{"country=GB_share": gb, "country=FR_share": 1.0 - gb})
    palette = charts.SegmentPalette.of(result)
    table = profile_table(replace(result, profiles=profiles), palette)
    assert table.headers[-1] == "country (main)"
    assert table.rows[0][-1] == "GB 100.0%"
    assert table.rows[-1][-1] == "FR 100.0%"
    plain = profile_table(result, palette)
    assert "country (main)" not in plain.headers
