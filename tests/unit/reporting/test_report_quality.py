"""Rendering the data-quality report: display rows, quality.json, quality.html, run report."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from cible.config import QualityThresholds, SegmentationConfig
from cible.quality import QualityReport, quality_report
from cible.quality.report import with_imputation
from cible.reporting import render_report
from cible.reporting.quality import quality_section, render_quality_page, write_quality_json
from cible.segmentation import segment_customers
from cible.segmentation.science import prepare
from tests.unit.reporting.test_report_html import INGEST, META, _features

HOSTILE = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def report() -> QualityReport:
    frame = pd.DataFrame(
        {
            "email": ["a@b.fr", None, "c@d.fr", "e@f.fr"],
            "state": ["NSW", "New South Wales", HOSTILE, "n/a"],
            "gender": ["F", "female", "U", "male"],
            "amount": [1.0, 2.0, 3.0, 50.0],
        }
    )
    return quality_report(
        frame,
        source="crm",
        reference_date=dt.date(2026, 1, 1),
        thresholds=QualityThresholds(max_missing_rate={"email": 0.1}),
    )


def test_section_rows(report: QualityReport) -> None:
    section = quality_section(report)
    [src] = section.sources
    assert (src.name, src.rows) == ("crm", "4")
    rows = {r[0]: r for r in src.columns}
    assert rows["email (personal)"][2] == "1 (25.0%)"
    assert rows["email (personal)"][5] == "a@a.a (3)"  # a pattern, never a value
    assert rows["state"][2] == "1 written as n/a, null…"
    assert rows["amount"][7].startswith("robust z > 3.5: 1; outside IQR fences: 1 (median 2.5")
    assert src.breached == [True, False, False, False]
    assert section.breaches == [
        "source 'crm' column 'email': missing rate 25.0% > allowed 10.0% "
        "(quality.thresholds.max_missing_rate.email)"
    ]
    gender = next(f for f in src.findings if f.column == "gender")
    assert gender.groups == [("female", "'F' (1)"), ("unknown", "'U' (1)")]
    assert section.imputation is None


def test_page_and_json(report: QualityReport, tmp_path: Path) -> None:
    page = render_quality_page(tmp_path / "quality.html", report, {"project": "Acme"})
    html = page.read_text(encoding="utf-8")
    assert "<h2>Data quality</h2>" in html
    assert "NSW (New South Wales) ← &#39;NSW&#39; (1), &#39;New South Wales&#39; (1)" in html
    assert HOSTILE not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "a@b.fr" not in html
    assert "The segmentation did not run" in html
    data = json.loads(write_quality_json(tmp_path / "quality.json", report).read_text())
    assert data["breaches"][0]["column"] == "email"
    assert data["sources"][0]["findings"][0]["kind"] == "same_entity"


def test_run_report_has_the_quality_section_with_imputation(
    report: QualityReport, tmp_path: Path
) -> None:
    config = SegmentationConfig.model_validate(
        {
            "k_min": 2,
            "k_max": 3,
            "n_init": 2,
            "selection": {"algorithms": ["kmeans"]},
            "validation": {"bootstrap": 0},
            "maps": {"tsne": False},
        }
    )
    seg = segment_customers(_features(), config)
    # the pipeline refuses missing values among buyers; the preprocessor's report is read the
    # same way when a configuration imputes them (here: 9 of 90 tenures missing)
    features = _features()
    features.loc[features.index[:9], "tenure_days"] = float("nan")
    full = with_imputation(report, prepare(features, config).missing)
    assert full.imputation is not None
    tenure = next(i for i in full.imputation if i.feature == "tenure_days")
    assert (tenure.method, tenure.n_imputed, tenure.n_rows) == ("median", 9, 90)
    path = render_report(
        tmp_path / "report.html", segmentation=seg, ingest=INGEST, meta=META, quality=full
    )
    html = path.read_text(encoding="utf-8")
    assert '<section id="quality">' in html
    assert html.index('id="ingestion"') < html.index('id="quality"') < html.index('id="sizes"')
    assert '<td class="text">tenure_days</td><td class="text">median</td><td>9 of 90</td>' in html
    without = render_report(tmp_path / "r2.html", segmentation=seg, ingest=INGEST, meta=META)
    assert '<section id="quality">' not in without.read_text(encoding="utf-8")
