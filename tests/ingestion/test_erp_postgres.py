"""The ERP read over JDBC from PostgreSQL lands exactly like the embedded SQLite one; a database that is
down is named in a one-line error and changes nothing."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from ingestion.lake import Lake, Zone
from ingestion.run import SourceName, ingest
from shelfcast.config import load_settings
from shelfcast.errors import ShelfcastError
from synthetic.generate import GenerateOptions, generate
from synthetic.scales import ScaleName
from tests.ingestion.lakehash import table_hash
from tests.support import free_port
from tests.synthetic.test_erp_postgres import pg_url  # noqa: F401 - the fixture

pytestmark = [pytest.mark.spark, pytest.mark.postgres]
AS_OF = dt.date(2026, 1, 1)


def test_postgres_erp_lands_like_sqlite(spark, pg_url: str, xs_dataset: Path, tmp_path: Path) -> None:  # noqa: F811
    generate(GenerateOptions(out=tmp_path / "pg", scale=ScaleName.xs, seed=42, erp_url=pg_url))
    counts = json.loads((xs_dataset / "manifest.json").read_text(encoding="utf-8"))["counts"]
    lakes = {}
    for name, erp_url in (("postgres", pg_url), ("sqlite", None)):
        settings = load_settings(
            data_dir=tmp_path / name, sources_dir=xs_dataset, erp_url=erp_url, spark_master="local[2]"
        )
        assert ingest(spark, settings, [SourceName.erp], [AS_OF], print).failures == []
        lakes[name] = Lake(settings.lake)
    for table, key in (
        ("erp_products", "products"),
        ("erp_customers", "customers"),
        ("erp_goods_receipts", "goods_receipts"),
    ):
        pg = lakes["postgres"].read(spark, Zone.clean, table)
        assert pg.count() == counts[key]
        # the same values once typed, whatever each database's text rendering of them
        columns = [
            c
            for c in pg.columns
            if c not in ("source", "source_file", "batch_id", "row_hash", "ingested_at", "business_month")
        ]
        sqlite = lakes["sqlite"].read(spark, Zone.clean, table)
        assert pg.select(columns).exceptAll(sqlite.select(columns)).count() == 0, table
    audit = lakes["postgres"].read(spark, Zone.audit, "batches")
    assert audit.where(~F.col("reconciled")).count() == 0


def test_a_database_that_is_down_is_named_and_nothing_changes(
    spark, xs_dataset: Path, tmp_path: Path
) -> None:
    settings = load_settings(data_dir=tmp_path, sources_dir=xs_dataset, spark_master="local[2]")
    ingest(spark, settings, [SourceName.erp], [AS_OF], print)
    lake = Lake(settings.lake)
    before = table_hash(spark, lake, Zone.clean, "erp_stores")
    down = load_settings(
        data_dir=tmp_path,
        sources_dir=xs_dataset,
        spark_master="local[2]",
        erp_url=f"postgresql://shelfcast:x@127.0.0.1:{free_port()}/shop",
    )
    with pytest.raises(
        ShelfcastError, match=r"ERP postgresql://127\.0\.0\.1:\d+/shop: cannot read erp\.regions: .*connect"
    ):
        ingest(spark, down, [SourceName.erp], [AS_OF], print)
    assert table_hash(spark, lake, Zone.clean, "erp_stores") == before
