"""Batches: lineage columns, batch identity, reconciliation, and publishing one dataset's dates to the lake.

A batch is (dataset, business date). Its id is a hash of the dataset, the date and the exact input
(file contents, or the fetched records), so a rerun on the same input carries the same id and writes the
same content. Publishing writes raw, then quarantine, then clean, then the audit row, each as one Delta
commit replacing the batch's partitions: readers that need all zones of a batch at once take the batch
ids listed in the audit table, which is written last.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pyspark.sql import functions as F

from ingestion.cleaning.common import LINEAGE, Cleaned
from ingestion.lake import PARTITION, Lake, Zone
from ingestion.quality import Verdict, validate

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

QUARANTINE_TABLE = "rows"
AUDIT_TABLE = "batches"
AUDIT_SCHEMA = (
    "dataset string, source string, batch_id string, inputs int, rows_in long, rows_clean long, "
    "rows_deduplicated long, rows_quarantined long, reconciled boolean, status string, "
    "expectations string, ingested_at timestamp, business_date date"
)


def with_batch_ids(frame: DataFrame, dataset: str) -> DataFrame:
    """Add `batch_id`: a hash of the dataset, the business date and every row with its source position.

    Order-independent (XOR of row hashes) and position-aware, so identical input gives an identical id
    however Spark splits the work, and a moved or repeated row changes it.
    """
    per_row = F.xxhash64("row_hash", "source_file", "source_line")
    # keyed on the date as text, null included: rows whose date could not be read (a mapped dataset
    # quarantines them) are a batch of their own, not dropped by the join
    keyed = frame.withColumn("_batch_key", F.coalesce(F.col(PARTITION).cast("string"), F.lit("")))
    per_day = keyed.groupBy("_batch_key").agg(
        F.sha2(
            F.concat_ws(
                "|",
                F.lit(dataset),
                F.col("_batch_key"),
                F.count(F.lit(1)).cast("string"),
                F.bit_xor(per_row).cast("string"),
            ),
            256,
        )
        .substr(1, 16)
        .alias("batch_id")
    )
    others = [column for column in frame.columns if column != PARTITION]
    return keyed.join(F.broadcast(per_day), "_batch_key").select(PARTITION, *others, "batch_id")


def add_lineage(
    frame: DataFrame, dataset: str, source: str, columns: tuple[str, ...], ingested_at: dt.datetime
) -> DataFrame:
    """Raw rows as received plus source, batch id, ingestion time and a hash of the received fields.

    `frame` must already carry `source_file`, `source_line` and `business_date`."""
    hashed = frame.withColumn("row_hash", row_hash(columns))
    return with_batch_ids(hashed, dataset).withColumns(
        {"source": F.lit(source), "ingested_at": F.lit(ingested_at).cast("timestamp")}
    )


def row_hash(columns: tuple[str, ...]) -> F.Column:
    """SHA-256 of a row's fields as received (unit separator between fields, null as empty)."""
    return F.sha2(F.concat_ws("\u001f", *(F.coalesce(F.col(c), F.lit("")) for c in columns)), 256)


