"""Forecasting models. Each takes the history strictly before the forecast origin and returns point
forecasts for the next `horizon` days of every series: float64 [series, horizon], finite and >= 0."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class History:
    """What a model may see at a forecast origin: units before it, and the known-ahead covariates up to
    the end of the horizon (promotions are planned, holidays are in the calendar)."""

    units: np.ndarray  # [series, origin] - days before the origin only
    known: dict[str, np.ndarray]  # [series, origin + horizon]
    start: dt.date  # the day of index 0
    categories: dict[str, np.ndarray]  # series attribute -> integer code per series
    horizon: int

    @property
    def origin(self) -> int:
        return self.units.shape[1]


Model = Callable[[History], np.ndarray]


def finite_non_negative(values: np.ndarray) -> np.ndarray:
    """Demand cannot be negative, and a NaN or infinity must never reach the warehouse."""
    return np.clip(np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0), 0.0, None)


def without_history(history: History) -> np.ndarray:
    """Series not yet launched at the origin: nothing observed, so every model forecasts zero for them
    (a new product's first weeks belong to its launch plan, not to a statistical model)."""
    return ~(~np.isnan(history.units)).any(axis=1)


def is_local(model: Model) -> bool:
    """A local model fits each series on its own (ETS, Theta, Prophet), so it can forecast an aggregate
    level's series (a store's total, a region's) directly instead of summing series-level forecasts; a
    global model learns across series and forecasts the series level only."""
    return bool(getattr(model, "local", False))
