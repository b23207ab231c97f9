"""Rolling-origin backtest: every model forecasts the same `horizon` periods (days, or weeks on weekly
data) from each of several cutoffs, seeing only the periods before each cutoff, and is scored per level
(series, store, region, category, total) and horizon bucket. The last cutoff leaves exactly `horizon`
periods of data after it.

At an aggregate level a global model's candidate is the sum of its series forecasts (bottom-up); a local
model (ETS, Theta, Prophet) forecasts the level's own series directly. Each level then has its own ranking,
its own ensemble of its best two models (kept only if it wins) and its own champion."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ml.intervals import HORIZON_BUCKETS, Calibration
from ml.intervals import LEVELS as INTERVAL_LEVELS
from ml.metrics import accuracy, seasonal_naive_scale
from ml.models import History, Model, is_local
from ml.panel import LEVELS, Panel, aggregate, group_codes, periods, sum_by_group
from shelfcast.config import DEFAULT_LOCAL_MAX_SERIES

MIN_TRAINING_DAYS = 56
SELECTION_METRIC = "rmsse"
LOCAL_MAX_SERIES = DEFAULT_LOCAL_MAX_SERIES  # see `forecast_local_max_series`


def history_at(panel: Panel, origin: int, horizon: int) -> History:
    """The panel as a model may see it when forecasting from period index `origin`."""
    known = {}
    for name, values in panel.known.items():
        extended = np.zeros((values.shape[0], origin + horizon))
        available = min(values.shape[1], origin + horizon)
        extended[:, :available] = values[:, :available]
        known[name] = extended
    categories = {
        column: pd.factorize(panel.series[column].fillna("?"), sort=True)[0]
        for column in ("region_code", "category")
        if column in panel.series
    }
    return History(
        units=panel.units[:, :origin],
        known=known,
        start=panel.start,
        categories=categories,
        horizon=horizon,
        period_days=panel.period_days,
    )


class NotEnoughHistoryError(ValueError):
    """The data is too short for the backtest asked for."""


def cutoffs_for(panel: Panel, horizon: int, count: int) -> list[int]:
    cutoffs = [panel.days - horizon * i for i in range(count, 0, -1)]
    minimum = periods(MIN_TRAINING_DAYS, panel.period_days)
    usable = [c for c in cutoffs if c >= minimum]
    if not usable:
        unit = "day" if panel.period_days == 1 else f"{panel.period_days}-day period"
        raise NotEnoughHistoryError(
            f"{panel.days} {unit}s of history cannot be backtested over {horizon}-{unit} horizons: "
            f"need at least {minimum + horizon} {unit}s"
        )
    return usable


@dataclass
class Backtest:
    cutoffs: list[int]
    panels: dict[str, Panel]  # level -> its series
    actuals: dict[str, list[np.ndarray]] = field(default_factory=dict)  # level -> per cutoff
    forecasts: dict[str, dict[str, list[np.ndarray]]] = field(default_factory=dict)  # level -> model
    methods: dict[str, dict[str, str]] = field(default_factory=dict)  # direct | bottom_up | ensemble
    ensembles: dict[str, tuple[str, str]] = field(default_factory=dict)  # level -> its two members
    seconds: dict[str, float] = field(default_factory=dict)
    metrics: pd.DataFrame = field(default_factory=pd.DataFrame)

    def metric(self, model: str, name: str = SELECTION_METRIC, level: str = "series") -> float:
        rows = self.metrics[
            (self.metrics["model"] == model)
            & (self.metrics["level"] == level)
            & (self.metrics["horizon_bucket"] == "all")
        ]
        return float(rows[name].iloc[0]) if len(rows) else np.nan

    def ranking(self, level: str = "series") -> list[str]:
        """The level's models best first by the selection metric (see `ml.metrics`), pooled over cutoffs."""
        return sorted(
            self.forecasts[level],
            key=lambda model: (np.nan_to_num(self.metric(model, level=level), nan=np.inf), model),
        )

    def champion(self, level: str = "series") -> str:
        return self.ranking(level)[0]


