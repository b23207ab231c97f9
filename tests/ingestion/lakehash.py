"""Content fingerprints of lake tables, for idempotency checks."""

from __future__ import annotations

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from ingestion.lake import Lake, Zone

# Tables whose content a rerun must leave unchanged; `ingested_at` records when, so it is left out.
TABLES = (
    (Zone.raw, "pos_lines"),
    (Zone.clean, "pos_lines"),
    (Zone.quarantine, "rows"),
    (Zone.audit, "batches"),
    (Zone.raw, "inventory_snapshots"),
    (Zone.clean, "inventory_snapshots"),
)


def table_hash(
    spark: SparkSession, lake: Lake, zone: Zone, table: str, ignore: tuple[str, ...] = ()
) -> tuple[int, int]:
    frame = lake.read(spark, zone, table).drop("ingested_at", *ignore)
    row = frame.select(F.count(F.lit(1)), F.bit_xor(F.xxhash64(*frame.columns))).first()
    return int(row[0]), int(row[1] or 0)


def lake_hashes(
    spark: SparkSession, lake: Lake, ignore: dict[str, tuple[str, ...]] | None = None
) -> dict[str, tuple[int, int]]:
    """Per table; `ignore` names columns to leave out per `zone/table`."""
    ignore = ignore or {}
    return {
        f"{zone}/{table}": table_hash(spark, lake, zone, table, ignore.get(f"{zone}/{table}", ()))
        for zone, table in TABLES
    }
