"""SealedDuckDB: loaded tables only, no way out once sealed."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from cible.exceptions import WarehouseError
from cible.warehouse.sealed import SealedDuckDB


def _sealed() -> SealedDuckDB:
    engine = SealedDuckDB()
    engine.load("t", pa.table({"a": [1, 2]}))
    engine.seal()
    return engine


def test_loaded_tables_are_queried_and_settings_are_locked() -> None:
    engine = _sealed()
    assert engine.fetch_arrow("SELECT sum(a) AS s FROM t").to_pylist() == [{"s": 3}]
    settings = engine.fetch_arrow(
        "SELECT current_setting('enable_external_access') AS ext, "
        "current_setting('lock_configuration') AS locked, "
        "current_setting('python_enable_replacements') AS py, "
        "current_setting('TimeZone') AS tz"
    ).to_pylist()
    assert settings == [{"ext": False, "locked": True, "py": False, "tz": "UTC"}]
    assert engine.tables == ["t"]
    engine.close()


def test_loading_after_sealing_and_querying_before_are_refused() -> None:
    engine = SealedDuckDB()
    with pytest.raises(WarehouseError, match=r"not sealed yet: call seal\(\) before querying"):
        engine.fetch_arrow("SELECT 1")
    engine.load("t", pa.table({"a": [1]}))
    with pytest.raises(WarehouseError, match="table name 't' is not a new plain identifier"):
        engine.load("t", pa.table({"a": [1]}))
    with pytest.raises(WarehouseError, match="table name 'x; DROP' is not a new plain"):
        engine.load("x; DROP", pa.table({"a": [1]}))
    engine.seal()
    with pytest.raises(WarehouseError, match="cannot load table 'u': the database is sealed"):
        engine.load("u", pa.table({"a": [1]}))
    engine.close()


def test_the_raw_connection_refuses_files_and_settings_once_sealed(tmp_path: Path) -> None:
    """Beneath the one-SELECT rule, DuckDB itself refuses (defence in depth)."""
    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).close()
    engine = _sealed()
    con = engine._con  # white-box: the statement filter is bypassed on purpose
    with pytest.raises(duckdb.PermissionException, match="disabled by configuration"):
        con.execute(f"ATTACH '{other}' AS o")
    with pytest.raises(duckdb.InvalidInputException, match="configuration has been locked"):
        con.execute("SET enable_external_access = true")
    with pytest.raises(duckdb.Error, match="configuration has been locked"):
        con.execute("RESET lock_configuration")
    engine.close()


def test_a_malformed_query_names_the_problem() -> None:
    engine = _sealed()
    message = r'point-in-time query failed: .*syntax error at or near "SELEC"'
    with pytest.raises(WarehouseError, match=message):
        engine.fetch_arrow("SELEC 1")
    engine.close()


def test_a_memory_limit_is_applied_before_sealing() -> None:
    engine = SealedDuckDB(memory_limit="256MiB")
    engine.seal()
    limit = engine.fetch_arrow("SELECT current_setting('memory_limit') AS m").to_pylist()
    assert limit == [{"m": "256.0 MiB"}]
    engine.close()
