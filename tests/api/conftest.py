"""The API over a copy of the forecasted xs warehouse, with one key for every region and one for a single
region. A copy: DuckDB shares one database instance per file path within a process, and the API keeps its
connection open, so on the session's own file it would pin the version other tests then replace."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.keys import KeyStore
from api.warehouse import DuckDBWarehouse
from shelfcast.warehouse import duckdb_path
from tests.dbt.conftest import query


@dataclass
class Api:
    client: TestClient
    every_region: dict[str, str]  # headers of a key for every region
    one_region: dict[str, str]  # headers of a key for `region` only
    region: str
    settings: object
    path: Path

    def sql(self, sql: str):
        return query(self.path, sql)


@pytest.fixture(scope="session")
def api(forecasted, tmp_path_factory) -> Api:
    settings = forecasted[0]
    folder = tmp_path_factory.mktemp("api")
    path = folder / "shelfcast.duckdb"
    shutil.copyfile(duckdb_path(settings), path)
    keys = KeyStore(folder / "keys.sqlite")
    region = query(path, "select min(region_code) as r from dim_store")["r"][0]
    every = keys.create("head-office")
    one = keys.create("regional", [region])
    client = TestClient(create_app(settings, warehouse=DuckDBWarehouse(path), keys=keys))
    return Api(client, {"X-API-Key": every}, {"X-API-Key": one}, region, settings, path)
