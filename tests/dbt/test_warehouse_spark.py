"""The same dbt project on Spark (dbt-spark, session method, Delta tables): the lake is registered as
external tables, every model and test passes, and the marts hold the same numbers as on DuckDB; the
forecast reads its features from the Spark warehouse and writes its tables back there as Delta tables,
which the forecast marts build on."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from ml.panel import panel_from_frame
from ml.run import run_forecast
from ml.warehouse import read_features
from shelfcast.config import WarehouseTarget
from shelfcast.dbt import build_warehouse
from tests.dbt.conftest import BuiltWarehouse, warehouse_settings
from tests.dbt.test_warehouse_postgres import CHECKS, frame

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def test_spark_builds_the_same_marts_as_duckdb(
    warehouse: BuiltWarehouse, landed, spark, tmp_path: Path
) -> None:
    on_spark = {"warehouse_target": WarehouseTarget.spark}
    settings = warehouse_settings(landed, tmp_path).model_copy(update=on_spark)
    result = build_warehouse(settings)
    assert result.failures == []
    assert spark.sql("show tables in lake").count() == 16

    duck = duckdb.connect(str(warehouse.path), read_only=True)
    for mart, (keys, sql) in CHECKS.items():
        on_duckdb = duck.execute(sql.format(schema="main"))
        columns = [d[0] for d in on_duckdb.description]
        expected = frame(on_duckdb.fetchall(), columns, keys)
        rows = [tuple(row) for row in spark.sql(sql.format(schema="shelfcast")).collect()]
        actual = frame(rows, columns, keys)
        assert len(actual) == len(expected) > 0, mart
        pd.testing.assert_frame_equal(actual, expected, check_exact=False, rtol=1e-6, obj=mart)
    duck.close()

    features = read_features(settings)
    on_duckdb = read_features(warehouse.settings)
    spark_panel, duckdb_panel = panel_from_frame(features), panel_from_frame(on_duckdb)
    np.testing.assert_array_equal(spark_panel.units, duckdb_panel.units)
    pd.testing.assert_frame_equal(spark_panel.series, duckdb_panel.series)

    fast = settings.model_copy(
        update={"forecast_horizon": 7, "forecast_models": ["naive", "seasonal_naive", "lightgbm"]}
    )
    outcome = run_forecast(fast, print)
    written = spark.table("ml.ml_sales_forecast").toPandas()
    assert len(written) == outcome.rows_written["ml_sales_forecast"] == len(outcome.run.forecast)
    assert (written["run_id"] == outcome.run_id).all()
    expected = outcome.run.forecast.sort_values(["store_code", "product_code", "step"])["yhat"].to_numpy()
    got = written.sort_values(["store_code", "product_code", "step"])["yhat"].to_numpy()
    np.testing.assert_allclose(got, expected)
    mart = spark.sql(
        "select sum(forecast_units) as total, count(*) as n from shelfcast.fct_sales_forecast"
    ).first()
    assert mart.n == len(written) and mart.total == pytest.approx(written["yhat"].sum())
    assert spark.table("shelfcast.mart_inventory_recommendations").count() > 0
