"""The one place a Spark session is made: Delta Lake, the JDBC drivers and, for s3a:// lakes, hadoop-aws.

Jars come from Maven Central through `spark.jars.packages` and stay in `jar_cache_dir` (Ivy), so only the
first session on a machine downloads them. Every setting can be overridden with `spark_conf`.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from shelfcast.errors import ShelfcastError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from shelfcast.config import Settings

DELTA_PACKAGE = "io.delta:delta-spark_4.2_2.13:4.4.0"  # built for Spark 4.2; 4.4.1 is not on Maven Central
JDBC_PACKAGES = ("org.postgresql:postgresql:42.7.4", "org.xerial:sqlite-jdbc:3.46.1.3")
# hadoop-aws must equal the Hadoop bundled with pyspark (3.5.0). The individual AWS SDK modules replace the
# 654 MiB SDK bundle; the excludes keep Spark's own netty/httpclient/slf4j first on the classpath.
AWS_SDK = "2.35.4"
S3A_PACKAGES = (
    "org.apache.hadoop:hadoop-aws:3.5.0",
    f"software.amazon.awssdk:s3:{AWS_SDK}",
    f"software.amazon.awssdk:s3-transfer-manager:{AWS_SDK}",
    f"software.amazon.awssdk:sts:{AWS_SDK}",
)
S3A_EXCLUDES = (
    "software.amazon.awssdk:bundle",
    *(
        f"io.netty:netty-{name}"
        for name in (
            "buffer",
            "codec",
            "codec-http",
            "codec-http2",
            "common",
            "handler",
            "resolver",
            "transport",
            "transport-classes-epoll",
            "transport-native-unix-common",
        )
    ),
    "org.apache.httpcomponents:httpclient",
    "org.apache.httpcomponents:httpcore",
    "org.slf4j:slf4j-api",
    "commons-codec:commons-codec",
    "commons-logging:commons-logging",
)


def uses_s3a(settings: Settings) -> bool:
    return settings.lake.startswith("s3a://") or any(
        k.startswith("spark.hadoop.fs.s3a.") for k in settings.spark_conf
    )


def session_conf(settings: Settings, app_name: str) -> dict[str, str]:
    """Every Spark setting the session starts with: our defaults, then the user's `spark_conf`."""
    work = (settings.data_dir / ".spark").resolve()
    packages = [DELTA_PACKAGE, *JDBC_PACKAGES]
    conf = {
        "spark.master": settings.spark_master,
        "spark.app.name": app_name,
        "spark.jars.ivy": str(settings.jar_cache_dir.expanduser().resolve()),
        "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
        "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
        "spark.sql.warehouse.dir": str(work / "warehouse"),
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={work / 'derby'}",
        "spark.driver.memory": "4g",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": "8",
        "spark.sql.adaptive.enabled": "true",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        # Delta replays its log with 50 tasks by default; far too many on a laptop.
        "spark.databricks.delta.snapshotPartitions": "2",
        # delta-rs (and so dbt-duckdb's delta plugin) cannot read deletion vectors.
        "spark.databricks.delta.properties.defaults.enableDeletionVectors": "false",
        # Cleaning builds many CASE expressions over aliased columns; constraint propagation enumerates
        # their combinations and the optimizer never finishes (a 10-column table: > 5 min, then OOM).
        "spark.sql.constraintPropagation.enabled": "false",
        # JDBC VARCHAR(n) (SQLite reports n = 0) would otherwise become a length check on every Delta write.
        "spark.sql.legacy.charVarcharAsString": "true",
        # Business dates are written as-is; no calendar rebasing of old dates.
        "spark.sql.parquet.datetimeRebaseModeInWrite": "CORRECTED",
    }
    if uses_s3a(settings):
        packages.extend(S3A_PACKAGES)
        conf["spark.jars.excludes"] = ",".join(S3A_EXCLUDES)
    conf["spark.jars.packages"] = ",".join(packages)
    conf.update(settings.spark_conf)
    return conf


def get_spark(settings: Settings, app_name: str = "shelfcast") -> SparkSession:
    """The process's Spark session, created on first use with `session_conf`."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # Local Python workers must run in this environment (pandas, pyarrow), not the system python3;
    # on a cluster PYSPARK_PYTHON names the executors' interpreter.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    Path(settings.jar_cache_dir).expanduser().mkdir(parents=True, exist_ok=True)
    builder = SparkSession.builder
    for key, value in session_conf(settings, app_name).items():
        builder = builder.config(key, value)
    started = time.perf_counter()
    try:
        spark = builder.getOrCreate()
    except Exception as error:  # the JVM failed to start: no Java, jars not resolvable, bad conf
        raise ShelfcastError(
            f"Spark did not start ({settings.spark_master}): {spark_error_message(error)}",
            hint="check Java 17 is installed (make system), Maven Central is reachable for the first run, "
            "and spark_conf",
        ) from error
    spark.sparkContext.setLogLevel("ERROR")
    spark.conf.set("shelfcast.session.start_seconds", f"{time.perf_counter() - started:.1f}")
    return spark


def warehouse_spark(settings: Settings, app_name: str = "shelfcast-warehouse") -> SparkSession:
    """The session of the Spark warehouse target: ours, with the configured master and jars, and a Hive
    metastore in the data dir, so the tables dbt builds (and the forecast writes) outlive the session."""
    hive = settings.model_copy(
        update={"spark_conf": {"spark.sql.catalogImplementation": "hive", **settings.spark_conf}}
    )
    return get_spark(hive, app_name)


def spark_error_message(error: BaseException) -> str:
    """The Java exception's own message for JVM errors, else the first line of the Python one."""
    java = getattr(error, "java_exception", None)
    text = str(java.toString()) if java is not None else str(error)
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return (lines[0] if lines else type(error).__name__)[:400]
