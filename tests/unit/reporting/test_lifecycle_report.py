"""The drift page: one row per feature, drifted ones highlighted, the rule spelled out."""

from __future__ import annotations

from pathlib import Path

from cible.lifecycle.drift import Histogram, decide
from cible.reporting.lifecycle import drift_section, render_drift_page


def _report():  # type: ignore[no-untyped-def]
    labels = ("a", "b")
    return decide(
        {
            "country": (
                Histogram((50, 50), labels=labels),
                Histogram((10, 90), labels=labels),
                "categorical",
            ),
            "channel": (
                Histogram((50, 50), labels=labels),
                Histogram((50, 50), labels=labels),
                "categorical",
            ),
        }
    )


def test_drift_section_rows_and_rule() -> None:
    section = drift_section(_report())
    assert section.summary == "1 of 2 features drifted: country."
    assert "q < 0.05 AND effect >= 0.05" in section.rule and "PSI >= 0.1" in section.rule
    country, channel = section.rows
    assert country.drifted and country.cells[:3] == ["country", "categorical", "yes"]
    assert country.cells[6] == "0.879"  # PSI: 0.4 ln 5 + 0.4 ln 1.8
    assert channel.cells[2:5] == ["no", "1.000", "0.000"]
    assert country.cells[7] == "–"  # Jensen-Shannon is a numeric test
    assert country.cells[-1] == "100 / 100"


def test_drift_page_is_self_contained_html(tmp_path: Path) -> None:
    path = render_drift_page(tmp_path / "drift.html", _report(), title="Shop")
    html = path.read_text(encoding="utf-8")
    assert "<title>Shop · drift</title>" in html
    assert html.count('<tr class="breach">') == 1
    assert "<script" not in html
