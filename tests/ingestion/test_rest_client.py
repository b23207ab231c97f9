"""The REST source client: every record exactly once through transient faults, a clear error when the
source stays down, and a resumed fetch that asks only for the pages it does not have."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingestion.sources.rest import RestSource
from shelfcast.errors import ShelfcastError
from synthetic.server import FaultPlan
from tests.support import free_port, start_rest_server


def expected(xs_dataset: Path, resource: str) -> list[dict]:
    return json.loads((xs_dataset / "api" / f"{resource}.json").read_text(encoding="utf-8"))


def client(port: int, tmp_path: Path, **kwargs: object) -> RestSource:
    return RestSource(f"http://127.0.0.1:{port}", tmp_path / "state", max_wait=0.05, **kwargs)  # type: ignore[arg-type]


def test_transient_503_and_429_are_retried_without_losing_or_repeating_records(
    xs_dataset: Path, tmp_path: Path
) -> None:
    for status in (503, 429):
        server = start_rest_server(xs_dataset, FaultPlan(rate=0.5, status=status))
        try:
            records = client(server.port, tmp_path / str(status), page_size=200).fetch("weather")
        finally:
            server.stop()
        assert [r.data for r in records] == expected(xs_dataset, "weather")
        assert [r.position for r in records] == list(range(1, len(records) + 1))


def test_a_source_that_stays_down_is_named_in_the_error(xs_dataset: Path, tmp_path: Path) -> None:
    server = start_rest_server(xs_dataset, FaultPlan(rate=1.0, status=500, sticky=True))
    try:
        with pytest.raises(
            ShelfcastError, match=r"/holidays \(page 1\): HTTP 500, still failing after 3 attempts"
        ):
            client(server.port, tmp_path, attempts=3).fetch("holidays")
    finally:
        server.stop()
    with pytest.raises(ShelfcastError, match="connection failed"):
        client(free_port(), tmp_path, attempts=2).fetch("holidays")


def test_an_interrupted_fetch_resumes_at_the_first_missing_page(
    xs_dataset: Path,
    tmp_path: Path,
    rest_server,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = client(rest_server.port, tmp_path, page_size=500)

    def crash_after_two_pages(done: int, total: int) -> None:
        if done >= 1000:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        source.fetch("weather", on_page=crash_after_two_pages)
    asked: list[object] = []
    original = RestSource._get

    def recording(self, client, resource, params):
        asked.append(params["page"])
        return original(self, client, resource, params)

    monkeypatch.setattr(RestSource, "_get", recording)
    records = source.fetch("weather")
    assert [r.data for r in records] == expected(xs_dataset, "weather")
    assert asked[0] == 3 and len(asked) == len(records) // 500 + (len(records) % 500 > 0) - 2
