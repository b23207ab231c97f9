"""`shelfcast forecast` end to end on the xs warehouse: features in, tables and an MLflow run out."""

from __future__ import annotations

import shutil
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest

from ml.registry import ALIAS, REGISTERED_MODEL
from ml.run import run_forecast
from ml.tracking import EXPERIMENT, tracking_uri
from shelfcast.warehouse import duckdb_path
from tests.dbt.conftest import query
from tests.synthetic.test_cli import assert_one_line_error, run_cli

pytestmark = pytest.mark.spark  # the session's warehouse comes from a Spark landing


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
    assert set(accuracy["model"]) >= {"naive", "seasonal_naive", "moving_average_28", "lightgbm", "prophet"}
    overall = accuracy[accuracy["horizon_bucket"] == "all"]
    for level, rows in overall.groupby("level"):
        best = rows.loc[rows["rmsse"].idxmin()]
        champions = list(rows.loc[rows["is_champion"], "model"])
        assert champions == [best["model"]] == [outcome.run.champions[level]]
    # per-series models forecast the aggregate levels (xs has 360 series, above forecast_local_max_series)
    prophet_levels = set(overall.loc[overall["model"] == "prophet", "level"])
    assert prophet_levels == {"store_code", "region_code", "category", "total"}
    importance = query(path, "select * from ml.ml_feature_importance")
    assert set(importance["model"]) == {"lightgbm"} and importance["gain_share"].sum() == pytest.approx(1)
    assert importance["mean_abs_shap_share"].sum() == pytest.approx(1)
    assert any("series       champion" in line for line in lines)


def test_roll_ups_and_prophet_components_are_written_per_level(forecasted) -> None:
    settings, outcome, _ = forecasted
    path = duckdb_path(settings)
    rollup = query(path, "select * from ml.ml_sales_forecast_rollup")
    groups = query(
        path,
        "select count(distinct store_code) as store_code, count(distinct region_code) as region_code, "
        "count(distinct category) as category, 1 as total from main.int_sales__features",
    ).iloc[0]
    assert rollup.groupby("level").size().to_dict() == {level: int(n) * 14 for level, n in groups.items()}
    for level, rows in rollup.groupby("level"):
        assert set(rows["model"]) == {outcome.run.champions[level]}
    bounds = rollup[["yhat_lower_95", "yhat_lower_80", "yhat", "yhat_upper_80", "yhat_upper_95"]].to_numpy()
    assert np.isfinite(bounds).all() and (bounds >= 0).all() and (np.diff(bounds, axis=1) >= -1e-9).all()
    components = query(path, "select * from ml.ml_forecast_components")
    assert set(components["level"]) == {"store_code", "region_code", "category", "total"}
    assert {"trend", "weekly", "yearly", "holidays", "is_promoted"} <= set(components["component"])
    assert np.isfinite(components["effect"]).all()


def test_mlflow_holds_the_run_with_its_metrics_plots_and_registered_champion(forecasted) -> None:
    settings, outcome, _ = forecasted
    client = mlflow.MlflowClient(tracking_uri(settings))
    run = client.get_run(outcome.run_id)
    assert client.get_experiment(run.info.experiment_id).name == EXPERIMENT
    assert run.data.tags["champion"] == outcome.run.champion
    assert run.data.tags["champion.total"] == outcome.run.champions["total"]
    assert run.data.params["horizon"] == "14"
    assert "lightgbm.series.wape" in run.data.metrics and "prophet.store_code.rmsse" in run.data.metrics
    artifacts = {a.path for a in client.list_artifacts(outcome.run_id)}
    assert {"backtest_metrics.csv", "forecast.parquet", "forecast_rollup.parquet", "plots"} <= artifacts
    plots = {Path(a.path).name for a in client.list_artifacts(outcome.run_id, "plots")}
    assert {"forecast_total.png", "backtest_series.png", "feature_importance.png"} <= plots
    assert "prophet_components_total.png" in plots

    version = client.get_model_version_by_alias(REGISTERED_MODEL, ALIAS)
    assert version.tags["run_id"] == outcome.run_id
    assert version.tags["champion.series"] == outcome.run.champion
    mlflow.set_tracking_uri(tracking_uri(settings))
    served = mlflow.pyfunc.load_model(f"models:/{REGISTERED_MODEL}@{ALIAS}")
    series = outcome.run.forecast.iloc[[0]][["store_code", "product_code"]]
    predicted = served.predict(series)
    expected = outcome.run.forecast.merge(series)
    assert len(predicted) == 14 and np.allclose(predicted["yhat"], expected["yhat"])
    total = served.predict(pd.DataFrame({"level": ["total"], "level_key": ["total"]}))
    assert len(total) == 14


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
    assert (
        "Default model per level" in result.stdout
        and "models:/shelfcast-sales-forecast@champion" in result.stdout
    )
    forecast = query(duckdb_path(settings), "select max(step) as steps from ml.ml_sales_forecast")
    assert int(forecast["steps"][0]) == 7


def test_an_unknown_model_name_is_a_one_line_error(tmp_path: Path) -> None:
    result = run_cli("forecast", "--models", "lightgbm,arima", env={"SHELFCAST_DATA_DIR": str(tmp_path)})
    assert_one_line_error(result, "forecast_models", "unknown model(s) arima", "prophet")


