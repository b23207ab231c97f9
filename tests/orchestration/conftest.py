"""One pipeline run through Dagster at scale xs, then over it two runs of `shelfcast run` killed with SIGKILL
(mid-dbt, then mid-forecast) and one left alone, which must end where the first run did."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from orchestration.run import PipelineRun, run_pipeline
from shelfcast.config import Settings
from shelfcast.warehouse import building_path, duckdb_path
from tests.support import lake_settings

FAST_MODELS = ["naive", "seasonal_naive", "moving_average_28", "lightgbm"]
# what records when, or which run (a snapshot's validity starts when it ran; dbt_scd_id hashes that time):
# the rest must be equal after a rerun, floating-point columns to 9 significant digits (DuckDB's parallel
# sums add in varying order, and a hash of the last bits, even rounded, would tell those orders apart)
VOLATILE = {
    *("ingested_at", "extracted_on", "run_id", "generated_at", "loaded_at", "last_loaded_at"),
    *("dbt_scd_id", "dbt_updated_at", "dbt_valid_from", "dbt_valid_to"),
}
FLOATING = {"DOUBLE", "FLOAT", "REAL"}
# run logs: every run appends its own rows (dbt's test outcomes per invocation), so a rerun adds to them by
# design; what they record is checked where they are made (tests/dbt)
RUN_LOGS = {"dbt_test_results"}
MARTS = ("fct_daily_sales", "mart_kpi_daily", "fct_sales_forecast", "mart_inventory_recommendations")


def warehouse_hashes(path) -> dict[str, tuple]:
    """Per table of every schema: row count, an order-free hash of the rows' exact columns (volatile ones
    left out), and per floating-point column its sum and sum of squares rounded to 9 significant digits."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE'"
        ).fetchall()
        hashes = {}
        for schema, table in tables:
            if table in RUN_LOGS:
                continue
            described = con.execute(
                "select column_name, data_type from information_schema.columns where table_schema = ? "
                "and table_name = ? order by ordinal_position",
                [schema, table],
            ).fetchall()
            exact = [f'"{name}"' for name, kind in described if name not in VOLATILE and kind not in FLOATING]
            floats = [f'"{name}"' for name, kind in described if name not in VOLATILE and kind in FLOATING]
            sums = [f"sum({c}), sum({c} * {c})" for c in floats]
            row = con.execute(
                f"select count(*), bit_xor(hash(row({', '.join(exact)}))) {''.join(', ' + x for x in sums)} "
                f'from "{schema}"."{table}"'
            ).fetchone()
            hashes[f"{schema}.{table}"] = (
                row[0],
                row[1],
                *(float(f"{v:.9g}") if v is not None else None for v in row[2:]),
            )
        return hashes
    finally:
        con.close()


def differing_rows(reference, other, hashes: dict[str, tuple], expected: dict[str, tuple]) -> str:
    """For each table whose hash differs, a few rows (exact columns) that one warehouse has and the other
    has not: what a failed comparison shows, so a difference seen once (in CI) says what it is."""
    con = duckdb.connect()
    try:
        con.execute(f"attach '{reference}' as reference (read_only)")
        con.execute(f"attach '{other}' as other (read_only)")
        report = []
        for table in sorted(
            key for key in hashes.keys() | expected.keys() if hashes.get(key) != expected.get(key)
        ):
            schema, name = table.split(".")
            described = con.execute(
                "select column_name from information_schema.columns where table_catalog = 'other' "
                "and table_schema = ? and table_name = ? order by ordinal_position",
                [schema, name],
            ).fetchall()
            columns = ", ".join(f'"{c}"' for (c,) in described if c not in VOLATILE)
            for left, right in (("reference", "other"), ("other", "reference")):
                rows = con.execute(
                    f'select {columns} from {left}."{schema}"."{name}" except '
                    f'select {columns} from {right}."{schema}"."{name}" limit 5'
                ).fetchall()
                report.append(f"{table}: only in {left}: {rows}")
        return "\n".join(report)
    finally:
        con.close()


def run_until(marker: str, ready: Callable[[], bool], env_extra: dict[str, str]) -> None:
    """Start `shelfcast run` in its own process group; SIGKILL the group once `marker` was logged and
    `ready()` holds."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHELFCAST_")} | env_extra
    job = subprocess.Popen(
        [sys.executable, "-m", "shelfcast.cli", "run"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    seen = threading.Event()
    lines: list[str] = []

    def watch() -> None:
        assert job.stderr is not None
        for line in job.stderr:
            lines.append(line)
            if marker in line:
                seen.set()

    threading.Thread(target=watch, daemon=True).start()
    deadline = time.monotonic() + 900
    while not (seen.is_set() and ready()):
        assert job.poll() is None, "the run ended before it was killed:\n" + "".join(lines[-30:])
        assert time.monotonic() < deadline, f"{marker!r} was never reached"
        time.sleep(0.1)
    os.killpg(job.pid, signal.SIGKILL)
    job.wait()


def well_inside(step_started: Callable[[], bool]) -> Callable[[], bool]:
    """True two seconds after `step_started()` first held: inside the step, not at its first line."""
    started: dict[str, float] = {}

    def ready() -> bool:
        if not step_started():
            return False
        started.setdefault("at", time.monotonic())
        return time.monotonic() - started["at"] > 2

    return ready


@dataclass
class Pipeline:
    settings: Settings
    first: PipelineRun


@dataclass
class RerunAfterKills:
    first_hashes: dict[str, tuple]
    first_warehouse: Path  # a copy, to show the rows a failed comparison differs in
    building_left_by_the_dbt_kill: bool
    rerun: PipelineRun


@pytest.fixture(scope="session")
def pipeline(spark, xs_dataset, rest_server, tmp_path_factory) -> Pipeline:
    settings = lake_settings(tmp_path_factory.mktemp("pipeline"), xs_dataset, rest_server.port).model_copy(
        update={"forecast_models": FAST_MODELS, "forecast_horizon": 14}
    )
    return Pipeline(settings, run_pipeline(settings))


@pytest.fixture(scope="session")
def rerun_after_kills(pipeline: Pipeline, xs_dataset, rest_server, tmp_path_factory) -> RerunAfterKills:
    """Over the first run's data dir, as nightly runs would: one run dies while dbt builds its private copy,
    the next while the forecast fits its series (over tables that run's earlier steps rewrote); then one is
    left to finish."""
    assert pipeline.first.success, pipeline.first.failed
    settings = pipeline.settings
    first_hashes = warehouse_hashes(duckdb_path(settings))
    first_warehouse = tmp_path_factory.mktemp("first-run") / "shelfcast.duckdb"
    shutil.copyfile(duckdb_path(settings), first_warehouse)
    env = {
        "SHELFCAST_DATA_DIR": str(settings.data_dir),
        "SHELFCAST_SOURCES_DIR": str(xs_dataset),
        "SHELFCAST_SOURCES_PORT": str(rest_server.port),
        "SHELFCAST_SPARK_MASTER": "local[2]",
        "SHELFCAST_FORECAST_MODELS": json.dumps(FAST_MODELS),
        "SHELFCAST_FORECAST_HORIZON": "14",
    }
    run_until('step "warehouse_models"', well_inside(lambda: building_path(settings).exists()), env)
    left_building = building_path(settings).exists()
    run_until("series (store × product)", well_inside(lambda: True), env)
    return RerunAfterKills(first_hashes, first_warehouse, left_building, run_pipeline(settings))
