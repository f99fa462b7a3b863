"""Every example with a dedup section runs from the command line and writes clusters.csv.

`cible dedup --config examples/<name>.yaml --out DIR`, exactly as a user types it; the clusters
are scored against the true entities (pairwise F1). Febrl dataset3 and fake_1000 are read from
../shared/datasets (the paths in the configs are relative to the config files), the generated
customers from examples/data.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cible.cli.main import app
from cible.identity import pairwise_metrics
from tests.conftest import shared_dataset

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
runner = CliRunner()

pytestmark = pytest.mark.integration


def _run(name: str, out: Path) -> pd.DataFrame:
    result = runner.invoke(app, ["dedup", "--config", str(EXAMPLES / name), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "largest entity" in result.output
    clusters = pd.read_csv(out / "clusters.csv", dtype=str, keep_default_na=False)
    assert list(clusters.columns) == ["record_id", "entity_id"]
    return clusters


def test_febrl_dataset3_from_the_cli(tmp_path: Path) -> None:
    shared_dataset("febrl", "dataset3.csv")
    clusters = _run("febrl_dedup.yaml", tmp_path)
    assert len(clusters) == 5000 and clusters["record_id"].is_unique
    truth = pd.Series(clusters["record_id"].str.extract(r"rec-(\d+)-")[0].to_numpy())
    metrics = pairwise_metrics(clusters, truth.set_axis(clusters["record_id"]))
    assert metrics["true_pairs"] == 6538 and metrics["precision"] == 1.0
    assert metrics["f1"] == pytest.approx(0.99992, abs=5e-5)
    summary = json.loads((tmp_path / "dedup.json").read_text())
    assert summary["largest_entity"] == 6 and summary["candidate_pairs"] == 117_666


def test_fake_1000_from_the_cli(tmp_path: Path) -> None:
    records = pd.read_csv(shared_dataset("splink", "fake_1000.csv"), dtype=str)
    clusters = _run("fake_1000_dedup.yaml", tmp_path)
    metrics = pairwise_metrics(
        clusters, pd.Series(records["cluster"].to_numpy(), records["unique_id"])
    )
    assert metrics["true_pairs"] == 2031
    assert metrics["f1"] == pytest.approx(0.9434, abs=5e-4)
    assert metrics["precision"] == pytest.approx(0.9689, abs=5e-4)


def test_generated_customers_from_the_cli(tmp_path: Path) -> None:
    records = pd.read_csv(EXAMPLES / "data" / "customers_dedup.csv", dtype=str)
    clusters = _run("customers_dedup.yaml", tmp_path)
    truth = pd.Series(records["person_id"].to_numpy(), index=records["record_id"])
    metrics = pairwise_metrics(clusters, truth)
    assert (metrics["true_pairs"], metrics["agreed_pairs"], metrics["predicted_pairs"]) == (
        445,
        445,
        445,
    )
    assert metrics["f1"] == 1.0
