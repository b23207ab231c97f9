"""The promotions/holidays/weather REST source: pagination, filters, faults, and the real server process."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from synthetic.server import MAX_PAGE_SIZE, FaultPlan, create_app


@pytest.fixture(scope="module")
def client(xs_dataset: Path) -> TestClient:
    return TestClient(create_app(xs_dataset))


def fetch_all(client: TestClient | httpx.Client, resource: str, **params: object) -> list[dict]:
    rows: list[dict] = []
    page = 1
    while page is not None:
        body = client.get(f"/{resource}", params={**params, "page": page}).raise_for_status().json()
        rows.extend(body["data"])
        assert len(body["data"]) <= body["page_size"]
        page = body["next_page"]
    return rows


@pytest.mark.parametrize("resource", ["promotions", "holidays", "weather"])
def test_pages_cover_the_file_exactly_once(client: TestClient, xs_dataset: Path, resource: str) -> None:
    expected = json.loads((xs_dataset / "api" / f"{resource}.json").read_text(encoding="utf-8"))
    assert fetch_all(client, resource, page_size=97) == expected
    assert len(expected) > 0


def test_next_link_is_followable(client: TestClient) -> None:
    body = client.get("/weather", params={"page_size": 10}).json()
    assert body["total"] > 10 and body["next_page"] == 2
    follow = client.get(body["next"]).json()
    assert (
        follow["page"] == 2
        and follow["data"][0] == client.get("/weather?page=2&page_size=10").json()["data"][0]
    )


def test_filters(client: TestClient, xs_dataset: Path) -> None:
    weather = json.loads((xs_dataset / "api" / "weather.json").read_text(encoding="utf-8"))
    city = weather[0]["city"]
    rows = fetch_all(
        client, "weather", city=city.upper(), since="2024-02-01", until="2024-02-29", page_size=1000
    )
    assert len(rows) == 29 and {r["city"] for r in rows} == {city}
    promos = fetch_all(client, "promotions", since="2024-06-01", until="2024-06-30", region="west")
    assert promos and all(p["region_code"] == "WEST" for p in promos)
    assert all(p["start_date"] <= "2024-06-30" and p["end_date"] >= "2024-06-01" for p in promos)


@pytest.mark.parametrize(
    "params",
    [
        {"page": 0},
        {"page_size": MAX_PAGE_SIZE + 1},
        {"since": "2024-13-01"},
        {"since": "2024-02-01", "until": "2024-01-01"},
    ],
)
def test_bad_parameters_are_422(client: TestClient, params: dict[str, object]) -> None:
    response = client.get("/weather", params=params)
    assert response.status_code == 422, response.text


def test_fault_injection_fails_first_attempts_then_recovers(xs_dataset: Path) -> None:
    faulty = TestClient(create_app(xs_dataset, FaultPlan(rate=0.5)))
    first = [faulty.get("/weather", params={"page": p, "page_size": 50}).status_code for p in range(1, 41)]
    assert 503 in first and 200 in first
    assert all(
        faulty.get("/weather", params={"page": p, "page_size": 50}).status_code == 200 for p in range(1, 41)
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_sources_command_serves_on_loopback(xs_dataset: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHELFCAST_")}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shelfcast.cli",
            "serve-sources",
            "--sources",
            str(xs_dataset),
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
            deadline = time.monotonic() + 30
            while True:
                try:
                    health = http.get("/health").json()
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline and server.poll() is None, "server did not start"
                    time.sleep(0.2)
            assert health["status"] == "ok"
            rows = fetch_all(http, "holidays", page_size=7)
            assert len(rows) == health["resources"]["holidays"]
            # a second server on the same port fails with a one-line error
            second = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "shelfcast.cli",
                    "serve-sources",
                    "--sources",
                    str(xs_dataset),
                    "--port",
                    str(port),
                ],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            assert second.returncode != 0 and "port" in second.stderr and "Traceback" not in second.stderr
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_missing_generation_is_a_clear_error(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHELFCAST_")}
    result = subprocess.run(
        [sys.executable, "-m", "shelfcast.cli", "serve-sources", "--sources", str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (
        result.returncode == 1 and "shelfcast generate" in result.stderr and "Traceback" not in result.stderr
    )
