"""Baselines every other model has to beat: naive, seasonal naive (the same weekday last week on daily
data, the same week last year on weekly data), 28-day moving average (four weeks on weekly data).

A series with no history at the origin (a product not launched yet) forecasts zero; missing days before a
series existed are ignored, not read as zeros."""

from __future__ import annotations

import warnings

import numpy as np

from ml.models import History, finite_non_negative


def naive(history: History) -> np.ndarray:
    last = _last_observed(history.units)
    return finite_non_negative(np.repeat(last[:, None], history.horizon, axis=1))


def seasonal_naive(history: History, season: int | None = None) -> np.ndarray:
    """Each period repeats the same period of the last full season before the origin."""
    season = season or history.season
    origin = history.origin
    steps = np.arange(history.horizon)
    columns = origin - season + (steps % season)
    values = np.where(columns >= 0, history.units[:, np.clip(columns, 0, None)], np.nan)
    fallback = np.repeat(moving_average(history)[:, :1], history.horizon, axis=1)
    return finite_non_negative(np.where(np.isnan(values), fallback, values))


def moving_average(history: History, window_days: int = 28) -> np.ndarray:
    recent = history.units[:, max(0, history.origin - history.periods(window_days)) :]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: series not yet launched
        level = np.nanmean(recent, axis=1) if recent.shape[1] else np.zeros(len(recent))
    return finite_non_negative(np.repeat(level[:, None], history.horizon, axis=1))


def _last_observed(units: np.ndarray) -> np.ndarray:
    observed = ~np.isnan(units)
    if units.shape[1] == 0:
        return np.zeros(len(units))
    last_index = units.shape[1] - 1 - np.argmax(observed[:, ::-1], axis=1)
    values = units[np.arange(len(units)), last_index]
    return np.where(observed.any(axis=1), values, 0.0)


BASELINES = {
    "naive": naive,
    "seasonal_naive": seasonal_naive,
    "moving_average_28": moving_average,
}
