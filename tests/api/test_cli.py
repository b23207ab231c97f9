"""`shelfcast api-key` and `shelfcast serve` as a user runs them: keys shown once and kept hashed, the API
answering on 127.0.0.1 with its OpenAPI page, and a taken port as a one-line error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support import free_port, wait_for_http
from tests.synthetic.test_cli import assert_one_line_error, run_cli


def test_api_keys_are_created_once_listed_by_name_and_revoked(tmp_path: Path) -> None:
    env = {"SHELFCAST_DATA_DIR": str(tmp_path)}
    created = run_cli("api-key", "create", "north-planning", "--region", "R1", "--region", "R2", env=env)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1]
    assert key.startswith("sck_") and len(key) > 40
    listed = run_cli("api-key", "list", env=env)
    assert "north-planning" in listed.stdout and "R1, R2" in listed.stdout and key not in listed.stdout
    assert_one_line_error(run_cli("api-key", "create", "north-planning", env=env), "exists already")
    assert_one_line_error(run_cli("api-key", "create", "bad name!", env=env), "invalid key name")
    assert run_cli("api-key", "revoke", "north-planning", env=env).returncode == 0
    assert_one_line_error(run_cli("api-key", "revoke", "north-planning", env=env), "no API key named")


@pytest.mark.spark  # the session's warehouse comes from a Spark landing
@pytest.mark.parametrize("workers", [1, 2])
def test_serve_answers_on_localhost_and_a_taken_port_is_one_line(
    forecasted, tmp_path: Path, workers: int
) -> None:
    settings = forecasted[0]
    env = {"SHELFCAST_DATA_DIR": str(settings.data_dir)}
    key = (
        run_cli("api-key", "create", f"serve-test-{os.getpid()}-{workers}", env=env)
        .stdout.strip()
        .splitlines()[-1]
    )
    port = free_port()
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("SHELFCAST_")} | env
    server = subprocess.Popen(
        [sys.executable, "-m", "shelfcast.cli", "serve", "--port", str(port), "--workers", str(workers)],
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        health = wait_for_http(f"{base}/health", server)
        assert health.status_code == 200 and health.json()["status"] == "ok"
        kpis = httpx.get(f"{base}/kpis", params={"grain": "month"}, headers={"X-API-Key": key}, timeout=10)
        assert kpis.status_code == 200 and kpis.json()["total"] > 0
        assert "swagger" in httpx.get(f"{base}/docs", timeout=10).text.lower()
        # every worker answers: the same key and data whichever process takes the request
        assert all(
            httpx.get(f"{base}/stores", headers={"X-API-Key": key}, timeout=10).status_code == 200
            for _ in range(8)
        )
        assert len(_workers(server.pid)) == (workers if workers > 1 else 0)
        assert_one_line_error(run_cli("serve", "--port", str(port), env=env), f"127.0.0.1:{port}")
    finally:
        server.terminate()
        server.wait(timeout=30)


def _workers(pid: int) -> list[int]:
    """Process ids of uvicorn's worker processes under `pid` (multiprocessing spawns them), from /proc."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            parent = next(line for line in status.read_text().splitlines() if line.startswith("PPid:"))
            command = (status.parent / "cmdline").read_bytes()
        except (OSError, StopIteration):
            continue
        if parent.split()[1] == str(pid) and b"spawn_main" in command:
            found.append(int(status.parent.name))
    return found
