"""`shelfcast ingest --dataset mapping.yml`: a retailer's own sales history landed in the lake like any
source, in its own folder `<lake>/datasets/<name>/` with the usual zones:

    raw/sales          every source row as received (`record`: its fields as text, JSON) with lineage
    clean/sales        the rows typed into the sales contract (`ingestion/mapping/stage.py`)
    quarantine/rows    the rows refused, with reason and detail
    audit/batches      per business date (the sales date): rows in, clean, quarantined, reconciled
    clean/dataset      one row: the mapping's grain, measure and semantics, what dbt and ml read it by

The mapping is checked first (`check_mapping`): a missing column, a value that does not parse, ambiguous
dates or duplicate keys stop the landing before anything is written. A landing is the whole dataset:
each table is replaced in one Delta commit (raw, quarantine, clean, then the audit and the dataset row),
so a rerun never duplicates and a re-export that dropped or corrected rows replaces what was there.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyspark.sql import functions as F

from ingestion.batches import (
    AUDIT_SCHEMA,
    AUDIT_TABLE,
    QUARANTINE_TABLE,
    Publication,
    audit_rows,
    count_batches,
    with_batch_ids,
)
from ingestion.cleaning.common import LINEAGE
from ingestion.lake import MONTH, PARTITION, Lake, Zone
from ingestion.mapping.check import CheckSummary, check_mapping
from ingestion.mapping.landed import dataset_root, mapping_sha256
from ingestion.mapping.load import MappingFile
from ingestion.mapping.stage import CONTRACT, StagedSales, stage_sales
from ingestion.mapping.stage_linked import StagedTable, stage_linked
from ingestion.quality import Verdict, build_docs, validate
from shelfcast.errors import ShelfcastError

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

    from shelfcast.config import Settings

SALES_TABLE = "sales"
DATASET_TABLE = "dataset"
DATASET_SCHEMA = (
    "name string, description string, grain string, period_days int, measure string, missing_days string, "
    "negative_quantities string, week_anchor string, week_label string, mapping_file string, "
    "mapping_sha256 string, source_files string, first_date date, last_date date, rows_in long, "
    "series long, tables string, landed_at timestamp"
)


@dataclass
class DatasetLanding:
    name: str
    lake: str  # the dataset's lake root
    summary: CheckSummary
    staged: StagedSales
    publication: Publication
    seconds: dict[str, float]


def dataset_lake(settings: Settings, name: str) -> Lake:
    return Lake(dataset_root(settings, name))


def land_dataset(
    spark_session: Callable[[], SparkSession],
    settings: Settings,
    loaded: MappingFile,
    log: Callable[[str], None],
) -> DatasetLanding:
    """Check, stage and land the dataset; Spark (`spark_session()`) starts only once the check passed."""
    mapping = loaded.mapping
    if mapping.source.jdbc is not None:
        raise ShelfcastError(
            f"{loaded.at('source.jdbc')}: landing a dataset from a database table is not supported yet",
            hint="export the table to CSV or Parquet and point source.files at it",
        )
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    summary = check_mapping(loaded)
    seconds["check"] = time.perf_counter() - started
    log(
        f"  checked {loaded.path}: {summary.rows:,} rows, {summary.series:,} series, "
        f"{summary.first_date} … {summary.last_date} ({seconds['check']:.1f} s)"
    )
    started = time.perf_counter()
    staging = settings.data_dir.resolve() / "staging" / mapping.name
    staged = stage_sales(loaded, staging / "sales.parquet", summary.sales_date_format)
    linked = stage_linked(loaded, staging)
    seconds["stage"] = time.perf_counter() - started
    log(f"  read {staged.rows:,} rows of {staged.files} ({seconds['stage']:.1f} s)")
    for table in linked:
        log(f"  read {table.rows:,} rows of {table.files} ({table.key})")
    parts = [
        Part(
            SALES_TABLE,
            staged.path,
            list(CONTRACT),
            "sold_on",
            f"files:{mapping.source.files}",
            _expectations(loaded),
        ),
        *(
            Part(
                table.table,
                table.path,
                list(table.columns),
                "sold_on" if "sold_on" in table.columns else None,
                f"files:{table.files}",
                _linked_expectations(table),
            )
            for table in linked
        ),
    ]

    started = time.perf_counter()
    spark = spark_session()
    seconds["spark"] = time.perf_counter() - started
    started = time.perf_counter()
    lake = dataset_lake(settings, mapping.name)
    ingested_at = dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)
    try:
        publication = _publish(spark, settings, lake, mapping.name, parts, ingested_at, log)
    finally:
        build_docs(settings.data_dir)
    dataset_row = _dataset_row(loaded, summary, staged, linked, ingested_at)
    lake_write(spark.createDataFrame([dataset_row], DATASET_SCHEMA), lake, Zone.clean, DATASET_TABLE, False)
    seconds["land"] = time.perf_counter() - started
    totals = publication.totals()
    log(
        f"  landed {mapping.name}: {totals['rows_in']:,} rows in, {totals['rows_clean']:,} clean, "
        f"{totals['rows_quarantined']:,} quarantined, {totals['batches']:,} business dates "
        f"({seconds['land']:.1f} s)"
    )
    return DatasetLanding(mapping.name, lake.root, summary, staged, publication, seconds)


def lake_write(frame: DataFrame, lake: Lake, zone: Zone, table: str, by_month: bool = True) -> None:
    """Replace the whole table with `frame` in one Delta commit."""
    writer = frame
    if by_month:
        writer = frame.withColumn(MONTH, F.date_format(PARTITION, "yyyy-MM")).repartition(MONTH)
    # A new mapping may carry other regressor or attribute columns: the table is what this landing says.
    # Static overwrite whatever the session says: dbt-spark sets partitionOverwriteMode=dynamic in a shared
    # session, and a dynamic overwrite kept the partitions a new export no longer has (CI caught it).
    out = (
        writer.write.format("delta")
        .mode("overwrite")
        .option("overwriteSchema", "true")
        .option("partitionOverwriteMode", "static")
    )
    if by_month:
        out = out.partitionBy(MONTH)
    out.save(lake.path(zone, table))


@dataclass(frozen=True)
class Part:
    """One staged table of the dataset, to land as raw/<table> and clean/<table>."""

    table: str
    path: Path
    columns: list[str]  # its clean columns, before the lineage
    date: str | None  # the column that is its business date; None: undated (attributes)
    source: str
    expectations: list[Any]


def _publish(
    spark: SparkSession,
    settings: Settings,
    lake: Lake,
    name: str,
    parts: list[Part],
    ingested_at: dt.datetime,
    log: Callable[[str], None],
) -> Publication:
    """Every part's raw and clean table, the dataset's quarantine and audit, each replaced whole in one
    Delta commit: raws, the quarantine, cleans, then the audit (the landing's completion marker)."""
    quarantines: list[DataFrame] = []
    landed: list[tuple[Part, DataFrame, DataFrame, DataFrame, Verdict]] = []  # part, raw, clean, quarantine
    cached: list[DataFrame] = []
    try:
        for part in parts:
            dataset = f"{name}.{part.table}"
            business_date = F.col(part.date) if part.date else F.lit(None).cast("date")
            rows = spark.read.parquet(part.path.as_uri()).withColumns(
                {PARTITION: business_date, "row_hash": F.sha2(F.col("record"), 256)}
            )
            rows = (
                with_batch_ids(rows, dataset)
                .withColumns({"source": F.lit(part.source), "ingested_at": F.lit(ingested_at)})
                .persist()
            )
            cached.append(rows)
            clean = rows.where(F.col("reason").isNull()).select(*part.columns, *LINEAGE, PARTITION)
            quarantine = rows.where(F.col("reason").isNotNull()).select(
                F.lit(dataset).alias("dataset"), PARTITION, "reason", "reason_detail", "record", *LINEAGE
            )
            verdict = validate(clean, f"{name}_{part.table}", settings.data_dir, part.expectations)
            for warning in verdict.warnings:
                log(f"  warning: {dataset}: {warning}")
            if verdict.rejected:
                refused = _refused(F.col(PARTITION), verdict)
                reasons = "; ".join(sorted({n for names in verdict.rejected.values() for n in names}))[:2000]
                quarantine = quarantine.unionByName(
                    rows.where(F.col("reason").isNull() & refused).select(
                        F.lit(dataset).alias("dataset"),
                        PARTITION,
                        F.lit("expectation_failed").alias("reason"),
                        F.lit(reasons).alias("reason_detail"),
                        "record",
                        *LINEAGE,
                    )
                )
                clean = clean.where(~refused)
                log(f"  rejected: {dataset}: {len(verdict.rejected):,} dates failed critical expectations")
            raw = rows.select("record", *LINEAGE, PARTITION)
            lake_write(raw, lake, Zone.raw, part.table)
            quarantines.append(quarantine)
            landed.append((part, raw, clean, quarantine, verdict))
        lake_write(_union(quarantines), lake, Zone.quarantine, QUARANTINE_TABLE)
        for part, _, clean, _, _ in landed:
            lake_write(clean, lake, Zone.clean, part.table)
        # nothing is deduplicated: the dataset's checks refuse duplicate keys instead
        audit = [
            row
            for part, raw, clean, quarantine, verdict in landed
            for row in audit_rows(
                count_batches(raw, clean, quarantine),
                f"{name}.{part.table}",
                part.source,
                verdict,
                ingested_at,
            )
        ]
    finally:
        for rows in cached:
            rows.unpersist()
    lake_write(spark.createDataFrame(audit, AUDIT_SCHEMA), lake, Zone.audit, AUDIT_TABLE)
    return Publication(name, audit)


def _refused(business_date: Column, verdict: Verdict) -> Column:
    days = sorted(day for day in verdict.rejected if day is not None)
    test = business_date.isin(days) if days else F.lit(False)
    if None in verdict.rejected or dt.date.min in verdict.rejected:
        test = test | business_date.isNull()
    return test


def _union(frames: list[DataFrame]) -> DataFrame:
    result = frames[0]
    for frame in frames[1:]:
        result = result.unionByName(frame)
    return result


def _linked_expectations(staged: StagedTable) -> list[Any]:
    """A linked table's suite: its columns exactly, its keys present and unique (per date where dated)."""
    import great_expectations.expectations as gxe

    keys = staged.keys
    return [
        gxe.ExpectTableColumnsToMatchSet(column_set=[*staged.columns, *LINEAGE, PARTITION], exact_match=True),
        *(gxe.ExpectColumnValuesToNotBeNull(column=c) for c in keys),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=keys)
        if len(keys) > 1
        else gxe.ExpectColumnValuesToBeUnique(column=keys[0]),
    ]


