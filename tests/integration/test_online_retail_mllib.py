"""``cible run`` on the Spark warehouse with the segmentation in Spark (``segment_in: spark``,
MLlib): the Online Retail example gives the DuckDB run's ingest counts, the same customers and
the same k-means segments (ARI >= 0.99, the same k, the same selection rule and seed)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from cible.config import load_config
from cible.services.pipeline import run_configured, run_pipeline
from cible.services.spark_pipeline import SparkPipelineResult
from tests.conftest import SPARK_MASTER, shared_dataset

pytestmark = [pytest.mark.integration, pytest.mark.spark]
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _config(path: Path, data: Path, **warehouse: object) -> object:
    cfg = load_config(path)
    seg = cfg.segmentation
    segmentation = seg.model_copy(
        update={
            "selection": seg.selection.model_copy(update={"algorithms": ["kmeans"]}),
            "validation": seg.validation.model_copy(update={"bootstrap": 0}),
            "maps": seg.maps.model_copy(update={"tsne": False}),
            "forward": seg.forward.model_copy(update={"enabled": False}),
            "k_min": 2,
            "k_max": 6,
        }
    )
    update: dict[str, object] = {
        "sources": [s.model_copy(update={"path": data}) for s in cfg.sources],
        "segmentation": segmentation,
    }
    if warehouse:
        update["warehouse"] = cfg.warehouse.model_copy(update=warehouse)
    return cfg.model_copy(update=update)


def test_mllib_run_matches_the_duckdb_run(tmp_path: Path) -> None:
    data = shared_dataset("online_retail", "online_retail.parquet")
    duck_cfg = _config(EXAMPLES / "online_retail.yaml", data)
    spark_cfg = _config(EXAMPLES / "online_retail_spark.yaml", data, master=SPARK_MASTER)
    assert spark_cfg.warehouse.segment_in == "spark"  # type: ignore[attr-defined]  # the default
    duck = run_pipeline(duck_cfg, tmp_path / "duckdb")  # type: ignore[arg-type]
    spark = run_configured(spark_cfg, tmp_path / "spark")  # type: ignore[arg-type]
    assert isinstance(spark, SparkPipelineResult)

    summaries = [json.loads((r.out_dir / "ingest_summary.json").read_text()) for r in (duck, spark)]
    assert summaries[0] == summaries[1]
    assert summaries[1]["totals"]["inserted"] == 401_604

    def read(out: Path, name: str) -> pd.DataFrame:
        return pd.read_parquet(out / name).set_index("customer_id").sort_index()

    fd, fs = read(duck.out_dir, "features.parquet"), read(spark.out_dir, "features.parquet")
    assert len(fs) == len(fd) == 4_372
    pd.testing.assert_frame_equal(fs[fd.columns], fd, check_exact=False, rtol=1e-9)
    d, s = read(duck.out_dir, "segments.parquet"), read(spark.out_dir, "segments.parquet")
    assert list(s.index) == list(d.index)
    assert spark.segmentation.chosen_k == duck.segmentation.chosen_k
    assert spark.segmentation.algorithm == duck.segmentation.algorithm
    assert adjusted_rand_score(d["segment_id"], s["segment_id"]) >= 0.99
    # prospects (0) and refund-only customers are the same customers on both paths
    for special in (0, duck.segmentation.chosen_k + 1):
        assert set(s.index[s["segment_id"] == special]) == set(d.index[d["segment_id"] == special])
    profiles = pd.read_csv(spark.out_dir / "profiles.csv")
    assert profiles["size"].sum() == 4_372
    assert list(profiles["segment_id"]) == sorted(d["segment_id"].unique())
    selection = json.loads((spark.out_dir / "selection.json").read_text())
    assert selection["engine"] == "spark"
    assert len(selection["candidates"]) == 5  # k = 2..6
    run = json.loads((spark.out_dir / "run.json").read_text())
    assert run["mode"] == "spark" and run["customers"] == 4_372
    assert "Segmented in Spark (MLlib)" in (spark.out_dir / "report.html").read_text()
