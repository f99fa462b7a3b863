"""The steps of the batch pipeline, one at a time (the whole list runs in tests/unit/cli)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from cible import __version__
from cible.config import load_config
from cible.exceptions import FeatureError
from cible.services.outputs import run_meta
from cible.services.progress import NullProgress
from cible.services.steps import (
    FeatureSet,
    Run,
    check_segmentation_features,
    features_step,
    identity_step,
    ingest_step,
    predict_step,
)
from cible.warehouse.duckdb import DuckDBWarehouse
from tests.conftest import ORDERS_CSV, WriteConfig, orders_source


@pytest.fixture
def run(tmp_path: Path, write_config: WriteConfig) -> Run:
    (tmp_path / "orders.csv").write_text(ORDERS_CSV)
    config = load_config(write_config({"sources": [orders_source()]}))
    return Run(config, tmp_path / "out", NullProgress())


def test_run_meta_is_the_project_the_facts_then_when_and_which_version() -> None:
    meta = run_meta("demo", as_of="2024-03-01", mode="table")
    assert list(meta) == ["project", "as_of", "mode", "generated_at", "cible_version"]
    assert (meta["project"], meta["as_of"], meta["mode"]) == ("demo", "2024-03-01", "table")
    assert meta["cible_version"] == __version__
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", meta["generated_at"])


def test_the_ingest_step_leaves_the_quality_files_to_the_writing_step(run: Run) -> None:
    with DuckDBWarehouse(run.out_dir / "w.duckdb") as wh:
        summary = ingest_step(run, wh)
        assert wh.count("events") == 3
    assert summary.quality is not None
    written = sorted(p.name for p in run.out_dir.iterdir() if not p.name.startswith("w.duckdb"))
    assert written == ["ingest_summary.json", "quarantine.csv"]
    assert list(run.seconds) == ["ingest"]


def test_without_dedup_the_identity_step_clears_and_is_not_timed(run: Run) -> None:
    with DuckDBWarehouse(run.out_dir / "w.duckdb") as wh:
        ingest_step(run, wh)
        assert identity_step(run, wh) is None
    assert "dedup" not in run.seconds


def test_features_then_predict_without_predict_config(run: Run) -> None:
    with DuckDBWarehouse(run.out_dir / "w.duckdb") as wh:
        ingest_step(run, wh)
        features = features_step(run, wh)
        same, prediction = predict_step(run, wh, features)
    assert prediction is None and same is features
    assert list(features.context.index) == list(features.table.index)
    assert "frequency" in features.table.columns
    assert list(run.seconds) == ["ingest", "features"]


def test_a_segmentation_feature_that_is_not_computed_names_the_available_ones(run: Run) -> None:
    wanted = list(run.config.segmentation.features)
    index = pd.Index(["c1"], name="customer_id")
    complete = pd.DataFrame({f: [1.0] for f in wanted}, index=index)
    as_of = pd.Timestamp("2024-03-01").date()
    check_segmentation_features(run.config, FeatureSet(as_of, complete, complete.iloc[:, :0]))
    short = complete.drop(columns=[wanted[-1]])
    with pytest.raises(FeatureError) as e:
        check_segmentation_features(run.config, FeatureSet(as_of, short, short.iloc[:, :0]))
    assert str(e.value) == (
        f"segmentation.features {[wanted[-1]]} are not computed features; "
        f"available: {list(short.columns)}"
    )


def test_timed_adds_up_the_seconds_of_a_step(run: Run) -> None:
    with run.timed("features"):
        pass
    first = run.seconds["features"]
    with run.timed("features"):
        pass
    assert run.seconds["features"] >= first >= 0.0
    assert list(run.seconds) == ["features"]


class _RecordingProgress:
    """Every call, in order, as (method, argument)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def start(self, description: str, total: float | None = None, unit: str = "") -> None:
        self.calls.append(("start", (description, total)))

    def advance(self, amount: float = 1.0) -> None:
        self.calls.append(("advance", amount))

    def note(self, text: str) -> None:
        self.calls.append(("note", text))

    def done(self, summary: str = "") -> None:
        self.calls.append(("done", summary))


def test_the_segment_bar_after_selection_is_determinate_with_named_sub_steps() -> None:
    from cible.config import SegmentationConfig
    from cible.segmentation.science import finishing_steps
    from cible.services.steps import _on_segment_step

    config = SegmentationConfig(maps={"tsne": True, "umap": False, "autoencoder": False})
    names = finishing_steps(config)
    assert names == ["validation", "rules", "importance", "sensitivity", "PCA", "t-SNE"]
    progress = _RecordingProgress()
    on_step = _on_segment_step(progress, config)
    on_step("prepared")  # before the selection: nothing drawn
    assert progress.calls == []
    for name in ["selected", *names]:
        on_step(name)
    assert progress.calls[:3] == [
        ("done", ""),
        ("start", ("Validating, explaining and mapping the segments", 6)),
        ("note", "validation"),
    ]
    assert progress.calls.count(("advance", 1.0)) == 6  # exactly the total: never n/?
    assert progress.calls[-2:] == [("advance", 1.0), ("note", "")]
    assert ("note", "t-SNE") in progress.calls


def test_finishing_steps_list_only_the_maps_configured() -> None:
    from cible.config import SegmentationConfig
    from cible.segmentation.science import finishing_steps

    config = SegmentationConfig(maps={"tsne": False, "umap": True, "autoencoder": True})
    assert finishing_steps(config)[-3:] == ["PCA", "UMAP", "autoencoder"]
