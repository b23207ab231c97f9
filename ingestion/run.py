"""`shelfcast ingest`: land each source's batches in the lake, in dependency order (ERP before POS lines,
whose store and product codes are checked against it)."""

from __future__ import annotations

import datetime as dt
import gc
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from pyspark.sql import functions as F

from ingestion.batches import Publication, add_lineage, publish
from ingestion.cleaning.pos import clean_pos_lines
from ingestion.cleaning.tables import TableSpec, clean_table
from ingestion.datasets import API_TABLES, ERP_TABLES, INVENTORY
from ingestion.lake import PARTITION, Lake, Zone
from ingestion.quality import build_docs
from ingestion.sources.files import (
    INVENTORY_SNAPSHOTS,
    POS_LINES,
    FileDataset,
    SourceFile,
    list_files,
    parsed_files,
)
from ingestion.sources.jdbc import erp_source, read_table
from ingestion.sources.rest import RestSource
from shelfcast.errors import ShelfcastError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from shelfcast.config import Settings


class SourceName(StrEnum):
    """What `--source` accepts, in the order a full run lands them."""

    erp = "erp"
    pos = "pos"
    inventory = "inventory"
    api = "api"


Progress = Callable[[str], None]


@dataclass
class IngestReport:
    publications: list[Publication] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def failures(self) -> list[str]:
        return [f for p in self.publications for f in p.failures]


def ingest(
    spark: SparkSession,
    settings: Settings,
    sources: list[SourceName],
    dates: list[dt.date] | None,
    log: Progress,
) -> IngestReport:
    lake = Lake(settings.lake)
    ingested_at = dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)
    report = IngestReport()
    try:
        for source in sorted(set(sources), key=list(SourceName).index):
            started = time.perf_counter()
            if source is SourceName.erp:
                as_of = dates[-1] if dates else ingested_at.date()
                report.publications += land_erp(spark, lake, settings, as_of, ingested_at, log)
            elif source is SourceName.pos:
                report.publications.append(
                    land_files(spark, lake, settings, POS_LINES, dates, ingested_at, log)
                )
            elif source is SourceName.inventory:
                report.publications.append(
                    land_files(spark, lake, settings, INVENTORY_SNAPSHOTS, dates, ingested_at, log)
                )
            elif source is SourceName.api:
                report.publications += land_api(spark, lake, settings, dates, ingested_at, log)
            report.seconds[source.value] = time.perf_counter() - started
    finally:
        build_docs(settings.data_dir)  # once per run: rendering after every table cost seconds each
    return report


def land_erp(
    spark: SparkSession,
    lake: Lake,
    settings: Settings,
    as_of: dt.date,
    ingested_at: dt.datetime,
    log: Progress,
) -> list[Publication]:
    """Every ERP table as one snapshot dated `as_of`."""
    source = erp_source(settings)
    published = []
    for spec in ERP_TABLES.values():
        started = time.perf_counter()
        table = spec.name.removeprefix("erp_")
        frame = read_table(spark, source, table, spec.key).withColumn(PARTITION, F.lit(as_of))
        raw = add_lineage(frame, spec.name, f"jdbc:{source.display}", tuple(spec.columns), ingested_at)
        published.append(_publish_table(lake, spec, "erp", raw, [as_of], ingested_at, settings, log))
        _log_publication(log, published[-1], time.perf_counter() - started)
    return published


def land_files(
    spark: SparkSession,
    lake: Lake,
    settings: Settings,
    dataset: FileDataset,
    dates: list[dt.date] | None,
    ingested_at: dt.datetime,
    log: Progress,
) -> Publication:
    """A file dataset's days, in chunks of whole days: refused files fail their day, every other day
    is landed. Each chunk is committed on its own, so a long history never has to fit in memory."""
    started = time.perf_counter()
    root = str(settings.sources_path.resolve())
    files = list_files(spark, root, dataset, dates)
    chunks = chunk_by_days(files, dataset, chunk_budget(files, settings))
    audit: list[dict[str, object]] = []
    failures: list[str] = []
    for number, chunk in enumerate(chunks, start=1):
        chunk_started = time.perf_counter()
        chunk_audit, chunk_failures = _land_file_chunk(
            spark, lake, settings, dataset, chunk, ingested_at, log
        )
        audit += chunk_audit
        failures += chunk_failures
        # The chunk's DataFrames hang in Python reference cycles, and each py4j proxy in them keeps its
        # JVM plan alive until Python's cyclic collector runs, which it rarely does on its own: at scale s
        # ~800 MB of driver heap per chunk stayed reachable, and scale m died of OutOfMemoryError in its
        # seventh POS chunk. A full collection per chunk releases them (heap then grows ~25 MB per chunk).
        gc.collect()
        if len(chunks) > 1:
            days = sorted({d for f in chunk if (d := dataset.business_date(f.uri))})
            span = f"{days[0]} .. {days[-1]}" if days else "files without a date"
            log(
                f"  {dataset.name} chunk {number}/{len(chunks)} ({span}): "
                f"{sum(int(row['rows_in']) for row in chunk_audit):,} rows in "
                f"{time.perf_counter() - chunk_started:.1f} s"
            )
    publication = Publication(dataset.name, audit, failures)
    _log_publication(log, publication, time.perf_counter() - started)
    return publication


