"""Models and backtest on small synthetic panels: no leakage, finite non-negative output whatever the
series look like, determinism, and a global model that learns what the baselines cannot."""

from __future__ import annotations

import numpy as np
import pytest

from ml.backtest import cutoffs_for, history_at, run_backtest
from ml.forecast import default_models, forecast
from ml.models.baselines import BASELINES, moving_average, naive, seasonal_naive
from ml.models.gradient_boosting import GlobalGradientBoosting
from tests.ml.synthetic_panel import weekly_panel

HORIZON = 28
# Prophet has its own slow-marked tests (tests/ml/test_local_models.py)
FAST_MODELS = (*BASELINES, "lightgbm", "ets", "theta")


@pytest.fixture(scope="module")
def panel():
    return weekly_panel()


@pytest.mark.parametrize("name", FAST_MODELS)
def test_models_never_read_past_the_origin(panel, name) -> None:
    model = default_models()[name]
    origin = panel.days - HORIZON
    before = model(history_at(panel, origin, HORIZON))
    scrambled = panel.units.copy()
    scrambled[:, origin:] = np.random.default_rng(1).poisson(50, scrambled[:, origin:].shape)
    leaked = type(panel)(panel.series, panel.start, scrambled, panel.known)
    assert np.array_equal(model(history_at(leaked, origin, HORIZON)), before)


@pytest.mark.parametrize("name", FAST_MODELS)
def test_awkward_series_get_finite_non_negative_forecasts(panel, name) -> None:
    forecast_ = default_models()[name](history_at(panel, panel.days, HORIZON))
    assert forecast_.shape == (len(panel.series), HORIZON)
    assert np.isfinite(forecast_).all() and (forecast_ >= 0).all()
    assert (forecast_[1] < 0.1).all()  # never sold in 400 days: next to nothing


def test_baselines_do_what_their_names_say(panel) -> None:
    history = history_at(panel, 200, 14)
    units = panel.units
    assert np.array_equal(naive(history)[:, 0], np.nan_to_num(units[:, 199]))
    week = seasonal_naive(history)
    assert np.array_equal(week[5:, :7], units[5:, 193:200])
    assert np.array_equal(week[5:, 7:], units[5:, 193:200])
    assert np.allclose(moving_average(history)[5:, 0], units[5:, 172:200].mean(axis=1))


def test_a_series_with_no_history_at_all_forecasts_zero(panel) -> None:
    history = history_at(panel, 150, HORIZON)  # series 0 and 3 launch later
    for model in default_models(names=FAST_MODELS).values():
        values = model(history)
        assert (values[0] == 0).all() and (values[3] == 0).all()


def test_the_global_model_is_deterministic_for_a_seed(panel) -> None:
    history = history_at(panel, panel.days - HORIZON, HORIZON)
    assert np.array_equal(GlobalGradientBoosting(seed=3)(history), GlobalGradientBoosting(seed=3)(history))


def test_backtest_picks_a_model_that_beats_seasonal_naive_and_calibrates_intervals(panel) -> None:
    run = forecast(panel, HORIZON, default_models(names=FAST_MODELS))
    backtest = run.backtest
    assert backtest.cutoffs == cutoffs_for(panel, HORIZON, 3) == [316, 344, 372]
    for level, champion in run.champions.items():
        scores = [backtest.metric(m, level=level) for m in backtest.forecasts[level]]
        assert backtest.metric(champion, level=level) == min(scores), level
    # the global model sees the promotions and the weekly profile across series
    for metric in ("rmsse", "wape"):
        assert backtest.metric("lightgbm", metric) < 0.9 * backtest.metric("seasonal_naive", metric)
    series_rows = backtest.metrics[
        (backtest.metrics["level"] == "series") & (backtest.metrics["horizon_bucket"] == "all")
    ]
    for level in (80, 95):
        coverage = series_rows.set_index("model").loc[run.champion, f"coverage_{level}"]
        assert abs(coverage - level / 100) < 0.07, (level, coverage)
    assert set(backtest.metrics["level"]) == {"series", "store_code", "region_code", "category", "total"}

    assert len(run.forecast) == len(panel.series) * HORIZON
    groups = {"store_code": 4, "region_code": 2, "category": 3, "total": 1}
    assert run.rollup.groupby("level").size().to_dict() == {k: n * HORIZON for k, n in groups.items()}
    for frame in (run.forecast, run.rollup):
        assert frame["forecast_date"].min() == np.datetime64(panel.date_of(panel.days))
        numbers = frame[["yhat", "yhat_lower_80", "yhat_upper_80", "yhat_lower_95", "yhat_upper_95"]]
        assert np.isfinite(numbers.to_numpy()).all() and (numbers.to_numpy() >= 0).all()
        assert (frame["yhat_lower_95"] <= frame["yhat_lower_80"]).all()
        assert (frame["yhat_lower_80"] <= frame["yhat"]).all()
        assert (frame["yhat"] <= frame["yhat_upper_80"]).all()
        assert (frame["yhat_upper_80"] <= frame["yhat_upper_95"]).all()


