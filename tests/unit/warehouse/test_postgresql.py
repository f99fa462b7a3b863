"""The PostgreSQL backend's own parts: SQL translation, driver loading, connection errors, types.

The behaviour shared with every backend is in tests/contract/test_warehouse.py.
"""

from __future__ import annotations

import sys

import pyarrow as pa
import pytest

from cible.exceptions import OptionalDependencyError, WarehouseError
from cible.warehouse.postgresql import PostgreSQLDialect, PostgreSQLWarehouse


def test_shared_sql_is_translated() -> None:
    d = PostgreSQLDialect()
    sql = (
        "SELECT CAST(epoch_us(ts) AS DOUBLE) AS us, a // 7 AS q, "
        "TIMESTAMPTZ '2025-01-01T00:00:00+00:00' - INTERVAL 30 DAY AS t FROM events"
    )
    assert d.translate(sql) == (
        "SELECT CAST(CAST(EXTRACT(EPOCH FROM ts) * 1000000 AS BIGINT) AS DOUBLE PRECISION) AS us, "
        "DIV(a, 7) AS q, CAST('2025-01-01T00:00:00+00:00' AS TIMESTAMPTZ) - INTERVAL '30 DAY' AS t "
        "FROM events"
    )
    assert d.translate("CREATE TABLE t (a VARCHAR, b DOUBLE)") == (
        "CREATE TABLE t (a TEXT, b DOUBLE PRECISION)"
    )


def test_translations_are_cached_per_instance() -> None:
    d, other = PostgreSQLDialect(), PostgreSQLDialect()
    first = d.statements("SELECT 1; SELECT 2")
    assert first == ["SELECT 1", "SELECT 2"]
    assert d.statements("SELECT 1; SELECT 2") is first
    assert other.statements("SELECT 1; SELECT 2") is not first


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("SELECT any_value(x) FROM t", "IGNORE NULLS"),
        ("SELECT * EXCLUDE (a) FROM t", "EXCEPT in the SELECT projection"),
        ("SELECT (", "Required keyword"),
    ],
)
def test_what_cannot_be_translated_is_refused(sql: str, reason: str) -> None:
    with pytest.raises(
        WarehouseError, match=rf"cannot translate this statement to PostgreSQL: .*{reason}"
    ):
        PostgreSQLDialect().translate(sql)


def test_missing_driver_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "adbc_driver_postgresql", None)
    monkeypatch.setitem(sys.modules, "adbc_driver_postgresql.dbapi", None)
    with pytest.raises(OptionalDependencyError, match=r"pip install 'cible\[postgresql\]'"):
        PostgreSQLWarehouse("postgresql://postgres@127.0.0.1:5432/test")


def test_connection_errors_name_the_server_not_the_password() -> None:
    with pytest.raises(WarehouseError, match="cannot connect to the PostgreSQL warehouse") as err:
        PostgreSQLWarehouse("postgresql://cible:s3cret@127.0.0.1:1/test")
    assert "postgresql://cible:***@127.0.0.1:1/test" in str(err.value)
    assert "s3cret" not in str(err.value)


def test_schema_names_are_checked() -> None:
    with pytest.raises(WarehouseError, match="schema name 'a; DROP'"):
        PostgreSQLWarehouse("postgresql://postgres@127.0.0.1:5432/test", schema="a; DROP")


@pytest.mark.postgresql
def test_numeric_results_become_decimals(postgresql_warehouse: PostgreSQLWarehouse) -> None:
    t = postgresql_warehouse.fetch_arrow(
        "SELECT CAST(1.25 AS DECIMAL(10, 2)) AS sized, CAST(2 AS DECIMAL) * 3 AS whole, "
        "CAST(1 AS DECIMAL(10, 2)) / 4 AS fraction, 7 // 2 AS q, CAST(1e30 AS DECIMAL(38, 0)) * CAST(1e30 AS DECIMAL(38, 0)) AS huge"
    )
    assert [(f.name, f.type) for f in t.schema] == [
        ("sized", pa.decimal128(10, 2)),
        ("whole", pa.decimal128(38, 3)),  # DuckDB's DECIMAL is DECIMAL(18, 3)
        ("fraction", pa.decimal128(38, 20)),
        ("q", pa.decimal128(38, 0)),
        ("huge", pa.float64()),
    ]
    assert [float(c[0].as_py()) for c in t.columns] == [1.25, 6.0, 0.25, 3.0, 1e60]
    nan = postgresql_warehouse.fetch_arrow(
        "SELECT CAST('NaN' AS DECIMAL(10, 2)) AS sized, CAST('NaN' AS NUMERIC) + 0 AS unsized"
    )
    assert nan.schema.types == [pa.float64(), pa.float64()]
    assert t.schema.metadata is None and all(f.metadata is None for f in t.schema)


@pytest.mark.postgresql
def test_tables_live_in_the_schema(postgresql_warehouse: PostgreSQLWarehouse) -> None:
    tables = postgresql_warehouse.fetch_arrow(
        "SELECT table_name FROM information_schema.tables "
        f"WHERE table_schema = '{postgresql_warehouse.schema}' ORDER BY 1"
    )
    assert tables.column(0).to_pylist() == ["customer_identity", "customers", "events"]
    postgresql_warehouse.register("__scratch", pa.table({"a": [1, 2]}))
    assert postgresql_warehouse.scalar("SELECT sum(a) FROM __scratch") == 3
    postgresql_warehouse.unregister("__scratch")
    with pytest.raises(WarehouseError, match='relation "__scratch" does not exist'):
        postgresql_warehouse.count("__scratch")
