"""Backtest every model, pick each level's default by its RMSSE there (see `ml.metrics`), refit it at the
end of the data and forecast the horizon with 80 % and 95 % intervals calibrated on that level's backtest
errors: the series level's champion gives `ml_sales_forecast`, each aggregate level's the roll-ups."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ml.backtest import LOCAL_MAX_SERIES, Backtest, history_at, run_backtest
from ml.intervals import LEVELS as INTERVAL_LEVELS
from ml.intervals import Calibration
from ml.models import Model
from ml.models.baselines import BASELINES
from ml.models.gradient_boosting import GlobalGradientBoosting
from ml.models.mllib import SparkPipelineModel
from ml.models.prophet_per_series import ProphetModel
from ml.models.statistical import ets, theta
from ml.panel import LEVELS, SERIES_KEYS, Panel, group_codes, series_keys, sum_by_group
from shelfcast.config import DEFAULT_FORECAST_MODELS

DEFAULT_HORIZON = 28
COMPONENT_COLUMNS = ("level", "level_key", "forecast_date", "component", "effect")


def available_models(
    seed: int = 42, processes: int = 2, spark: Callable[[], Any] | None = None, on_cluster: bool = False
) -> dict[str, Callable[[], Model]]:
    """Every model `shelfcast forecast --models` can name, built fresh per run. `spark` gives the session
    the MLlib pipeline runs in (created only if that model is chosen); `on_cluster` sends Prophet's
    per-series fits to it too (applyInPandas) instead of a local process pool."""

    def spark_session() -> Any:
        if spark is not None:
            return spark()
        from shelfcast.config import load_settings
        from shelfcast.spark import get_spark

        return get_spark(load_settings(), "shelfcast-forecast")

    return {
        **{name: (lambda model=model: model) for name, model in BASELINES.items()},
        "lightgbm": lambda: GlobalGradientBoosting(seed=seed, threads=processes),
        "ets": lambda: ets(processes),
        "theta": lambda: theta(processes),
        "prophet": lambda: ProphetModel(processes=processes, spark=spark_session if on_cluster else None),
        "mllib": lambda: SparkPipelineModel(spark=spark_session, seed=seed),
    }


def default_models(
    seed: int = 42,
    names: tuple[str, ...] = DEFAULT_FORECAST_MODELS,
    processes: int = 2,
    spark: Callable[[], Any] | None = None,
    on_cluster: bool = False,
) -> dict[str, Model]:
    known = available_models(seed, processes, spark, on_cluster)
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValueError(f"unknown model(s) {', '.join(unknown)}; known: {', '.join(known)}")
    return {name: known[name]() for name in names}


@dataclass
class ForecastRun:
    backtest: Backtest
    champions: dict[str, str]  # level -> its default model
    forecast: pd.DataFrame  # series level: one row per series and day ahead
    rollup: pd.DataFrame  # aggregate levels: one row per group and day ahead
    seconds: float
    components: pd.DataFrame = field(default_factory=pd.DataFrame)  # Prophet's, per group and day

    @property
    def champion(self) -> str:
        return self.champions["series"]


def forecast(
    panel: Panel,
    horizon: int = DEFAULT_HORIZON,
    models: dict[str, Model] | None = None,
    cutoffs: int = 3,
    log: Callable[[str], None] = lambda _: None,
    local_max_series: int = LOCAL_MAX_SERIES,
) -> ForecastRun:
    started = time.perf_counter()
    models = models or default_models()
    backtest = run_backtest(panel, models, horizon, cutoffs, log, local_max_series)
    champions = {level: backtest.champion(level) for level in LEVELS}
    for level, champion in champions.items():
        log(
            f"  {level:<12} champion {champion} (RMSSE {backtest.metric(champion, level=level):.3f}; "
            f"seasonal naive {backtest.metric('seasonal_naive', level=level):.3f})"
        )
    final = _FinalFit(panel, backtest, models, horizon)
    for level in LEVELS:  # explainable models explain every level they forecast, champion or not
        for name, model in models.items():
            if hasattr(model, "last_components") and backtest.methods[level].get(name) == "direct":
                final.forecast(level, name)
    frames = {}
    for level, champion in champions.items():
        point = final.forecast(level, champion)
        calibration = Calibration.fit(backtest.actuals[level], backtest.forecasts[level][champion])
        bounds = {interval: calibration.interval(point, interval) for interval in INTERVAL_LEVELS}
        method = backtest.methods[level][champion]
        frames[level] = _long(backtest.panels[level], point, bounds, champion, method)
    rollup = pd.concat([frames[level] for level in LEVELS[1:]], ignore_index=True)
    return ForecastRun(
        backtest=backtest,
        champions=champions,
        forecast=frames["series"],
        rollup=rollup,
        seconds=time.perf_counter() - started,
        components=final.all_components(),
    )


class _FinalFit:
    """Each model refitted once on all the data, at the levels its champions need."""

    def __init__(self, panel: Panel, backtest: Backtest, models: dict[str, Model], horizon: int) -> None:
        self.panel, self.backtest, self.models, self.horizon = panel, backtest, models, horizon
        self.cache: dict[tuple[str, str], np.ndarray] = {}
        self.components: dict[str, list[pd.DataFrame]] = {}

    def all_components(self) -> pd.DataFrame:
        frames = [frame for level in LEVELS for frame in self.components.get(level, [])]
        if not frames:
            return pd.DataFrame(columns=COMPONENT_COLUMNS)
        return pd.concat(frames, ignore_index=True)[list(COMPONENT_COLUMNS)]

    def forecast(self, level: str, model: str) -> np.ndarray:
        key = (level, model)
        if key not in self.cache:
            self.cache[key] = self._fit(level, model)
        return self.cache[key]

    def _fit(self, level: str, model: str) -> np.ndarray:
        method = self.backtest.methods[level][model]
        if method == "ensemble":
            first, second = self.backtest.ensembles[level]
            return (self.forecast(level, first) + self.forecast(level, second)) / 2
        if method == "bottom_up":
            codes, names = group_codes(self.panel, level)
            return sum_by_group(codes, len(names), self.forecast("series", model))
        level_panel = self.backtest.panels[level]
        fitted = self.models[model]
        point = fitted(history_at(level_panel, level_panel.days, self.horizon))
        parts = getattr(fitted, "last_components", None)
        if parts is not None:
            keys = level_panel.series.iloc[parts["row"].to_numpy()].reset_index(drop=True)
            self.components.setdefault(level, []).append(
                pd.concat([_keys(level, keys), parts.drop(columns="row").reset_index(drop=True)], axis=1)
            )
        return point


def _keys(level: str, series: pd.DataFrame) -> pd.DataFrame:
    if level == "series":
        return pd.DataFrame({"level": "series", "level_key": series_keys(series)})
    return series[["level", "level_key"]].reset_index(drop=True)


def _long(
    panel: Panel,
    point: np.ndarray,
    bounds: dict[float, tuple[np.ndarray, np.ndarray]],
    model: str,
    method: str,
) -> pd.DataFrame:
    series, horizon = point.shape
    dates = panel.dates(panel.days, horizon).to_numpy(dtype="datetime64[D]")
    frame = panel.series.loc[np.repeat(np.arange(series), horizon)].reset_index(drop=True)
    frame["forecast_date"] = np.tile(dates, series)
    frame["step"] = np.tile(np.arange(1, horizon + 1), series)
    frame["yhat"] = point.reshape(-1)
    for level, (lower, upper) in bounds.items():
        frame[f"yhat_lower_{int(level * 100)}"] = lower.reshape(-1)
        frame[f"yhat_upper_{int(level * 100)}"] = upper.reshape(-1)
    frame["model"] = model
    frame["method"] = method
    keys = list(SERIES_KEYS) if "product_code" in frame else ["level", "level_key"]
    return frame.sort_values([*keys, "forecast_date"], ignore_index=True)


__all__ = ["DEFAULT_HORIZON", "ForecastRun", "available_models", "default_models", "forecast"]
