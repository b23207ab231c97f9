"""File sources land in chunks of whole days; how the days are chunked never changes what lands."""

from __future__ import annotations

import datetime as dt
import gc
import json
from pathlib import Path

import pytest
from py4j.java_gateway import JavaObject

from ingestion.lake import Lake, Zone
from ingestion.run import SourceName, chunk_by_days, ingest
from ingestion.sources.files import INVENTORY_SNAPSHOTS, POS_LINES, SourceFile
from tests.ingestion.lakehash import lake_hashes
from tests.ingestion.test_batches import copy_master_data, copy_sources
from tests.support import lake_settings


def pos_file(store: str, day: str, size: int) -> SourceFile:
    return SourceFile(f"file:/src/pos/{day[:4]}-{day[4:6]}-{day[6:]}/pos_{store}_{day}.csv", size)


def test_chunks_hold_whole_days_within_the_budget() -> None:
    files = [pos_file(store, day, 40) for day in ("20230101", "20230102", "20230103") for store in "AB"]
    chunks = chunk_by_days(files, POS_LINES, budget=100)
    assert [[f.uri.rsplit("_", 1)[1][:8] for f in chunk] for chunk in chunks] == [
        ["20230101", "20230101"],
        ["20230102", "20230102"],
        ["20230103", "20230103"],
    ]
    assert chunk_by_days(files, POS_LINES, budget=160) == [files[:4], files[4:]]
    assert chunk_by_days(files, POS_LINES, budget=10**9) == [files]


def test_a_day_bigger_than_the_budget_is_one_chunk_and_undated_files_come_first() -> None:
    big = SourceFile("file:/src/inventory/inventory_20230102.csv", 10_000)
    small = SourceFile("file:/src/inventory/inventory_20230101.csv", 10)
    stray = SourceFile("file:/src/inventory/inventory_latest.csv", 10)
    assert chunk_by_days([big, small, stray], INVENTORY_SNAPSHOTS, budget=100) == [[stray], [small], [big]]
    assert chunk_by_days([], INVENTORY_SNAPSHOTS, budget=100) == []


def cached_frames(spark) -> int:
    """DataFrames Spark holds in its cache (persisted and not yet released)."""
    return int(spark._jsparkSession.sharedState().cacheManager().numCachedEntries())


@pytest.mark.spark
@pytest.mark.extended
def test_landing_in_many_chunks_equals_landing_in_one(
    spark, landed, xs_dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ingestion.quality as quality

    # every chunk validated on Spark, as large chunks are: the engine whose caching once leaked memory
    monkeypatch.setattr(quality, "PANDAS_MAX_ROWS", 0)
    days = [dt.date(2023, 5, 1) + dt.timedelta(n) for n in range(8)]
    sources = copy_sources(xs_dataset, tmp_path / "sources", days)
    one = lake_settings(tmp_path / "one", sources)
    many = lake_settings(tmp_path / "many", sources).model_copy(update={"ingest_chunk_mb": 0.02})
    logs: dict[str, list[str]] = {"one": [], "many": []}
    live: list[int] = []  # py4j proxies of JVM objects still held in Python as each chunk is logged

    cached: list[int] = []  # DataFrames left in Spark's cache as each chunk is logged
    already = cached_frames(spark)

    def log(name: str, line: str) -> None:
        logs[name].append(line)
        if "pos_lines chunk" in line:
            live.append(sum(isinstance(o, JavaObject) for o in gc.get_objects()))
            cached.append(cached_frames(spark))

    for name, settings in (("one", one), ("many", many)):
        copy_master_data(landed.settings.lake, Path(settings.lake))
        report = ingest(
            spark, settings, [SourceName.pos, SourceName.inventory], None, lambda line, n=name: log(n, line)
        )
        assert report.failures == []
    # a chunk's proxies (and the JVM plans they keep alive) are gone before the next chunk starts; left to
    # Python's rare full collections they piled up (~25 more per chunk here, ~800 MB of driver heap per
    # chunk at scale s) and ran scale m out of driver memory
    assert len(live) >= 3 and max(live) - live[0] <= 10, live
    # and nothing a chunk cached outlives it (Great Expectations cached every batch it validated)
    assert cached == [already] * len(cached) and cached_frames(spark) == already, (already, cached)
    assert not any("chunk" in line for line in logs["one"])
    for dataset in ("pos_lines", "inventory_snapshots"):
        assert any(line.strip().startswith(f"{dataset} chunk 2/") for line in logs["many"]), dataset
    # Every row is the same; only the audit's `expectations` summary belongs to the validation run (the
    # chunk) that covered the day, so its warnings differ with the chunking and its verdict does not.
    ignore = {"audit/batches": ("expectations",)}
    assert lake_hashes(spark, Lake(many.lake), ignore) == lake_hashes(spark, Lake(one.lake), ignore)
    verdicts = [
        {
            (row.business_date, row.status, tuple(json.loads(row.expectations)["failed_critical"]))
            for row in Lake(settings.lake).read(spark, Zone.audit, "batches").collect()
        }
        for settings in (one, many)
    ]
    assert verdicts[0] == verdicts[1]


def test_narrow_rows_make_smaller_chunks(tmp_path) -> None:
    """Memory follows rows: 26-byte inventory lines get a chunk of `ingest_chunk_rows` rows, long before
    `ingest_chunk_mb` of them; wide lines keep the byte budget."""
    from ingestion.run import chunk_budget

    narrow = tmp_path / "inventory_20230101.csv"
    narrow.write_bytes(
        b"snapshot_date,store_code,product_code,on_hand_units,on_order_units\n"
        + b"2023-01-01,S001,P00001,3,0\n" * 5000
    )
    wide = tmp_path / "pos_S001_20230101.csv"
    wide.write_bytes((b"x" * 499 + b"\n") * 200)
    settings = lake_settings(tmp_path, tmp_path).model_copy(
        update={"ingest_chunk_mb": 256, "ingest_chunk_rows": 1000}
    )
    narrow_budget = chunk_budget([SourceFile(narrow.as_uri(), narrow.stat().st_size)], settings)
    assert 26 * 1000 <= narrow_budget <= 28 * 1000
    assert chunk_budget([SourceFile(wide.as_uri(), wide.stat().st_size)], settings) == 500 * 1000
    roomy = settings.model_copy(update={"ingest_chunk_rows": 10**9})
    assert chunk_budget([SourceFile(wide.as_uri(), wide.stat().st_size)], roomy) == 256 * 2**20
    assert chunk_budget([SourceFile("s3a://bucket/x.csv", 10)], settings) == 256 * 2**20  # nothing to sample
