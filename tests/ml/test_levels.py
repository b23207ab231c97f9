"""Forecasting per level: the aggregate panels, which model runs where, a champion per level, and roll-up
forecasts that follow their level's champion."""

from __future__ import annotations

import numpy as np
import pytest

from ml.backtest import run_backtest
from ml.forecast import default_models, forecast
from ml.panel import LEVELS, aggregate, group_codes
from tests.ml.synthetic_panel import weekly_panel

HORIZON = 14


@pytest.fixture(scope="module")
def panel():
    return weekly_panel(series=24, days=240)


def test_an_aggregate_sums_its_members_and_is_missing_only_before_any_existed(panel) -> None:
    stores = aggregate(panel, "store_code")
    codes, names = group_codes(panel, "store_code")
    assert list(stores.series["level_key"]) == names == sorted(set(panel.series["store_code"]))
    for group in range(len(names)):
        members = panel.units[codes == group]
        expected = np.where(np.isnan(members).all(axis=0), np.nan, np.nansum(members, axis=0))
        assert np.array_equal(stores.units[group], expected, equal_nan=True)
    total = aggregate(panel, "total")
    assert total.units.shape == (1, panel.days)
    assert np.nansum(total.units) == pytest.approx(np.nansum(panel.units))
    # known-ahead covariates: the share of members on promotion, a holiday anywhere in the group
    assert np.allclose(stores.known["is_promoted"][0], panel.known["is_promoted"][codes == 0].mean(axis=0))
    assert set(np.unique(stores.known["is_holiday"])) <= {0.0, 1.0}


def test_global_models_roll_up_and_local_models_forecast_each_level_directly(panel) -> None:
    models = default_models(names=("seasonal_naive", "moving_average_28", "lightgbm", "theta"))
    backtest = run_backtest(panel, models, HORIZON, local_max_series=10)
    assert set(backtest.forecasts) == set(LEVELS)
    # 24 series > 10: the per-series model is left out of the series level, kept everywhere else
    assert "theta" not in backtest.forecasts["series"]
    for level in LEVELS[1:]:
        assert backtest.methods[level]["theta"] == "direct"
        assert backtest.methods[level]["lightgbm"] == "bottom_up"
        names = group_codes(panel, level)[1]
        for cutoff_index in range(len(backtest.cutoffs)):
            series = backtest.forecasts["series"]["lightgbm"][cutoff_index]
            rolled = backtest.forecasts[level]["lightgbm"][cutoff_index]
            assert rolled.shape == (len(names), HORIZON)
            assert np.allclose(rolled.sum(axis=0), series.sum(axis=0))
    assert set(backtest.metrics["method"]) == {"direct", "bottom_up", "ensemble"}
    with_series = run_backtest(panel, {"theta": models["theta"]}, HORIZON, local_max_series=24)
    assert with_series.methods["series"]["theta"] == "direct"


def test_each_level_forecasts_with_its_own_champion(panel) -> None:
    models = default_models(names=("seasonal_naive", "moving_average_28", "lightgbm", "ets", "theta"))
    run = forecast(panel, HORIZON, models, local_max_series=10)
    for level, champion in run.champions.items():
        assert champion == run.backtest.ranking(level)[0]
        rows = run.forecast if level == "series" else run.rollup[run.rollup["level"] == level]
        assert set(rows["model"]) == {champion}
        assert set(rows["method"]) == {run.backtest.methods[level][champion]}
    # a bottom-up champion's roll-up is exactly the sum of that model's final series forecasts
    for level in LEVELS[1:]:
        if run.backtest.methods[level][run.champions[level]] == "bottom_up" and (
            run.champions[level] == run.champion
        ):
            rows = run.rollup[run.rollup["level"] == level]
            assert rows["yhat"].sum() == pytest.approx(run.forecast["yhat"].sum())


def test_an_ensemble_is_the_mean_of_its_level_s_two_best_models(panel) -> None:
    models = default_models(names=("naive", "seasonal_naive", "moving_average_28"))
    backtest = run_backtest(panel, models, HORIZON)
    for level in LEVELS:
        first, second = backtest.ensembles[level]
        ranked = [m for m in backtest.ranking(level) if m != "ensemble"]
        assert [first, second] == ranked[:2]
        for index in range(len(backtest.cutoffs)):
            mean = (backtest.forecasts[level][first][index] + backtest.forecasts[level][second][index]) / 2
            assert np.array_equal(backtest.forecasts[level]["ensemble"][index], mean)
