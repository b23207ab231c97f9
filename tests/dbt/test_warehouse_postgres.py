"""The same dbt project on PostgreSQL (the local stand-in for Redshift): the lake is loaded with COPY, every
model and test passes, and the marts hold the same numbers as on DuckDB."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import duckdb
import pandas as pd
import psycopg
import pytest

from shelfcast.config import WarehouseTarget
from shelfcast.dbt import build_warehouse
from tests.dbt.conftest import BuiltWarehouse, warehouse_settings
from tests.synthetic.test_erp_postgres import pg_url  # noqa: F401 - the fixture

pytestmark = [pytest.mark.spark, pytest.mark.postgres]

# Per mart: the keys it is grouped by, and the query (grouped, so row order and float summation order do
# not matter).
CHECKS = {
    "mart_kpi_daily": (
        ["region_code", "category"],
        "select region_code, category, sum(revenue) as revenue, sum(gross_margin) as margin, "
        "sum(units) as units, sum(orders) as orders, sum(revenue_7d) as r7, sum(revenue_last_year) as ly "
        "from {schema}.mart_kpi_daily group by region_code, category",
    ),
    "mart_kpi_monthly": (
        ["period_start", "region_code"],
        "select period_start, region_code, sum(revenue) as revenue, sum(orders) as orders "
        "from {schema}.mart_kpi_monthly group by period_start, region_code",
    ),
    "fct_daily_sales": (
        ["store_code"],
        "select store_code, sum(net_units) as units, sum(revenue) as revenue, count(*) as n "
        "from {schema}.fct_daily_sales group by store_code",
    ),
    "int_sales__features": (
        ["category"],
        "select category, count(*) as n, sum(units) as units, sum(units_lag_7) as lag7, "
        "sum(units_mean_28) as mean28 from {schema}.int_sales__features group by category",
    ),
    "fct_inventory_daily": (
        ["store_code"],
        "select store_code, sum(on_hand_units) as on_hand, sum(days_of_cover) as cover "
        "from {schema}.fct_inventory_daily group by store_code",
    ),
}


@pytest.fixture
def postgres_env(pg_url: str) -> Iterator[None]:  # noqa: F811
    url = urlparse(pg_url)
    values = {
        "PGHOST": url.hostname or "127.0.0.1",
        "PGPORT": str(url.port or 5432),
        "PGUSER": url.username or "shelfcast",
        "PGDATABASE": url.path.lstrip("/"),
        "DBT_ENV_SECRET_PG_PASSWORD": url.password or "",
    }
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def frame(rows: list[tuple], columns: list[str], keys: list[str]) -> pd.DataFrame:
    data = pd.DataFrame(rows, columns=columns)
    for column in columns:
        data[column] = data[column].astype(str) if column in keys else data[column].astype(float)
    return data.sort_values(keys).reset_index(drop=True)


def test_postgres_builds_the_same_marts_as_duckdb(
    warehouse: BuiltWarehouse,
    landed,
    tmp_path: Path,
    postgres_env: None,
    pg_url: str,  # noqa: F811
) -> None:
    settings = warehouse_settings(landed, tmp_path).model_copy(
        update={"warehouse_target": WarehouseTarget.postgres}
    )
    result = build_warehouse(settings)
    assert result.failures == []

    duck = duckdb.connect(str(warehouse.path), read_only=True)
    with psycopg.connect(pg_url) as pg:
        for mart, (keys, sql) in CHECKS.items():
            on_duckdb = duck.execute(sql.format(schema="main"))
            columns = [d[0] for d in on_duckdb.description]
            expected = frame(on_duckdb.fetchall(), columns, keys)
            actual = frame(pg.execute(sql.format(schema="analytics")).fetchall(), columns, keys)
            assert len(actual) == len(expected) > 0, mart
            pd.testing.assert_frame_equal(actual, expected, check_exact=False, rtol=1e-6, obj=mart)
    duck.close()
