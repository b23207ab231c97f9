"""`shelfcast forecast`: features from the warehouse → backtest → champion → forecast with intervals →
MLflow run → tables `ml.ml_sales_forecast`, `ml.ml_forecast_accuracy`, `ml.ml_feature_importance`."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from ml.forecast import ForecastRun, default_models, forecast
from ml.models.gradient_boosting import GlobalGradientBoosting
from ml.panel import panel_from_frame
from ml.tracking import log_run, tracking_uri
from ml.warehouse import read_features, write_tables

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


def run_forecast(settings: Settings, log: Callable[[str], None], cutoffs: int = 3) -> ForecastOutcome:
    started = time.perf_counter()
    features = read_features(settings)
    panel = panel_from_frame(features)
    log(
        f"{len(panel.series):,} series (store × product) × {panel.days:,} days, "
        f"{panel.start} .. {panel.date_of(panel.days - 1)}; forecasting {settings.forecast_horizon} days"
    )
    models = default_models(settings.seed)
    run = forecast(panel, settings.forecast_horizon, models, cutoffs, log)
    params = {
        "horizon": settings.forecast_horizon,
        "cutoffs": ",".join(str(panel.date_of(c)) for c in run.backtest.cutoffs),
        "models": ",".join(models),
        "seed": settings.seed,
        "series": len(panel.series),
        "history_days": panel.days,
        "warehouse_target": settings.warehouse_target.value,
    }
    run_id, experiment_id = log_run(settings, run, params)
    generated_at = dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)
    stamp = {"run_id": run_id, "generated_at": generated_at}
    accuracy = run.backtest.metrics.assign(is_champion=lambda m: m["model"] == run.champion, **stamp)
    tables = {
        "ml_sales_forecast": run.forecast.assign(**stamp),
        "ml_forecast_accuracy": accuracy,
        "ml_feature_importance": _importances(models).assign(**stamp),
    }
    write_tables(settings, tables)
    rows = {name: len(frame) for name, frame in tables.items()}
    log("  written: " + ", ".join(f"ml.{name} {count:,} rows" for name, count in rows.items()))
    return ForecastOutcome(run, run_id, experiment_id, len(panel.series), rows, time.perf_counter() - started)


def _importances(models: dict[str, object]) -> pd.DataFrame:
    rows = []
    for name, model in models.items():
        if isinstance(model, GlobalGradientBoosting) and model.last_importance is not None:
            total = float(model.last_importance.sum()) or 1.0
            for rank, (feature, gain) in enumerate(model.last_importance.items(), start=1):
                rows.append(
                    {
                        "model": name,
                        "feature": feature,
                        "gain": float(gain),
                        "gain_share": gain / total,
                        "rank": rank,
                    }
                )
    return pd.DataFrame(rows, columns=["model", "feature", "gain", "gain_share", "rank"])


__all__ = ["ForecastOutcome", "run_forecast", "tracking_uri"]
