"""Prophet, one model per series, with the calendar's public holidays and the planned promotions (flag and
discount) as regressors. A local model: it forecasts the aggregate levels directly, and the series level
when the run allows local models there.

Series are fitted in parallel in a process pool (Stan's optimiser is single-threaded); on a cluster the
same per-series function runs under Spark's `applyInPandas` when the model is given a Spark session
(`spark=`): one group per series, fitted on the executors. Intervals come from the
backtest's conformal calibration like every other model's, so Prophet's own sampling is switched off.

Fallbacks, so that no series can fail the run: no history forecasts zero, fewer than two weeks of history
its mean, and a fit that raises the 28-day moving average of its series; the number of fallbacks is kept
in `last_fallbacks`. On weekly data the weekly curve is off (one value per week) and the yearly one needs
two years, as on daily data."""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ml.models import History, finite_non_negative, short_history_fallback, without_history
from ml.panel import periods

MIN_DAYS = 14
YEARLY_MIN_DAYS = 730  # below two years a yearly curve is fitted to noise
REGRESSORS = ("is_promoted", "promo_discount_pct")
COMPONENTS = ("trend", "weekly", "yearly", "holidays", *REGRESSORS)
SERIES_PER_TASK = 16
POOL_MIN_SERIES = 200  # below this, starting the workers (each imports Prophet) costs more than it saves


@dataclass(frozen=True)
class SeriesInput:
    """What one fit needs: plain arrays, cheap to send to a worker process."""

    row: int
    start: dt.date  # the date of units[0]
    units: np.ndarray  # observed history, no NaN
    known: dict[str, np.ndarray]  # covariates from `start` to the end of the horizon
    horizon: int
    period_days: int = 1


@dataclass
class ProphetModel:
    processes: int = 2
    spark: Callable[[], Any] | None = None  # fit through Spark (applyInPandas) instead of a process pool
    local = True
    last_components: pd.DataFrame | None = field(default=None, repr=False)  # per row, day and component
    last_fallbacks: int = 0

    def __call__(self, history: History) -> np.ndarray:
        inputs, forecasts = [], np.zeros((history.units.shape[0], history.horizon))
        means, fit = short_history_fallback(history.units, history.periods(MIN_DAYS))
        forecasts[~np.isnan(means)] = means[~np.isnan(means), None]
        observed = ~np.isnan(history.units)
        for row in np.flatnonzero(fit):
            first = int(np.argmax(observed[row]))
            inputs.append(
                SeriesInput(
                    row=int(row),
                    start=history.start + dt.timedelta(days=first * history.period_days),
                    units=np.nan_to_num(history.units[row, first:]),
                    known={name: values[row, first:] for name, values in history.known.items()},
                    horizon=history.horizon,
                    period_days=history.period_days,
                )
            )
        results = self._fit_all(inputs)
        components, fallbacks = [], 0
        for item, (predicted, parts) in zip(inputs, results, strict=True):
            if parts is None:
                fallbacks += 1
            else:
                components.append(parts.assign(row=item.row))
            forecasts[item.row] = predicted
        forecasts[without_history(history)] = 0.0
        self.last_fallbacks = fallbacks
        self.last_components = pd.concat(components, ignore_index=True) if components else None
        return finite_non_negative(forecasts)

    def _fit_all(self, inputs: list[SeriesInput]) -> list[tuple[np.ndarray, pd.DataFrame | None]]:
        if self.spark is not None and inputs:
            return fit_on_spark(self.spark(), inputs)
        tasks = [inputs[i : i + SERIES_PER_TASK] for i in range(0, len(inputs), SERIES_PER_TASK)]
        if self.processes <= 1 or len(inputs) < POOL_MIN_SERIES:
            return [result for task in tasks for result in fit_many(task)]
        # forkserver: workers start clean, without the parent's threads (a JVM, BLAS pools) forked mid-use
        context = multiprocessing.get_context("forkserver")
        with ProcessPoolExecutor(max_workers=self.processes, mp_context=context) as pool:
            return [result for batch in pool.map(fit_many, tasks) for result in batch]


def fit_many(inputs: list[SeriesInput]) -> list[tuple[np.ndarray, pd.DataFrame | None]]:
    _quiet()
    return [fit_one(item) for item in inputs]