def test_the_forecast_marts_reconcile_with_the_written_forecast(forecasted) -> None:
    settings, outcome, _ = forecasted
    path = duckdb_path(settings)
    written = query(path, "select * from ml.ml_sales_forecast")
    mart = query(path, "select * from main.fct_sales_forecast")
    assert len(mart) == len(written) and mart["forecast_units"].sum() == pytest.approx(written["yhat"].sum())
    assert mart["region_code"].notna().all() and mart["category"].notna().all()
    accuracy = query(path, "select * from main.mart_forecast_accuracy")
    assert len(accuracy) == outcome.rows_written["ml_forecast_accuracy"]
    champions = accuracy[accuracy["is_champion"] & (accuracy["horizon_days"] == "all")]
    assert dict(zip(champions["forecast_level"], champions["model_name"], strict=True)) == {
        {"store_code": "store", "region_code": "region"}.get(level, level): model
        for level, model in outcome.run.champions.items()
    }


def test_inventory_recommendations_follow_the_documented_policy(forecasted) -> None:
    settings, _, _ = forecasted
    path = duckdb_path(settings)
    recommendations = query(path, "select * from main.mart_inventory_recommendations")
    forecast = query(path, "select * from main.fct_sales_forecast")
    products = query(path, "select product_code, lead_time_days from main.dim_product")
    assert len(recommendations) == forecast[["store_code", "product_code"]].drop_duplicates().shape[0]
    latest = query(
        path,
        "select store_code, product_code from main.fct_inventory_daily "
        "where snapshot_date = (select max(snapshot_date) from main.fct_inventory_daily)",
    )
    keys = ["store_code", "product_code"]
    with_position = recommendations.merge(latest, on=keys, how="left", indicator=True)
    assert (with_position["has_inventory_position"] == (with_position["_merge"] == "both")).all()
    discontinued = recommendations[recommendations["is_discontinued"]]
    assert len(discontinued) and (discontinued["suggested_order_units"] == 0).all()
    assert not discontinued["needs_order"].any()
    # recomputed here from the forecast: lead-time demand, safety stock at z = 1.645, reorder point
    sample = recommendations.sample(n=min(50, len(recommendations)), random_state=1)
    for row in sample.itertuples(index=False):
        days = forecast[
            (forecast["store_code"] == row.store_code) & (forecast["product_code"] == row.product_code)
        ]
        lead = int(products.loc[products["product_code"] == row.product_code, "lead_time_days"].iloc[0])
        within = days[days["days_ahead"] <= lead]
        sd = (within["forecast_units_upper_80"] - within["forecast_units"]) / 1.2816
        beyond = max(lead - len(days), 0)
        demand = within["forecast_units"].sum() + beyond * days["forecast_units"].mean()
        variance = (sd**2).sum() + beyond * (
            ((days["forecast_units_upper_80"] - days["forecast_units"]) / 1.2816) ** 2
        ).mean()
        assert row.lead_time_demand_units == pytest.approx(demand, rel=1e-9, abs=1e-9)
        safety = 1.645 * np.sqrt(variance)
        assert row.safety_stock_units == pytest.approx(safety, rel=1e-9, abs=1e-9)
        assert row.reorder_point_units == pytest.approx(demand + safety, rel=1e-9, abs=1e-9)
        if row.needs_order:
            assert row.suggested_order_units % row.case_pack == 0
            assert row.inventory_position_units + row.suggested_order_units >= row.order_up_to_units - 1e-9
        else:
            assert row.suggested_order_units == 0

    alerts = query(path, "select * from main.mart_stock_alerts")
    stockouts = alerts[alerts["alert_type"] == "stockout_risk"]
    for row in stockouts.head(50).itertuples(index=False):
        days = forecast[
            (forecast["store_code"] == row.store_code) & (forecast["product_code"] == row.product_code)
        ].sort_values("forecast_date")
        cumulative = days["forecast_units"].cumsum().to_numpy()
        assert cumulative[row.days_until_stockout - 1] > row.on_hand_units
        assert row.days_until_stockout == 1 or cumulative[row.days_until_stockout - 2] <= row.on_hand_units
        assert row.days_until_stockout <= row.lead_time_days


def test_forecast_tables_from_an_older_version_do_not_break_the_build(forecasted, tmp_path: Path) -> None:
    """After an upgrade the `ml` tables keep the previous release's columns until the next forecast: the
    models on them select what exists and leave the new columns null instead of failing `dbt build`."""
    import duckdb

    from shelfcast.dbt import build_forecast_models

    settings, _, _ = forecasted
    older = settings.model_copy(update={"data_dir": tmp_path})
    duckdb_path(older).parent.mkdir(parents=True)
    shutil.copyfile(duckdb_path(settings), duckdb_path(older))
    with duckdb.connect(str(duckdb_path(older))) as con:
        con.execute("alter table ml.ml_sales_forecast drop column method")
        con.execute("alter table ml.ml_feature_importance drop column mean_abs_shap")
    assert build_forecast_models(older).failures == []
    mart = query(duckdb_path(older), "select forecast_method, forecast_units from main.fct_sales_forecast")
    assert mart["forecast_method"].isna().all() and len(mart) > 0
