"""The shipped KPMG example: the data-quality report finds the workbook's planted traps."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from cible.config import load_config
from cible.quality.results import QualityReport, SourceQuality
from cible.services.ingest import IngestSummary, ingest
from cible.warehouse.duckdb import DuckDBWarehouse
from tests.conftest import shared_dataset

pytestmark = pytest.mark.integration
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "kpmg.yaml"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[IngestSummary, Path]:
    shared_dataset("kpmg_sprocket", "KPMG_VI_New_raw_data_update_final.xlsx")
    out = tmp_path_factory.mktemp("kpmg")
    with DuckDBWarehouse(out / "warehouse.duckdb") as wh:
        summary = ingest(load_config(EXAMPLE), wh, out)
    return summary, out


def _report(run: tuple[IngestSummary, Path]) -> QualityReport:
    report = run[0].quality
    assert report is not None
    return report


def _variants(source: SourceQuality, column: str) -> dict[str | None, list[tuple[str, int]]]:
    [finding] = source.findings_for(column)
    return {g.canonical: [(v.value, v.count) for v in g.variants] for g in finding.groups}


def test_every_row_read_is_accepted(run: tuple[IngestSummary, Path]) -> None:
    by_name = {s.name: s for s in run[0].sources}
    assert (by_name["demographic"].read, by_name["demographic"].accepted) == (4_000, 4_000)
    assert (by_name["address"].read, by_name["address"].accepted) == (3_999, 3_999)


def test_inconsistent_genders(run: tuple[IngestSummary, Path]) -> None:
    demographic = _report(run).source("demographic")
    assert _variants(demographic, "gender") == {
        "female": [("Female", 2_037), ("F", 1), ("Femal", 1)],
        "male": [("Male", 1_872), ("M", 1)],
        "unknown": [("U", 88)],
    }
    [finding] = demographic.findings_for("gender")
    assert (finding.kind, finding.n_groups, finding.n_rows) == ("non_canonical", 3, 4_000)


def test_genders_are_canonical_after_standardisation(run: tuple[IngestSummary, Path]) -> None:
    con = duckdb.connect(str(run[1] / "warehouse.duckdb"), read_only=True)
    try:
        counts = dict(
            con.sql(
                "SELECT gender, count(*) FROM customers WHERE source = 'demographic' GROUP BY 1"
            ).fetchall()
        )
    finally:
        con.close()
    assert counts == {"female": 2_039, "male": 1_873, "unknown": 88}


def test_impossible_birth_dates(run: tuple[IngestSummary, Path]) -> None:
    birth = _report(run).source("demographic").column("birth_date")
    assert (birth.n_missing, birth.n_invalid) == (87, 0)
    assert birth.dates is not None
    # the 1843-12-21 of customer 34 (sheet row 35); no date after 2018-01-01, none over 120
    assert (birth.dates.before_1900, birth.dates.future, birth.dates.over_120) == (1, 0, 0)
    assert [(e.row, e.value, e.problem) for e in birth.dates.examples] == [
        (34, None, "before 1900")
    ]
    assert [p.value for p in birth.top_patterns] == ["9999-99-99 99:99:99", "9999-99-99"]


def test_states_written_as_names_and_codes(run: tuple[IngestSummary, Path]) -> None:
    address = _report(run).source("address")
    assert _variants(address, "attributes.state") == {
        "NSW (New South Wales)": [("NSW", 2_054), ("New South Wales", 86)],
        "VIC (Victoria)": [("VIC", 939), ("Victoria", 82)],
    }


def test_other_measures_and_privacy(run: tuple[IngestSummary, Path]) -> None:
    demographic = _report(run).source("demographic")
    assert demographic.column("attributes.job_industry_category").n_missing_like == 656
    assert demographic.column("attributes.job_title").n_missing == 506
    assert demographic.column("last_name").n_missing == 125
    address = _report(run).source("address")
    assert address.column("postal_code").n_invalid == 0
    street = address.column("attributes.address")
    assert street.personal and street.top_values == ()
    text = (run[1] / "quality.json").read_text(encoding="utf-8")
    assert "Morning Avenue" not in text  # the street of customer 1, a personal column
    assert "Laraine" not in text and "Medendorp" not in text  # customer 1's names
    assert json.loads(text)["reference_date"] == "2018-01-01"
