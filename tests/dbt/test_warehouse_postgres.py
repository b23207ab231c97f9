"""The same dbt project on PostgreSQL (the local stand-in for Redshift): the lake is loaded with COPY, every
model and test passes, the marts hold the same numbers as on DuckDB, and so does a forecast run on it."""

from __future__ import annotations

import os
import shutil
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

    # The forecast reads the same features from PostgreSQL and writes its tables back there, atomically
    # replacing the previous run's; the numbers equal a run on the DuckDB warehouse.
    from ml.run import run_forecast

    horizon = {"forecast_horizon": 7}
    on_postgres = run_forecast(settings.model_copy(update=horizon), lambda _: None, cutoffs=2)
    rerun = run_forecast(settings.model_copy(update=horizon), lambda _: None, cutoffs=2)
    duck_settings = warehouse_settings(landed, tmp_path / "duck").model_copy(update=horizon)
    duckdb_copy = duck_settings.data_dir / "warehouse" / "shelfcast.duckdb"
    duckdb_copy.parent.mkdir(parents=True)
    shutil.copyfile(warehouse.path, duckdb_copy)
    on_duckdb = run_forecast(duck_settings, lambda _: None, cutoffs=2)
    assert on_postgres.run.champion == on_duckdb.run.champion
    with psycopg.connect(pg_url) as pg:
        runs = pg.execute("select run_id, count(*) from ml.ml_sales_forecast group by run_id").fetchall()
        assert runs == [(rerun.run_id, on_postgres.rows_written["ml_sales_forecast"])]
        written = pd.DataFrame(
            pg.execute(
                "select store_code, product_code, forecast_date, yhat from ml.ml_sales_forecast"
            ).fetchall(),
            columns=["store_code", "product_code", "forecast_date", "yhat"],
        )
    expected = on_duckdb.run.forecast[["store_code", "product_code", "forecast_date", "yhat"]].copy()
    expected["forecast_date"] = expected["forecast_date"].dt.date
    keys = ["store_code", "product_code", "forecast_date"]
    pd.testing.assert_frame_equal(
        written.sort_values(keys).reset_index(drop=True),
        expected.sort_values(keys).reset_index(drop=True),
        check_exact=False,
        rtol=1e-9,
    )
