"""`shelfcast forecast` end to end on the xs warehouse: features in, tables and an MLflow run out."""

from __future__ import annotations

import shutil
from pathlib import Path

import mlflow
import numpy as np
import pytest

from ml.run import run_forecast
from ml.tracking import EXPERIMENT, tracking_uri
from shelfcast.warehouse import duckdb_path
from tests.dbt.conftest import query
from tests.synthetic.test_cli import assert_one_line_error, run_cli

pytestmark = pytest.mark.spark  # the session's warehouse comes from a Spark landing


@pytest.fixture(scope="module")
def forecasted(warehouse, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("forecast")
    settings = warehouse.settings.model_copy(update={"data_dir": data_dir, "forecast_horizon": 14})
    duckdb_path(settings).parent.mkdir(parents=True)
    shutil.copyfile(warehouse.path, duckdb_path(settings))
    lines: list[str] = []
    outcome = run_forecast(settings, lines.append)
    return settings, outcome, lines


def test_forecasts_every_series_with_ordered_finite_intervals(forecasted) -> None:
    settings, outcome, _ = forecasted
    path = duckdb_path(settings)
    forecast = query(path, "select * from ml.ml_sales_forecast")
    series = query(path, "select distinct store_code, product_code from main.int_sales__features")
    assert len(forecast) == len(series) * 14 == outcome.rows_written["ml_sales_forecast"]
    keys = forecast[["store_code", "product_code"]].drop_duplicates()
    assert len(keys.merge(series)) == len(series)
    last_day = query(path, "select max(date_day) as d from main.int_sales__features")["d"][0]
    assert forecast["forecast_date"].min() == last_day + np.timedelta64(1, "D")
    bounds = forecast[["yhat_lower_95", "yhat_lower_80", "yhat", "yhat_upper_80", "yhat_upper_95"]].to_numpy()
    assert np.isfinite(bounds).all() and (bounds >= 0).all()
    assert (np.diff(bounds, axis=1) >= -1e-12).all()
    assert set(forecast["run_id"]) == {outcome.run_id}
    assert set(forecast["model"]) == {outcome.run.champion}


def test_accuracy_and_importances_are_written_beside_the_forecast(forecasted) -> None:
    settings, outcome, lines = forecasted
    path = duckdb_path(settings)
    accuracy = query(path, "select * from ml.ml_forecast_accuracy")
    assert set(accuracy["model"]) >= {"naive", "seasonal_naive", "moving_average_28", "lightgbm"}
    assert set(accuracy.loc[accuracy["is_champion"], "model"]) == {outcome.run.champion}
    series_all = accuracy[(accuracy["level"] == "series") & (accuracy["horizon_bucket"] == "all")]
    best = series_all.loc[series_all["rmsse"].idxmin()]
    assert bool(best["is_champion"]) and best["model"] == outcome.run.champion
    importance = query(path, "select * from ml.ml_feature_importance")
    assert set(importance["model"]) == {"lightgbm"} and importance["gain_share"].sum() == pytest.approx(1)
    assert any("champion by series-level RMSSE" in line for line in lines)


def test_mlflow_holds_the_run_with_its_metrics(forecasted) -> None:
    settings, outcome, _ = forecasted
    client = mlflow.MlflowClient(tracking_uri(settings))
    run = client.get_run(outcome.run_id)
    assert client.get_experiment(run.info.experiment_id).name == EXPERIMENT
    assert run.data.tags["champion"] == outcome.run.champion
    assert run.data.params["horizon"] == "14"
    assert "lightgbm.series.wape" in run.data.metrics
    artifacts = {a.path for a in client.list_artifacts(outcome.run_id)}
    assert {"backtest_metrics.csv", "forecast.parquet"} <= artifacts


def test_a_rerun_replaces_the_tables_rather_than_adding_to_them(forecasted) -> None:
    settings, first, _ = forecasted
    second = run_forecast(settings, lambda _: None)
    forecast = query(
        duckdb_path(settings), "select run_id, count(*) as n from ml.ml_sales_forecast group by 1"
    )
    assert list(forecast["run_id"]) == [second.run_id] and second.run_id != first.run_id
    assert int(forecast["n"][0]) == first.rows_written["ml_sales_forecast"]


def test_forecast_without_a_warehouse_is_a_one_line_error(tmp_path: Path) -> None:
    result = run_cli("forecast", env={"SHELFCAST_DATA_DIR": str(tmp_path)}, timeout=120)
    assert_one_line_error(result, "the warehouse", "does not exist", "shelfcast transform")


def test_the_command_prints_the_backtest_and_how_to_open_mlflow(warehouse, tmp_path: Path) -> None:
    settings = warehouse.settings.model_copy(update={"data_dir": tmp_path})
    duckdb_path(settings).parent.mkdir(parents=True)
    shutil.copyfile(warehouse.path, duckdb_path(settings))
    result = run_cli(
        "forecast",
        "--horizon",
        "7",
        "--cutoffs",
        "2",
        env={"SHELFCAST_DATA_DIR": str(tmp_path), "COLUMNS": "160"},
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert "(champion)" in result.stdout and "seasonal_naive" in result.stdout
    assert f"mlflow ui --backend-store-uri sqlite:///{tmp_path.resolve()}/mlflow/mlflow.db" in result.stdout
    forecast = query(duckdb_path(settings), "select max(step) as steps from ml.ml_sales_forecast")
    assert int(forecast["steps"][0]) == 7