def _expectations(loaded: MappingFile) -> list[Any]:
    """The Great Expectations suite of a mapped dataset's clean sales: the contract's columns, the keys
    present and unique at the declared grain, sane amounts."""
    import great_expectations.expectations as gxe

    from ingestion.quality import WARNING

    mapping = loaded.mapping
    keys = {
        "date": "sold_on",
        "order_id": "order_id",
        "order_line": "order_line",
        "store": "store_code",
        "product": "product_code",
    }
    grain = [keys.get(role, role) for role in mapping.grain_keys()]
    if mapping.columns.series is not None:  # its keys are folded into store_code and product_code
        grain = [column for column in grain if column in CONTRACT] + ["store_code", "product_code"]
    expectations: list[Any] = [
        gxe.ExpectTableColumnsToMatchSet(column_set=[*CONTRACT, *LINEAGE, PARTITION], exact_match=True),
        *(gxe.ExpectColumnValuesToNotBeNull(column=c) for c in ("sold_on", "store_code", "product_code")),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=[PARTITION, *dict.fromkeys(grain)]),
    ]
    for column in ("unit_price", "cost", "stock_on_hand"):
        if getattr(mapping.columns, column) is not None:
            expectations.append(
                gxe.ExpectColumnValuesToBeBetween(column=column, min_value=0, mostly=0.99, severity=WARNING)
            )
    return expectations


def _dataset_row(
    loaded: MappingFile,
    summary: CheckSummary,
    staged: StagedSales,
    linked: list[StagedTable],
    landed_at: dt.datetime,
) -> dict[str, object]:
    mapping = loaded.mapping
    return {
        "name": mapping.name,
        "description": mapping.description,
        "grain": mapping.grain,
        "period_days": mapping.step_days,
        "measure": staged.measure,
        "missing_days": mapping.missing_days,
        "negative_quantities": mapping.negative_quantities,
        "week_anchor": mapping.week.anchor if mapping.week else None,
        "week_label": mapping.week.label if mapping.week else None,
        "mapping_file": str(loaded.path.resolve()),
        "mapping_sha256": mapping_sha256(loaded),
        "source_files": staged.files,
        "first_date": summary.first_date,
        "last_date": summary.last_date,
        "rows_in": staged.rows,
        "series": summary.series,
        # the linked tables landed: what each is, its keys and which source column each lake column holds
        "tables": json.dumps(
            {t.table: {"key": t.key, "files": t.files, "keys": t.keys, "columns": t.columns} for t in linked}
        ),
        "landed_at": landed_at,
    }
