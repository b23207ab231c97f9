"""`shelfcast evaluate`'s metrics computed again, row by row with pandas and numpy, from the source rows
and the forecasts CSV it writes: what the evaluate tests compare its printed and stored numbers with."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Scoring:
    keys: list[str]  # the series' key columns, as the source names them
    date: str
    value: str  # the sales column scored (as published: returns may make it negative)
    flag: str  # the boolean column whose rows weigh `factor` in the WMAE
    factor: float
    cutoff: dt.date
    horizon: int
    period_days: int = 7
    season: int = 52


def expected_metrics(sales: pd.DataFrame, forecasts: pd.DataFrame, scoring: Scoring) -> pd.DataFrame:
    """Every metric per model, pooled and as mean and median over series. A series with no row up to the
    cutoff is forecast 0 and has no MASE scale."""
    sales = sales.assign(**{scoring.date: pd.to_datetime(sales[scoring.date])})
    cutoff = pd.Timestamp(scoring.cutoff)
    end = cutoff + pd.Timedelta(days=scoring.period_days * scoring.horizon)
    window = sales[(sales[scoring.date] > cutoff) & (sales[scoring.date] <= end)]
    scales = {
        key: _in_sample_scale(group.set_index(scoring.date)[scoring.value], cutoff, scoring)
        for key, group in sales[sales[scoring.date] <= cutoff].groupby(scoring.keys)
    }
    results = []
    for model, predicted in forecasts.groupby("model", sort=False):
        joined = window.merge(
            predicted.rename(columns={"date": scoring.date})[[*scoring.keys, scoring.date, "forecast"]],
            on=[*scoring.keys, scoring.date],
            how="left",
            validate="1:1",
        )
        joined["forecast"] = joined["forecast"].fillna(0.0)
        per_series = {
            key: _scores(rows, [scales.get(key)] * len(rows), scoring)
            for key, rows in joined.groupby(scoring.keys)
        }
        row_keys = zip(*(joined[key] for key in scoring.keys), strict=True)
        pooled = _scores(joined, [scales.get(key) for key in row_keys], scoring)
        table = pd.DataFrame(per_series).T
        results += [
            {"model": model, "statistic": "pooled", **pooled},
            {"model": model, "statistic": "series_mean", **table.mean().to_dict()},
            {"model": model, "statistic": "series_median", **table.median().to_dict()},
        ]
    return pd.DataFrame(results)


def _in_sample_scale(history: pd.Series, cutoff: pd.Timestamp, scoring: Scoring) -> float | None:
    """The seasonal naive's in-sample MAE of one series: its periods from its first to the cutoff, a
    period without a row 0 and net returns no demand, differenced a season apart; None within a season."""
    periods = pd.date_range(history.index.min(), cutoff, freq=f"{scoring.period_days}D")
    values = history.reindex(periods, fill_value=0.0).clip(lower=0).to_numpy()
    if len(values) <= scoring.season:
        return None
    return float(np.mean(np.abs(values[scoring.season :] - values[: -scoring.season])))


def _scores(rows: pd.DataFrame, scales: list[float | None], scoring: Scoring) -> dict[str, float]:
    actual, forecast = rows[scoring.value].to_numpy(float), rows["forecast"].to_numpy(float)
    error = np.abs(forecast - actual)
    weight = np.where(rows[scoring.flag].astype(bool), scoring.factor, 1.0)
    with_scale = [i for i, scale in enumerate(scales) if scale]
    nonzero = actual != 0
    return {
        "mae": error.mean(),
        "rmse": np.sqrt(np.mean(error**2)),
        "mase": error[with_scale].sum() / sum(scales[i] for i in with_scale) if with_scale else np.nan,  # type: ignore[misc]
        "wape": error.sum() / np.abs(actual).sum(),
        "rmspe": np.sqrt(np.mean((error[nonzero] / actual[nonzero]) ** 2)) if nonzero.any() else np.nan,
        "wmae": np.sum(weight * error) / weight.sum(),
    }
