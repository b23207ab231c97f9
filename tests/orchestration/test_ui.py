"""`shelfcast ui` as a user starts it: the Dagster UI on 127.0.0.1 with our code location loaded (the asset
graph with dbt's models in it, the schedule and the sensor) and the runs `shelfcast run` recorded."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import free_port, wait_for_http
from tests.synthetic.test_cli import assert_one_line_error, run_cli

WORKSPACE = """{ workspaceOrError { __typename ... on Workspace { locationEntries { name
  locationOrLoadError { __typename
    ... on RepositoryLocation { repositories { name schedules { name } sensors { name } } }
    ... on PythonError { message } } } } } }"""
ASSETS = "{ assetNodes { assetKey { path } } }"
RUNS = "{ runsOrError { ... on Runs { results { runId status } } } }"


def group_members(group: int) -> list[str]:
    found = subprocess.run(["pgrep", "-a", "-g", str(group)], capture_output=True, text=True)
    return found.stdout.splitlines()


def graphql(base: str, query: str) -> dict[str, Any]:
    answer = httpx.post(f"{base}/graphql", json={"query": query}, timeout=30)
    answer.raise_for_status()
    body = answer.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


def loaded_location(base: str, log: Path, timeout: float = 240) -> dict[str, Any]:
    """The code location once loaded (importing the definitions runs `dbt parse`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        entries = graphql(base, WORKSPACE)["workspaceOrError"]["locationEntries"]
        loaded = entries[0]["locationOrLoadError"] if entries else None
        if loaded is not None:
            assert loaded["__typename"] == "RepositoryLocation", loaded.get("message")
            return loaded
        time.sleep(1)
    raise TimeoutError(f"the code location did not load in {timeout:.0f} s; log: {log.read_text()[-3000:]}")


@pytest.mark.spark
@pytest.mark.slow
def test_ui_serves_the_graph_schedule_sensor_and_the_runs_shelfcast_run_recorded(pipeline, tmp_path) -> None:
    settings, first = pipeline.settings, pipeline.first
    port, log = free_port(), tmp_path / "ui.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHELFCAST_")} | {
        "SHELFCAST_DATA_DIR": str(settings.data_dir),
        "SHELFCAST_SOURCES_DIR": str(settings.sources_path),
    }
    with log.open("w") as output:
        # its own process group: dagster dev starts a webserver, a daemon and a code server
        ui = subprocess.Popen(
            [sys.executable, "-m", "shelfcast.cli", "ui", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_for_http(f"{base}/server_info", ui, timeout=120).status_code == 200
        location = loaded_location(base, log)
        (repository,) = location["repositories"]
        assert [s["name"] for s in repository["schedules"]] == ["daily_pipeline_schedule"]
        assert [s["name"] for s in repository["sensors"]] == ["new_pos_exports"]
        keys = {"/".join(node["assetKey"]["path"]) for node in graphql(base, ASSETS)["assetNodes"]}
        # the ingestion assets produce dbt's sources, the dbt models and the forecast join them in one graph
        assert {"pos/pos_lines", "stg_pos__lines", "fct_daily_sales", "ml/ml_sales_forecast"} <= keys
        runs = {r["runId"]: r["status"] for r in graphql(base, RUNS)["runsOrError"]["results"]}
        assert runs.get(first.run_id) == "SUCCESS", runs
        assert (settings.data_dir / "dagster" / "dagster.yaml").read_text().count("enabled: false") == 1
    finally:
        # as `make demo-stop` stops it; dagster dev then stops its webserver, daemon and code server
        ui.terminate()
        ui.wait(timeout=60)
        # its code servers stop on their own once dagster dev's heartbeat is gone (within 45 s)
        deadline = time.monotonic() + 90
        while (left := group_members(ui.pid)) and time.monotonic() < deadline:
            time.sleep(1)
        if left:
            os.killpg(ui.pid, signal.SIGKILL)
        assert left == [], f"left running: {left}"


def test_ui_on_a_taken_port_is_one_line(tmp_path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("ui", "--port", str(port), env={"SHELFCAST_DATA_DIR": str(tmp_path)})
    assert_one_line_error(result, f"127.0.0.1:{port}", "Dagster UI")
