"""`cible calibrate` re-makes the entities exactly as `cible dedup` made them.

fake_1000 deduplicated from the command line with ``clustering: evidence``: at the run's own
threshold, the entities that calibration rebuilds from ``identity_pairs.parquet`` are the ones of
``clusters.csv`` (same partition, same pairwise F1 against the truth). With connected components
instead (what calibration did before the clustering was recorded in ``dedup.json``) four records
land elsewhere on this set, so the test tells the two apart.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from cible.cli.main import app
from cible.identity import pairwise_metrics
from cible.identity.closure_calibration import ClosureGrid
from cible.identity.clustering import ClusteringRule
from tests.conftest import shared_dataset

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
runner = CliRunner()

pytestmark = pytest.mark.integration


def _partition(ids: np.ndarray, entity: np.ndarray) -> set[frozenset[str]]:
    frame = pd.DataFrame({"id": ids, "e": entity})
    return {frozenset(g["id"]) for _, g in frame.groupby("e")}


def test_calibrate_clusters_as_the_dedup_run(tmp_path: Path) -> None:
    data = shared_dataset("splink", "fake_1000.csv")
    config = yaml.safe_load((EXAMPLES / "fake_1000_dedup.yaml").read_text(encoding="utf-8"))
    config["dedup"]["input"]["path"] = str(data)
    config["dedup"]["matching"]["clustering"] = "evidence"
    config["dedup"]["review_sample"] = 60
    path = tmp_path / "dedup.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    run = tmp_path / "run"
    done = runner.invoke(app, ["dedup", "--config", str(path), "--out", str(run)])
    assert done.exit_code == 0, done.output
    summary = json.loads((run / "dedup.json").read_text(encoding="utf-8"))
    recorded = summary["matcher"]["clustering"]
    assert recorded["method"] == "evidence" and 0 < recorded["prior"] < 1

    raw = pd.read_csv(data, dtype=str)
    truth = pd.Series(raw["cluster"].to_numpy(), index=raw["unique_id"].to_numpy())
    pd.DataFrame({"record_id": truth.index, "entity_id": truth.to_numpy()}).to_csv(
        tmp_path / "truth.csv", index=False
    )
    review = pd.read_csv(run / "review_sample.csv", dtype=str, keep_default_na=False)
    same = truth.loc[review["record_id_l"]].to_numpy() == truth.loc[review["record_id_r"]]
    review["label"] = np.where(same, "1", "0")
    review.to_csv(run / "review_sample.csv", index=False)
    cal = tmp_path / "cal"
    args = ["calibrate", str(run / "review_sample.csv"), "--out", str(cal)]
    done = runner.invoke(app, [*args, "--truth", str(tmp_path / "truth.csv")])
    assert done.exit_code == 0, done.output
    report = json.loads((cal / "calibration.json").read_text(encoding="utf-8"))
    assert report["clustering"] == recorded and report["current_threshold"] == 0.9

    clusters = pd.read_csv(run / "clusters.csv", dtype=str, keep_default_na=False)
    expected = pairwise_metrics(clusters, truth)
    assert report["at_current"]["pairwise_f1"] == pytest.approx(expected["f1"], abs=1e-12)
    assert report["at_current"]["pairwise_precision"] == pytest.approx(expected["precision"])

    pairs = pd.read_parquet(run / "identity_pairs.parquet")
    labelled = review.assign(label=review["label"].astype(int))
    grid = ClosureGrid(pairs, labelled, clustering=ClusteringRule.from_dict(recorded))
    in_pairs = pd.Index(grid.ids)
    dedup = clusters.set_index("record_id").loc[in_pairs, "entity_id"].to_numpy()
    assert _partition(grid.ids, grid.entities(0.9)) == _partition(grid.ids, dedup)
    components = ClosureGrid(pairs, labelled).entities(0.9)
    assert _partition(grid.ids, components) != _partition(grid.ids, dedup)
