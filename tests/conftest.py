"""Shared fixtures: temporary projects with a config and source files, and the shared data sets."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import yaml

from cible.exceptions import WarehouseError

if TYPE_CHECKING:
    from cible.warehouse.postgresql import PostgreSQLWarehouse

SHARED = Path(__file__).resolve().parents[2] / "shared" / "datasets"
# The server of .ci/services (`make services`); another one through CIBLE_POSTGRES_URL.
POSTGRES_URL = os.environ.get("CIBLE_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
# The Spark tests share one session (started by the first Spark warehouse, stopped at the end).
SPARK_MASTER = os.environ.get("CIBLE_SPARK_MASTER", "local[2]")


def shared_dataset(*parts: str) -> Path:
    """A file of ../shared/datasets; a clear failure (never a skip) when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.fail(
            f"shared data set missing: {path}. Tests expect ../shared/datasets beside the project "
            "root (see ../shared/datasets/README.md)."
        )
    return path


def fresh_schema_name() -> str:
    """A schema of its own for one test: parallel workers and repeated runs never collide."""
    return f"cible_test_{uuid.uuid4().hex[:16]}"


def postgresql_warehouse_at(schema: str) -> PostgreSQLWarehouse:
    """A PostgreSQL warehouse in ``schema`` of :data:`POSTGRES_URL`; the test fails (never
    skips) naming the URL when the server cannot be reached."""
    from cible.warehouse.postgresql import PostgreSQLWarehouse

    try:
        return PostgreSQLWarehouse(POSTGRES_URL, schema=schema)
    except WarehouseError as e:
        pytest.fail(
            f"the PostgreSQL server at {POSTGRES_URL} cannot be reached ({e}); start it with "
            "`make services` (.ci/services) or point CIBLE_POSTGRES_URL at one",
            pytrace=False,
        )


@pytest.fixture
def postgresql_warehouse() -> Iterator[PostgreSQLWarehouse]:
    """A fresh PostgreSQL warehouse in a random schema, dropped after the test."""
    wh = postgresql_warehouse_at(fresh_schema_name())
    try:
        yield wh
    finally:
        wh.drop_schema()
        wh.close()


WriteConfig = Callable[[dict[str, object]], Path]


@pytest.fixture
def write_config(tmp_path: Path) -> WriteConfig:
    """Write ``cible.yaml`` in tmp_path from a mapping and return its path."""

    def write(data: dict[str, object]) -> Path:
        path = tmp_path / "cible.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        return path

    return write


ORDERS_CSV = (
    "order_id,customer_id,order_date,qty,price,status\n"
    "O1,C1,2025-01-02 10:00:00,2,3.5,completed\n"
    "O1,C1,2025-01-02 10:00:00,2,3.5,completed\n"
    "O2,,2025-01-03 10:00:00,1,1,completed\n"
    "O3,C2,2025-02-30 10:00:00,1,1,completed\n"
    "O4,C2,2025-02-03 10:00:00,two,1,completed\n"
    "O5,C3,2025-02-03 10:00:00,1,4,returned\n"
    "O6,C3,2025-02-03 10:00:00,1,0,completed\n"
    "O7,C3,2025-02-03 10:00:00,1,1,completed,extra\n"
    "O8,C2,2025-02-04 11:30:00,3,2,completed\n"
)


def orders_source(path: str = "orders.csv", **overrides: object) -> dict[str, object]:
    src: dict[str, object] = {
        "name": "orders",
        "kind": "events",
        "path": path,
        "types": {"qty": "float", "price": "float"},
        "fields": {
            "customer_id": "customer_id",
            "order_id": "order_id",
            "timestamp": "order_date",
            "quantity": "qty",
            "amount": {"expr": "CASE WHEN status = 'returned' THEN -1 ELSE 1 END * qty * price"},
            "event_type": {"value": "purchase"},
        },
        "rules": [
            {"name": "returns", "when": "status = 'returned'", "set": {"event_type": "refund"}},
            {
                "name": "zero_price",
                "when": "price = 0",
                "quarantine": "zero unit price: not a sale",
            },
        ],
    }
    src.update(overrides)
    return src


@pytest.fixture(scope="session", autouse=True)
def _stop_spark_at_the_end() -> Iterator[None]:
    """One Spark session per test session: the first Spark warehouse starts it (about 10 s),
    the others reuse it, and it stops when the tests end."""
    yield
    import sys

    if "cible.warehouse.sparksession" in sys.modules:
        sys.modules["cible.warehouse.sparksession"].stop_spark()
