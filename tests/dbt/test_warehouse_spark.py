"""The same dbt project on Spark (dbt-spark, session method, Delta tables): the lake is registered as
external tables, every model and test passes, and the marts hold the same numbers as on DuckDB."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

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
