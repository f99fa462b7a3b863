"""The Spark warehouse's files: what survives a reopen, what a rollback or a rewrite leaves on disk
(one shared local Spark session; marked spark + integration)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from cible.exceptions import WarehouseError
from tests.conftest import SPARK_MASTER
from tests.unit.predict.data import events_table, purchase

pytestmark = [pytest.mark.spark, pytest.mark.integration]
DAY = datetime(2025, 3, 1, tzinfo=UTC)


def _parts(root: Path, table: str) -> list[str]:
    return sorted(p.name for p in (root / table).iterdir() if p.is_dir())


def test_tables_survive_a_reopen_and_failures_leave_no_file(tmp_path: Path) -> None:
    from cible.warehouse.spark import SparkWarehouse

    root = tmp_path / "w.spark"
    wh = SparkWarehouse(root, master=SPARK_MASTER)
    wh.append_events(events_table([purchase("A", DAY), purchase("B", DAY)]))
    first = _parts(root, "events")
    assert len(first) == 1
    meta = json.loads((root / "events" / "_table.json").read_text())
    assert (meta["key"], meta["parts"]) == (["event_id"], first)
    with pytest.raises(RuntimeError), wh.transaction():
        wh.append_events(events_table([{**purchase("C", DAY), "event_id": "x1"}]))
        assert len(_parts(root, "events")) == 2  # written, not yet committed
        raise RuntimeError("stop")
    assert _parts(root, "events") == first  # the rolled-back part is deleted
    with pytest.raises(WarehouseError, match="duplicate key"):
        wh.execute(
            "INSERT INTO events (event_id, customer_id, source, event_type, timestamp) "
            "SELECT 'e0', 'Z', 's', 'page_view', TIMESTAMPTZ '2025-01-01T00:00:00+00:00'"
        )
    assert _parts(root, "events") == first  # the refused part is deleted
    # a rewrite (re-keying) replaces every part by one and deletes the old ones
    changed = wh.rekey_customers(pd.DataFrame({"record_id": ["B"], "surviving_id": ["A"]}))
    assert changed == 1
    rewritten = _parts(root, "events")
    assert len(rewritten) == 1 and rewritten != first
    wh.close()

    again = SparkWarehouse(root, master=SPARK_MASTER)
    rows = again.fetch_arrow(
        "SELECT event_id, customer_id, original_customer_id FROM events ORDER BY event_id"
    ).to_pylist()
    assert rows == [
        {"event_id": "e0", "customer_id": "A", "original_customer_id": None},
        {"event_id": "e1", "customer_id": "A", "original_customer_id": "B"},
    ]
    again.close()
