"""The Online Retail example on the Spark warehouse (local Spark) gives the DuckDB run's ingestion
counts, features and segments (k-means in both: ``algorithms: [kmeans]``)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from cible.config import SparkWarehouseConfig, load_config
from cible.services.pipeline import run_pipeline
from tests.conftest import SPARK_MASTER, shared_dataset

pytestmark = [pytest.mark.integration, pytest.mark.spark]
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _kmeans_only(path: Path, data: Path) -> object:
    cfg = load_config(path)
    selection = cfg.segmentation.selection.model_copy(update={"algorithms": ["kmeans"]})
    segmentation = cfg.segmentation.model_copy(
        update={
            "selection": selection,
            "validation": cfg.segmentation.validation.model_copy(update={"bootstrap": 0}),
            "maps": cfg.segmentation.maps.model_copy(update={"tsne": False}),
        }
    )
    return cfg.model_copy(
        update={
            "sources": [s.model_copy(update={"path": data}) for s in cfg.sources],
            "segmentation": segmentation,
        }
    )


def test_spark_run_matches_the_duckdb_run(tmp_path: Path) -> None:
    data = shared_dataset("online_retail", "online_retail.parquet")
    duck_cfg = _kmeans_only(EXAMPLES / "online_retail.yaml", data)
    spark_cfg = _kmeans_only(EXAMPLES / "online_retail_spark.yaml", data)
    assert isinstance(spark_cfg.warehouse, SparkWarehouseConfig)  # type: ignore[attr-defined]
    assert spark_cfg.warehouse.master == "local[2]"  # type: ignore[attr-defined]
    spark_cfg = spark_cfg.model_copy(  # type: ignore[attr-defined]
        update={"warehouse": spark_cfg.warehouse.model_copy(update={"master": SPARK_MASTER})}  # type: ignore[attr-defined]
    )
    duck = run_pipeline(duck_cfg, tmp_path / "duckdb")  # type: ignore[arg-type]
    spark = run_pipeline(spark_cfg, tmp_path / "spark")

    summaries = [json.loads((r.out_dir / "ingest_summary.json").read_text()) for r in (duck, spark)]
    assert summaries[0] == summaries[1]
    assert summaries[1]["totals"]["inserted"] == 401_604

    def read(out: Path, name: str) -> pd.DataFrame:
        return pd.read_parquet(out / name).set_index("customer_id").sort_index()

    fd, fs = read(duck.out_dir, "features.parquet"), read(spark.out_dir, "features.parquet")
    assert len(fd) == 4_372
    pd.testing.assert_frame_equal(fs, fd, check_exact=False, rtol=1e-9)
    d, s = read(duck.out_dir, "segments.parquet"), read(spark.out_dir, "segments.parquet")
    assert list(s.index) == list(d.index)
    assert adjusted_rand_score(d["segment_id"], s["segment_id"]) >= 0.99