def fit_one(item: SeriesInput) -> tuple[np.ndarray, pd.DataFrame | None]:
    """The horizon's forecast and its components; on a failed fit, the 28-day mean and no components."""
    from prophet import Prophet

    days = pd.date_range(item.start, periods=len(item.units) + item.horizon, freq=f"{item.period_days}D")
    history_periods = len(item.units)
    frame = pd.DataFrame({"ds": days, **{name: item.known[name][: len(days)] for name in REGRESSORS}})
    holiday_days = days[item.known["is_holiday"][: len(days)] > 0]
    holidays = pd.DataFrame({"holiday": "public_holiday", "ds": holiday_days}) if len(holiday_days) else None
    try:
        model = Prophet(
            uncertainty_samples=0,
            yearly_seasonality=history_periods * item.period_days >= YEARLY_MIN_DAYS,
            weekly_seasonality=item.period_days == 1,
            daily_seasonality=False,
            holidays=holidays,
        )
        for name in REGRESSORS:
            model.add_regressor(name, standardize=name != "is_promoted")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(frame.iloc[:history_periods].assign(y=item.units))
            predicted = model.predict(frame.iloc[history_periods:])
    except Exception:  # a series Stan cannot fit must not fail the run: fall back, counted by the caller
        return np.full(item.horizon, item.units[-periods(28, item.period_days) :].mean()), None
    parts = pd.DataFrame({"forecast_date": predicted["ds"].dt.date})
    for name in COMPONENTS:
        parts[name] = predicted[name].to_numpy() if name in predicted else 0.0
    long = parts.melt(id_vars="forecast_date", var_name="component", value_name="effect")
    return predicted["yhat"].to_numpy(), long


def _quiet() -> None:
    """Prophet logs "Importing plotly failed" (at ERROR) on import and cmdstanpy two INFO lines per fit;
    cmdstanpy configures its logger when imported, so the levels are set before and after the imports, and
    its logger is disabled outright: it logs through handlers it re-adds per fit."""
    levels = {"prophet": logging.ERROR, "prophet.plot": logging.CRITICAL, "cmdstanpy": logging.ERROR}
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    import cmdstanpy  # noqa: F401 - imported for its logger configuration
    import prophet  # noqa: F401

    for name, level in levels.items():
        logger = logging.getLogger(name)
        logger.setLevel(level)
        logger.propagate = False
        for handler in logger.handlers:
            handler.setLevel(level)
    logging.getLogger("cmdstanpy").disabled = True


SPARK_RESULT_SCHEMA = "row long, forecast_date date, component string, effect double"


def fit_on_spark(spark: Any, inputs: list[SeriesInput]) -> list[tuple[np.ndarray, pd.DataFrame | None]]:
    """The same fits as the process pool, as one `applyInPandas` group per series. Each group returns its
    forecast as component "yhat" beside Prophet's components; a fallback returns "yhat" only."""
    long = pd.concat([_series_rows(item) for item in inputs], ignore_index=True)
    frame = spark.createDataFrame(long)
    result = frame.groupBy("row").applyInPandas(_fit_group, SPARK_RESULT_SCHEMA).toPandas()
    results = []
    for item in inputs:
        rows = result[result["row"] == item.row].sort_values(["component", "forecast_date"])
        forecast = rows.loc[rows["component"] == "yhat", "effect"].to_numpy()
        parts = rows[rows["component"] != "yhat"].drop(columns="row").reset_index(drop=True)
        results.append((forecast, parts if len(parts) else None))
    return results


def _series_rows(item: SeriesInput) -> pd.DataFrame:
    days = len(item.units) + item.horizon
    return pd.DataFrame(
        {
            "row": item.row,
            "period_days": item.period_days,
            "day": pd.date_range(item.start, periods=days, freq=f"{item.period_days}D").date,
            "y": np.concatenate([item.units, np.full(item.horizon, np.nan)]),
            **{name: item.known[name][:days].astype(float) for name in ("is_holiday", *REGRESSORS)},
        }
    )


def _fit_group(rows: pd.DataFrame) -> pd.DataFrame:
    _quiet()
    rows = rows.sort_values("day")
    history = int(rows["y"].notna().sum())
    item = SeriesInput(
        row=int(rows["row"].iloc[0]),
        start=rows["day"].iloc[0],
        units=rows["y"].to_numpy()[:history],
        known={name: rows[name].to_numpy() for name in ("is_holiday", *REGRESSORS)},
        horizon=len(rows) - history,
        period_days=int(rows["period_days"].iloc[0]),
    )
    forecast, parts = fit_one(item)
    days = rows["day"].to_numpy()[history:]
    out = [pd.DataFrame({"forecast_date": days, "component": "yhat", "effect": forecast})]
    if parts is not None:
        out.append(parts)
    result = pd.concat(out, ignore_index=True).assign(row=item.row)
    return result[["row", "forecast_date", "component", "effect"]]
