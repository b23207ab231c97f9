"""statsforecast's AutoETS and Theta (dynamic optimised): the strong statistical reference.

Both are local models: one fit per series, on the last `window` days before the origin (a year holds every
weekly pattern; older days cost time without changing an exponential-smoothing fit much). They forecast
the aggregate levels directly; the series level too when the run allows local models there.

The season follows the grain: the week on daily data; the 52-week year on weekly data, which is fitted
whole (a few hundred points). ETS then has no seasonal component: like R's `ets`, which it ports, it
handles seasons of at most 24 periods (its forecast routine returns nothing beyond that), so weekly ETS is
the level-and-trend reference; Theta deseasonalises by classical decomposition, which has no such limit.

Fallbacks, so that no series can fail the run: a series with no history forecasts zero, one with fewer than
two weeks of history its mean, and a fit that raises falls back on the 28-day moving average
(statsforecast's `fallback_model`)."""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.models import History, finite_non_negative, short_history_fallback, without_history

MIN_DAYS = 14
ETS_MAX_SEASON = 24


@dataclass
class StatisticalModel:
    method: str  # "ets" or "theta"
    window: int = 364
    processes: int = 1  # statsforecast's process pool; pays off from a few hundred series
    local = True

    def _models(self, history: History) -> tuple[object, object]:
        from statsforecast.models import AutoETS, DynamicOptimizedTheta, WindowAverage

        season = history.season
        model = (
            AutoETS(season_length=season if season <= ETS_MAX_SEASON else 1, alias="model")
            if self.method == "ets"
            else DynamicOptimizedTheta(season_length=season, alias="model")
        )
        return model, WindowAverage(window_size=history.periods(28), alias="model")

    def __call__(self, history: History) -> np.ndarray:
        from statsforecast import StatsForecast

        window = history.periods(self.window) if history.period_days == 1 else history.origin
        units = history.units[:, max(0, history.origin - window) :]
        forecasts = np.zeros((units.shape[0], history.horizon))
        observed = ~np.isnan(units)
        means, long_enough = short_history_fallback(units, history.periods(MIN_DAYS))
        forecasts[~np.isnan(means)] = means[~np.isnan(means), None]
        fit = np.flatnonzero(long_enough)
        if fit.size:
            # a series' history starts on its first observed day; NaN only ever precedes it (see Panel)
            first = np.argmax(observed[fit], axis=1)
            lengths = units.shape[1] - first
            rows = np.repeat(fit, lengths)
            days = np.concatenate([np.arange(f, units.shape[1]) for f in first])
            frame = pd.DataFrame({"unique_id": rows, "ds": days, "y": np.nan_to_num(units[rows, days])})
            model, fallback = self._models(history)
            engine = StatsForecast(
                models=[model],
                freq=1,
                n_jobs=self.processes if fit.size >= 200 else 1,
                fallback_model=fallback,
            )
            logging.getLogger("statsforecast").setLevel(logging.ERROR)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                predicted = engine.forecast(h=history.horizon, df=frame)
            predicted = predicted.sort_values(["unique_id", "ds"])
            forecasts[predicted["unique_id"].to_numpy()[:: history.horizon]] = (
                predicted["model"].to_numpy().reshape(-1, history.horizon)
            )
        forecasts[without_history(history)] = 0.0
        return finite_non_negative(forecasts)


def ets(processes: int = 1) -> StatisticalModel:
    return StatisticalModel("ets", processes=processes)


def theta(processes: int = 1) -> StatisticalModel:
    return StatisticalModel("theta", processes=processes)
