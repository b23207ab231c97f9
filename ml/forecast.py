"""Backtest every model, pick the default by series-level RMSSE (see `ml.metrics`), refit it at the end
of the data and forecast the horizon with 80 % and 95 % intervals calibrated on the backtest errors."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.backtest import Backtest, history_at, run_backtest
from ml.intervals import LEVELS, Calibration
from ml.models import Model
from ml.models.baselines import BASELINES
from ml.models.gradient_boosting import GlobalGradientBoosting
from ml.panel import SERIES_KEYS, Panel

DEFAULT_HORIZON = 28


def default_models(seed: int = 42) -> dict[str, Model]:
    return {**BASELINES, "lightgbm": GlobalGradientBoosting(seed=seed)}


@dataclass
class ForecastRun:
    backtest: Backtest
    champion: str
    forecast: pd.DataFrame  # one row per series and day ahead
    seconds: float


def forecast(
    panel: Panel,
    horizon: int = DEFAULT_HORIZON,
    models: dict[str, Model] | None = None,
    cutoffs: int = 3,
    log: Callable[[str], None] = lambda _: None,
) -> ForecastRun:
    started = time.perf_counter()
    models = models or default_models()
    backtest = run_backtest(panel, models, horizon, cutoffs, log)
    champion = backtest.ranking()[0]
    log(
        f"  champion by series-level RMSSE: {champion} ({backtest.metric(champion):.3f}; "
        f"seasonal naive {backtest.metric('seasonal_naive'):.3f})"
    )
    future = history_at(panel, panel.days, horizon)
    if champion == "ensemble":
        first, second = [m for m in backtest.ranking() if m != "ensemble"][:2]
        point = (models[first](future) + models[second](future)) / 2
    else:
        point = models[champion](future)
    calibration = Calibration.fit(backtest.actuals, backtest.forecasts[champion])
    bounds = {level: calibration.interval(point, level) for level in LEVELS}
    frame = _long(panel, point, bounds, champion)
    return ForecastRun(backtest, champion, frame, time.perf_counter() - started)


def _long(
    panel: Panel, point: np.ndarray, bounds: dict[float, tuple[np.ndarray, np.ndarray]], model: str
) -> pd.DataFrame:
    series, horizon = point.shape
    days = [panel.date_of(panel.days + k) for k in range(horizon)]
    frame = panel.series.loc[np.repeat(np.arange(series), horizon)].reset_index(drop=True)
    frame["forecast_date"] = np.tile(np.array(days, dtype="datetime64[D]"), series)
    frame["step"] = np.tile(np.arange(1, horizon + 1), series)
    frame["yhat"] = point.reshape(-1)
    for level, (lower, upper) in bounds.items():
        frame[f"yhat_lower_{int(level * 100)}"] = lower.reshape(-1)
        frame[f"yhat_upper_{int(level * 100)}"] = upper.reshape(-1)
    frame["model"] = model
    return frame.sort_values([*SERIES_KEYS, "forecast_date"], ignore_index=True)


__all__ = ["DEFAULT_HORIZON", "ForecastRun", "default_models", "forecast"]
