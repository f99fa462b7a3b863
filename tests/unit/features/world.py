"""Small warehouses for the feature-family tests: events and customer records written as dicts,
loaded into a warehouse of the ``engine`` fixture (``conftest.py``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pyarrow as pa

from cible.schemas.customers import CUSTOMERS_SCHEMA
from cible.schemas.events import EVENTS_SCHEMA
from cible.warehouse.base import Warehouse

MIDNIGHT = datetime(2025, 2, 1, tzinfo=UTC)  # as_of 2025-02-01
US = timedelta(microseconds=1)


def events_table(rows: list[dict[str, object]]) -> pa.Table:
    cols: dict[str, list[object]] = {f.name: [] for f in EVENTS_SCHEMA}
    for i, row in enumerate(rows):
        values = {"event_id": f"e{i}", "source": "t", **row}
        for name in cols:
            cols[name].append(values.get(name))
    return pa.table(cols, schema=EVENTS_SCHEMA)


def customers_table(rows: list[dict[str, object]]) -> pa.Table:
    cols: dict[str, list[object]] = {f.name: [] for f in CUSTOMERS_SCHEMA}
    for row in rows:
        values = {"source": "crm", **row}
        if isinstance(values.get("attributes"), dict):
            values["attributes"] = json.dumps(values["attributes"])
        for name in cols:
            cols[name].append(values.get(name))
    return pa.table(cols, schema=CUSTOMERS_SCHEMA)


def buy(cid: str, ts: datetime, order: str | None = None, **extra: object) -> dict[str, object]:
    return {
        "customer_id": cid,
        "event_type": "purchase",
        "timestamp": ts,
        "amount": 10.0,
        "order_id": order,
        **extra,
    }


def view(cid: str, ts: datetime, **extra: object) -> dict[str, object]:
    return {"customer_id": cid, "event_type": "page_view", "timestamp": ts, **extra}


def load(
    wh: Warehouse,
    events: list[dict[str, object]],
    customers: list[dict[str, object]] | None = None,
) -> Warehouse:
    if events:
        wh.append_events(events_table(events))
    if customers:
        wh.upsert_customers(customers_table(customers))
    return wh
