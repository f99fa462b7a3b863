"""The Spark session of the Spark warehouse: one per process, shared by every warehouse opened.

Starting Spark costs seconds (a JVM), so the first :func:`spark_session` starts it and later calls
get a *new session* of the same context (their own temporary views, the same executors).
``master`` is what ``spark-submit --master`` takes (``local[N]``, ``spark://``, ``yarn``,
``k8s://``) or ``sc://host:port`` for Spark Connect, which needs no local Java.

Before starting a JVM the requirements are checked, so that a missing piece is named instead of
a Java stack trace: the ``pyspark`` package (the extra ``spark``) and Java 17 or newer
(``JAVA_HOME`` or ``java`` on ``PATH``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cible.exceptions import OptionalDependencyError, WarehouseError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

MIN_JAVA = 17
_JAVA_VERSION = re.compile(r'version "(\d+)(?:\.(\d+))?')

LOCAL_DEFAULTS: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.sql.shuffle.partitions": "4",
    "spark.driver.memory": "2g",
}
"""Settings for ``local[...]`` masters (one machine: few shuffle partitions, no web UI)."""

DEFAULTS: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",  # month buckets and timestamps as on DuckDB
    "spark.sql.ansi.enabled": "false",  # x / 0 is NULL, as on DuckDB
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    "spark.ui.showConsoleProgress": "false",
}
"""Settings every session gets (a ``conf:`` entry of cible.yaml overrides them)."""

_STARTED: dict[str, Any] = {}


def _import_pyspark() -> Any:
    try:
        from pyspark.sql import SparkSession
    except ImportError as e:
        raise OptionalDependencyError("pyspark", "spark", "The Spark warehouse") from e
    return SparkSession


def check_connect_client() -> None:
    """Spark Connect's client needs ``grpcio`` (pyspark's ``connect`` extra, in ``cible[spark]``)."""
    try:
        import grpc  # noqa: F401
    except ImportError as e:
        raise OptionalDependencyError("grpcio", "spark", "Spark Connect (sc://)") from e


def java_executable() -> Path:
    """The ``java`` that Spark will start: ``$JAVA_HOME/bin/java``, else ``java`` on ``PATH``."""
    home = os.environ.get("JAVA_HOME")
    if home:
        java = Path(home) / "bin" / "java"
        if not java.is_file():
            raise WarehouseError(
                f"The Spark warehouse needs Java {MIN_JAVA}+: JAVA_HOME={home} has no bin/java; "
                "point JAVA_HOME at a JDK or JRE (e.g. /usr/lib/jvm/java-17-openjdk-amd64)"
            )
        return java
    found = shutil.which("java")
    if found is None:
        raise WarehouseError(
            f"The Spark warehouse needs Java {MIN_JAVA}+ and none was found (JAVA_HOME is unset "
            "and no java is on PATH): install a JDK (e.g. `apt-get install "
            "openjdk-17-jre-headless`) or use a Spark Connect master (sc://host)"
        )
    return Path(found)


def java_major(java: Path) -> int:
    """The major version of ``java`` (8 for 1.8, 17 for 17.0.15)."""
    try:
        done = subprocess.run(
            [str(java), "-version"], capture_output=True, text=True, timeout=60, check=False
        )
    except OSError as e:
        raise WarehouseError(f"cannot run {java} -version: {e}") from e
    m = _JAVA_VERSION.search(done.stderr + done.stdout)
    if m is None:
        raise WarehouseError(f"cannot read the Java version of {java}: {done.stderr.strip()[:200]}")
    major = int(m.group(1))
    return int(m.group(2) or 0) if major == 1 else major


def check_java() -> Path:
    """The ``java`` Spark will use, refused when older than Java 17 (pyspark 4)."""
    java = java_executable()
    major = java_major(java)
    if major < MIN_JAVA:
        raise WarehouseError(
            f"The Spark warehouse needs Java {MIN_JAVA}+, found Java {major} at {java}: "
            "set JAVA_HOME to a newer JDK"
        )
    return java


def settings(master: str, conf: Mapping[str, str]) -> dict[str, str]:
    """The Spark settings of a session: defaults, local defaults, then ``conf``."""
    merged = dict(DEFAULTS)
    if master.startswith("local"):
        merged.update(LOCAL_DEFAULTS)
    merged.update(conf)
    return merged


def spark_session(master: str = "local[2]", conf: Mapping[str, str] | None = None) -> SparkSession:
    """A Spark session on ``master`` with its own temporary views; the first call of the
    process starts Spark, later ones share it (one master per process)."""
    spark_cls = _import_pyspark()
    running = _STARTED.get("session")
    if running is not None:
        if _STARTED["master"] != master:
            raise WarehouseError(
                f"a Spark session on {_STARTED['master']} already runs in this process; "
                f"cannot open another on {master} (one master per process)"
            )
        return running if master.startswith("sc://") else running.newSession()
    builder = spark_cls.builder.appName("cible")
    if master.startswith("sc://"):
        check_connect_client()
        builder = builder.remote(master)
    else:
        check_java()
        builder = builder.master(master)
    for key, value in settings(master, conf or {}).items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as e:  # the JVM did not start, or the server is unreachable
        raise WarehouseError(f"cannot start Spark on {master}: {e}") from e
    if not master.startswith("sc://"):
        session.sparkContext.setLogLevel("ERROR")
    _STARTED.update(session=session, master=master)
    return session if master.startswith("sc://") else session.newSession()


def stop_spark() -> None:
    """Stop the process's Spark session, if one was started."""
    session = _STARTED.pop("session", None)
    _STARTED.pop("master", None)
    if session is not None:
        session.stop()
