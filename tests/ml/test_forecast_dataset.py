"""`shelfcast forecast --dataset` (issue 9): a landed, built weekly dataset is forecast in weeks, at its
own five levels, into schema `<name>_ml`, its own MLflow experiment and registered model, and the forecast
marts of its schema build on it with its actual demand (revenue here) beside the forecast; the shop's
forecast schema is left alone, and a rerun replaces rather than adds."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import duckdb
import mlflow
import numpy as np
import pandas as pd
import pytest
from pyspark.sql import SparkSession
from typer.testing import CliRunner

from ingestion.mapping.landed import dbt_vars
from ingestion.mapping.load import load_mapping
from ml.registry import ALIAS
from ml.tracking import tracking_uri
from shelfcast.cli import app
from shelfcast.dbt import build_dataset
from shelfcast.warehouse import duckdb_path
from tests.ingestion.test_dataset_landing import land

pytestmark = pytest.mark.spark

NAME = "tiny_weekly"
MAPPING = f"""\
name: {NAME}
source: {{files: weeks.csv}}
read: {{delimiter: ";"}}
grain: weekly
week: {{anchor: friday, label: end}}
columns: {{date: week, store: store, product: dept, revenue: sales}}
missing_days: zero
regressors:
  columns: [{{column: Holiday, type: boolean, role: holiday}}]
  features: {{files: features.csv, keys: {{date: day, store: store}}}}
  future: {{files: future.csv, keys: {{date: day, store: store}}}}
