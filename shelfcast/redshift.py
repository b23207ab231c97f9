"""Getting the lake into Redshift, which cannot read Delta in place.

Redshift's fast path is `COPY … FORMAT AS PARQUET` from S3, but a Delta folder is not a table Redshift can
COPY: it holds the files of every version (only the transaction log says which are current) and keeps the
partition column (`business_month`) in folder names, not in the files. So each lake table's current
version is first exported by Spark as plain Parquet under `<lake>/export/redshift/<table>/v<version>/`
together with a COPY manifest listing exactly those files; the dbt macro `load_lake_into_redshift`
(a run-operation) then COPYs every table into a fresh table and swaps it in, one transaction per table.

An export is keyed by the Delta version, and its manifest is written last: a rerun for an unchanged table
reuses the export, and an interrupted export is redone, never half-loaded. On EMR the same code runs
against `s3://` (EMRFS) or `s3a://`; the manifest names objects as `s3://`, the form COPY reads.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shelfcast.errors import ShelfcastError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession
    from pyspark.sql.types import DataType

    from shelfcast.config import Settings

# Redshift caps VARCHAR at 65535 bytes; COPY fails a row rather than truncating it.
_REDSHIFT_TYPES = {
    "string": "varchar(65535)",
    "smallint": "smallint",
    "int": "integer",
    "bigint": "bigint",
    "float": "real",
    "double": "double precision",
    "boolean": "boolean",
    "date": "date",
    # Spark timestamps are instants; exported as UTC-adjusted Parquet timestamps
    "timestamp": "timestamptz",
    "timestamp_ntz": "timestamp",
}


@dataclass(frozen=True)
class RedshiftLoad:
    """One lake table's export: what `load_lake_into_redshift` needs to create and COPY it."""

    table: str
    version: int
    manifest: str
    rows: int
    columns: list[tuple[str, str]]

    def as_macro_argument(self) -> dict[str, Any]:
        return {"name": self.table, "manifest": self.manifest, "columns": [list(c) for c in self.columns]}


def redshift_type(data_type: DataType) -> str:
    name = data_type.simpleString()
    if name.startswith("decimal"):
        return name
    if name not in _REDSHIFT_TYPES:
        raise ShelfcastError(f"no Redshift type for the lake column type {name}")
    return _REDSHIFT_TYPES[name]


def s3_url(uri: str) -> str:
    """The object URL COPY reads: s3a:// and s3n:// (Hadoop's connectors) name the same objects as s3://."""
    for scheme in ("s3a://", "s3n://"):
        if uri.startswith(scheme):
            return "s3://" + uri[len(scheme) :]
    return uri


def _write_parquet(spark: SparkSession, frame: Any, folder: str) -> None:
    # Spark's default INT96 timestamps are a legacy encoding; COPY reads the standard microsecond one.
    key = "spark.sql.parquet.outputTimestampType"
    previous = spark.conf.get(key)
    spark.conf.set(key, "TIMESTAMP_MICROS")
    try:
        frame.write.mode("overwrite").option("compression", "snappy").parquet(folder)
    finally:
        spark.conf.set(key, previous)


def export_root(settings: Settings) -> str:
    from ingestion.lake import normalise_root

    return f"{normalise_root(settings.lake)}/export/redshift"


def export_lake_for_redshift(
    spark: SparkSession, settings: Settings, log: Callable[[str], None]
) -> list[RedshiftLoad]:
    """Export every lake table's current version as Parquet plus a COPY manifest (reused if present)."""
    from delta.tables import DeltaTable

    from shelfcast.warehouse import lake_tables

    hadoop = spark._jvm.org.apache.hadoop.fs  # type: ignore[union-attr]
    conf = spark._jsc.hadoopConfiguration()  # type: ignore[union-attr]
    loads = []
    for name, path in lake_tables(settings).items():
        started = time.perf_counter()
        if not DeltaTable.isDeltaTable(spark, path):
            raise ShelfcastError(f"the lake table {path} does not exist", hint="run `shelfcast ingest` first")
        version = int(DeltaTable.forPath(spark, path).history(1).collect()[0]["version"])
        frame = spark.read.format("delta").option("versionAsOf", version).load(path)
        folder = f"{export_root(settings)}/{name}/v{version:08d}"
        manifest = hadoop.Path(f"{folder}.manifest.json")
        fs = manifest.getFileSystem(conf)
        reused = fs.exists(manifest)
        if not reused:
            _write_parquet(spark, frame, folder)
            entries = [
                {
                    "url": s3_url(str(status.getPath())),
                    "mandatory": True,
                    "meta": {"content_length": int(status.getLen())},
                }
                for status in fs.listStatus(hadoop.Path(folder))
                if status.getPath().getName().endswith(".parquet")
            ]
            stream = fs.create(manifest, True)
            stream.write(json.dumps({"entries": entries}, indent=1).encode())
            stream.close()
        rows = frame.count()  # from the Delta log's file statistics, not a scan
        loads.append(
            RedshiftLoad(
                table=name,
                version=version,
                manifest=s3_url(str(manifest)),
                rows=rows,
                columns=[(field.name, redshift_type(field.dataType)) for field in frame.schema],
            )
        )
        what = "reused" if reused else "exported"
        log(f"  {name:<26} v{version:<5} {rows:>12,} rows {what:>9} {time.perf_counter() - started:6.1f} s")
    return loads
