"""Warehouse.rekey_customers / restore_customer_ids on a real DuckDB warehouse."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from cible.exceptions import IdentityResolutionError
from cible.identity import build_golden, undo_merge
from cible.warehouse.duckdb import DuckDBWarehouse
from tests.unit.identity.frames import family, family_clusters, family_pairs
from tests.unit.warehouse.test_duckdb import _events


def _warehouse() -> DuckDBWarehouse:
    wh = DuckDBWarehouse(":memory:")
    events = _events(["e1", "e2", "e3", "e4", "e5"])
    owners = pa.array(["A", "B", "C", "D", "anonymous"])
    wh.append_events(
        events.set_column(events.schema.get_field_index("customer_id"), "customer_id", owners)
    )
    return wh


def _owners(wh: DuckDBWarehouse) -> list[tuple[str, str | None]]:
    table = wh.fetch_arrow("SELECT customer_id, original_customer_id FROM events ORDER BY event_id")
    return list(zip(*(table.column(i).to_pylist() for i in range(2)), strict=True))


def test_rekey_then_undo_then_restore() -> None:
    records = family()
    result = build_golden(records, family_clusters(), family_pairs())
    with _warehouse() as wh:
        assert wh.rekey_customers(result.id_map) == 2
        assert _owners(wh) == [
            ("A", None),
            ("A", "B"),
            ("A", "C"),
            ("D", None),
            ("anonymous", None),
        ]
        assert wh.rekey_customers(result.id_map) == 0  # idempotent
        # features see one customer where there were three
        assert wh.scalar("SELECT count(DISTINCT customer_id) FROM events") == 3

        undone = undo_merge(result, records, "C")
        assert wh.rekey_customers(pa.Table.from_pandas(undone.id_map)) == 1
        assert _owners(wh)[2] == ("C", None)
        assert _owners(wh)[1] == ("A", "B")

        assert wh.restore_customer_ids(["B"]) == 1
        assert _owners(wh)[1] == ("B", None)
        assert wh.restore_customer_ids() == 0
        assert wh.count("events") == 5


def test_restore_all_and_new_events_are_rekeyed_on_the_next_call() -> None:
    id_map = pd.DataFrame({"record_id": ["B", "C"], "surviving_id": ["A", "A"]})
    with _warehouse() as wh:
        assert wh.restore_customer_ids() == 0  # nothing re-keyed yet
        assert wh.rekey_customers(id_map) == 2
        late = _events(["e6"])
        late = late.set_column(
            late.schema.get_field_index("customer_id"), "customer_id", pa.array(["B"])
        )
        wh.append_events(late)
        assert wh.rekey_customers(id_map) == 1
        assert wh.restore_customer_ids() == 3
        assert [owner for owner, _ in _owners(wh)] == ["A", "B", "C", "D", "anonymous", "B"]


def test_rekey_is_part_of_a_transaction() -> None:
    id_map = pd.DataFrame({"record_id": ["B"], "surviving_id": ["A"]})
    with _warehouse() as wh:
        wh.rekey_customers(pd.DataFrame({"record_id": ["Z"], "surviving_id": ["A"]}))
        with pytest.raises(RuntimeError), wh.transaction():
            wh.rekey_customers(id_map)
            raise RuntimeError("boom")
        assert _owners(wh)[1] == ("B", None)


@pytest.mark.parametrize(
    ("id_map", "message"),
    [
        (pd.DataFrame({"record_id": ["B"]}), r"no column\(s\) \['surviving_id'\]"),
        (pd.DataFrame({"record_id": ["B", "B"], "surviving_id": ["A", "C"]}), "more than once"),
        (pa.table({"record_id": ["B"], "surviving_id": pa.array([None], pa.string())}), "empty"),
    ],
)
def test_bad_id_maps_are_refused(id_map: pd.DataFrame | pa.Table, message: str) -> None:
    with _warehouse() as wh, pytest.raises(IdentityResolutionError, match=message):
        wh.rekey_customers(id_map)
