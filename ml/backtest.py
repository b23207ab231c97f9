"""Rolling-origin backtest: every model forecasts the same `horizon` days from each of several cutoffs,
seeing only the days before each cutoff, and is scored per level (series, store, region, category, total)
and horizon bucket. The last cutoff leaves exactly `horizon` days of data after it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ml.intervals import HORIZON_BUCKETS, LEVELS, Calibration, bucket_of
from ml.metrics import accuracy, seasonal_naive_scale
from ml.models import History, Model
from ml.panel import Panel

AGGREGATE_LEVELS = ("store_code", "region_code", "category")
MIN_TRAINING_DAYS = 56
SELECTION_METRIC = "rmsse"


def history_at(panel: Panel, origin: int, horizon: int) -> History:
    """The panel as a model may see it when forecasting from day index `origin`."""
    known = {}
    for name, values in panel.known.items():
        extended = np.zeros((values.shape[0], origin + horizon))
        available = min(values.shape[1], origin + horizon)
        extended[:, :available] = values[:, :available]
        known[name] = extended
    categories = {
        column: pd.factorize(panel.series[column].fillna("?"), sort=True)[0]
        for column in ("region_code", "category")
    }
    return History(
        units=panel.units[:, :origin],
        known=known,
        start=panel.start,
        categories=categories,
        horizon=horizon,
    )


def cutoffs_for(panel: Panel, horizon: int, count: int) -> list[int]:
    cutoffs = [panel.days - horizon * i for i in range(count, 0, -1)]
    usable = [c for c in cutoffs if c >= MIN_TRAINING_DAYS]
    if not usable:
        raise ValueError(
            f"{panel.days} days of history cannot be backtested over {horizon}-day horizons: "
            f"need at least {MIN_TRAINING_DAYS + horizon} days"
        )
    return usable


@dataclass
class Backtest:
    cutoffs: list[int]
    actuals: list[np.ndarray] = field(default_factory=list)  # per cutoff [series, horizon]
    forecasts: dict[str, list[np.ndarray]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    metrics: pd.DataFrame = field(default_factory=pd.DataFrame)

    def metric(self, model: str, name: str = SELECTION_METRIC, level: str = "series") -> float:
        rows = self.metrics[
            (self.metrics["model"] == model)
            & (self.metrics["level"] == level)
            & (self.metrics["horizon_bucket"] == "all")
        ]
        return float(rows[name].iloc[0])

    def ranking(self, level: str = "series") -> list[str]:
        """Models best first by the selection metric (see `ml.metrics`), pooled over every cutoff."""
        return sorted(
            self.forecasts,
            key=lambda model: (np.nan_to_num(self.metric(model, level=level), nan=np.inf), model),
        )


def run_backtest(
    panel: Panel,
    models: dict[str, Model],
    horizon: int,
    cutoffs: int = 3,
    log: Callable[[str], None] = lambda _: None,
) -> Backtest:
    result = Backtest(cutoffs=cutoffs_for(panel, horizon, cutoffs))
    for cutoff in result.cutoffs:
        result.actuals.append(panel.units[:, cutoff : cutoff + horizon])
    for name, model in models.items():
        started = time.perf_counter()
        result.forecasts[name] = [model(history_at(panel, c, horizon)) for c in result.cutoffs]
        result.seconds[name] = time.perf_counter() - started
        log(f"  backtest {name:<20} {len(result.cutoffs)} cutoffs  {result.seconds[name]:6.1f} s")
    result.metrics = score(panel, result)
    ranked = result.ranking()
    if len(ranked) >= 2:
        first, second = ranked[:2]
        result.forecasts["ensemble"] = [
            (a + b) / 2 for a, b in zip(result.forecasts[first], result.forecasts[second], strict=True)
        ]
        result.seconds["ensemble"] = result.seconds[first] + result.seconds[second]
        result.metrics = score(panel, result)
    return result


def score(panel: Panel, result: Backtest) -> pd.DataFrame:
    """Accuracy per model × level × horizon bucket (and "all"), pooled over cutoffs; intervals are
    calibrated on the earlier cutoffs and their coverage measured on the last one."""
    rows = []
    groups = {"series": None, **{level: level for level in AGGREGATE_LEVELS}, "total": "total"}
    for model, forecasts in result.forecasts.items():
        calibration = (
            Calibration.fit(result.actuals[:-1], forecasts[:-1]) if len(result.cutoffs) > 1 else None
        )
        for level, column in groups.items():
            actual, forecast, scale, squared_scale, lower, upper = [], [], [], [], {}, {}
            for index, cutoff in enumerate(result.cutoffs):
                a, f = (
                    _aggregate(panel, column, result.actuals[index]),
                    _aggregate(panel, column, forecasts[index]),
                )
                history = _aggregate(panel, column, panel.units[:, :cutoff])
                actual.append(a)
                forecast.append(f)
                scale.append(seasonal_naive_scale(history))
                squared_scale.append(seasonal_naive_scale(history, power=2))
                if calibration is not None and index == len(result.cutoffs) - 1:
                    for interval_level in LEVELS:
                        low, high = calibration.interval(forecasts[index], interval_level)
                        lower[interval_level] = _aggregate(panel, column, low) if column is None else None
                        upper[interval_level] = _aggregate(panel, column, high) if column is None else None
            buckets = [("all", 1, 10_000), *((f"{lo}-{hi}", lo, hi) for lo, hi in HORIZON_BUCKETS)]
            for bucket, low_step, high_step in buckets:
                columns = slice(low_step - 1, high_step)
                if actual[0][:, columns].shape[1] == 0:
                    continue
                metrics = accuracy(
                    np.concatenate([a[:, columns] for a in actual]),
                    np.concatenate([f[:, columns] for f in forecast]),
                    np.concatenate(scale),
                    np.concatenate(squared_scale),
                )
                if column is None and lower:  # interval coverage at the forecast grain, last cutoff
                    for interval_level in LEVELS:
                        covered = accuracy(
                            actual[-1][:, columns],
                            forecast[-1][:, columns],
                            scale[-1],
                            None,
                            lower[interval_level][:, columns],
                            upper[interval_level][:, columns],
                        )
                        metrics[f"coverage_{int(interval_level * 100)}"] = covered["coverage"]
                rows.append({"model": model, "level": level, "horizon_bucket": bucket, **metrics})
    return pd.DataFrame(rows)


def _aggregate(panel: Panel, column: str | None, values: np.ndarray) -> np.ndarray:
    """Series rows summed per group of `column` ("total": all); None keeps series rows."""
    if column is None:
        return values
    keys = (
        np.zeros(len(panel.series), dtype=int)
        if column == "total"
        else pd.factorize(panel.series[column].fillna("?"), sort=True)[0]
    )
    out = np.zeros((keys.max() + 1, values.shape[1]))
    np.add.at(out, keys, np.nan_to_num(values))
    return out


__all__ = ["Backtest", "bucket_of", "cutoffs_for", "history_at", "run_backtest", "score"]