def chunk_budget(files: list[SourceFile], settings: Settings) -> int:
    """Bytes of input per chunk: `ingest_chunk_mb`, or fewer when rows are narrow enough that
    `ingest_chunk_rows` come first. Memory follows rows, not bytes: at scale m a 256 MB chunk of inventory
    snapshots (26-byte lines, ten million rows) ran the 4 GB driver out of heap, where 256 MB of POS lines
    (130 bytes each) are two million."""
    budget = int(settings.ingest_chunk_mb * 2**20)
    width = sampled_line_bytes(files)
    if width is not None:
        budget = min(budget, int(settings.ingest_chunk_rows * width))
    return budget


def sampled_line_bytes(files: list[SourceFile], sample: int = 1 << 20) -> float | None:
    """Average bytes per line at the start of the largest file (local sources); None when unknown."""
    if not files:
        return None
    largest = max(files, key=lambda file: file.size)
    location = urlparse(largest.uri)
    if location.scheme not in ("", "file"):
        return None
    try:
        with Path(unquote(location.path)).open("rb") as handle:
            data = handle.read(sample)
    except OSError:
        return None  # the landing reports an unreadable file itself
    lines = data.count(b"\n")
    return len(data) / lines if lines else None


def chunk_by_days(files: list[SourceFile], dataset: FileDataset, budget: int) -> list[list[SourceFile]]:
    """Files grouped into chunks of whole business days of about `budget` bytes (a day is never split:
    its batch is replaced in one commit). Files without a recognisable date form a chunk of their own."""
    by_day: dict[dt.date | None, list[SourceFile]] = {}
    for file in files:
        by_day.setdefault(dataset.business_date(file.uri), []).append(file)
    chunks: list[list[SourceFile]] = [by_day.pop(None)] if None in by_day else []
    current: list[SourceFile] = []
    size = 0
    for day in sorted(d for d in by_day if d is not None):
        day_files = by_day[day]
        if current and size + sum(f.size for f in day_files) > budget:
            chunks.append(current)
            current, size = [], 0
        current += day_files
        size += sum(f.size for f in day_files)
    if current:
        chunks.append(current)
    return chunks


def _land_file_chunk(
    spark: SparkSession,
    lake: Lake,
    settings: Settings,
    dataset: FileDataset,
    files: list[SourceFile],
    ingested_at: dt.datetime,
    log: Progress,
) -> tuple[list[dict[str, object]], list[str]]:
    """The chunk's audit rows, and the files it refused."""
    parsed = parsed_files(spark, str(settings.sources_path.resolve()), dataset, files).persist()
    try:
        problems = parsed.where(F.col("file_error").isNotNull() | F.col("business_date").isNull()).collect()
        failures = [
            f"{dataset.name}: {p.source_file}: {p.file_error or 'unrecognised_file_name'}"
            f"{': ' + p.file_error_detail if p.file_error_detail else ''}"
            for p in problems
        ]
        refused = {p.business_date for p in problems}
        seen = {r.business_date for r in parsed.select("business_date").distinct().collect()}
        days = sorted(dt.date.fromisoformat(d) for d in seen - refused if d)
        if not days:
            return [], failures
        rows = parsed.where(
            F.col("file_error").isNull()
            & F.col("source_line").isNotNull()
            & F.col("business_date").isin([d.isoformat() for d in days])
        ).withColumn(PARTITION, F.to_date(PARTITION))
        raw = add_lineage(rows, dataset.name, "files", dataset.columns, ingested_at).drop(
            "file_error", "file_error_detail", "file_sha256"
        )
        lake_raw = raw.persist()
        try:
            if dataset is POS_LINES:
                stores, products = _master_data(spark, lake)
                cleaned = clean_pos_lines(lake_raw, stores, products)
                audit = publish(
                    lake, dataset.name, "files", lake_raw, cleaned, days, ingested_at, settings.data_dir, log
                )
            else:
                publication = _publish_table(
                    lake, INVENTORY, "files", lake_raw, days, ingested_at, settings, log
                )
                audit = publication.audit
        finally:
            lake_raw.unpersist()
    finally:
        parsed.unpersist()
    return audit, failures


