"""The warehouse configuration (one model per engine) and the backend registry."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from pydantic import TypeAdapter, ValidationError

from cible.config import (
    DEFAULT_POSTGRESQL_URL,
    DuckDBWarehouseConfig,
    PostgreSQLWarehouseConfig,
    WarehouseConfig,
)
from cible.exceptions import WarehouseError
from cible.warehouse.registry import backends, open_warehouse

PARSE = TypeAdapter(WarehouseConfig)


def test_engine_picks_the_model() -> None:
    assert PARSE.validate_python({}) == DuckDBWarehouseConfig()
    assert PARSE.validate_python({"engine": "duckdb", "path": "w.duckdb"}).path == Path("w.duckdb")
    pg = PARSE.validate_python({"engine": "postgresql", "schema": "shop"})
    assert pg == PostgreSQLWarehouseConfig(
        engine="postgresql", url=DEFAULT_POSTGRESQL_URL, schema="shop"
    )
    assert pg.db_schema == "shop"


def test_the_former_backend_key_still_reads_with_a_warning() -> None:
    with pytest.warns(DeprecationWarning, match="warehouse.backend is deprecated"):
        assert PARSE.validate_python({"backend": "duckdb"}) == DuckDBWarehouseConfig()
    with pytest.raises(ValidationError, match="give 'engine' only"):
        PARSE.validate_python({"backend": "duckdb", "engine": "duckdb"})


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"engine": "hive"},
            "does not match any of the expected tags: 'duckdb', 'postgresql', 'spark'",
        ),
        ({"engine": "spark", "url": "x"}, "url\n  Extra inputs are not permitted"),
        ({"engine": "duckdb", "url": "postgresql://x"}, "url\n  Extra inputs are not permitted"),
        ({"engine": "postgresql", "path": "w.duckdb"}, "path\n  Extra inputs are not permitted"),
        ({"engine": "postgresql", "schema": "Shop-1"}, "String should match pattern"),
    ],
)
def test_wrong_keys_are_refused(data: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        PARSE.validate_python(data)


def test_the_url_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "${CIBLE_TEST_PG:-postgresql://postgres@127.0.0.1:5432/test}"
    monkeypatch.delenv("CIBLE_TEST_PG", raising=False)
    assert PARSE.validate_python({"engine": "postgresql", "url": url}).url == DEFAULT_POSTGRESQL_URL
    monkeypatch.setenv("CIBLE_TEST_PG", "postgresql://cible@db:6543/prod")
    assert PARSE.validate_python({"engine": "postgresql", "url": url}).url == (
        "postgresql://cible@db:6543/prod"
    )
    with pytest.raises(ValidationError, match="CIBLE_TEST_MISSING is not set and has no default"):
        PARSE.validate_python({"engine": "postgresql", "url": "${CIBLE_TEST_MISSING}"})


def test_every_engine_has_an_opener() -> None:
    assert sorted(backends()) == ["duckdb", "postgresql", "spark"]
    assert backends() is not backends()  # built per call: no module-level registry


def test_an_unknown_engine_is_refused() -> None:
    with pytest.raises(
        WarehouseError, match="unknown warehouse engine 'hive'; known: duckdb, postgresql, spark"
    ):
        open_warehouse(SimpleNamespace(engine="hive"), Path())  # type: ignore[arg-type]


def test_the_examples_parse() -> None:
    from cible.config import load_config

    examples = Path(__file__).resolve().parents[3] / "examples"
    duck = load_config(examples / "online_retail.yaml")
    pg = load_config(examples / "online_retail_postgres.yaml")
    assert isinstance(duck.warehouse, DuckDBWarehouseConfig)
    assert isinstance(pg.warehouse, PostgreSQLWarehouseConfig)
    assert pg.warehouse.db_schema == "online_retail"
    assert pg.model_dump(exclude={"warehouse", "base_dir"}) == duck.model_dump(
        exclude={"warehouse", "base_dir"}
    )