def test_too_short_a_history_is_a_clear_error() -> None:
    short = weekly_panel(series=5, days=60)
    with pytest.raises(ValueError, match="cannot be backtested over 28-day horizons"):
        run_backtest(short, dict(BASELINES), HORIZON)


def test_the_panel_does_not_depend_on_the_order_rows_arrive_in() -> None:
    import pandas as pd

    from ml.panel import panel_from_frame

    rows = pd.DataFrame(
        {
            "store_code": ["S2", "S1", "S1", "S2"],
            "product_code": ["P1", "P2", "P1", "P1"],
            "region_code": ["R", "R", "R", "R"],
            "category": ["C", "C", "C", "C"],
            "date_day": pd.to_datetime(["2024-01-02", "2024-01-01", "2024-01-02", "2024-01-01"]),
            "units": [4, -1, 2, 3],
            "is_promoted": [False, True, False, False],
            "promo_discount_pct": [0.0, 10.0, 0.0, 0.0],
            "is_holiday": [False, False, False, False],
        }
    )
    one = panel_from_frame(rows)
    other = panel_from_frame(rows.iloc[::-1].reset_index(drop=True))
    assert list(one.series["store_code"] + one.series["product_code"]) == ["S1P1", "S1P2", "S2P1"]
    assert np.array_equal(one.units, other.units, equal_nan=True)
    assert np.array_equal(one.units, [[np.nan, 2.0], [0.0, np.nan], [3.0, 4.0]], equal_nan=True)
    assert one.known["is_promoted"][1, 0] == 1.0


def test_the_final_forecast_sees_the_holidays_of_its_own_days(panel) -> None:
    """Holidays that triple demand in the history and one on the fifth day ahead: the final fit, given the
    calendar's future (`with_future_known`, as `shelfcast forecast` reads it from dim_date), forecasts that
    day well above the same model told of no holiday there."""
    from ml.panel import with_future_known

    holiday = (np.arange(panel.days) % 13 == 0).astype(float)
    lifted = np.where(holiday > 0, panel.units * 3, panel.units)
    known = panel.known | {"is_holiday": np.broadcast_to(holiday, panel.units.shape).copy()}
    history = type(panel)(panel.series, panel.start, lifted, known)
    ahead = np.zeros(HORIZON)
    ahead[4] = 1.0
    told = with_future_known(history, HORIZON, {"is_holiday": ahead})
    assert told.known["is_holiday"].shape == (len(panel.series), panel.days + HORIZON)
    assert told.known["is_promoted"][:, panel.days :].sum() == 0  # no promotion planned ahead
    model = GlobalGradientBoosting(seed=42)
    with_holiday = model(history_at(told, panel.days, HORIZON))
    without = model(history_at(history, panel.days, HORIZON))
    assert with_holiday[:, 4].sum() > 1.8 * without[:, 4].sum()
    assert np.allclose(with_holiday[:, 10:], without[:, 10:], rtol=0.2, atol=0.5)
