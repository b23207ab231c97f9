"""Weekly grain: a panel of weeks forecasts weeks, with the year as its season, and every window, lag and
baseline read in weeks (a retailer's weekly export, the Walmart benchmark)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from ml.backtest import history_at
from ml.forecast import default_models, forecast
from ml.models.baselines import moving_average, seasonal_naive
from ml.models.features import design
from ml.panel import panel_from_frame
from tests.ml.synthetic_panel import weekly_grain_panel

HORIZON = 13
FAST_MODELS = ("naive", "seasonal_naive", "moving_average_28", "lightgbm", "ets", "theta")


@pytest.fixture(scope="module")
def panel():
    return weekly_grain_panel()


def _rows(days: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "store_code": "01",
            "product_code": "007",
            "region_code": "A",
            "category": "7",
            "date_day": pd.to_datetime(days),
            "units": [5.0, 7.0, 9.0][: len(days)],
            "is_promoted": 0.0,
            "promo_discount_pct": 0.0,
            "is_holiday": 0.0,
        }
    )


def test_a_weekly_frame_becomes_one_column_per_week() -> None:
    panel = panel_from_frame(_rows(["2012-01-06", "2012-01-13", "2012-01-27"]), period_days=7)
    assert panel.days == 4 and panel.season == 52
    assert panel.units[0, :2].tolist() == [5.0, 7.0] and np.isnan(panel.units[0, 2])
    assert panel.date_of(3) == dt.date(2012, 1, 27) and panel.day_index(dt.date(2012, 1, 27)) == 3
    with pytest.raises(ValueError, match="whole number of 7-day periods"):
        panel_from_frame(_rows(["2012-01-06", "2012-01-12"]), period_days=7)


def test_baselines_and_features_read_weeks(panel) -> None:
    origin = 120
    history = history_at(panel, origin, HORIZON)
    units = panel.units
    assert np.array_equal(seasonal_naive(history)[1:], units[1:, origin - 52 : origin - 52 + HORIZON])
    assert np.allclose(moving_average(history)[1:, 0], units[1:, origin - 4 : origin].mean(axis=1))
    rows = design(history, units, origin)
    first = rows.iloc[:HORIZON]
    assert np.allclose(first["lag_364"], units[0, origin - 52 : origin - 52 + HORIZON], equal_nan=True)
    series_1 = rows.iloc[HORIZON : 2 * HORIZON]
    assert np.allclose(series_1["lag_364"], units[1, origin - 52 : origin - 52 + HORIZON])
    assert np.allclose(series_1["mean_28"], units[1, origin - 4 : origin].mean())
    assert np.allclose(series_1["last_year_mean_7"].iloc[0], units[1, origin - 53 : origin - 50].mean())
    assert (series_1["age_days"] == origin * 7).all()


@pytest.mark.parametrize("name", FAST_MODELS)
def test_weekly_models_never_read_past_the_origin(panel, name) -> None:
    model = default_models(names=(name,))[name]
    origin = panel.days - HORIZON
    before = model(history_at(panel, origin, HORIZON))
    assert before.shape == (len(panel.series), HORIZON)
    assert np.isfinite(before).all() and (before >= 0).all()
    scrambled = panel.units.copy()
    scrambled[:, origin:] = np.random.default_rng(1).poisson(5_000, scrambled[:, origin:].shape)
    leaked = type(panel)(panel.series, panel.start, scrambled, panel.known, panel.period_days)
    assert np.array_equal(model(history_at(leaked, origin, HORIZON)), before)


def test_ets_forecasts_weekly_data_without_a_52_week_season(panel) -> None:
    """statsforecast's ETS forecast routine returns nothing for seasons over 24 periods: a 52-week season
    passed through would forecast zeros for every series."""
    values = default_models(names=("ets",))["ets"](history_at(panel, panel.days, HORIZON))
    level = np.nanmean(panel.units[1:, -4:], axis=1)
    assert (values[1:].mean(axis=1) > 0.5 * level).all()


def test_a_weekly_forecast_run_forecasts_weeks_and_learns_the_year(panel) -> None:
    run = forecast(panel, horizon=HORIZON, models=default_models(names=FAST_MODELS), cutoffs=3)
    dates = np.sort(run.forecast["forecast_date"].unique())
    assert dates[0] == np.datetime64(panel.date_of(panel.days))
    assert (np.diff(dates) == np.timedelta64(7, "D")).all() and len(dates) == HORIZON
    assert (run.forecast["yhat_lower_95"] <= run.forecast["yhat"]).all()
    assert (run.forecast["yhat"] <= run.forecast["yhat_upper_95"]).all()
    backtest = run.backtest
    # growth and the holiday peak: last year's same week alone is beaten by a model that sees both
    assert backtest.metric("lightgbm", "mae") < 0.9 * backtest.metric("seasonal_naive", "mae")
    assert backtest.metric("lightgbm", "mae") < backtest.metric("ets", "mae")
