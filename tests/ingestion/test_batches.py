"""Batches are idempotent and atomic: reruns change nothing, refused files keep the last good state,
and a job killed mid-write leaves a readable lake that a rerun completes to the uninterrupted result."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from ingestion.lake import Lake, Zone
from ingestion.run import SourceName, ingest
from tests.ingestion.lakehash import lake_hashes, table_hash
from tests.support import lake_settings

pytestmark = pytest.mark.spark

DAYS = [dt.date(2023, 3, 1) + dt.timedelta(n) for n in range(5)]


def copy_sources(xs_dataset: Path, target: Path, days: list[dt.date]) -> Path:
    for day in days:
        shutil.copytree(xs_dataset / "pos" / day.isoformat(), target / "pos" / day.isoformat())
        inventory = f"inventory/inventory_{day:%Y%m%d}.csv"
        (target / "inventory").mkdir(parents=True, exist_ok=True)
        shutil.copy(xs_dataset / inventory, target / inventory)
    return target


def copy_master_data(landed_lake: str, lake_root: Path) -> None:
    for table in ("erp_stores", "erp_products"):
        shutil.copytree(Path(landed_lake) / "clean" / table, lake_root / "clean" / table)


def day_hashes(spark, lake: Lake, days: list[dt.date]) -> dict[dt.date, tuple[int, int]]:
    clean = lake.read(spark, Zone.clean, "pos_lines").drop("ingested_at")
    return {
        day: tuple(  # type: ignore[misc]
            clean.where(F.col("business_date") == day)
            .select(F.count(F.lit(1)), F.coalesce(F.bit_xor(F.xxhash64(*clean.columns)), F.lit(0)))
            .first()
        )
        for day in days
    }


def test_rerun_leaves_every_table_unchanged(spark, landed) -> None:
    lake = Lake(landed.settings.lake)
    before = lake_hashes(spark, lake)
    report = ingest(spark, landed.settings, [SourceName.pos, SourceName.inventory], DAYS, print)
    assert report.failures == []
    assert lake_hashes(spark, lake) == before


def test_refused_files_fail_their_day_and_keep_its_last_state(
    spark,
    landed,
    xs_dataset: Path,
    tmp_path: Path,
) -> None:
    sources = copy_sources(xs_dataset, tmp_path / "sources", DAYS)
    settings = lake_settings(tmp_path / "data", sources)
    copy_master_data(landed.settings.lake, Path(settings.lake))
    assert ingest(spark, settings, [SourceName.pos], DAYS, print).failures == []
    lake = Lake(settings.lake)
    before = day_hashes(spark, lake, DAYS)
    assert all(count > 0 for count, _ in before.values())

    def store_file(day: dt.date, store: str = "S001") -> Path:
        return sources / "pos" / day.isoformat() / f"pos_{store}_{day:%Y%m%d}.csv"

    truncated = store_file(DAYS[0])
    content = truncated.read_bytes()
    truncated.write_bytes(content[: content.rindex(b"\n", 0, len(content) - 1) + 12])
    store_file(DAYS[1]).write_bytes(b"")
    wrong = store_file(DAYS[2])
    wrong.write_text("id,when,what\n" + wrong.read_text(encoding="utf-8").split("\n", 1)[1], encoding="utf-8")
    store_file(DAYS[3]).write_bytes(bytes(range(256)) * 40)

    report = ingest(spark, settings, [SourceName.pos], DAYS, print)
    failures = sorted(report.failures)
    assert len(failures) == 4, failures
    for day, reason in zip(
        DAYS[:4], ("truncated_file", "empty_file", "wrong_header", "binary_content"), strict=True
    ):
        assert any(f"pos_S001_{day:%Y%m%d}.csv: {reason}" in f for f in failures), (reason, failures)
    assert "line " in next(f for f in failures if "truncated_file" in f)
    assert day_hashes(spark, lake, DAYS) == before  # refused days untouched, day 5 relanded identically
    published = lake.read(spark, Zone.audit, "batches").where(F.col("dataset") == "pos_lines")
    assert published.count() == len(DAYS)


def test_job_killed_mid_write_reruns_to_the_uninterrupted_result(
    spark,
    landed,
    xs_dataset: Path,
    tmp_path: Path,
) -> None:
    days = [dt.date(2023, 4, 1) + dt.timedelta(n) for n in range(30)]
    sources = copy_sources(xs_dataset, tmp_path / "sources", days)
    reference = lake_settings(tmp_path / "reference", sources)
    killed = lake_settings(tmp_path / "killed", sources)
    for settings in (reference, killed):
        copy_master_data(landed.settings.lake, Path(settings.lake))
    ingest(spark, reference, [SourceName.pos, SourceName.inventory], days, print)

    env = os.environ | {
        "SHELFCAST_DATA_DIR": str(tmp_path / "killed"),
        "SHELFCAST_SOURCES_DIR": str(sources),
        "SHELFCAST_SPARK_MASTER": "local[2]",
    }
    job = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shelfcast.cli",
            "ingest",
            "--source",
            "pos",
            "--date",
            f"{days[0]}:{days[-1]}",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    clean_folder = Path(killed.lake) / "clean" / "pos_lines"
    deadline = time.monotonic() + 600
    # Kill while the clean table's data files are being written, before Delta commits them.
    while not any(clean_folder.rglob("*.parquet")):
        assert job.poll() is None, "the job ended before it was killed"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    job.send_signal(signal.SIGKILL)
    job.wait()
    assert not (clean_folder / "_delta_log").exists() or not list(
        (clean_folder / "_delta_log").glob("*.json")
    )
    lake = Lake(killed.lake)
    assert lake.read(spark, Zone.raw, "pos_lines").count() > 0  # committed tables stay readable

    ingest(spark, killed, [SourceName.pos, SourceName.inventory], days, print)
    reference_lake = Lake(reference.lake)
    for zone, table in (
        (Zone.raw, "pos_lines"),
        (Zone.clean, "pos_lines"),
        (Zone.quarantine, "rows"),
        (Zone.audit, "batches"),
        (Zone.clean, "inventory_snapshots"),
    ):
        assert table_hash(spark, lake, zone, table) == table_hash(spark, reference_lake, zone, table), table


def test_a_failed_critical_expectation_rejects_only_its_batch(
    spark,
    landed,
    xs_dataset: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import great_expectations.expectations as gxe

    import ingestion.quality as quality

    sources = copy_sources(xs_dataset, tmp_path / "sources", DAYS)
    settings = lake_settings(tmp_path / "data", sources)
    copy_master_data(landed.settings.lake, Path(settings.lake))
    assert ingest(spark, settings, [SourceName.pos], DAYS, print).failures == []
    lake = Lake(settings.lake)
    before = day_hashes(spark, lake, DAYS)

    specific = quality._specific
    bad_day = DAYS[1]

    def stricter(dataset: str) -> list:
        extra = [
            gxe.ExpectColumnValuesToNotMatchRegex(column="transaction_id", regex=f"^S001-{bad_day:%Y%m%d}-"),
            gxe.ExpectColumnValuesToBeBetween(column="quantity", max_value=2, severity="warning"),
        ]
        return specific(dataset) + (extra if dataset == "pos_lines" else [])

    monkeypatch.setattr(quality, "_specific", stricter)
    lines: list[str] = []
    failures = ingest(spark, settings, [SourceName.pos], DAYS, lines.append).failures
    assert failures == [
        f"pos_lines: {bad_day}: rejected by expectations (clean data kept as it was; "
        "rows in quarantine as expectation_failed, see Data Docs)"
    ]
    assert any(line.startswith(f"  rejected: pos_lines {bad_day}") for line in lines), lines
    assert any(line.startswith("  warning: pos_lines: expect_column_values_to_be_between") for line in lines)

    assert day_hashes(spark, lake, DAYS) == before  # the rejected day keeps its last clean state
    audit = {
        r.business_date: r
        for r in lake.read(spark, Zone.audit, "batches").where(F.col("dataset") == "pos_lines").collect()
    }
    assert audit[bad_day].status == "rejected" and audit[bad_day].rows_clean == 0
    assert "expect_column_values_to_not_match_regex" in audit[bad_day].expectations
    assert all(a.reconciled for a in audit.values())
    assert {a.status for d, a in audit.items() if d != bad_day} == {"published"}
    refused = lake.read(spark, Zone.quarantine, "rows").where(
        (F.col("dataset") == "pos_lines") & (F.col("business_date") == bad_day)
    )
    assert refused.where(F.col("reason") == "expectation_failed").count() == before[bad_day][0]
    assert (
        tmp_path / "data" / "quality" / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    ).is_file()
