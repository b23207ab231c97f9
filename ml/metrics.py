"""Forecast accuracy, the same definitions at every level. Arrays are [series, steps]; NaN actuals (a
series that did not exist yet) are left out.

- MAE, RMSE: in units;
- WAPE = Σ|error| / Σ actual: scale-free, defined for intermittent series;
- bias = Σ error / Σ actual (error = forecast − actual): > 0 over-forecasts;
- MASE = MAE / in-sample MAE of the seasonal naive before the origin (weekly season on daily data, yearly
  on weekly data), pooled over series;
- RMSSE = RMSE / in-sample RMSE of the same seasonal naive, pooled: the selection metric. Daily store ×
  product demand is mostly zeros, and MAE-type metrics (WAPE, MASE) are minimised by the median, i.e. by
  forecasting zero; a squared error is minimised by the mean, which is what roll-ups and stock planning
  add up (the M5 competition scored with RMSSE for the same reason);
- coverage = share of actuals inside the interval.

`shelfcast evaluate` scores forecasts against a dataset's own actuals, which may be negative (returns
exceeding sales, as Walmart publishes them), row by row (`evaluation_scores`), each pooled over the rows
and as the mean and median of the per-series values:
- MAE, RMSE; WAPE = Σ|error| / Σ|actual|;
- MASE = Σ|error| / Σ scale over the rows of series with a scale, the scale being the series' in-sample
  MAE of the seasonal naive before the cutoff (a series too short for one season has none);
- RMSPE = sqrt(mean((error / actual)²)) over the rows with a non-zero actual;
- WMAE = Σ weight·|error| / Σ weight (weights such as 5 on holiday weeks: Walmart's competition metric).
A statistic undefined for a series (no scale, no non-zero actual) leaves that series out of its mean and
median.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

EVALUATION_METRICS = ("mae", "rmse", "mase", "wape", "rmspe", "wmae")
STATISTICS = ("pooled", "series_mean", "series_median")


def accuracy(
    actual: np.ndarray,
    forecast: np.ndarray,
    naive_scale: np.ndarray,
    naive_squared_scale: np.ndarray | None = None,
    lower: np.ndarray | None = None,
    upper: np.ndarray | None = None,
) -> dict[str, float]:
    valid = ~np.isnan(actual)
    error = np.where(valid, forecast - np.nan_to_num(actual), 0.0)
    count = int(valid.sum())
    if count == 0:
        return {
            "mae": np.nan,
            "rmse": np.nan,
            "wape": np.nan,
            "bias": np.nan,
            "mase": np.nan,
            "rmsse": np.nan,
            "n": 0,
        }
    total = float(np.nansum(actual))
    scale = float(np.sum(naive_scale[:, None] * valid))
    result = {
        "mae": float(np.abs(error).sum() / count),
        "rmse": float(np.sqrt((error**2).sum() / count)),
        "wape": float(np.abs(error).sum() / total) if total > 0 else np.nan,
        "bias": float(error.sum() / total) if total > 0 else np.nan,
        "mase": float(np.abs(error).sum() / scale) if scale > 0 else np.nan,
        "rmsse": np.nan,
        "n": count,
    }
    if naive_squared_scale is not None:
        squared_scale = float(np.sum(naive_squared_scale[:, None] * valid))
        if squared_scale > 0:
            result["rmsse"] = float(np.sqrt((error**2).sum() / squared_scale))
    if lower is not None and upper is not None:
        inside = (actual >= lower - 1e-9) & (actual <= upper + 1e-9)
        result["coverage"] = float((inside & valid).sum() / count)
    return result


def seasonal_naive_scale(units: np.ndarray, season: int = 7, power: int = 1) -> np.ndarray:
    """Per series: mean |y_t − y_{t−season}|^power over its history (MASE: power 1, RMSSE: power 2)."""
    if units.shape[1] <= season:
        return np.zeros(len(units))
    differences = np.abs(units[:, season:] - units[:, :-season]) ** power
    counts = (~np.isnan(differences)).sum(axis=1)
    return np.where(counts > 0, np.nansum(differences, axis=1) / np.maximum(counts, 1), 0.0)


def weighted_mae(actual: np.ndarray, forecast: np.ndarray, weight: np.ndarray) -> float:
    """Σ weight·|forecast − actual| / Σ weight."""
    return float(np.sum(weight * np.abs(forecast - actual)) / np.sum(weight))


def evaluation_scores(rows: pd.DataFrame) -> pd.DataFrame:
    """The scores of scored rows (columns `series`, `actual`, `forecast`, `scale` and, for the WMAE,
    `weight`): one row per statistic (pooled, series_mean, series_median), one column per metric."""
    error = (rows["forecast"] - rows["actual"]).to_numpy(dtype=float)
    actual = rows["actual"].to_numpy(dtype=float)
    scale = np.nan_to_num(rows["scale"].to_numpy(dtype=float))
    scaled, nonzero = scale > 0, actual != 0
    weight = rows["weight"].to_numpy(dtype=float) if "weight" in rows else np.full(len(rows), np.nan)
    relative = np.divide(error, actual, out=np.zeros_like(error), where=nonzero)
    parts = pd.DataFrame(
        {
            "series": rows["series"].to_numpy(),
            "n": 1.0,
            "absolute": np.abs(error),
            "squared": error**2,
            "absolute_actual": np.abs(actual),
            "scaled_absolute": np.where(scaled, np.abs(error), 0.0),
            "scale": np.where(scaled, scale, 0.0),
            "relative_squared": relative**2,
            "nonzero": nonzero.astype(float),
            "weighted_absolute": weight * np.abs(error),
            "weight": weight,
        }
    )
    sums = parts.groupby("series", sort=False).sum(min_count=1)
    per_series = _scores_from_sums(sums)
    pooled = _scores_from_sums(sums.sum(min_count=1).to_frame().T)
    table = pd.concat(
        [pooled, per_series.mean().to_frame().T, per_series.median().to_frame().T], ignore_index=True
    )
    table.insert(0, "statistic", STATISTICS)
    return table


def _scores_from_sums(sums: pd.DataFrame) -> pd.DataFrame:
    def ratio(numerator: str, denominator: str) -> pd.Series:
        return sums[numerator] / sums[denominator].where(sums[denominator] > 0)

    return pd.DataFrame(
        {
            "mae": ratio("absolute", "n"),
            "rmse": np.sqrt(ratio("squared", "n")),
            "mase": ratio("scaled_absolute", "scale"),
            "wape": ratio("absolute", "absolute_actual"),
            "rmspe": np.sqrt(ratio("relative_squared", "nonzero")),
            "wmae": ratio("weighted_absolute", "weight"),
        }
    )
