"""Features relative to a forecast origin, for global models: every value a row of origin `o` and step `k`
reads is either from days before `o` or known ahead (calendar, planned promotions, holidays). The lags of
`int_sales__features` are relative to each row's own day, which would leak the days between the origin and
a target more than 7 days out; these are recomputed here from the panel.

Windows are named in days and read in the panel's periods: on weekly data `mean_7` is the last week,
`mean_28` the last four, `lag_364` the same week 52 weeks before, `last_year_mean_7` the three weeks around
it, and `same_weekday_mean_4` the last four weeks; `age_days` and `days_since_last_sale` stay in days."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import numpy as np
import pandas as pd

from ml.models import History

# the features that are sales levels (in the series' own units): what a scale-free model divides
SALES_LEVELS = (
    "mean_7",
    "mean_28",
    "mean_91",
    "same_weekday_mean_4",
    "lag_364",
    "last_year_mean_7",
    "last_year_level_28",
)
FEATURES = (
    "step",
    "day_of_week",
    "month",
    "day_of_month",
    "is_holiday",
    "is_promoted",
    "promo_discount_pct",
    *SALES_LEVELS,
    "zero_share_28",
    "days_since_last_sale",
    "age_days",
    "region",
    "category",
)
CATEGORICAL = ("region", "category", "day_of_week")


def design(history: History, units: np.ndarray, origin: int) -> pd.DataFrame:
    """Feature rows for every series and step 1..horizon from `origin`, reading `units[:, :origin]` only.

    `units` may extend past the origin (training reads targets from it); nothing after `origin` is read
    here, which `tests/ml/test_leakage.py` checks by scrambling those days."""
    past = units[:, :origin]
    series, horizon = past.shape[0], history.horizon
    steps = np.arange(1, horizon + 1)
    target_days = origin + steps - 1
    week, year, month = history.periods(7), history.periods(364), history.periods(28)
    around = 3 if history.period_days == 1 else 1  # half-width of the window around last year's period

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows: series not launched yet
        means = {w: _window_mean(past, origin - history.periods(w), origin) for w in (7, 28, 91)}
        zero_share = np.nanmean(past[:, max(0, origin - month) :] == 0, axis=1)
        weekday_lags = week * np.ceil(steps / week).astype(int)
        same_weekday = np.stack(
            [
                np.nanmean(
                    np.stack([_column(past, target_days[k] - weekday_lags[k] - week * j) for j in range(4)]),
                    axis=0,
                )
                for k in range(horizon)
            ],
            axis=1,
        )
    lag_364 = np.stack([_column(past, d - year) for d in target_days], axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        # a week around the same day last year, and the level before the origin a year ago: with mean_28
        # they give the model last year's seasonal shape and this year's growth
        last_year_week = np.stack(
            [_window_mean(past, d - year - around, d - year + around + 1) for d in target_days], axis=1
        )
        last_year_level = _window_mean(past, origin - year - month, origin - year)
    observed = ~np.isnan(past)
    sold = np.nan_to_num(past) > 0
    last_sale = np.where(sold.any(axis=1), origin - 1 - np.argmax(sold[:, ::-1], axis=1), -1)
    first_seen = np.where(observed.any(axis=1), np.argmax(observed, axis=1), origin)

    def per_series(values: np.ndarray) -> np.ndarray:
        return np.repeat(values, horizon)

    def per_step(values: np.ndarray) -> np.ndarray:
        return np.tile(values, series)

    calendar = pd.to_datetime(history.dates(target_days))
    frame = pd.DataFrame(
        {
            "step": per_step(steps),
            "day_of_week": per_step(calendar.dayofweek.to_numpy()),
            "month": per_step(calendar.month.to_numpy()),
            "day_of_month": per_step(calendar.day.to_numpy()),
            **{
                name: history.known[name][:, target_days].reshape(-1)
                for name in ("is_holiday", "is_promoted", "promo_discount_pct")
            },
            "mean_7": per_series(means[7]),
            "mean_28": per_series(means[28]),
            "mean_91": per_series(means[91]),
            "same_weekday_mean_4": same_weekday.reshape(-1),
            "lag_364": lag_364.reshape(-1),
            "last_year_mean_7": last_year_week.reshape(-1),
            "last_year_level_28": per_series(last_year_level),
            "zero_share_28": per_series(zero_share),
            "days_since_last_sale": per_series(
                np.where(last_sale >= 0, (origin - last_sale) * history.period_days, 9999)
            ),
            "age_days": per_series((origin - first_seen) * history.period_days),
            "region": per_series(history.categories["region_code"]),
            "category": per_series(history.categories["category"]),
        }
    )
    for name in CATEGORICAL:
        frame[name] = frame[name].astype("int32")
    return frame


def origin_rows(history: History, origins: list[int]) -> Iterator[tuple[int, pd.DataFrame, np.ndarray]]:
    """Training rows of global models: per past origin, its feature rows and their targets (the
    `horizon` periods after it, NaN where a series did not exist yet)."""
    for origin in origins:
        target = history.units[:, origin : origin + history.horizon].reshape(-1)
        yield origin, design(history, history.units, origin), target


def _column(values: np.ndarray, index: int) -> np.ndarray:
    if 0 <= index < values.shape[1]:
        return values[:, index]
    return np.full(values.shape[0], np.nan)


def _window_mean(values: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Mean over day indexes [start, stop) that exist and are observed; NaN when none are."""
    window = values[:, max(0, start) : max(0, min(stop, values.shape[1]))]
    if window.shape[1] == 0:
        return np.full(values.shape[0], np.nan)
    return np.nanmean(window, axis=1)
