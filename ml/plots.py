"""The run's plots, logged as MLflow artifacts: what a data scientist opens first to judge a run.

- `forecast_total.png`: the last half year of total demand, the forecast and its 80/95 % intervals;
- `backtest_<level>.png`: actuals against each of the best models over the last backtest window;
- `feature_importance.png`: LightGBM gain share and mean |SHAP| per feature;
- `prophet_components_total.png`: Prophet's trend, seasonalities, holidays and regressors over the horizon.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from ml.forecast import ForecastRun

SHOWN_HISTORY_DAYS = 182


def draw_all(run: ForecastRun, importances: pd.DataFrame, folder: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")  # files only: no display on a server
    drawn = [_forecast_total(run, folder / "forecast_total.png")]
    for level in ("total", "series"):
        drawn.append(_backtest(run, level, folder / f"backtest_{level}.png"))
    if len(importances):
        drawn.append(_importance(importances, folder / "feature_importance.png"))
    total_components = run.components[run.components["level"] == "total"] if len(run.components) else None
    if total_components is not None and len(total_components):
        drawn.append(_components(total_components, folder / "prophet_components_total.png"))
    return drawn


def _forecast_total(run: ForecastRun, path: Path) -> Path:
    import matplotlib.pyplot as plt

    panel = run.backtest.panels["total"]
    shown = min(SHOWN_HISTORY_DAYS // panel.period_days, panel.days)
    history_days = panel.dates(panel.days - shown, shown)
    total = run.rollup[run.rollup["level"] == "total"].sort_values("forecast_date")
    figure, axis = plt.subplots(figsize=(11, 4))
    axis.plot(history_days, panel.units[0, -shown:], color="#333333", linewidth=1, label="actual")
    days = pd.to_datetime(total["forecast_date"])
    axis.fill_between(days, total["yhat_lower_95"], total["yhat_upper_95"], alpha=0.2, label="95 %")
    axis.fill_between(days, total["yhat_lower_80"], total["yhat_upper_80"], alpha=0.35, label="80 %")
    axis.plot(days, total["yhat"], linewidth=1.5, label=f"forecast ({run.champions['total']})")
    axis.set_title("Total demand (units): history and forecast")
    axis.legend(loc="upper left")
    return _save(figure, path)


def _backtest(run: ForecastRun, level: str, path: Path) -> Path:
    import matplotlib.pyplot as plt

    backtest = run.backtest
    cutoff = backtest.cutoffs[-1]
    panel = backtest.panels[level]
    actual = np.nansum(backtest.actuals[level][-1], axis=0)
    days = panel.dates(cutoff, len(actual))
    figure, axis = plt.subplots(figsize=(11, 4))
    axis.plot(days, actual, color="#333333", linewidth=2, label="actual")
    for model in backtest.ranking(level)[:4]:
        forecast = backtest.forecasts[level][model][-1].sum(axis=0)
        score = backtest.metric(model, level=level)
        axis.plot(days, forecast, linewidth=1, label=f"{model} (RMSSE {score:.3f})")
    where = "summed over every series" if level == "series" else "total"
    axis.set_title(f"Last backtest window, {level}-level forecasts ({where})")
    axis.legend(loc="upper left", fontsize=8)
    return _save(figure, path)


def _importance(importances: pd.DataFrame, path: Path) -> Path:
    import matplotlib.pyplot as plt

    top = importances.sort_values("gain_share").tail(20)
    columns = [c for c in ("gain_share", "mean_abs_shap_share") if c in top]
    figure, axes = plt.subplots(1, len(columns), figsize=(5 * len(columns), 6), squeeze=False)
    for axis, column in zip(axes[0], columns, strict=True):
        axis.barh(top["feature"], top[column])
        axis.set_title("gain share" if column == "gain_share" else "mean |SHAP| share")
    figure.suptitle("LightGBM feature importance")
    return _save(figure, path)


def _components(components: pd.DataFrame, path: Path) -> Path:
    import matplotlib.pyplot as plt

    effect = components.groupby("component", sort=False)["effect"].apply(lambda e: e.abs().sum())
    names = [name for name, size in effect.items() if size > 0]  # e.g. no holiday in the horizon
    figure, axes = plt.subplots(len(names), 1, figsize=(10, 2 * len(names)), sharex=True, squeeze=False)
    for axis, name in zip(axes[:, 0], names, strict=True):
        part = components[components["component"] == name].sort_values("forecast_date")
        axis.plot(pd.to_datetime(part["forecast_date"]), part["effect"])
        axis.set_ylabel(name)
    figure.suptitle("Prophet components of total demand over the horizon (units)")
    return _save(figure, path)


def _save(figure: object, path: Path) -> Path:
    import matplotlib.pyplot as plt

    figure.tight_layout()  # type: ignore[attr-defined]
    figure.savefig(path, dpi=100)  # type: ignore[attr-defined]
    plt.close(figure)  # type: ignore[arg-type]
    return path
