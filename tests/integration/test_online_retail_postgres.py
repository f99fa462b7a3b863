"""The Online Retail example on PostgreSQL gives the DuckDB run's segments and ingestion counts."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from cible.config import PostgreSQLWarehouseConfig, load_config
from cible.services.pipeline import run_pipeline
from tests.conftest import POSTGRES_URL, fresh_schema_name, postgresql_warehouse_at, shared_dataset

pytestmark = [pytest.mark.integration, pytest.mark.postgresql]
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_postgresql_run_matches_the_duckdb_run(tmp_path: Path) -> None:
    data = shared_dataset("online_retail", "online_retail.parquet")
    schema = fresh_schema_name()  # the example's schema may hold an earlier run
    warehouse = PostgreSQLWarehouseConfig(engine="postgresql", url=POSTGRES_URL, schema=schema)
    duck_cfg, pg_cfg = (
        cfg.model_copy(
            update={"sources": [s.model_copy(update={"path": data}) for s in cfg.sources]}
        )
        for cfg in (
            load_config(EXAMPLES / "online_retail.yaml"),
            load_config(EXAMPLES / "online_retail_postgres.yaml").model_copy(
                update={"warehouse": warehouse}
            ),
        )
    )
    duck = run_pipeline(duck_cfg, tmp_path / "duckdb")
    try:
        pg = run_pipeline(pg_cfg, tmp_path / "postgresql")
    finally:
        wh = postgresql_warehouse_at(schema)
        wh.drop_schema()
        wh.close()

    def segments(out: Path) -> pd.DataFrame:
        return pd.read_parquet(out / "segments.parquet").set_index("customer_id").sort_index()

    d, p = segments(duck.out_dir), segments(pg.out_dir)
    assert len(d) == 4_372
    pd.testing.assert_frame_equal(p, d)
    summaries = [json.loads((r.out_dir / "ingest_summary.json").read_text()) for r in (duck, pg)]
    assert summaries[0] == summaries[1]
    assert summaries[1]["totals"]["inserted"] == 401_604
