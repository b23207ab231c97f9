"""Forecasting models. Each takes the history strictly before the forecast origin and returns point
forecasts for the next `horizon` periods (days, or weeks on weekly data) of every series: float64
[series, horizon], finite and >= 0."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ml.panel import periods, season_of


@dataclass(frozen=True)
class History:
    """What a model may see at a forecast origin: units before it, and the known-ahead covariates up to
    the end of the horizon (promotions are planned, holidays are in the calendar)."""

    units: np.ndarray  # [series, origin] - periods before the origin only
    known: dict[str, np.ndarray]  # [series, origin + horizon]
    start: dt.date  # the date of index 0
    categories: dict[str, np.ndarray]  # series attribute -> integer code per series
    horizon: int
    period_days: int = 1  # 1: daily, 7: weekly (see `ml.panel`)

    @property
    def origin(self) -> int:
        return self.units.shape[1]

    @property
    def season(self) -> int:
        return season_of(self.period_days)

    def periods(self, days: int) -> int:
        return periods(days, self.period_days)

    def dates(self, indexes: np.ndarray) -> np.ndarray:
        """The dates of period indexes, as datetime64[D]."""
        return np.datetime64(self.start, "D") + (indexes * self.period_days).astype("timedelta64[D]")


Model = Callable[[History], np.ndarray]


def finite_non_negative(values: np.ndarray) -> np.ndarray:
    """Demand cannot be negative, and a NaN or infinity must never reach the warehouse."""
    return np.clip(np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0), 0.0, None)


def without_history(history: History) -> np.ndarray:
    """Series not yet launched at the origin: nothing observed, so every model forecasts zero for them
    (a new product's first weeks belong to its launch plan, not to a statistical model)."""
    return ~(~np.isnan(history.units)).any(axis=1)


def short_history_fallback(units: np.ndarray, min_periods: int) -> tuple[np.ndarray, np.ndarray]:
    """The fallback local models share for series they cannot fit: their own mean when they have fewer
    than `min_periods` observed periods (NaN rows for the others, and for series with no history, which
    `without_history` zeroes), and the mask of the series long enough to fit."""
    observed = (~np.isnan(units)).sum(axis=1)
    short = (observed > 0) & (observed < min_periods)
    means = np.full(len(units), np.nan)
    if short.any():
        means[short] = np.nanmean(units[short], axis=1)
    return means, observed >= min_periods


def is_local(model: Model) -> bool:
    """A local model fits each series on its own (ETS, Theta, Prophet), so it can forecast an aggregate
    level's series (a store's total, a region's) directly instead of summing series-level forecasts; a
    global model learns across series and forecasts the series level only."""
    return bool(getattr(model, "local", False))
