"""The Spark backend's set-up, without starting Spark: configuration, the messages when pyspark or
Java is missing, the settings, and the translation of the shared constructs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import sqlglot

from cible.config import SparkWarehouseConfig, load_config
from cible.exceptions import OptionalDependencyError, WarehouseError
from cible.warehouse import sparksession
from cible.warehouse.sparkdml import conflict_action, delete_query, table_definition, update_query
from cible.warehouse.sparksql import SparkDialect
from tests.conftest import WriteConfig, orders_source


def test_config_section() -> None:
    c = SparkWarehouseConfig.model_validate(
        {"engine": "spark", "conf": {"spark.executor.memory": "8g", "spark.x": True, "n": 4}}
    )
    assert (c.master, c.path) == ("local[2]", Path("warehouse.spark"))
    assert c.conf == {"spark.executor.memory": "8g", "spark.x": "true", "n": "4"}
    with pytest.raises(ValueError, match="master cannot be empty"):
        SparkWarehouseConfig.model_validate({"engine": "spark", "master": " "})
    assert (
        SparkWarehouseConfig.model_validate({"engine": "spark", "master": "sc://h:15002"}).master
        == "sc://h:15002"
    )


def test_missing_pyspark_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    monkeypatch.setattr(sparksession, "_STARTED", {})
    with pytest.raises(OptionalDependencyError) as e:
        sparksession.spark_session("local[1]")
    assert str(e.value) == (
        "The Spark warehouse needs the 'pyspark' package: install it with "
        "`pip install 'cible[spark]'`"
    )


def test_missing_java_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    with pytest.raises(WarehouseError, match=f"JAVA_HOME={tmp_path} has no bin/java"):
        sparksession.java_executable()
    monkeypatch.delenv("JAVA_HOME")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(WarehouseError, match="needs Java 17\\+ and none was found"):
        sparksession.java_executable()


def _fake_java(tmp_path: Path, banner: str) -> Path:
    java = tmp_path / "bin" / "java"
    java.parent.mkdir(exist_ok=True)
    java.write_text(f"#!/bin/sh\necho '{banner}' >&2\n")
    java.chmod(0o755)
    return java


@pytest.mark.parametrize(
    ("banner", "major"),
    [('openjdk version "17.0.15" 2025-04-15', 17), ('java version "1.8.0_392"', 8)],
)
def test_java_version(tmp_path: Path, banner: str, major: int) -> None:
    assert sparksession.java_major(_fake_java(tmp_path, banner)) == major


def test_java_16_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _fake_java(tmp_path, 'openjdk version "16.0.2" 2021-07-20')
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    with pytest.raises(WarehouseError, match="needs Java 17\\+, found Java 16"):
        sparksession.check_java()
    _fake_java(tmp_path, 'openjdk version "17" 2021-09-14')  # exactly the minimum
    assert sparksession.check_java() == tmp_path / "bin" / "java"


def test_settings_local_and_cluster() -> None:
    local = sparksession.settings("local[2]", {"spark.sql.shuffle.partitions": "8"})
    assert local["spark.sql.shuffle.partitions"] == "8"
    assert local["spark.ui.enabled"] == "false"
    assert local["spark.sql.session.timeZone"] == "UTC"
    cluster = sparksession.settings("yarn", {})
    assert "spark.sql.shuffle.partitions" not in cluster
    assert cluster["spark.sql.ansi.enabled"] == "false"


def test_shared_constructs_keep_their_value() -> None:
    d = SparkDialect()
    assert d.translate("SELECT epoch(ts), epoch_us(ts) FROM events") == (
        "SELECT (UNIX_MICROS(ts) / 1e6), UNIX_MICROS(ts) FROM events"
    )
    assert d.translate("SELECT TIMESTAMPTZ '2025-01-01T00:00:00+00:00'") == (
        "SELECT CAST('2025-01-01T00:00:00+00:00' AS TIMESTAMP)"
    )


def _one(sql: str) -> sqlglot.exp.Expression:
    return sqlglot.parse_one(sql, read="duckdb")


def test_statements_as_queries() -> None:
    d = table_definition(
        _one('CREATE TABLE IF NOT EXISTS t ("a" VARCHAR NOT NULL, b BIGINT, PRIMARY KEY (a, b))')
    )
    assert (d.columns, d.key, d.required) == (
        (("a", "STRING"), ("b", "BIGINT")),
        ("a", "b"),
        ("a",),
    )
    update = _one("UPDATE t SET b = 1 WHERE a = 'x'")
    assert update_query(update, ["a", "b"]) == (
        "SELECT `a`, CASE WHEN a = 'x' THEN 1 ELSE `b` END AS `b` FROM t"
    )
    joined = _one("UPDATE t SET b = m.v FROM m1 m WHERE m.k = t.a")
    assert update_query(joined, ["a", "b"]) == (
        "SELECT t.`a`, CASE WHEN m.__cible_hit THEN m.v ELSE t.`b` END AS `b` FROM t "
        "LEFT JOIN (SELECT *, true AS __cible_hit FROM m1) m ON m.k = t.a"
    )
    assert delete_query(_one("DELETE FROM t WHERE b > 2")) == (
        "SELECT * FROM t WHERE NOT coalesce(b > 2, false)"
    )
    assert delete_query(_one("DELETE FROM t")) == "SELECT * FROM t WHERE false"
    with pytest.raises(WarehouseError, match="no column"):
        update_query(_one("UPDATE t SET z = 1"), ["a", "b"])


def test_upsert_forms() -> None:
    base = "INSERT INTO t (a, b) SELECT a, b FROM s ON CONFLICT (a) "
    assert conflict_action(_one(base + "DO NOTHING")) == ("nothing", ("a",))
    assert conflict_action(_one(base + "DO UPDATE SET b = EXCLUDED.b")) == ("replace", ("a",))
    assert conflict_action(_one("INSERT INTO t SELECT 1")) is None
    with pytest.raises(WarehouseError, match=r"only as `c = EXCLUDED\.c`"):
        conflict_action(_one(base + "DO UPDATE SET b = b + 1"))


def test_cible_yaml_selects_spark(write_config: WriteConfig) -> None:
    path = write_config(
        {
            "sources": [orders_source()],
            "warehouse": {"engine": "spark", "master": "local[2]", "conf": {"spark.a": "1"}},
        }
    )
    warehouse = load_config(path).warehouse
    assert isinstance(warehouse, SparkWarehouseConfig)
    assert (warehouse.master, warehouse.conf) == ("local[2]", {"spark.a": "1"})


def test_segment_in_defaults_to_spark(write_config: WriteConfig) -> None:
    from cible.services.pipeline import segments_in_spark

    path = write_config({"sources": [orders_source()], "warehouse": {"engine": "spark"}})
    cfg = load_config(path)
    assert cfg.warehouse.segment_in == "spark"  # type: ignore[union-attr]
    assert segments_in_spark(cfg)
    driver = cfg.model_copy(
        update={"warehouse": cfg.warehouse.model_copy(update={"segment_in": "driver"})}
    )
    assert not segments_in_spark(driver)
    duck = write_config({"sources": [orders_source()]})
    assert not segments_in_spark(load_config(duck))
    with pytest.raises(ValueError, match="segment_in"):
        SparkWarehouseConfig.model_validate({"engine": "spark", "segment_in": "gpu"})


def test_missing_connect_client_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "grpc", None)
    monkeypatch.setattr(sparksession, "_STARTED", {})
    with pytest.raises(OptionalDependencyError) as e:
        sparksession.spark_session("sc://localhost:15002")
    assert str(e.value) == (
        "Spark Connect (sc://) needs the 'grpcio' package: install it with "
        "`pip install 'cible[spark]'`"
    )


def test_spark_segmentation_refuses_what_it_does_not_do() -> None:
    from cible.config import SegmentationConfig
    from cible.exceptions import ConfigError, SegmentationError
    from cible.segmentation.spark_selection import check_spark_preparation, select_in_spark

    winsor = SegmentationConfig.model_validate(
        {"preprocessing": {"monetary": {"winsorize": [0.01, 0.99]}}}
    )
    with pytest.raises(ConfigError, match=r"preprocessing.monetary: winsorize=\(0.01, 0.99\)"):
        check_spark_preparation(winsor)
    check_spark_preparation(
        SegmentationConfig.model_validate({"preprocessing": {"monetary": {"log1p": False}}})
    )
    density = SegmentationConfig.model_validate({"selection": {"algorithms": ["hdbscan"]}})
    with pytest.raises(SegmentationError, match=r"\['hdbscan'\] has no algorithm MLlib fits"):
        select_in_spark(None, density)  # refused before any Spark work