"""
FIRST_WEEK = dt.date(2023, 1, 6)  # a Friday
WEEKS = 70
STORES = ("01", "02", "03")  # codes as text: the leading zero stays
DEPARTMENTS = ("7", "9")
HORIZON = 4  # weeks: the 28-day default in the data's periods


def holiday(week: dt.date) -> bool:
    # the second week of May is one in the history (2023-05-12) and one forecast (2024-05-10)
    return (week.month, week.day // 7) in {(5, 1), (11, 3), (12, 3)}


def write_dataset(folder: Path) -> pd.DataFrame:
    """Weekly revenue per store × department with a yearly swing and holiday peaks; store 03's department
    9 starts late (week 30)."""
    rows = []
    for week_number in range(WEEKS):
        week = FIRST_WEEK + dt.timedelta(weeks=week_number)
        for s, store in enumerate(STORES):
            for d, department in enumerate(DEPARTMENTS):
                if store == "03" and department == "9" and week_number < 30:
                    continue
                level = 1000 * (s + 1) + 300 * d
                swing = 1 + 0.25 * math.sin(2 * math.pi * week_number / 52)
                sales = round(level * swing * (1.6 if holiday(week) else 1.0) + 7.31 * (week_number % 5), 2)
                rows.append({"week": week.isoformat(), "store": store, "dept": department, "sales": sales})
    frame = pd.DataFrame(rows)
    frame.to_csv(folder / "weeks.csv", sep=";", index=False)
    features = pd.DataFrame(
        [
            {"day": (FIRST_WEEK + dt.timedelta(weeks=w)).isoformat(), "store": store}
            | {"Holiday": holiday(FIRST_WEEK + dt.timedelta(weeks=w))}
            for w in range(WEEKS + HORIZON)
            for store in STORES
        ]
    )
    # the history's regressors, and their known values for the forecast's weeks in a file of their own
    history = pd.to_datetime(features["day"]) < pd.Timestamp(FIRST_WEEK + dt.timedelta(weeks=WEEKS))
    features[history].to_csv(folder / "features.csv", sep=";", index=False)
    features[~history].to_csv(folder / "future.csv", sep=";", index=False)
    (folder / "mapping.yml").write_text(MAPPING, encoding="utf-8")
    return frame


def query(path: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).df()


def test_a_landed_weekly_dataset_is_forecast_into_its_own_schema_and_marts(
    spark: SparkSession, tmp_path: Path
) -> None:
    source = write_dataset(tmp_path)
    mapping = tmp_path / "mapping.yml"
    settings, _ = land(spark, tmp_path / "data", mapping)
    build_dataset(settings, dbt_vars(settings, load_mapping(mapping, {})))

    forecast = ["forecast", "--dataset", str(mapping), "--models", "naive,seasonal_naive,lightgbm"]
    environment = {"SHELFCAST_DATA_DIR": str(settings.data_dir), "SHELFCAST_LAKE_URI": settings.lake}
    result = CliRunner().invoke(app, [*forecast, "--cutoffs", "2"], env=environment)
    assert result.exit_code == 0, result.output
    assert f"Forecasting from dataset {NAME}" in result.output
    assert f"models:/shelfcast-sales-forecast-{NAME}@champion" in result.output
    assert "store × product × week" in result.output

    warehouse = duckdb_path(settings)
    schemas = set(
        query(warehouse, "select distinct table_schema from information_schema.tables")["table_schema"]
    )
    assert {NAME, f"{NAME}_ml"} <= schemas and "ml" not in schemas  # the shop's forecast schema untouched

    series = query(warehouse, f"select * from {NAME}_ml.ml_sales_forecast order by store_code, product_code")
    last_week = pd.Timestamp(FIRST_WEEK + dt.timedelta(weeks=WEEKS - 1))
    assert len(series) == len(STORES) * len(DEPARTMENTS) * HORIZON
    assert set(series["store_code"]) == set(STORES)
    assert sorted(pd.to_datetime(series["forecast_date"]).unique()) == [
        last_week + pd.Timedelta(weeks=step) for step in range(1, HORIZON + 1)
    ]
    bounds = series[["yhat_lower_95", "yhat_lower_80", "yhat", "yhat_upper_80", "yhat_upper_95"]].to_numpy()
    assert np.isfinite(bounds).all() and (bounds >= 0).all() and (np.diff(bounds, axis=1) >= -1e-9).all()
    # revenue of this size: a forecast in hundreds, not in units of a few
    assert series["yhat"].mean() > 500
    # no region or category mapped: the store and the department stand in for them
    rollup = query(
        warehouse,
        f"select level, count(distinct level_key) as n from {NAME}_ml.ml_sales_forecast_rollup group by 1",
    )
    assert dict(zip(rollup["level"], rollup["n"], strict=True)) == {
        "store_code": 3,
        "region_code": 3,
        "category": 2,
        "total": 1,
    }

    # its forecast marts: the forecast beside actual demand (revenue, rounded), reconciled to the file
    assert query(warehouse, f"select count(*) as n from {NAME}.fct_sales_forecast")["n"][0] == len(series)
    totals = query(
        warehouse,
        f"select date_day, actual_units, forecast_units from {NAME}.mart_forecast_vs_actual "
        "where forecast_level = 'total' order by date_day",
    )
    actual = totals.dropna(subset=["actual_units"])
    expected = source.groupby("week")["sales"].sum().round()
    assert len(actual) == 8  # forecast_history_days: 56 days, 8 weeks
    for row in actual.itertuples(index=False):
        assert row.actual_units == expected[pd.Timestamp(row.date_day).date().isoformat()]
    assert totals["forecast_units"].notna().sum() == HORIZON

    client = mlflow.MlflowClient(tracking_uri(settings))
    experiment = client.get_experiment_by_name(f"shelfcast-forecast-{NAME}")
    assert experiment is not None
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 1 and runs[0].data.params["period_days"] == "7"
    assert runs[0].data.params["horizon"] == str(HORIZON)
    # the forecast's weeks read their holiday from the future file (through dim_date), as the backtest's
    # weeks read theirs from the history
    assert runs[0].data.params["holidays_ahead"] == "2024-05-10"
    version = client.get_model_version_by_alias(f"shelfcast-sales-forecast-{NAME}", ALIAS)
    assert version.tags["run_id"] == runs[0].info.run_id
    assert client.get_experiment_by_name("shelfcast-forecast") is None

    rerun = CliRunner().invoke(app, [*forecast, "--cutoffs", "2", "--horizon", "2"], env=environment)
    assert rerun.exit_code == 0, rerun.output
    replaced = query(
        warehouse, f"select count(*) as n, count(distinct run_id) as runs from {NAME}_ml.ml_sales_forecast"
    )
    assert replaced.to_dict("records") == [{"n": len(STORES) * len(DEPARTMENTS) * 2, "runs": 1}]
    assert query(warehouse, f"select count(*) as n from {NAME}.fct_sales_forecast")["n"][0] == 12
