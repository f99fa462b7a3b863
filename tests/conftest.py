"""Shared fixtures: temporary projects with a config and source files, and the shared data sets."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

SHARED = Path(__file__).resolve().parents[2] / "shared" / "datasets"


def shared_dataset(*parts: str) -> Path:
    """A file of ../shared/datasets; a clear failure (never a skip) when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.fail(
            f"shared data set missing: {path}. Tests expect ../shared/datasets beside the project "
            "root (see ../shared/datasets/README.md)."
        )
    return path


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
