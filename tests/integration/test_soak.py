"""The short soak of CI: ``bench/soak.py`` for 12 seconds at 500 events/s through RabbitMQ into
PostgreSQL, the consumer stopped every 3 s (SIGTERM, SIGKILL, ...): nothing lost, every profile
equal to the batch recompute."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.integration, pytest.mark.rabbitmq, pytest.mark.postgresql]


def test_a_short_soak_loses_nothing_and_applies_nothing_twice() -> None:
    args = ["--minutes", "0.2", "--rate", "500", "--restart-every", "0.05"]
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "soak.py"), *args],
        cwd=ROOT / "bench",
        env={**os.environ, "PYTHONPATH": str(ROOT / "src"), "CIBLE_THREADS": "1"},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    row = json.loads(done.stdout.strip().splitlines()[-1])
    assert (row["bench"], row["events"], row["lost"], row["duplicated"]) == ("soak", 6000, 0, 0)
    assert row["consumer_restarts"] >= 1
    assert row["crash_restarts"] == 0
    assert row["postgresql_restarted"] is False