def run_backtest(
    panel: Panel,
    models: dict[str, Model],
    horizon: int,
    cutoffs: int = 3,
    log: Callable[[str], None] = lambda _: None,
    local_max_series: int = LOCAL_MAX_SERIES,
) -> Backtest:
    panels = {level: aggregate(panel, level) for level in LEVELS}
    result = Backtest(cutoffs=cutoffs_for(panel, horizon, cutoffs), panels=panels)
    for level, level_panel in panels.items():
        result.actuals[level] = [level_panel.units[:, c : c + horizon] for c in result.cutoffs]
        result.forecasts[level] = {}
        result.methods[level] = {}
    for name, model in models.items():
        started = time.perf_counter()
        for level in levels_for(model, panels, local_max_series):
            forecasts = [model(history_at(panels[level], c, horizon)) for c in result.cutoffs]
            result.forecasts[level][name] = forecasts
            result.methods[level][name] = "direct"
            if level == "series" and not is_local(model):
                for aggregate_level in LEVELS[1:]:
                    codes, names = group_codes(panel, aggregate_level)
                    result.forecasts[aggregate_level][name] = [
                        sum_by_group(codes, len(names), f) for f in forecasts
                    ]
                    result.methods[aggregate_level][name] = "bottom_up"
        result.seconds[name] = time.perf_counter() - started
        skipped = ""
        if name not in result.forecasts["series"]:
            skipped = f"  (aggregate levels only: {len(panel.series):,} series > {local_max_series})"
        log(f"  backtest {name:<20} {len(result.cutoffs)} cutoffs  {result.seconds[name]:6.1f} s{skipped}")
    result.metrics = score(result)
    for level in LEVELS:
        ranked = result.ranking(level)
        if len(ranked) >= 2:
            first, second = ranked[:2]
            result.forecasts[level]["ensemble"] = [
                (a + b) / 2
                for a, b in zip(result.forecasts[level][first], result.forecasts[level][second], strict=True)
            ]
            result.methods[level]["ensemble"] = "ensemble"
            result.ensembles[level] = (first, second)
    result.metrics = score(result)
    return result


def levels_for(model: Model, panels: dict[str, Panel], local_max_series: int) -> list[str]:
    """Where a model forecasts directly: a global model at the series level; a local model at every
    aggregate level, and at the series level when there are few enough series."""
    if not is_local(model):
        return ["series"]
    return [level for level in LEVELS if level != "series" or len(panels[level].series) <= local_max_series]


def score(result: Backtest) -> pd.DataFrame:
    """Accuracy per model × level × horizon bucket (and "all"), pooled over cutoffs; each level's
    intervals are calibrated on its earlier cutoffs and their coverage measured on the last one."""
    rows = []
    for level, candidates in result.forecasts.items():
        level_panel = result.panels[level]
        actual = result.actuals[level]
        season = level_panel.season
        scale = [seasonal_naive_scale(level_panel.units[:, :c], season) for c in result.cutoffs]
        squared_scale = [seasonal_naive_scale(level_panel.units[:, :c], season, 2) for c in result.cutoffs]
        for model, forecast in candidates.items():
            bounds = {}
            if len(result.cutoffs) > 1:
                calibration = Calibration.fit(actual[:-1], forecast[:-1])
                bounds = {lv: calibration.interval(forecast[-1], lv) for lv in INTERVAL_LEVELS}
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
                for interval_level, (lower, upper) in bounds.items():  # the last cutoff's coverage
                    covered = accuracy(
                        actual[-1][:, columns],
                        forecast[-1][:, columns],
                        scale[-1],
                        None,
                        lower[:, columns],
                        upper[:, columns],
                    )
                    metrics[f"coverage_{int(interval_level * 100)}"] = covered["coverage"]
                rows.append(
                    {
                        "model": model,
                        "level": level,
                        "method": result.methods[level][model],
                        "horizon_bucket": bucket,
                        **metrics,
                    }
                )
    return pd.DataFrame(rows)


__all__ = [
    "LOCAL_MAX_SERIES",
    "Backtest",
    "NotEnoughHistoryError",
    "cutoffs_for",
    "history_at",
    "levels_for",
    "run_backtest",
    "score",
]