def land_api(
    spark: SparkSession,
    lake: Lake,
    settings: Settings,
    dates: list[dt.date] | None,
    ingested_at: dt.datetime,
    log: Progress,
) -> list[Publication]:
    """Promotions, holidays and weather from the REST source, partitioned by their own dates."""
    client = RestSource(
        base_url=f"http://{settings.sources_host}:{settings.sources_port}",
        state_dir=settings.data_dir / ".state" / "rest",
    )
    since, until = (dates[0], dates[-1]) if dates else (None, None)
    published = []
    for resource, (spec, date_column) in API_TABLES.items():
        started = time.perf_counter()
        records = client.fetch(resource, since, until)
        frame = _records_frame(spark, records, spec, date_column, resource)
        days = sorted({r[PARTITION] for r in frame.select(PARTITION).distinct().collect()})
        if since is not None and until is not None:
            # a requested range is replaced whole, so records deleted at the source disappear here too
            days = sorted(set(days) | {since + dt.timedelta(n) for n in range((until - since).days + 1)})
        raw = add_lineage(frame, spec.name, "rest", tuple(spec.columns), ingested_at)
        published.append(_publish_table(lake, spec, "rest", raw, days, ingested_at, settings, log))
        client.forget(resource, since, until)
        _log_publication(log, published[-1], time.perf_counter() - started)
    return published


def _records_frame(
    spark: SparkSession, records: list, spec: TableSpec, date_column: str, resource: str
) -> DataFrame:
    rows = []
    for record in records:
        value = record.data.get(date_column)
        try:
            day = dt.date.fromisoformat(str(value))
        except ValueError:
            raise ShelfcastError(
                f"REST source {record.url}: record {record.position} of {resource} has "
                f"{date_column} = {value!r}, not an ISO date",
                hint="its business date decides where it lands; fix the source",
            ) from None
        fields = [None if record.data.get(c) is None else str(record.data.get(c)) for c in spec.columns]
        rows.append((*fields, record.url, record.position, day))
    schema = (
        ", ".join(f"`{c}` string" for c in spec.columns)
        + ", source_file string, source_line int, business_date date"
    )
    return spark.createDataFrame(rows, schema)


def _publish_table(
    lake: Lake,
    spec: TableSpec,
    source: str,
    raw: DataFrame,
    days: list[dt.date],
    ingested_at: dt.datetime,
    settings: Settings,
    log: Progress,
) -> Publication:
    raw = raw.persist()  # read the source once: raw, clean, quarantine and the counts all derive from it
    try:
        cleaned = clean_table(raw, spec)
        audit = publish(lake, spec.name, source, raw, cleaned, days, ingested_at, settings.data_dir, log)
        return Publication(spec.name, audit)
    finally:
        raw.unpersist()


def _master_data(spark: SparkSession, lake: Lake) -> tuple[DataFrame, DataFrame]:
    """The latest ERP snapshot of stores and products: what POS codes must refer to."""
    frames = []
    for table in ("erp_stores", "erp_products"):
        if not lake.exists(spark, Zone.clean, table):
            raise ShelfcastError(
                f"POS lines are checked against the ERP's stores and products; {table} is not in the lake",
                hint="run `shelfcast ingest --source erp` first (a full `shelfcast ingest` does)",
            )
        frame = lake.read(spark, Zone.clean, table)
        latest = frame.agg(F.max(PARTITION)).first()[0]
        frames.append(frame.where(F.col(PARTITION) == latest))
    return frames[0], frames[1]


def _log_publication(log: Progress, publication: Publication, seconds: float) -> None:
    totals = publication.totals()
    log(
        f"{publication.dataset:<26} {totals['batches']:>5} batches  {totals['rows_in']:>11,} in  "
        f"{totals['rows_clean']:>11,} clean  {totals['rows_deduplicated']:>7,} dedup  "
        f"{totals['rows_quarantined']:>8,} quarantined  {seconds:6.1f} s"
        + (f"  {len(publication.failures)} refused" if publication.failures else "")
    )
