"""MLflow tracking: one experiment, one run per `shelfcast forecast`, with parameters, the backtest
metrics of every model at every level, the forecasts and plots as artifacts, and the champion registered
(`ml.registry`)."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from ml.plots import draw_all
from ml.registry import register_champion

if TYPE_CHECKING:
    import pandas as pd

    from ml.forecast import ForecastRun
    from shelfcast.config import Settings

EXPERIMENT = "shelfcast-forecast"


def tracking_uri(settings: Settings) -> str:
    if settings.mlflow_tracking_uri:
        return settings.mlflow_tracking_uri
    folder = (settings.data_dir / "mlflow").resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'mlflow.db'}"


def artifact_root(settings: Settings) -> str:
    return (settings.data_dir / "mlflow" / "artifacts").resolve().as_uri()


def log_run(
    settings: Settings, run: ForecastRun, params: dict[str, object], importances: pd.DataFrame
) -> tuple[str, str]:
    """Record the run, its plots and the registered champion; returns (run id, experiment id)."""
    os.environ.setdefault("MLFLOW_ENABLE_ASYNC_LOGGING", "false")
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    import mlflow

    mlflow.set_tracking_uri(tracking_uri(settings))
    experiment = mlflow.get_experiment_by_name(EXPERIMENT)
    experiment_id = (
        experiment.experiment_id
        if experiment is not None
        else mlflow.create_experiment(EXPERIMENT, artifact_location=artifact_root(settings))
    )
    metrics = run.backtest.metrics
    overall = metrics[metrics["horizon_bucket"] == "all"]
    values = {}
    for row in overall.itertuples(index=False):
        for name in ("mae", "rmse", "wape", "bias", "mase", "rmsse", "coverage_80", "coverage_95"):
            value = getattr(row, name, None)
            if value is not None and value == value:  # NaN: undefined at this level, not logged
                values[f"{row.model}.{row.level}.{name}"] = float(value)
    values.update({f"{model}.backtest_seconds": s for model, s in run.backtest.seconds.items()})
    with mlflow.start_run(experiment_id=experiment_id) as active:
        champions = {f"champion.{level}": model for level, model in run.champions.items()}
        mlflow.log_params({**params, **champions})
        mlflow.log_metrics(values)
        mlflow.set_tags({"champion": run.champion, **champions})
        with tempfile.TemporaryDirectory() as folder:
            metrics.to_csv(Path(folder) / "backtest_metrics.csv", index=False)
            run.forecast.to_parquet(Path(folder) / "forecast.parquet", index=False)
            run.rollup.to_parquet(Path(folder) / "forecast_rollup.parquet", index=False)
            if len(run.components):
                run.components.to_parquet(Path(folder) / "prophet_components.parquet", index=False)
            plots = Path(folder) / "plots"
            plots.mkdir()
            draw_all(run, importances, plots)
            mlflow.log_artifacts(folder)
        register_champion(run, active.info.run_id)
        return active.info.run_id, experiment_id
