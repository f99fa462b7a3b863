"""Spark Connect (``master: sc://host:port``) for real: a Connect server started from the pyspark
install (``sbin/start-connect-server.sh``, local[2]) and ``cible run`` on it, in a process of its
own (one Spark master per process): the Online Retail example gives the DuckDB run's ingest
counts, features and k-means segments (MLlib over Connect, ARI >= 0.99, the same k)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import yaml
from sklearn.metrics import adjusted_rand_score

from cible.config import load_config
from cible.services.pipeline import run_pipeline
from tests.conftest import shared_dataset

pytestmark = [pytest.mark.integration, pytest.mark.spark]
ROOT = Path(__file__).resolve().parents[2]
SEGMENTATION = {
    "selection": {"algorithms": ["kmeans"]},
    "validation": {"bootstrap": 0},
    "maps": {"tsne": False},
    "forward": {"enabled": False},
    "k_min": 2,
    "k_max": 6,
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def connect_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Spark Connect server on local[2] (2 GB driver), stopped after the module."""
    import pyspark

    home = Path(pyspark.__file__).parent
    logs = tmp_path_factory.mktemp("connect")
    port = _free_port()
    env = {**os.environ, "SPARK_HOME": str(home), "SPARK_LOG_DIR": str(logs)}
    env["SPARK_PID_DIR"] = str(logs)
    conf = {
        "spark.connect.grpc.binding.port": str(port),
        "spark.driver.memory": "2g",
        "spark.ui.enabled": "false",
        "spark.sql.shuffle.partitions": "4",
        "spark.sql.session.timeZone": "UTC",
    }
    args = [x for k, v in conf.items() for x in ("--conf", f"{k}={v}")]
    script = home / "sbin" / "start-connect-server.sh"
    with (logs / "server.log").open("wb") as log:
        server = subprocess.Popen(
            ["bash", str(script), "--wait", "--master", "local[2]", *args],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 600
        while not _listening(port):
            if server.poll() is not None or time.monotonic() > deadline:
                tail = (logs / "server.log").read_text(errors="replace")[-3000:]
                pytest.fail(f"the Spark Connect server did not start on port {port}:\n{tail}")
            time.sleep(2)
        yield f"sc://localhost:{port}"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=120)


def _yaml(source: Path, target: Path, data: Path, warehouse: dict[str, object] | None) -> Path:
    cfg = yaml.safe_load(source.read_text())
    cfg["sources"][0]["path"] = str(data)
    cfg["segmentation"] = {**cfg.get("segmentation", {}), **SEGMENTATION}
    if warehouse is not None:
        cfg["warehouse"] = warehouse
    target.write_text(yaml.safe_dump(cfg))
    return target


def test_cible_run_over_spark_connect_matches_duckdb(connect_url: str, tmp_path: Path) -> None:
    data = shared_dataset("online_retail", "online_retail.parquet")
    examples = ROOT / "examples"
    spark_yaml = _yaml(
        examples / "online_retail_spark.yaml",
        tmp_path / "connect.yaml",
        data,
        {"engine": "spark", "master": connect_url, "path": str(tmp_path / "warehouse.spark")},
    )
    duck_yaml = _yaml(examples / "online_retail.yaml", tmp_path / "duck.yaml", data, None)
    out = tmp_path / "connect"
    code = "from cible.cli.main import app; app()"
    done = subprocess.run(
        [sys.executable, "-c", code, "run", "--config", str(spark_yaml), "--out", str(out)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        timeout=1800,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    duck = run_pipeline(load_config(duck_yaml), tmp_path / "duckdb")

    summaries = [json.loads((d / "ingest_summary.json").read_text()) for d in (duck.out_dir, out)]
    assert summaries[0] == summaries[1]
    assert summaries[1]["totals"]["inserted"] == 401_604

    def read(folder: Path, name: str) -> pd.DataFrame:
        return pd.read_parquet(folder / name).set_index("customer_id").sort_index()

    fd, fs = read(duck.out_dir, "features.parquet"), read(out, "features.parquet")
    assert len(fs) == 4_372
    pd.testing.assert_frame_equal(fs[fd.columns], fd, check_exact=False, rtol=1e-9)
    d, s = read(duck.out_dir, "segments.parquet"), read(out, "segments.parquet")
    assert list(s.index) == list(d.index)
    run = json.loads((out / "run.json").read_text())
    assert run["mode"] == "spark"
    assert run["chosen_k"] == duck.segmentation.chosen_k
    assert adjusted_rand_score(d["segment_id"], s["segment_id"]) >= 0.99
