"""The ``engine`` fixture of the feature-family tests: an empty warehouse per engine whose SQL
the families run on (the PostgreSQL one marked ``postgresql``, in a schema of its own)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cible.warehouse.base import Warehouse
from cible.warehouse.duckdb import DuckDBWarehouse
from tests.conftest import fresh_schema_name, postgresql_warehouse_at

ENGINES = ["duckdb", pytest.param("postgresql", marks=pytest.mark.postgresql)]


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> Iterator[Warehouse]:
    if request.param == "duckdb":
        wh: Warehouse = DuckDBWarehouse(":memory:")
        yield wh
        wh.close()
        return
    pg = postgresql_warehouse_at(fresh_schema_name())
    try:
        yield pg
    finally:
        pg.drop_schema()
        pg.close()