@dataclass
class Publication:
    """What one dataset's run landed: audit rows per date, and the dates refused before landing."""

    dataset: str
    audit: list[dict[str, object]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.failures += [
            f"{self.dataset}: {row['business_date']}: rejected by expectations (clean data kept as it was; "
            f"rows in quarantine as expectation_failed, see Data Docs)"
            for row in self.audit
            if row["status"] == "rejected"
        ]

    def totals(self) -> dict[str, int]:
        keys = ("rows_in", "rows_clean", "rows_deduplicated", "rows_quarantined")
        return {k: sum(int(row[k]) for row in self.audit) for k in keys} | {"batches": len(self.audit)}


def publish(
    lake: Lake,
    dataset: str,
    source: str,
    raw: DataFrame,
    cleaned: Cleaned,
    dates: list[dt.date],
    ingested_at: dt.datetime,
    data_dir: Path,
    log: Callable[[str], None],
) -> list[dict[str, object]]:
    """Land a cleaned run of `dataset` for `dates` in every zone, behind the Great Expectations gate;
    returns the audit rows written."""
    spark = raw.sparkSession
    if not dates:
        return []
    cached_clean = clean = cleaned.clean.persist()
    try:
        verdict = validate(clean, dataset, data_dir)
        for warning in verdict.warnings:
            log(f"  warning: {dataset}: {warning}")
        rejected = sorted(d for d in verdict.rejected if d in set(dates))
        quarantine = cleaned.quarantine
        if rejected:
            for day in rejected:
                log(f"  rejected: {dataset} {day}: {'; '.join(verdict.rejected[day])}")
            refused = F.col(PARTITION).isin(rejected)
            quarantine = quarantine.unionByName(
                _refused_by_expectations(clean.where(refused), dataset, verdict)
            )
            clean = clean.where(~refused)
        published = [d for d in dates if d not in set(rejected)]
        lake.replace_partitions(raw, Zone.raw, dataset, dates)
        lake.replace_partitions(quarantine, Zone.quarantine, QUARANTINE_TABLE, dates, {"dataset": dataset})
        lake.replace_partitions(clean, Zone.clean, dataset, published)
        # while the cleaning's cached sort is still there to read from
        deduplicated = {r[PARTITION]: int(r["rows_deduplicated"]) for r in cleaned.duplicates.collect()}
    finally:
        cached_clean.unpersist()  # before the caches it was built on (see Cleaned.release)
        cleaned.release()

    # Counted from what was committed, so the audit can only reconcile if the lake does.
    date_filter = F.col(PARTITION).isin(dates)
    rows_in = _counts(lake.read(spark, Zone.raw, dataset).where(date_filter), "rows_in", with_batch=True)
    rows_clean = _counts(
        lake.read(spark, Zone.clean, dataset).where(F.col(PARTITION).isin(published)), "rows_clean"
    )
    quarantined = _counts(
        lake.read(spark, Zone.quarantine, QUARANTINE_TABLE).where(
            date_filter & (F.col("dataset") == dataset)
        ),
        "rows_quarantined",
    )
    audit = (
        rows_in.join(rows_clean, PARTITION, "left")
        .join(quarantined, PARTITION, "left")
        .fillna(0, ["rows_clean", "rows_quarantined"])
    )
    rows = []
    for row in audit.collect():
        day = row[PARTITION]
        counts = (row["rows_clean"], deduplicated.get(day, 0), row["rows_quarantined"])
        rows.append(
            {
                "dataset": dataset,
                "source": source,
                "batch_id": row["batch_id"],
                "inputs": int(row["inputs"]),
                "rows_in": row["rows_in"],
                "rows_clean": counts[0],
                "rows_deduplicated": counts[1],
                "rows_quarantined": counts[2],
                "reconciled": row["rows_in"] == sum(counts),
                "status": "rejected" if day in verdict.rejected else "published",
                "expectations": verdict.audit_json(day),
                "ingested_at": ingested_at,
                PARTITION: day,
            }
        )
    lake.replace_partitions(
        spark.createDataFrame(rows, AUDIT_SCHEMA), Zone.audit, AUDIT_TABLE, dates, {"dataset": dataset}
    )
    return rows


def _refused_by_expectations(rows: DataFrame, dataset: str, verdict: Verdict) -> DataFrame:
    """Clean rows of a rejected batch, as quarantine rows that say which expectations failed."""
    spark = rows.sparkSession
    reasons = spark.createDataFrame(
        [(day, "; ".join(names)[:2000]) for day, names in verdict.rejected.items()],
        f"{PARTITION} date, reason_detail string",
    )
    values = [c for c in rows.columns if c not in (*LINEAGE, PARTITION)]
    return rows.join(F.broadcast(reasons), PARTITION).select(
        F.lit(dataset).alias("dataset"),
        PARTITION,
        F.lit("expectation_failed").alias("reason"),
        "reason_detail",
        F.to_json(F.struct(*values)).alias("record"),
        *LINEAGE,
    )


def _counts(frame: DataFrame, name: str, with_batch: bool = False) -> DataFrame:
    aggregates = [F.count(F.lit(1)).alias(name)]
    if with_batch:
        aggregates += [F.first("batch_id").alias("batch_id"), F.countDistinct("source_file").alias("inputs")]
    return frame.groupBy(PARTITION).agg(*aggregates)
