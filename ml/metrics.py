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
"""

from __future__ import annotations

import numpy as np


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
