"""Per-series models (statsforecast ETS and Theta, Prophet): awkward series never fail a run, a failed
fit falls back instead of raising, Prophet's components add up to its forecast, and its process pool gives
the same forecasts as one process."""

from __future__ import annotations

import numpy as np
import pytest

from ml.backtest import history_at
from ml.models.prophet_per_series import ProphetModel
from ml.models.statistical import ets, theta
from ml.panel import aggregate
from tests.ml.synthetic_panel import weekly_panel

HORIZON = 14


@pytest.fixture(scope="module")
def panel():
    return weekly_panel(series=12, days=240)


@pytest.mark.parametrize("model", [ets(), theta()], ids=["ets", "theta"])
def test_statistical_models_follow_the_weekly_profile_of_an_aggregate(panel, model) -> None:
    stores = aggregate(panel, "store_code")
    origin = stores.days - HORIZON
    predicted = model(history_at(stores, origin, HORIZON))
    assert predicted.shape == (len(stores.series), HORIZON) and (predicted >= 0).all()
    # the weekly profile the panel was drawn with (Monday first) is what the forecast's week looks like
    weekdays = np.array([stores.date_of(origin + k).weekday() for k in range(HORIZON)])
    shape = np.array([predicted[:, weekdays == day].mean() for day in range(7)])
    profile = np.array([0.8, 0.8, 0.9, 1.0, 1.3, 1.6, 0.6])
    assert np.corrcoef(shape, profile)[0, 1] > 0.9


@pytest.mark.slow
def test_prophet_forecasts_awkward_series_and_explains_itself(panel) -> None:
    model = ProphetModel(processes=1)
    history = history_at(panel, panel.days - HORIZON, HORIZON)
    predicted = model(history)
    assert predicted.shape == (len(panel.series), HORIZON)
    assert np.isfinite(predicted).all() and (predicted >= 0).all()
    assert (predicted[1] < 0.1).all()  # never sold
    assert model.last_fallbacks == 0
    components = model.last_components
    assert set(components["component"]) == {
        "trend",
        "weekly",
        "yearly",
        "holidays",
        "is_promoted",
        "promo_discount_pct",
    }
    # additive model: the components of a series add up to its (unclipped) forecast
    row = 5
    total = components[components["row"] == row].groupby("forecast_date")["effect"].sum().to_numpy()
    assert np.allclose(np.clip(total, 0, None), predicted[row], atol=1e-6)


@pytest.mark.slow
def test_a_prophet_fit_that_fails_falls_back_instead_of_failing_the_run(panel, monkeypatch) -> None:
    import prophet

    def broken(self, *args, **kwargs):
        raise RuntimeError("Stan optimisation failed")

    monkeypatch.setattr(prophet.Prophet, "fit", broken)
    model = ProphetModel(processes=1)
    history = history_at(panel, panel.days - HORIZON, HORIZON)
    predicted = model(history)
    fitted_rows = (~np.isnan(history.units)).sum(axis=1) >= 14
    assert model.last_fallbacks == fitted_rows.sum()
    expected = np.nanmean(history.units[fitted_rows][:, -28:], axis=1)
    assert np.allclose(predicted[fitted_rows][:, 0], expected)


@pytest.mark.slow
def test_prophet_in_a_process_pool_equals_prophet_in_one_process(monkeypatch) -> None:
    import ml.models.prophet_per_series as module

    monkeypatch.setattr(module, "POOL_MIN_SERIES", 2)
    panel = weekly_panel(series=40, days=200)
    history = history_at(panel, panel.days - HORIZON, HORIZON)
    assert np.allclose(ProphetModel(processes=2)(history), ProphetModel(processes=1)(history))


@pytest.mark.slow
@pytest.mark.spark
def test_prophet_through_spark_apply_in_pandas_equals_the_local_fits(spark, panel) -> None:
    history = history_at(panel, panel.days - HORIZON, HORIZON)
    local = ProphetModel(processes=1)
    on_spark = ProphetModel(spark=lambda: spark)
    assert np.allclose(on_spark(history), local(history))
    columns = ["row", "forecast_date", "component"]
    expected = local.last_components.sort_values(columns).reset_index(drop=True)
    actual = on_spark.last_components.sort_values(columns).reset_index(drop=True)[expected.columns]
    assert np.allclose(actual["effect"], expected["effect"]) and (actual["row"] == expected["row"]).all()
