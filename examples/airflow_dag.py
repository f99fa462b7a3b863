"""An Airflow 3 DAG that runs ``cible refresh`` every night (docs/operations.md).

Copy this file into the DAGs folder of an Airflow 3 deployment (``pip install
'apache-airflow>=3'`` in Airflow's environment). It calls the ``cible`` command
(``CIBLE_BIN``, default ``cible`` on the workers' PATH) with the refresh file of
``CIBLE_REFRESH_CONFIG``, so Airflow's environment needs no cible dependency: Airflow pins libraries
older than cible's lock, and the two live best in separate environments (or run the command in a
container with ``DockerOperator`` / ``KubernetesPodOperator``, with the same arguments).

``cible refresh`` is idempotent and safe to retry: two retries, five minutes apart
(``CIBLE_REFRESH_RETRY_DELAY_S``). A second task reads ``refresh.json`` and pushes the decision
(action, reason, drifted features, new version) to XCom, where a downstream task or an alert can
use it; ``catchup=False`` so a paused DAG does not replay missed nights, and one run at a time.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import dag, task

CIBLE = os.environ.get("CIBLE_BIN", "cible")
CONFIG = os.environ.get("CIBLE_REFRESH_CONFIG", "/etc/cible/refresh.yaml")
SCHEDULE = os.environ.get("CIBLE_REFRESH_CRON", "0 3 * * *")  # every night at 03:00
RETRY_DELAY_S = int(os.environ.get("CIBLE_REFRESH_RETRY_DELAY_S", "300"))


def reports_dir(config: Path) -> Path:
    """The ``out`` folder of a refresh file (relative to the file, default ``refresh``)."""
    body = yaml.safe_load(config.read_text("utf-8")) or {}
    return config.parent / str(body.get("out", "refresh"))


@dag(
    dag_id="cible_refresh",
    schedule=SCHEDULE,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(seconds=RETRY_DELAY_S)},
    tags=["cible"],
)
def cible_refresh() -> None:
    refresh = BashOperator(
        task_id="refresh",
        bash_command=f'"{CIBLE}" refresh --config "{CONFIG}"',
    )

    @task(task_id="decision")
    def decision() -> dict[str, Any]:
        result: dict[str, Any] = json.loads(
            (reports_dir(Path(CONFIG)) / "refresh.json").read_text()
        )
        print(f"refresh decision: {result['action']}")
        return result

    refresh >> decision()


cible_refresh()
