"""The champion in MLflow's model registry: a pyfunc model that serves the run's forecasts.

The registered artefact is the forecast a run published (series level and roll-ups, with intervals and the
champion per level), not a bare estimator: a LightGBM booster alone cannot forecast (it needs the panel's
origin-relative features), and a baseline has no estimator at all. Loading the alias therefore always gives
exactly what the warehouse received from that run: `mlflow.pyfunc.load_model("models:/<name>@champion")`
then `.predict(frame)` with `store_code`/`product_code` (series) or `level`/`level_key` (roll-ups)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from mlflow.pyfunc import PythonModel

if TYPE_CHECKING:
    from ml.forecast import ForecastRun

REGISTERED_MODEL = "shelfcast-sales-forecast"
ALIAS = "champion"


class PublishedForecast(PythonModel):  # type: ignore[misc]
    def load_context(self, context: Any) -> None:
        self.series = pd.read_parquet(context.artifacts["series"])
        self.rollup = pd.read_parquet(context.artifacts["rollup"])

    def predict(self, context: Any, model_input: pd.DataFrame, params: dict | None = None) -> pd.DataFrame:
        if {"store_code", "product_code"} <= set(model_input.columns):
            keys, table = ["store_code", "product_code"], self.series
        elif {"level", "level_key"} <= set(model_input.columns):
            keys, table = ["level", "level_key"], self.rollup
        else:
            raise ValueError("give store_code and product_code, or level and level_key")
        wanted = model_input[keys].astype(str).drop_duplicates()
        return table.merge(wanted, on=keys, how="inner").reset_index(drop=True)


def register_champion(run: ForecastRun, run_id: str, name: str = REGISTERED_MODEL) -> int:
    """Log the published forecast as a model of the active run, register it as a version of `name` (a
    landed dataset's has its own) and point the alias at it; returns the new version."""
    import mlflow

    with tempfile.TemporaryDirectory() as folder:
        series, rollup = Path(folder) / "series.parquet", Path(folder) / "rollup.parquet"
        run.forecast.to_parquet(series, index=False)
        run.rollup.to_parquet(rollup, index=False)
        info = mlflow.pyfunc.log_model(
            name="forecast",
            python_model=PublishedForecast(),
            artifacts={"series": str(series), "rollup": str(rollup)},
            # the environment is pinned by our own lock file; resolving it here would take minutes
            pip_requirements=["pandas", "pyarrow"],
        )
    version = mlflow.register_model(info.model_uri, name)
    client = mlflow.MlflowClient()
    for level, champion in run.champions.items():
        client.set_model_version_tag(name, version.version, f"champion.{level}", champion)
    client.set_model_version_tag(name, version.version, "run_id", run_id)
    client.set_registered_model_alias(name, ALIAS, version.version)
    return int(version.version)
