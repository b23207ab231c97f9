"""`shelfcast forecast`: features from the warehouse → backtest → a champion per level → forecasts with
intervals → MLflow run (champion registered) → tables in schema `ml`: `ml_sales_forecast` (store ×
product), `ml_sales_forecast_rollup` (store, region, category, total), `ml_forecast_accuracy`,
`ml_feature_importance` and `ml_forecast_components` → `dbt build` of the models on them (forecast,
accuracy, inventory recommendation and stock alert marts).

`shelfcast forecast --dataset` does the same for a landed dataset (`ml.target`): its features, its grain
(the horizon counts its periods: weeks for weekly data), its own schema, experiment and registered model."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ml.forecast import ForecastRun, default_models, forecast
from ml.models.gradient_boosting import GlobalGradientBoosting
from ml.panel import panel_from_frame, periods, with_future_known
from ml.target import SHOP, ForecastTarget
from ml.tracking import log_run, tracking_uri
from ml.warehouse import read_features, read_holidays, write_tables
from shelfcast.dbt import FORECAST_MODELS_SELECTOR, build_forecast_models
from shelfcast.spark import get_spark

if TYPE_CHECKING:
    from shelfcast.config import Settings


@dataclass
class ForecastOutcome:
    run: ForecastRun
    run_id: str
    experiment_id: str
    series: int
    rows_written: dict[str, int]
    seconds: float


def run_forecast(
    settings: Settings,
    log: Callable[[str], None],
    cutoffs: int = 3,
    build_marts: bool = True,
    forecast_target: ForecastTarget = SHOP,
    horizon: int | None = None,
) -> ForecastOutcome:
    """`shelfcast forecast`; `build_marts=False` leaves the dbt models on the forecast's tables to the
    caller (the Dagster graph builds them as their own assets). `horizon` is in the data's periods; by
    default `forecast_horizon` days in them (28 days: 4 weeks of weekly data)."""
    started = time.perf_counter()
    horizon = horizon or periods(settings.forecast_horizon, forecast_target.period_days)
    unit = forecast_target.period_name
    session = lambda: get_spark(settings, "shelfcast-forecast")  # noqa: E731 - started only for mllib
    models = default_models(
        settings.seed,
        tuple(settings.forecast_models),
        spark=session,
        on_cluster=not settings.spark_master.startswith("local"),  # Prophet's fits go to the executors
    )
    features = read_features(settings, forecast_target)
    panel = panel_from_frame(features, forecast_target.period_days)
    del features
    # the forecast's own periods see their holidays, as every backtest horizon saw its own
    ahead = [panel.date_of(panel.days + step) for step in range(horizon)]
    holidays = read_holidays(settings, ahead[0], ahead[-1], forecast_target)
    panel = with_future_known(
        panel, horizon, {"is_holiday": np.array([day in holidays for day in ahead], float)}
    )
    log(
        f"{len(panel.series):,} series (store × product) × {panel.days:,} {unit}s, "
        f"{panel.start} .. {panel.date_of(panel.days - 1)}; forecasting {horizon} {unit}s "
        f"with {', '.join(models)}"
    )
    run = forecast(panel, horizon, models, cutoffs, log, settings.forecast_local_max_series)
    params = {
        "horizon": horizon,
        "period_days": panel.period_days,
        "dataset": forecast_target.dataset or "shop",
        "holidays_ahead": ",".join(str(day) for day in sorted(holidays)) or "none",
        "cutoffs": ",".join(str(panel.date_of(c)) for c in run.backtest.cutoffs),
        "models": ",".join(models),
        "seed": settings.seed,
        "series": len(panel.series),
        "history_days": panel.days,
        "local_max_series": settings.forecast_local_max_series,
        "warehouse_target": settings.warehouse_target.value,
    }
    importances = _importances(models)
    run_id, experiment_id = log_run(
        settings, run, params, importances, forecast_target.experiment, forecast_target.registered_model
    )
    generated_at = dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)
    stamp = {"run_id": run_id, "generated_at": generated_at}
    accuracy = run.backtest.metrics.assign(
        is_champion=lambda m: m["model"] == m["level"].map(run.champions), **stamp
    )
    tables = {
        "ml_sales_forecast": run.forecast.assign(**stamp),
        "ml_sales_forecast_rollup": run.rollup.assign(**stamp),
        "ml_forecast_accuracy": accuracy,
        "ml_feature_importance": importances.assign(**stamp),
        "ml_forecast_components": run.components.assign(**stamp),
    }
    write_tables(settings, tables, forecast_target)
    rows = {name: len(frame) for name, frame in tables.items()}
    schema = forecast_target.ml_schema
    log("  written: " + ", ".join(f"{schema}.{name} {count:,} rows" for name, count in rows.items()))
    if build_marts:
        built = build_forecast_models(settings, forecast_target.dbt_vars)
        log(f"  dbt build --select {FORECAST_MODELS_SELECTOR}: {built.nodes} nodes in {built.seconds:.1f} s")
    return ForecastOutcome(run, run_id, experiment_id, len(panel.series), rows, time.perf_counter() - started)


def _importances(models: dict[str, object]) -> pd.DataFrame:
    """Per global model's final fit: its importance per feature (LightGBM: gain; MLlib: the trees'
    featureImportances) as values and shares, and LightGBM's mean |SHAP|."""
    frames = []
    for name, model in models.items():
        importance = getattr(model, "last_importance", None)
        if importance is None:
            continue
        frame = pd.DataFrame({"feature": importance.index, "gain": importance.to_numpy(dtype=float)})
        frame["gain_share"] = frame["gain"] / (frame["gain"].sum() or 1.0)
        shap_values = model.shap_importance() if isinstance(model, GlobalGradientBoosting) else None
        frame["mean_abs_shap"] = (
            frame["feature"].map(shap_values).astype(float) if shap_values is not None else float("nan")
        )
        frame["mean_abs_shap_share"] = frame["mean_abs_shap"] / (frame["mean_abs_shap"].sum() or 1.0)
        frame["gain_rank"] = range(1, len(frame) + 1)
        frames.append(frame.assign(model=name))
    columns = ["model", "feature", "gain", "gain_share", "mean_abs_shap", "mean_abs_shap_share", "gain_rank"]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)


__all__ = ["ForecastOutcome", "run_forecast", "tracking_uri"]
