"""A Prefect 3 flow that runs ``cible refresh`` on a schedule (docs/operations.md).

    pip install 'prefect>=3'          # in the orchestrator's environment
    python examples/prefect_flow.py refresh.yaml            # one run now
    python examples/prefect_flow.py refresh.yaml --serve    # a deployment on a cron schedule

The flow calls the ``cible`` command (``CIBLE_BIN``, default ``cible`` on the PATH) as a
subprocess, so the orchestrator's environment needs Prefect and not cible's dependencies: Prefect
3 pins a FastAPI older than the one cible's service is tested with, and the two live best in
separate environments. ``cible refresh`` is idempotent and safe to retry: the refresh task is
retried twice, five minutes apart (``CIBLE_REFRESH_RETRY_DELAY_S``). The flow returns the refresh decision read from
``refresh.json`` (action, reason, drifted features, new version), which Prefect keeps as the
flow run's result.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from prefect import flow, get_run_logger, task

CIBLE = os.environ.get("CIBLE_BIN", "cible")
SCHEDULE = os.environ.get("CIBLE_REFRESH_CRON", "0 3 * * *")  # every night at 03:00
RETRY_DELAY_S = int(os.environ.get("CIBLE_REFRESH_RETRY_DELAY_S", "300"))


def reports_dir(config: Path) -> Path:
    """The ``out`` folder of a refresh file (relative to the file, default ``refresh``)."""
    body = yaml.safe_load(config.read_text("utf-8")) or {}
    return config.parent / str(body.get("out", "refresh"))


@task(retries=2, retry_delay_seconds=RETRY_DELAY_S)
def cible_refresh(config: str, cible: str = CIBLE) -> str:
    done = subprocess.run(
        [cible, "refresh", "--config", config], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"cible refresh exited {done.returncode}: {done.stderr[-2000:]}")
    get_run_logger().info(done.stdout.strip())
    return done.stdout


@task
def refresh_decision(config: str) -> dict[str, Any]:
    decision: dict[str, Any] = json.loads((reports_dir(Path(config)) / "refresh.json").read_text())
    get_run_logger().info("refresh decision: %s", decision["action"])
    return decision


@flow(name="cible-refresh")
def refresh_flow(config: str, cible: str = CIBLE) -> dict[str, Any]:
    """Drift, then re-score / retrain / alert by the refresh file's policy."""
    cible_refresh(config, cible)
    return refresh_decision(config)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: python examples/prefect_flow.py REFRESH_FILE [--serve]")
    path = str(Path(sys.argv[1]).resolve())
    if "--serve" in sys.argv[2:]:
        refresh_flow.serve(name="cible-refresh-nightly", cron=SCHEDULE, parameters={"config": path})
    else:
        print(json.dumps(refresh_flow(path), indent=2))
