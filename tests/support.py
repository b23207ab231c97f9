"""Helpers the fixtures and benchmarks share: free ports, the REST source in a thread, waiting for a server
started as a subprocess, lake settings."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn

from ingestion.run import IngestReport
from shelfcast.config import Settings, load_settings
from synthetic.server import FaultPlan, create_app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RestServer:
    port: int
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def start_rest_server(sources: Path, faults: FaultPlan | None = None) -> RestServer:
    port = free_port()
    config = uvicorn.Config(create_app(sources, faults), host="127.0.0.1", port=port, log_level="error")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the REST source did not start")
        time.sleep(0.05)
    return RestServer(port, server, thread)


def wait_for_http(url: str, process: subprocess.Popen[str], timeout: float = 60) -> httpx.Response:
    """The first answer of a server `process` is starting; an error with its stderr if it exits first."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return httpx.get(url, timeout=5)
        except httpx.TransportError:
            if process.poll() is not None:
                raise RuntimeError(f"{process.args!r} exited: {process.communicate()[1]}") from None
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not answer within {timeout:.0f} s") from None
            time.sleep(0.3)


def lake_settings(data_dir: Path, sources: Path, port: int = 1) -> Settings:
    return load_settings(data_dir=data_dir, sources_dir=sources, spark_master="local[2]", sources_port=port)


@dataclass
class LandedLake:
    settings: Settings
    report: IngestReport
