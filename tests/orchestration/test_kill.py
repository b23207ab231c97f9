"""`shelfcast run` killed with SIGKILL in the middle of its dbt step and of its forecast step: the rerun's
warehouse equals the uninterrupted run's (`test_pipeline.pipeline`), table by table."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from orchestration.run import run_pipeline
from shelfcast.warehouse import building_path, duckdb_path
from tests.orchestration.conftest import FAST_MODELS, differing_rows, warehouse_hashes
from tests.support import lake_settings

pytestmark = [pytest.mark.spark, pytest.mark.slow]


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
        assert time.monotonic() < deadline, "the step was never reached"
        time.sleep(0.1)
    os.killpg(job.pid, signal.SIGKILL)
    job.wait()


@pytest.mark.parametrize(
    ("step", "marker"),
    [("dbt", 'step "warehouse_models"'), ("forecast", "series (store × product)")],
)
def test_a_run_killed_mid_step_reruns_to_the_uninterrupted_result(
    pipeline, xs_dataset, rest_server, tmp_path: Path, step: str, marker: str
) -> None:
    reference, _, _, expected = pipeline
    settings = lake_settings(tmp_path / "data", xs_dataset, rest_server.port).model_copy(
        update={"forecast_models": FAST_MODELS, "forecast_horizon": 14}
    )
    env = {
        "SHELFCAST_DATA_DIR": str(settings.data_dir),
        "SHELFCAST_SOURCES_DIR": str(xs_dataset),
        "SHELFCAST_SOURCES_PORT": str(rest_server.port),
        "SHELFCAST_SPARK_MASTER": "local[2]",
        "SHELFCAST_FORECAST_MODELS": json.dumps(FAST_MODELS),
        "SHELFCAST_FORECAST_HORIZON": "14",
    }
    started = {"at": None}

    def mid_step() -> bool:
        if step == "dbt" and not building_path(settings).exists():
            return False
        started["at"] = started["at"] or time.monotonic()
        return time.monotonic() - started["at"] > 2  # well inside the step, not at its first line

    run_until(marker, mid_step, env)
    rerun = run_pipeline(settings)
    assert rerun.success, rerun.failed
    assert not building_path(settings).exists()
    hashes = warehouse_hashes(duckdb_path(settings))
    assert hashes == expected, differing_rows(duckdb_path(reference), duckdb_path(settings), hashes, expected)
    assert reference.data_dir != settings.data_dir
