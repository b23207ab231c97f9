"""Prediction intervals by split conformal calibration on backtest errors.

Daily store × product demand is count-like: its spread grows with its level, roughly as the square root.
Errors are therefore scaled by sqrt(forecast + 1/4) before their quantiles are taken, per horizon bucket,
and an interval is forecast ± quantile × sqrt(forecast + 1/4), floored at zero. With the quantiles taken
over many series and origins, the coverage holds on average across series (not for each one)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LEVELS = (0.80, 0.95)
HORIZON_BUCKETS = ((1, 7), (8, 14), (15, 28), (29, 10_000))


def bucket_of(step: int) -> int:
    return next(i for i, (low, high) in enumerate(HORIZON_BUCKETS) if low <= step <= high)


def _scale(forecast: np.ndarray) -> np.ndarray:
    return np.sqrt(np.clip(forecast, 0.0, None) + 0.25)


@dataclass(frozen=True)
class Calibration:
    """Per level and horizon bucket: (low, high) quantiles of the scaled error actual − forecast."""

    quantiles: dict[float, dict[int, tuple[float, float]]]

    @classmethod
    def fit(cls, actual: list[np.ndarray], forecast: list[np.ndarray]) -> Calibration:
        steps = np.concatenate([np.tile(np.arange(1, a.shape[1] + 1), (a.shape[0], 1)) for a in actual])
        scaled = np.concatenate([(a - f) / _scale(f) for a, f in zip(actual, forecast, strict=True)])
        buckets = np.vectorize(bucket_of)(steps)
        quantiles: dict[float, dict[int, tuple[float, float]]] = {}
        for level in LEVELS:
            tail = (1 - level) / 2
            quantiles[level] = {}
            for bucket in range(len(HORIZON_BUCKETS)):
                values = scaled[(buckets == bucket) & ~np.isnan(scaled)]
                if values.size:
                    low, high = np.quantile(values, [tail, 1 - tail])
                    quantiles[level][bucket] = (float(low), float(high))
            if not quantiles[level]:
                raise ValueError("no backtest errors to calibrate intervals on")
            for bucket in range(len(HORIZON_BUCKETS)):  # a longer horizon than backtested: widest known
                quantiles[level].setdefault(bucket, quantiles[level][max(quantiles[level])])
        return cls(quantiles)

    def interval(self, forecast: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
        steps = np.arange(1, forecast.shape[1] + 1)
        low = np.array([self.quantiles[level][bucket_of(s)][0] for s in steps])
        high = np.array([self.quantiles[level][bucket_of(s)][1] for s in steps])
        scale = _scale(forecast)
        lower = np.clip(forecast + np.minimum(low, 0.0) * scale, 0.0, None)
        upper = forecast + np.maximum(high, 0.0) * scale
        return lower, upper
