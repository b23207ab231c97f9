"""Superset started by `shelfcast dashboards up` over a copy of the xs warehouse after its forecast, and the
helpers the dashboard tests share: logins, chart data through Superset's API, SQL on the mart."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import duckdb
import httpx
import pytest

from dashboards.server import Started, stop, up
from shelfcast.config import Settings
from shelfcast.warehouse import duckdb_path
from tests.support import free_port

ADMIN_PASSWORD, DEMO_PASSWORD = "admin-test-password", "demo-test-password"


@dataclass
class Superset:
    settings: Settings
    started: Started

    @property
    def url(self) -> str:
        return self.started.url

    def token(self, username: str) -> str:
        password = ADMIN_PASSWORD if username == "admin" else DEMO_PASSWORD
        answer = httpx.post(
            f"{self.url}/api/v1/security/login",
            json={"username": username, "password": password, "provider": "db", "refresh": False},
            timeout=30,
        )
        answer.raise_for_status()
        return answer.json()["access_token"]

    def get(self, path: str, token: str | None, **params: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.get(f"{self.url}{path}", headers=headers, params=params, timeout=60)

    def dataset_id(self, token: str, table: str) -> int:
        query = f"(filters:!((col:table_name,opr:eq,value:'{table}')))"  # rison
        (found,) = self.get("/api/v1/dataset/", token, q=query).json()["result"]
        return int(found["id"])

    def chart_data(self, token: str | None, dataset: int, query: dict[str, Any]) -> httpx.Response:
        """What a chart asks for: one query on a dataset, as the frontend posts it."""
        body = {
            "datasource": {"id": dataset, "type": "table"},
            "queries": [{"filters": [], "row_limit": 10000, **query}],
            "result_format": "json",
            "result_type": "full",
        }
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.post(f"{self.url}/api/v1/chart/data", json=body, headers=headers, timeout=120)

    def sql(self, query: str) -> list[tuple[Any, ...]]:
        con = duckdb.connect(str(duckdb_path(self.settings)), read_only=True)
        try:
            return con.execute(query).fetchall()
        finally:
            con.close()


@pytest.fixture(scope="session")
def superset(forecasted, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Superset]:
    settings = forecasted[0].model_copy(update={"data_dir": tmp_path_factory.mktemp("dashboards")})
    duckdb_path(settings).parent.mkdir(parents=True)
    shutil.copyfile(duckdb_path(forecasted[0]), duckdb_path(settings))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SUPERSET_ADMIN_PASSWORD", ADMIN_PASSWORD)
        patch.setenv("SUPERSET_DEMO_PASSWORD", DEMO_PASSWORD)
        started = up(settings, "127.0.0.1", free_port(), print)
    try:
        yield Superset(settings, started)
    finally:
        stop(settings)
