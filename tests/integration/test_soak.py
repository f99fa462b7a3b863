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
    # one RSS series per consumer: the first, one per restart, and the one that drains the queue
    runs = 1 + row["consumer_restarts"] + row["crash_restarts"] + 1
    assert len(row["rss_per_minute_mb"]) == runs
    assert "rss_late_growth_mb" in row


def _run_with(samples: list[tuple[float, float]]) -> object:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import soak
    finally:
        sys.path.remove(str(ROOT / "bench"))
    return soak.Run(proc=None, started=0.0, samples=samples)  # type: ignore[arg-type]


def test_rss_figures_of_a_consumer_run() -> None:
    # warm-up ends at 20 s; minutes marked at the first sample at or after 60 s, 120 s, ...
    samples = [(1.0, 300.0), (20.0, 200.0), (59.0, 210.0), (60.0, 220.0), (90.0, 225.0)]
    run = _run_with([*samples, (130.0, 230.0)])
    assert run.growth_mb() == 30.0  # 230 at the end - 200 at 20 s (the 300 before is left out)
    assert run.late_growth_mb() == 5.0  # the second half starts at 65 s: 225 at 90 s -> 230
    assert run.per_minute_mb() == [200.0, 220.0, 230.0, 230.0]
