"""MLflow tracking: one experiment, one run per `shelfcast forecast`, with parameters, the backtest
metrics of every model at every level, the forecasts and plots as artifacts, and the champion registered
(`ml.registry`); a second experiment, one run per `shelfcast evaluate`, with its scores and files."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from ml.metrics import EVALUATION_METRICS
from ml.plots import draw_all
from ml.registry import REGISTERED_MODEL, register_champion

if TYPE_CHECKING:
    import pandas as pd

    from ml.evaluate import Evaluation
    from ml.forecast import ForecastRun
    from shelfcast.config import Settings

EXPERIMENT = "shelfcast-forecast"
EVALUATE_EXPERIMENT = "shelfcast-evaluate"


def tracking_uri(settings: Settings) -> str:
    if settings.mlflow_tracking_uri:
        return settings.mlflow_tracking_uri
    folder = (settings.data_dir / "mlflow").resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'mlflow.db'}"


def artifact_root(settings: Settings) -> str:
    return (settings.data_dir / "mlflow" / "artifacts").resolve().as_uri()


def _experiment(settings: Settings, name: str) -> str:
    """The id of experiment `name` in the configured store, created if new."""
    os.environ.setdefault("MLFLOW_ENABLE_ASYNC_LOGGING", "false")
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    import mlflow

    mlflow.set_tracking_uri(tracking_uri(settings))
    experiment = mlflow.get_experiment_by_name(name)
    if experiment is not None:
        return str(experiment.experiment_id)
    return str(mlflow.create_experiment(name, artifact_location=artifact_root(settings)))


def log_run(
    settings: Settings,
    run: ForecastRun,
    params: dict[str, object],
    importances: pd.DataFrame,
    experiment: str = EXPERIMENT,
    registered_model: str = REGISTERED_MODEL,
) -> tuple[str, str]:
    """Record the run in `experiment`, its plots, and its champion as the newest version of
    `registered_model`; returns (run id, experiment id)."""
    experiment_id = _experiment(settings, experiment)
    import mlflow

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
        register_champion(run, active.info.run_id, registered_model)
        return active.info.run_id, experiment_id


def log_evaluation(settings: Settings, evaluation: Evaluation, folder: Path) -> tuple[str, str]:
    """Record a `shelfcast evaluate`: its parameters, every model's scores (`<model>.<statistic>.<metric>`)
    and the files it wrote in `folder`; returns (run id, experiment id)."""
    experiment_id = _experiment(settings, EVALUATE_EXPERIMENT)
    import mlflow

    values = {}
    for row in evaluation.metrics.itertuples(index=False):
        for name in EVALUATION_METRICS:
            value = getattr(row, name)
            if value == value:  # NaN: undefined (no weight column, no scale), not logged
                values[f"{row.model}.{row.statistic}.{name}"] = float(value)
    values.update({f"{model}.seconds": seconds for model, seconds in evaluation.seconds.items()})
    params = {
        "dataset": evaluation.dataset,
        "cutoff": evaluation.cutoff.isoformat(),
        "horizon": evaluation.horizon,
        "unit": evaluation.unit,
        "models": ",".join(evaluation.seconds),
        "series": evaluation.series,
        "scored_rows": evaluation.scored,
        "actuals": evaluation.actuals,
    }
    name = f"{evaluation.dataset} {evaluation.cutoff}"
    with mlflow.start_run(experiment_id=experiment_id, run_name=name) as active:
        mlflow.log_params(params)
        mlflow.log_metrics(values)
        mlflow.set_tags({"dataset": evaluation.dataset})
        mlflow.log_artifacts(str(folder))
        return active.info.run_id, experiment_id
