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
        # while the caches the commits read are still there to count from
        counts = count_batches(raw, clean, quarantine, cleaned.duplicates)
    finally:
        cached_clean.unpersist()  # before the caches it was built on (see Cleaned.release)
        cleaned.release()

    rows = audit_rows(counts, dataset, source, verdict, ingested_at)
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


@dataclass(frozen=True)
class BatchCounts:
    """What one batch (dataset, business date) landed, zone by zone."""

    batch_id: str
    inputs: int
    rows_in: int
    rows_clean: int = 0
    rows_deduplicated: int = 0
    rows_quarantined: int = 0

    @property
    def reconciled(self) -> bool:
        return self.rows_in == self.rows_clean + self.rows_deduplicated + self.rows_quarantined

    def audit_row(
        self, dataset: str, source: str, day: dt.date | None, verdict: Verdict, ingested_at: dt.datetime
    ) -> dict[str, object]:
        return {
            "dataset": dataset,
            "source": source,
            "batch_id": self.batch_id,
            "inputs": self.inputs,
            "rows_in": self.rows_in,
            "rows_clean": self.rows_clean,
            "rows_deduplicated": self.rows_deduplicated,
            "rows_quarantined": self.rows_quarantined,
            "reconciled": self.reconciled,
            "status": "rejected" if day in verdict.rejected else "published",
            "expectations": verdict.audit_json(day),
            "ingested_at": ingested_at,
            PARTITION: day,
        }


def audit_rows(
    counts: dict[dt.date | None, BatchCounts],
    dataset: str,
    source: str,
    verdict: Verdict,
    ingested_at: dt.datetime,
) -> list[dict[str, object]]:
    """The audit rows of a landing, by date (the undated batch first)."""
    return [
        counts[day].audit_row(dataset, source, day, verdict, ingested_at)
        for day in sorted(counts, key=lambda d: (d is not None, d or dt.date.min))
    ]


def count_batches(
    raw: DataFrame, clean: DataFrame, quarantine: DataFrame, duplicates: DataFrame | None = None
) -> dict[dt.date | None, BatchCounts]:
    """Rows per business date in each zone, counted in one Spark job from the frames just committed.

    Call it while the caches those commits read are alive: the counts are then those of the rows Delta
    committed, without reading three tables back and joining them (that took a third of landing a small
    table). Rows without a date (a mapped dataset's unreadable dates) are the batch `None`.
    """
    nothing = F.lit(None).cast("string")
    one = F.lit(1).cast("long")
    zones = [
        raw.select(PARTITION, F.lit("rows_in").alias("zone"), one.alias("n"), "batch_id", "source_file"),
        clean.select(PARTITION, F.lit("rows_clean"), one, nothing, nothing),
        quarantine.select(PARTITION, F.lit("rows_quarantined"), one, nothing, nothing),
    ]
    if duplicates is not None:
        copies = F.col("rows_deduplicated").cast("long")
        zones.append(duplicates.select(PARTITION, F.lit("rows_deduplicated"), copies, nothing, nothing))
    union = zones[0]
    for zone in zones[1:]:
        union = union.union(zone)
    grouped = union.groupBy(PARTITION, "zone").agg(
        F.sum("n").alias("rows"),
        F.first("batch_id", ignorenulls=True).alias("batch_id"),
        F.countDistinct("source_file").alias("inputs"),
    )
    by_day: dict[dt.date | None, dict[str, object]] = {}
    for row in grouped.collect():
        counted = by_day.setdefault(row[PARTITION], {})
        counted[row["zone"]] = int(row["rows"])
        if row["zone"] == "rows_in":
            counted |= {"batch_id": row["batch_id"], "inputs": int(row["inputs"])}
    # a date is a batch when it received rows; zones only ever hold rows of received dates
    return {day: BatchCounts(**counted) for day, counted in by_day.items() if "rows_in" in counted}  # type: ignore[arg-type]
