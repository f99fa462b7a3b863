"""`cible demo` end to end: generated world -> report, planted personas recovered."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cible.cli.main import app
from cible.services.demo import DemoResult, run_demo

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    return run_demo(tmp_path_factory.mktemp("demo"), customers=20_000, seed=42)


def test_personas_are_recovered(demo: DemoResult) -> None:
    assert demo.persona_ari >= 0.9  # automatic selection over the algorithm grid
    truth = pd.read_csv(demo.pipeline.out_dir / "data" / "truth.csv")
    assert demo.pipeline.segmentation.chosen_k == truth["persona"].nunique()


def test_planted_duplicate_accounts_are_merged(demo: DemoResult) -> None:
    # 600 of the 20,600 accepted CRM rows are second accounts of a true customer
    assert demo.duplicates is not None
    assert demo.duplicates["true_pairs"] == 600
    assert demo.duplicates["precision"] == 1.0
    assert demo.duplicates["recall"] == 1.0
    identity = demo.pipeline.identity
    assert identity is not None
    assert identity.golden.summary()["entities"] == 20_000
    assert demo.pipeline.n_customers == 20_000  # features count each person once
    clusters = pd.read_csv(demo.pipeline.out_dir / "clusters.csv")
    assert len(clusters) == 20_600


def test_every_row_accounted_and_files_written(demo: DemoResult) -> None:
    for s in demo.pipeline.ingest.sources:
        assert s.read == s.accepted + s.quarantined
        assert s.quarantined > 0  # the generator plants malformed rows in every file
    out = demo.pipeline.out_dir
    for name in (
        "segments.parquet",
        "profiles.csv",
        "report.html",
        "quarantine.csv",
        "ingest_summary.json",
        "features.parquet",
        "warehouse.duckdb",
        "golden.csv",
        "merge_log.csv",
        "dedup.json",
    ):
        assert (out / name).is_file(), name
    segments = pd.read_parquet(out / "segments.parquet")
    assert list(segments.columns) == ["customer_id", "segment_id", "segment_name"]
    assert segments["customer_id"].is_unique


def test_cli_demo_prints_report_path(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo", "--out", str(tmp_path / "d"), "--customers", "1000"])
    assert result.exit_code == 0, result.output
    assert "Report:" in result.output
    assert (tmp_path / "d" / "report.html").is_file()


def test_segment_names_match_the_planted_personas(demo: DemoResult) -> None:
    out = demo.pipeline.out_dir
    truth = pd.read_csv(out / "data" / "truth.csv")
    joined = pd.read_parquet(out / "segments.parquet").merge(truth, on="customer_id")
    joined = joined[joined["duplicate_of"].isna() & (joined["segment_id"] > 0)]
    majority = joined.groupby("persona")["segment_name"].agg(lambda s: s.value_counts().index[0])
    assert majority.to_dict() == {
        "bargain": "Bargain hunters",
        "big_ticket": "Big spenders - occasional",
        "champion": "Champions",
        "lapsed": "At risk - lapsed",
        "loyal": "Loyal regulars",
        "new": "New customers",
        "returner": "Frequent returners",
        "window_shopper": "Window shoppers",
    }


def test_ahp_weights_and_sensitivity(demo: DemoResult) -> None:
    import json

    validation = json.loads((demo.pipeline.out_dir / "validation.json").read_text())
    weights = validation["weights"]
    assert weights["criterion_weights"] == pytest.approx(
        {"value": 0.5396, "engagement": 0.2970, "loyalty": 0.1634}, abs=1e-3
    )
    assert weights["ahp"]["consistency_ratio"] == pytest.approx(0.0079, abs=1e-3)
    rows = weights["sensitivity"]
    assert [(r["criterion"], r["change"]) for r in rows] == [
        ("value", "+20%"),
        ("value", "-20%"),
        ("engagement", "+20%"),
        ("engagement", "-20%"),
        ("loyalty", "+20%"),
        ("loyalty", "-20%"),
    ]
    assert min(r["ari"] for r in rows) > 0.9  # the personas do not hinge on the exact weights
    selection = json.loads((demo.pipeline.out_dir / "selection.json").read_text())
    assert selection["chosen_passed_all_gates"] is True
